package dialer_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/dialertest"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const campID = "c1"

// fixture is what harness and syncHarness share: a virtual clock, the
// scripted PBX, the in-memory store and an engine built on them.
type fixture struct {
	t     *testing.T
	clk   *dialertest.Clock
	pbx   *dialertest.PBX
	store *dialertest.Store
	e     *dialer.Engine
	opts  dialer.Options
}

// newFixture builds an engine (Synchronous or not) on a virtual clock, a
// scripted PBX and an in-memory store, with one campaign (campID) and
// agents a1..a3; mod may change the options before New.
func newFixture(t *testing.T, synchronous bool, mod func(*dialer.Options)) fixture {
	t.Helper()
	clk := dialertest.NewClock(t0)
	f := fixture{t: t, clk: clk, pbx: dialertest.NewPBX(clk), store: dialertest.NewStore()}
	f.opts = dialer.Options{
		Telephony: f.pbx, Store: f.store, Clock: clk, Synchronous: synchronous,
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		Owner:  "test", LeaseTTL: 30 * time.Second, DrainTimeout: 20 * time.Second,
		Campaigns: []dialer.Campaign{{
			ID: campID, Name: "Test", DialTemplate: "PJSIP/{number}@trunk", CallerID: "Acme <100>",
			OriginateTimeout: 30 * time.Second, MaxLines: 10, AbandonAfter: 2 * time.Second,
			AbandonSound: "sound:duecall-abandon", WrapUp: 5 * time.Second,
		}},
		Agents: []dialer.Agent{
			{ID: "a1", Name: "Agent One", Endpoint: "PJSIP/agent1"},
			{ID: "a2", Name: "Agent Two", Endpoint: "PJSIP/agent2"},
			{ID: "a3", Name: "Agent Three", Endpoint: "PJSIP/agent3"},
		},
	}
	if mod != nil {
		mod(&f.opts)
	}
	e, err := dialer.New(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	return f
}

// addDebts queues one debt per phone, ids d1, d2, ...
func (f *fixture) addDebts(phones ...string) {
	f.t.Helper()
	var debts []campaign.Debt
	for i, p := range phones {
		debts = append(debts, campaign.Debt{ID: fmt.Sprintf("d%d", i+1), CampaignID: campID, DebtorName: "Nguyen Van A",
			Phones: []string{p}, Amount: "1500000", Currency: "VND", DueDate: t0.Add(-24 * time.Hour)})
	}
	if _, err := f.store.UpsertDebts(context.Background(), campaign.Rules{CampaignID: campID}, debts); err != nil {
		f.t.Fatal(err)
	}
}

// harness runs the engine's Run loop on its own goroutine.
type harness struct {
	fixture
	ctx    context.Context
	cancel context.CancelFunc
	runErr chan error
}

// newHarness starts Run on a fixture (see newFixture) and settles.
func newHarness(t *testing.T, mod func(*dialer.Options)) *harness {
	t.Helper()
	h := &harness{fixture: newFixture(t, false, mod)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.runErr = make(chan error, 1)
	go func() { h.runErr <- h.e.Run(h.ctx) }()
	t.Cleanup(func() {
		h.cancel()
		h.stop()
	})
	h.settle()
	return h
}

// settle waits until the engine has nothing to do at the current virtual
// time.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok := h.e.Idle(ctx) && h.e.Idle(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("engine did not settle")
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// advance moves the virtual time in 50 ms steps, settling after each.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	const step = 50 * time.Millisecond
	for d > 0 {
		s := min(step, d)
		h.clk.Advance(s)
		h.settle()
		d -= s
	}
}

// stop cancels Run and drives the clock until it returns.
func (h *harness) stop() error {
	h.cancel()
	for range 2000 {
		select {
		case err := <-h.runErr:
			h.runErr <- err // keep it for a second stop
			return err
		default:
		}
		h.clk.Advance(100 * time.Millisecond)
		time.Sleep(100 * time.Microsecond)
	}
	h.t.Fatal("Run did not return")
	return nil
}

// until advances in 50 ms steps until cond holds (at most max).
func (h *harness) until(what string, max time.Duration, cond func() bool) {
	h.t.Helper()
	for waited := time.Duration(0); !cond(); waited += 50 * time.Millisecond {
		if waited > max {
			h.t.Fatalf("%s: not after %v", what, max)
		}
		h.advance(50 * time.Millisecond)
	}
}

func (h *harness) status() dialer.Status {
	h.t.Helper()
	return h.e.Status(context.Background())
}

func (h *harness) agent(id string) dialer.AgentStatus {
	h.t.Helper()
	for _, a := range h.status().Agents {
		if a.ID == id {
			return a
		}
	}
	h.t.Fatalf("agent %s not in status", id)
	return dialer.AgentStatus{}
}

func (h *harness) login(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		if err := h.e.Login(context.Background(), id, ""); err != nil {
			h.t.Fatalf("login %s: %v", id, err)
		}
		h.settle()
		if st := h.agent(id).State; st != dialer.AgentReady {
			h.t.Fatalf("agent %s is %s after login", id, st)
		}
	}
}

func (h *harness) attempts() []campaign.Attempt { return h.store.AllAttempts(campID) }

// waitAttempts advances until n attempts are recorded (at most max).
func (h *harness) waitAttempts(n int, max time.Duration) []campaign.Attempt {
	h.t.Helper()
	for waited := time.Duration(0); len(h.attempts()) < n; waited += 100 * time.Millisecond {
		if waited > max {
			h.t.Fatalf("%d attempts recorded after %v, want %d", len(h.attempts()), max, n)
		}
		h.advance(100 * time.Millisecond)
	}
	return h.attempts()
}

// agentChannel returns the PBX channel of an agent.
func (h *harness) agentChannel(id string) string {
	h.t.Helper()
	for _, ch := range h.pbx.Channels() {
		if ch.Agent && len(ch.Args) == 2 && ch.Args[1] == id {
			return ch.ID
		}
	}
	h.t.Fatalf("no channel for agent %s", id)
	return ""
}

// bridgeOf returns the bridge that holds a channel.
func (h *harness) bridgeOf(channelID string) (string, []string) {
	for id, m := range h.pbx.Bridges() {
		if slices.Contains(m, channelID) {
			return id, m
		}
	}
	return "", nil
}

func (h *harness) debtorOriginates() []dialer.OriginateRequest {
	var out []dialer.OriginateRequest
	for _, r := range h.pbx.Originates() {
		if !strings.Contains(r.Endpoint, "agent") {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) counters() campaign.Report {
	r, err := h.store.Counters(context.Background(), campID)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestProgressiveNeverExceedsReadyAgents(t *testing.T) {
	h := newHarness(t, nil)
	var phones []string
	for i := range 30 {
		phones = append(phones, fmt.Sprintf("+8490000%03d2", i)) // busy
	}
	h.addDebts(phones...)
	h.login("a1", "a2")
	if n := len(h.debtorOriginates()); n != 2 {
		t.Fatalf("%d originates with 2 ready agents, want 2", n)
	}
	h.advance(20 * time.Second)
	if peak := h.pbx.PeakDebtorChannels(); peak != 2 {
		t.Fatalf("peak debtor channels %d, want 2 (one per ready agent)", peak)
	}
	if n := len(h.attempts()); n < 10 {
		t.Fatalf("only %d attempts in 20 s: dialing did not continue", n)
	}
	for _, a := range h.attempts() {
		if a.Outcome != campaign.OutcomeBusy {
			t.Fatalf("outcome %s, want busy", a.Outcome)
		}
	}
}

func TestProgressiveCappedByMaxLines(t *testing.T) {
	h := newHarness(t, func(o *dialer.Options) { o.Campaigns[0].MaxLines = 2 })
	h.addDebts("+84900000013", "+84900000023", "+84900000033", "+84900000043")
	h.login("a1", "a2", "a3")
	h.advance(5 * time.Second)
	if n := len(h.debtorOriginates()); n != 2 {
		t.Fatalf("%d originates with max_lines 2, want 2", n)
	}
	cs := h.status().Campaigns[0]
	if cs.LinesInUse != 2 || cs.Ringing != 2 || cs.AgentsReady != 3 {
		t.Fatalf("status %+v", cs)
	}
}

func TestAnsweredCallBridgedToLongestWaitingAgent(t *testing.T) {
	h := newHarness(t, nil)
	h.login("a2")
	h.advance(time.Second)
	h.addDebts("+84912345671")
	h.login("a1")
	h.until("originated", time.Second, func() bool { return len(h.debtorOriginates()) == 1 })
	or := h.debtorOriginates()
	call := or[0].ChannelID
	if or[0].Endpoint != "PJSIP/84912345671@trunk" || or[0].CallerID != "Acme <100>" || or[0].Timeout != 30*time.Second {
		t.Fatalf("originate %+v", or[0])
	}
	h.advance(500 * time.Millisecond)
	if n := len(h.debtorOriginates()); n != 1 {
		t.Fatalf("%d originates for one debt", n)
	}
	h.until("bridged", 3*time.Second, func() bool { b, _ := h.bridgeOf(call); return b != "" })
	_, members := h.bridgeOf(call)
	if !slices.Contains(members, h.agentChannel("a2")) {
		t.Fatalf("debtor bridged with %v, want a2 (longest waiting)", members)
	}
	a2 := h.agent("a2")
	if a2.State != dialer.AgentOnCall || a2.AttemptID != call || a2.DebtID != "d1" {
		t.Fatalf("a2 status %+v", a2)
	}
	if h.agent("a1").State != dialer.AgentReady {
		t.Fatal("a1 should still be ready")
	}
	st := h.status()
	if st.Latency.Count != 1 || st.Campaigns[0].OnCall != 1 {
		t.Fatalf("status %+v", st)
	}
	h.advance(10 * time.Second)
	h.pbx.RemoteHangup(call, 16)
	h.settle()
	at := h.attempts()
	if len(at) != 1 {
		t.Fatalf("%d attempts", len(at))
	}
	a := at[0]
	if a.Outcome != campaign.OutcomeBridged || a.AgentID != "a2" || a.HangupCause != 16 || a.ID != call || a.DebtID != "d1" {
		t.Fatalf("attempt %+v", a)
	}
	if got := a.TalkSeconds(); got < 10 || got > 10.1 || !a.BridgedAt.Equal(a.AnsweredAt) {
		t.Fatalf("talk %v s, want 10; answered %v bridged %v", got, a.AnsweredAt, a.BridgedAt)
	}
	if a.Phone != "+84912345671" || a.AnsweredAt.Sub(a.OriginatedAt) != 2100*time.Millisecond {
		t.Fatalf("attempt times/phone %+v", a)
	}
	if ag := h.agent("a2"); ag.State != dialer.AgentWrapUp || ag.AttemptID != "" || ag.LastAttemptID != call || ag.LastDebtID != "d1" {
		t.Fatalf("a2 after the call: %+v; want wrap_up showing the last attempt %s of d1", ag, call)
	}
	h.advance(4900 * time.Millisecond)
	if h.agent("a2").State != dialer.AgentWrapUp {
		t.Fatal("wrap-up ended early")
	}
	h.advance(200 * time.Millisecond)
	if h.agent("a2").State != dialer.AgentReady {
		t.Fatalf("a2 is %s after wrap-up, want ready", h.agent("a2").State)
	}
	d, err := h.store.Debt(context.Background(), campID, "d1")
	if err != nil || d.State != campaign.StateFinished || d.Attempts != 1 {
		t.Fatalf("debt %+v %v", d, err)
	}
}

// placeOne queues one debt, logs a1 in (which places the call at once) and
// returns the debtor channel id.
func (h *harness) placeOne(phone string) string {
	h.t.Helper()
	h.addDebts(phone)
	h.login("a1")
	or := h.debtorOriginates()
	if len(or) != 1 {
		h.t.Fatalf("%d originates, want 1", len(or))
	}
	return or[0].ChannelID
}

func TestConnectLatencyMeasured(t *testing.T) {
	h := newHarness(t, nil)
	h.placeOne("+84912345671")
	if err := h.e.Pause(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.advance(2100 * time.Millisecond) // answered
	if h.status().Campaigns[0].AnsweredWaiting != 1 {
		t.Fatalf("status %+v", h.status().Campaigns[0])
	}
	h.advance(700 * time.Millisecond)
	if err := h.e.Ready(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	lat := h.status().Latency
	if lat.Count != 1 || lat.MaxMs != 700 || lat.P50Ms != 700 {
		t.Fatalf("latency %+v, want one of 700 ms", lat)
	}
	if h.agent("a1").State != dialer.AgentOnCall {
		t.Fatal("a1 should be on the call")
	}
}

func TestAbandon(t *testing.T) {
	h := newHarness(t, nil)
	call := h.placeOne("+84912345671")
	if err := h.e.Pause(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.advance(2100 * time.Millisecond) // answered
	h.advance(1950 * time.Millisecond) // < abandon_after: nothing yet
	if len(h.pbx.Plays()) != 0 {
		t.Fatal("abandon message played too early")
	}
	h.advance(50 * time.Millisecond)
	plays := h.pbx.Plays()
	if len(plays) != 1 || plays[0] != call+" sound:duecall-abandon" {
		t.Fatalf("plays %v", plays)
	}
	if len(h.attempts()) != 0 {
		t.Fatal("recorded before the message ended")
	}
	h.advance(3000 * time.Millisecond) // playback lasts 3 s
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeAbandoned || at[0].AgentID != "" || at[0].HangupCause != 16 {
		t.Fatalf("attempts %+v", at)
	}
	if !slices.Contains(h.pbx.Hangups(), call) {
		t.Fatal("abandoned call not hung up by the dialer")
	}
	cs := h.status().Campaigns[0]
	if cs.Abandoned != 1 || cs.AbandonRate != 1 {
		t.Fatalf("campaign status %+v", cs)
	}
	d, _ := h.store.Debt(context.Background(), campID, "d1")
	if d.State != campaign.StateQueued || !d.NextAttemptAt.Equal(at[0].EndedAt.Add(72*time.Hour)) {
		t.Fatalf("debt after abandon %+v", d)
	}
}

func TestAbandonSafetyTimeout(t *testing.T) {
	h := newHarness(t, func(o *dialer.Options) { o.Campaigns[0].AbandonSound = "bogus:never" })
	h.placeOne("+84912345671")
	_ = h.e.Pause(context.Background(), "a1")
	h.advance(4200 * time.Millisecond)
	if len(h.pbx.Plays()) != 1 || len(h.attempts()) != 0 {
		t.Fatal("playback should be running")
	}
	h.advance(14 * time.Second)
	if len(h.attempts()) != 0 {
		t.Fatal("hung up before the safety timeout")
	}
	h.waitAttempts(1, 2*time.Second)
	if h.attempts()[0].Outcome != campaign.OutcomeAbandoned {
		t.Fatalf("%+v", h.attempts()[0])
	}
}

func TestAbandonWithoutSound(t *testing.T) {
	h := newHarness(t, func(o *dialer.Options) { o.Campaigns[0].AbandonSound = "" })
	call := h.placeOne("+84912345671")
	_ = h.e.Pause(context.Background(), "a1")
	h.advance(4200 * time.Millisecond)
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeAbandoned || len(h.pbx.Plays()) != 0 || !slices.Contains(h.pbx.Hangups(), call) {
		t.Fatalf("attempts %+v plays %v", at, h.pbx.Plays())
	}
}

func TestWaitingDebtorBridgedWhenAgentBecomesReady(t *testing.T) {
	h := newHarness(t, nil)
	call := h.placeOne("+84912345671")
	_ = h.e.Pause(context.Background(), "a1")
	h.advance(2100 * time.Millisecond)
	h.advance(time.Second) // waiting 1 s < 2 s
	if err := h.e.Ready(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if br, _ := h.bridgeOf(call); br == "" {
		t.Fatal("waiting debtor not bridged when the agent became ready")
	}
	h.advance(5 * time.Second)
	if len(h.pbx.Plays()) != 0 {
		t.Fatal("abandon message played to a bridged debtor")
	}
	if err := h.e.EndCall(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeBridged || at[0].AgentID != "a1" {
		t.Fatalf("attempts %+v", at)
	}
	if h.agent("a1").State != dialer.AgentWrapUp {
		t.Fatal("agent should be in wrap-up after EndCall")
	}
}

func TestOldestWaitingDebtorFirst(t *testing.T) {
	h := newHarness(t, func(o *dialer.Options) { o.Campaigns[0].AbandonAfter = 20 * time.Second })
	h.addDebts("+84912345679", "+84912345671") // answers after 8.1 s / after 2.1 s
	h.login("a1", "a2")
	or := h.debtorOriginates()
	if len(or) != 2 {
		t.Fatalf("%d originates", len(or))
	}
	_ = h.e.Pause(context.Background(), "a1")
	_ = h.e.Pause(context.Background(), "a2")
	h.advance(9 * time.Second) // both answered and waiting
	if h.status().Campaigns[0].AnsweredWaiting != 2 {
		t.Fatalf("status %+v", h.status().Campaigns[0])
	}
	if err := h.e.Ready(context.Background(), "a2"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	first := ""
	for _, r := range or {
		if strings.HasSuffix(r.Endpoint, "1@trunk") {
			first = r.ChannelID
		}
	}
	if b, m := h.bridgeOf(first); b == "" || !slices.Contains(m, h.agentChannel("a2")) {
		t.Fatal("the debtor who answered first was not connected first")
	}
}

func TestAgentHangupLogsOut(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345671", "+84912345681")
	h.login("a1")
	call := h.debtorOriginates()[0].ChannelID
	h.advance(2100 * time.Millisecond)
	agentCh := h.agentChannel("a1")
	br, _ := h.bridgeOf(agentCh)
	if b, _ := h.bridgeOf(call); b != br || br == "" {
		t.Fatal("not bridged")
	}
	h.advance(3 * time.Second)
	h.pbx.RemoteHangup(agentCh, 16)
	h.settle()
	if st := h.agent("a1").State; st != dialer.AgentLoggedOut {
		t.Fatalf("agent is %s after hanging up, want logged_out", st)
	}
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeBridged || at[0].TalkSeconds() != 3 {
		t.Fatalf("attempts %+v", at)
	}
	if _, ok := h.pbx.Channel(call); ok {
		t.Fatal("debtor channel still up")
	}
	if len(h.pbx.Bridges()) != 0 {
		t.Fatalf("bridges left: %v", h.pbx.Bridges())
	}
	h.advance(5 * time.Second)
	if n := len(h.debtorOriginates()); n != 1 {
		t.Fatalf("%d originates with no agent logged in", n)
	}
}

func TestAgentHangupWhileBridgingAbandons(t *testing.T) {
	h := newHarness(t, nil)
	release := make(chan struct{})
	var blocked atomic.Bool
	h.pbx.AddToBridgeHook = func(bridgeID, channelID string) error {
		if strings.HasPrefix(channelID, "dcd-") {
			blocked.Store(true)
			<-release
		}
		return nil
	}
	h.placeOne("+84912345671")
	h.clk.Advance(2100 * time.Millisecond)
	for deadline := time.Now().Add(10 * time.Second); !blocked.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("AddToBridge never called")
		}
	}
	// The loop keeps running while AddToBridge hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	st := h.e.Status(ctx)
	cancel()
	if !st.Running || st.Campaigns[0].OnCall != 1 {
		close(release)
		t.Fatalf("status while AddToBridge hangs: %+v", st)
	}
	h.pbx.RemoteHangup(h.agentChannel("a1"), 16)
	close(release)
	h.settle()
	h.waitAttempts(1, 10*time.Second)
	if o := h.attempts()[0].Outcome; o != campaign.OutcomeAbandoned {
		t.Fatalf("outcome %s, want abandoned", o)
	}
}

func TestOriginateRejected(t *testing.T) {
	h := newHarness(t, nil)
	h.pbx.OriginateHook = func(req dialer.OriginateRequest) error {
		if strings.Contains(req.Endpoint, "trunk") {
			return &dialer.OriginateError{Status: 500, Reason: "Allocation failed"}
		}
		return nil
	}
	h.addDebts("+84912345671")
	h.login("a1")
	h.advance(300 * time.Millisecond)
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeFailed || !strings.Contains(at[0].Reason, "Allocation failed") {
		t.Fatalf("attempts %+v", at)
	}
	d, err := h.store.Debt(context.Background(), campID, "d1")
	if err != nil || d.State != campaign.StateQueued || d.Attempts != 1 || !d.NextAttemptAt.Equal(at[0].EndedAt.Add(10*time.Minute)) {
		t.Fatalf("debt not rescheduled: %+v %v", d, err)
	}
	if h.agent("a1").State != dialer.AgentReady {
		t.Fatal("agent should stay ready")
	}
}

func TestDisconnectedNoOriginates(t *testing.T) {
	h := newHarness(t, nil)
	h.login("a1")
	h.pbx.Disconnect()
	h.settle()
	h.addDebts("+84912345671")
	h.advance(5 * time.Second)
	if n := len(h.debtorOriginates()); n != 0 {
		t.Fatalf("%d originates while disconnected", n)
	}
	if h.status().PBXConnected {
		t.Fatal("status says connected")
	}
	if err := h.e.Login(context.Background(), "a2", ""); !errors.Is(err, dialer.ErrDisconnected) {
		t.Fatalf("login while disconnected: %v", err)
	}
	h.pbx.Reconnect()
	h.advance(300 * time.Millisecond)
	if n := len(h.debtorOriginates()); n != 1 {
		t.Fatalf("%d originates after reconnect, want 1", n)
	}
}

func TestResyncEndsMissingCalls(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345671", "+84912345673") // answers / rings forever
	h.login("a1", "a2")
	h.advance(2100 * time.Millisecond)
	var bridged, ringing string
	for _, r := range h.debtorOriginates() {
		if strings.HasSuffix(r.Endpoint, "1@trunk") {
			bridged = r.ChannelID
		} else {
			ringing = r.ChannelID
		}
	}
	if b, _ := h.bridgeOf(bridged); b == "" {
		t.Fatal("not bridged")
	}
	h.advance(4 * time.Second)
	h.pbx.Disconnect()
	h.settle()
	h.pbx.Vanish(bridged)
	h.pbx.Vanish(ringing)
	h.pbx.Vanish(h.agentChannel("a2"))
	h.advance(time.Second)
	if len(h.attempts()) != 0 {
		t.Fatal("calls ended before the resync")
	}
	h.pbx.Reconnect()
	h.settle()
	at := h.attempts()
	if len(at) != 2 {
		t.Fatalf("%d attempts after resync, want 2", len(at))
	}
	got := map[string]campaign.Outcome{}
	for _, a := range at {
		got[a.ID] = a.Outcome
	}
	if got[bridged] != campaign.OutcomeBridged || got[ringing] != campaign.OutcomeFailed {
		t.Fatalf("outcomes %v", got)
	}
	loggedOut := 0
	for _, id := range []string{"a1", "a2"} {
		if h.agent(id).State == dialer.AgentLoggedOut {
			loggedOut++
		}
	}
	if h.agent("a2").State != dialer.AgentLoggedOut && h.agent("a1").State != dialer.AgentLoggedOut {
		t.Fatal("the agent whose channel vanished is still logged in")
	}
	if loggedOut != 1 {
		t.Fatalf("%d agents logged out, want 1", loggedOut)
	}
}

func TestResyncHangsUpOrphans(t *testing.T) {
	h := newHarness(t, nil)
	orphan := dialer.NewID(dialer.KindDebtor)
	if err := h.pbx.Originate(context.Background(), dialer.OriginateRequest{ChannelID: orphan, Endpoint: "PJSIP/84900000001@trunk"}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.pbx.Disconnect()
	h.pbx.Reconnect()
	h.settle()
	if _, ok := h.pbx.Channel(orphan); ok {
		t.Fatal("orphan channel not hung up")
	}
	if h.status().UnknownEvents == 0 {
		t.Fatal("events of the unknown channel should be counted")
	}
}

func TestStoreClaimFailingPausesDialing(t *testing.T) {
	h := newHarness(t, nil)
	var down atomic.Bool
	down.Store(true)
	h.store.ClaimErr = func() error {
		if down.Load() {
			return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
		}
		return nil
	}
	h.addDebts("+84912345672")
	h.login("a1")
	before := h.store.Calls("Claim")
	h.advance(10 * time.Second)
	claims := h.store.Calls("Claim") - before
	if claims > 5 || claims < 2 {
		t.Fatalf("%d claims in 10 s of outage, want a few with backoff (1 s, 2 s, 4 s...)", claims)
	}
	if len(h.debtorOriginates()) != 0 {
		t.Fatal("originated during the outage")
	}
	if h.status().StoreHealthy {
		t.Fatal("status says store healthy")
	}
	down.Store(false)
	h.advance(20 * time.Second)
	if len(h.debtorOriginates()) == 0 {
		t.Fatal("dialing did not resume after the outage")
	}
	if !h.status().StoreHealthy {
		t.Fatal("status says store unhealthy")
	}
}

func TestCompleteFailingIsRetried(t *testing.T) {
	h := newHarness(t, nil)
	var fails atomic.Int32
	fails.Store(3)
	h.store.CompleteErr = func(campaign.Attempt) error {
		if fails.Add(-1) >= 0 {
			return errors.New("redis: connection pool timeout")
		}
		return nil
	}
	h.addDebts("+84912345672")
	h.login("a1")
	h.advance(1500 * time.Millisecond) // busy at 1.1 s
	if len(h.attempts()) != 0 || h.status().PendingWrites != 1 {
		t.Fatalf("attempt should be pending, status %+v", h.status())
	}
	h.advance(10 * time.Second) // retries at +1, +2, +4 s
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeBusy {
		t.Fatalf("attempts %+v", at)
	}
	if h.store.Calls("Complete") != 4 || h.status().PendingWrites != 0 {
		t.Fatalf("complete calls %d", h.store.Calls("Complete"))
	}
}

func TestShutdownDrainsThenHangsUp(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345671", "+84912345673", "+84912345672")
	h.login("a1", "a2")
	h.advance(2100 * time.Millisecond) // 1 bridged, 3 ringing
	originates := len(h.debtorOriginates())
	h.cancel()
	h.settle()
	h.advance(10 * time.Second)
	if len(h.debtorOriginates()) != originates {
		t.Fatal("originated while draining")
	}
	if !h.status().Draining {
		t.Fatal("status not draining")
	}
	if len(h.attempts()) != 0 {
		t.Fatalf("live calls ended before the drain timeout: %+v", h.attempts())
	}
	err := h.stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	at := h.attempts()
	if len(at) != 2 {
		t.Fatalf("%d attempts, want 2", len(at))
	}
	outs := map[campaign.Outcome]int{}
	for _, a := range at {
		outs[a.Outcome]++
	}
	if outs[campaign.OutcomeBridged] != 1 || outs[campaign.OutcomeFailed] != 1 {
		t.Fatalf("outcomes %v", outs)
	}
	if n := len(h.pbx.Channels()); n != 0 {
		t.Fatalf("%d channels left after shutdown", n)
	}
	if len(h.pbx.Bridges()) != 0 {
		t.Fatal("bridges left after shutdown")
	}
	if h.status().Running {
		t.Fatal("still running")
	}
	// The one debt never dialled is still queued, and nothing is leased.
	q, _ := h.store.QueueStats(context.Background(), campID, h.clk.Now())
	if q.Leased != 0 {
		t.Fatalf("leases left: %+v", q)
	}
}

func TestShutdownReturnsWhenCallsEnd(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345675") // answers after 1.1 s, hangs up 3.5 s later
	h.login("a1")
	h.advance(300 * time.Millisecond)
	h.cancel()
	start := h.clk.Now()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if took := h.clk.Now().Sub(start); took > 15*time.Second {
		t.Fatalf("shutdown took %v of virtual time; the call ended after ~5 s", took)
	}
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeBridged {
		t.Fatalf("attempts %+v", at)
	}
}

func TestShutdownLogsUnwrittenAttempts(t *testing.T) {
	h := newHarness(t, func(o *dialer.Options) { o.FlushTimeout = 5 * time.Second })
	h.store.CompleteErr = func(campaign.Attempt) error { return errors.New("redis down") }
	h.addDebts("+84912345672")
	h.login("a1")
	h.advance(1500 * time.Millisecond)
	if h.status().PendingWrites != 1 {
		t.Fatal("attempt should be pending")
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := h.store.Calls("Complete"); n < 3 {
		t.Fatalf("Complete tried %d times before giving up", n)
	}
}

func TestReplacedStopsEngine(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345671")
	h.login("a1")
	h.advance(2500 * time.Millisecond)
	h.pbx.Replace()
	var err error
	select {
	case err = <-h.runErr:
	case <-time.After(10 * time.Second):
		for range 200 {
			h.clk.Advance(100 * time.Millisecond)
		}
		err = <-h.runErr
	}
	h.runErr <- err
	if !errors.Is(err, dialer.ErrReplaced) {
		t.Fatalf("Run = %v, want ErrReplaced", err)
	}
	if len(h.attempts()) != 1 {
		t.Fatalf("the live call was not recorded: %+v", h.attempts())
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		digit   string
		pause   bool // pause the agent once the call is placed (no bridging)
		hangup  bool // the debtor hangs up after bridging
		outcome campaign.Outcome
		cause   int
	}{
		{digit: "1", hangup: true, outcome: campaign.OutcomeBridged, cause: 16},
		{digit: "2", outcome: campaign.OutcomeBusy, cause: 0},
		{digit: "3", outcome: campaign.OutcomeNoAnswer, cause: 19},
		{digit: "4", outcome: campaign.OutcomeCongestion, cause: 0},
		{digit: "5", pause: true, outcome: campaign.OutcomeHungUpEarly, cause: 16},
		{digit: "7", outcome: campaign.OutcomeInvalidNumber, cause: 1},
		{digit: "8", outcome: campaign.OutcomeFailed, cause: 0},
		{digit: "0", outcome: campaign.OutcomeFailed, cause: 0},
	}
	for _, tt := range tests {
		t.Run(tt.digit+"_"+string(tt.outcome), func(t *testing.T) {
			h := newHarness(t, func(o *dialer.Options) {
				o.Campaigns[0].OriginateTimeout = 5 * time.Second
				o.Campaigns[0].AbandonAfter = 10 * time.Second
			})
			h.addDebts("+8491234567" + tt.digit)
			h.login("a1")
			h.advance(300 * time.Millisecond)
			if tt.pause {
				_ = h.e.Pause(context.Background(), "a1")
			}
			if tt.hangup {
				h.advance(3 * time.Second)
				h.pbx.RemoteHangup(h.debtorOriginates()[0].ChannelID, 16)
			}
			at := h.waitAttempts(1, 30*time.Second)
			if at[0].Outcome != tt.outcome || at[0].HangupCause != tt.cause {
				t.Fatalf("outcome %s cause %d (reason %q), want %s cause %d", at[0].Outcome, at[0].HangupCause,
					at[0].Reason, tt.outcome, tt.cause)
			}
			if tt.outcome.Answered() == at[0].AnsweredAt.IsZero() {
				t.Fatalf("answered time %v for %s", at[0].AnsweredAt, tt.outcome)
			}
			if h.status().Campaigns[0].Outcomes[tt.outcome] != 1 {
				t.Fatalf("status outcomes %v", h.status().Campaigns[0].Outcomes)
			}
			r := h.counters()
			if r.Total.Placed != 1 {
				t.Fatalf("counters %+v", r.Total)
			}
		})
	}
}

func TestInvalidPhoneIsRecorded(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("0912345678") // not E.164
	h.login("a1")
	h.advance(300 * time.Millisecond)
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeInvalidNumber || len(h.debtorOriginates()) != 0 {
		t.Fatalf("attempts %+v", at)
	}
	d, _ := h.store.Debt(context.Background(), campID, "d1")
	if d.State != campaign.StateFinished {
		t.Fatalf("debt %+v: the only number is invalid", d)
	}
}

func TestDisposition(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345671", "+84912345681")
	h.login("a1")
	call := h.debtorOriginates()[0].ChannelID
	h.advance(2100 * time.Millisecond)
	// During the call: written after the attempt.
	if err := h.e.Disposition(context.Background(), "a1", call, "callback"); err != nil {
		t.Fatal(err)
	}
	if err := h.e.EndCall(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if a := h.attempts(); len(a) != 1 || a[0].Disposition != "callback" {
		t.Fatalf("attempts %+v", a)
	}
	// After the call: written at once.
	if err := h.e.Disposition(context.Background(), "a1", call, campaign.DispositionPromiseToPay); err != nil {
		t.Fatal(err)
	}
	if a := h.attempts(); a[0].Disposition != campaign.DispositionPromiseToPay {
		t.Fatalf("disposition %q", a[0].Disposition)
	}
	r := h.counters()
	if r.Total.PromiseToPay != 1 || r.Agents["a1"].PromiseToPay != 1 {
		t.Fatalf("counters %+v", r)
	}
	if err := h.e.Disposition(context.Background(), "a1", "dcd-nope", "refused"); !errors.Is(err, campaign.ErrNotFound) {
		t.Fatalf("unknown attempt: %v", err)
	}
	if err := h.e.Disposition(context.Background(), "a1", call, "Promise To Pay"); !errors.Is(err, campaign.ErrInvalid) {
		t.Fatalf("bad code: %v", err)
	}
	if err := h.e.Disposition(context.Background(), "zz", call, "refused"); !errors.Is(err, dialer.ErrUnknownAgent) {
		t.Fatalf("unknown agent: %v", err)
	}
}

func TestAgentTimeAccounted(t *testing.T) {
	h := newHarness(t, nil)
	h.login("a1")
	h.advance(10 * time.Second)
	if err := h.e.Pause(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.advance(4 * time.Second)
	if err := h.e.Ready(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.advance(2 * time.Second)
	if err := h.e.Logout(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	c := h.counters().Agents["a1"]
	if c.ReadySeconds < 11.9 || c.ReadySeconds > 12.1 || c.PausedSeconds < 3.9 || c.PausedSeconds > 4.1 {
		t.Fatalf("agent counters %+v, want ready 12 s, paused 4 s", c)
	}
	if h.agent("a1").State != dialer.AgentLoggedOut {
		t.Fatal("not logged out")
	}
	if len(h.pbx.Channels()) != 0 || len(h.pbx.Bridges()) != 0 {
		t.Fatal("agent channel or bridge left after logout")
	}
}

func TestWrapUpTimeAccounted(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345675") // callee hangs up 3.5 s after answering
	h.login("a1")
	h.advance(12 * time.Second)
	c := h.counters()
	if c.Agents["a1"].WrapUpSeconds < 4.9 || c.Agents["a1"].WrapUpSeconds > 5.1 {
		t.Fatalf("wrap-up %v s, want 5", c.Agents["a1"].WrapUpSeconds)
	}
	if c.Total.TalkSeconds < 3.4 || c.Total.TalkSeconds > 3.6 {
		t.Fatalf("talk %v s, want 3.5", c.Total.TalkSeconds)
	}
}

func TestPauseDuringCall(t *testing.T) {
	h := newHarness(t, nil)
	h.addDebts("+84912345675")
	h.login("a1")
	h.advance(2000 * time.Millisecond) // bridged at 1.4 s
	if h.agent("a1").State != dialer.AgentOnCall {
		t.Fatal("not on call")
	}
	if err := h.e.Pause(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	h.advance(10 * time.Second) // call ends, wrap-up 5 s, then paused
	if st := h.agent("a1").State; st != dialer.AgentPaused {
		t.Fatalf("agent %s, want paused after the wrap-up", st)
	}
}

func TestAgentAPIErrors(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if err := h.e.Login(ctx, "nobody", ""); !errors.Is(err, dialer.ErrUnknownAgent) {
		t.Errorf("unknown agent: %v", err)
	}
	if err := h.e.Login(ctx, "a1", "c9"); !errors.Is(err, dialer.ErrUnknownCampaign) {
		t.Errorf("unknown campaign: %v", err)
	}
	if err := h.e.Pause(ctx, "a1"); !errors.Is(err, dialer.ErrAgentState) || !strings.Contains(err.Error(), "logged_out") {
		t.Errorf("pause logged out: %v", err)
	}
	if err := h.e.Logout(ctx, "a1"); !errors.Is(err, dialer.ErrAgentState) {
		t.Errorf("logout logged out: %v", err)
	}
	h.login("a1")
	if err := h.e.Login(ctx, "a1", ""); !errors.Is(err, dialer.ErrAgentState) {
		t.Errorf("double login: %v", err)
	}
	if err := h.e.EndCall(ctx, "a1"); !errors.Is(err, dialer.ErrNotOnCall) {
		t.Errorf("end call when ready: %v", err)
	}
	if err := h.e.Ready(ctx, "a1"); err != nil {
		t.Errorf("ready when ready: %v", err)
	}
	h.pbx.OriginateHook = func(req dialer.OriginateRequest) error {
		return &dialer.OriginateError{Status: 500, Reason: "Allocation failed"}
	}
	if err := h.e.Login(ctx, "a2", ""); err == nil || !strings.Contains(err.Error(), "Allocation failed") {
		t.Errorf("login with a failing phone: %v", err)
	}
	h.settle()
	if st := h.agent("a2").State; st != dialer.AgentLoggedOut {
		t.Errorf("a2 is %s after a failed login", st)
	}
}

// TestEndCallWithoutCall: hanging up an agent who has no call is refused
// with ErrNotOnCall and a message naming the agent's state; hanging up a
// call that is already ending succeeds (a double click, a retried
// request).
func TestEndCallWithoutCall(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	noCall := func(what, state string, err error) {
		t.Helper()
		if !errors.Is(err, dialer.ErrNotOnCall) || !strings.Contains(err.Error(), "agent a1 has no call to hang up") ||
			!strings.Contains(err.Error(), state) {
			t.Errorf("EndCall %s = %v; want ErrNotOnCall saying a1 has no call and is %s", what, err, state)
		}
	}
	noCall("when logged out", "logged_out", h.e.EndCall(ctx, "a1"))

	// The first hangup (the debtor's) stays under way until released.
	release := make(chan struct{})
	var hangups atomic.Int32
	h.pbx.HangupHook = func(string) error {
		if hangups.Add(1) == 1 {
			<-release
		}
		return nil
	}
	var once sync.Once
	releaseHangup := func() { once.Do(func() { close(release) }) }
	defer releaseHangup()

	h.placeOne("+84912345671")
	h.advance(2100 * time.Millisecond) // answered and bridged to a1
	if st := h.agent("a1").State; st != dialer.AgentOnCall {
		t.Fatalf("a1 is %s; want on_call", st)
	}
	if err := h.e.EndCall(ctx, "a1"); err != nil {
		t.Fatalf("EndCall on a bridged call: %v", err)
	}
	// The PBX has not finished the hangup: a second request is fine.
	if err := h.e.EndCall(ctx, "a1"); err != nil {
		t.Errorf("EndCall while the call is ending = %v; want nil", err)
	}
	releaseHangup()
	h.settle()
	if st := h.agent("a1").State; st != dialer.AgentWrapUp {
		t.Fatalf("a1 is %s after the call; want wrap_up", st)
	}
	noCall("in wrap-up", "wrap_up", h.e.EndCall(ctx, "a1"))
	if err := h.e.Ready(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	noCall("when ready", "ready", h.e.EndCall(ctx, "a1"))
}

func TestAgentPhoneNotAnswering(t *testing.T) {
	h := newHarness(t, func(o *dialer.Options) {
		o.Agents[0].Endpoint = "PJSIP/desk3" // rings, never answers (last digit 3)
		o.AgentTimeout = 5 * time.Second
	})
	if err := h.e.Login(context.Background(), "a1", ""); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if st := h.agent("a1").State; st != dialer.AgentConnecting {
		t.Fatalf("agent %s while its phone rings", st)
	}
	h.advance(5100 * time.Millisecond)
	if st := h.agent("a1").State; st != dialer.AgentLoggedOut {
		t.Fatalf("agent %s after no answer", st)
	}
}

func TestNotRunning(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Login(context.Background(), "a1", ""); !errors.Is(err, dialer.ErrNotRunning) {
		t.Fatalf("login after stop: %v", err)
	}
	if h.status().Running {
		t.Fatal("running after stop")
	}
	if err := h.e.Run(context.Background()); err == nil {
		t.Fatal("second Run accepted")
	}
}

func TestNewValidates(t *testing.T) {
	base := func() dialer.Options {
		return dialer.Options{
			Telephony: &dialertest.Telephony{}, Store: dialertest.NewStore(), Owner: "x",
			Campaigns: []dialer.Campaign{{ID: "c", DialTemplate: "PJSIP/{number}@t", MaxLines: 1}},
			Agents:    []dialer.Agent{{ID: "a", Endpoint: "PJSIP/a"}},
		}
	}
	bad := map[string]func(*dialer.Options){
		"no telephony":      func(o *dialer.Options) { o.Telephony = nil },
		"no store":          func(o *dialer.Options) { o.Store = nil },
		"no owner":          func(o *dialer.Options) { o.Owner = "" },
		"no campaigns":      func(o *dialer.Options) { o.Campaigns = nil },
		"bad template":      func(o *dialer.Options) { o.Campaigns[0].DialTemplate = "PJSIP/x" },
		"zero max lines":    func(o *dialer.Options) { o.Campaigns[0].MaxLines = 0 },
		"dup campaign":      func(o *dialer.Options) { o.Campaigns = append(o.Campaigns, o.Campaigns[0]) },
		"dup agent":         func(o *dialer.Options) { o.Agents = append(o.Agents, o.Agents[0]) },
		"agent no endpoint": func(o *dialer.Options) { o.Agents[0].Endpoint = "" },
		"agent bad camp":    func(o *dialer.Options) { o.Agents[0].CampaignID = "zz" },
		"negative drain":    func(o *dialer.Options) { o.DrainTimeout = -1 },
		"short lease":       func(o *dialer.Options) { o.LeaseTTL = time.Second },
		"rules mismatch":    func(o *dialer.Options) { o.Campaigns[0].Rules.CampaignID = "other" },
	}
	for name, mod := range bad {
		o := base()
		mod(&o)
		if _, err := dialer.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := dialer.New(base()); err != nil {
		t.Fatalf("valid options rejected: %v", err)
	}
}

// TestFunctionFieldTelephony runs the engine on the function-field fake:
// an originate that returns a transport error (the call may or may not
// exist) is recorded as failed and its channel hung up.
func TestFunctionFieldTelephony(t *testing.T) {
	clk := dialertest.NewClock(t0)
	events := make(chan dialer.Event, 16)
	var hungUp atomic.Value
	tel := &dialertest.Telephony{
		EventsCh: events,
		OriginateFunc: func(_ context.Context, req dialer.OriginateRequest) error {
			if strings.Contains(req.Endpoint, "agent") {
				events <- dialer.Event{Kind: dialer.EventStasisStart, ChannelID: req.ChannelID, State: "Up"}
				return nil
			}
			return errors.New("read tcp: i/o timeout")
		},
		HangupFunc: func(_ context.Context, id string) error {
			hungUp.Store(id)
			return nil
		},
	}
	store := dialertest.NewStore()
	e, err := dialer.New(dialer.Options{Telephony: tel, Store: store, Clock: clk, Owner: "x",
		Campaigns: []dialer.Campaign{{ID: campID, DialTemplate: "PJSIP/{number}@t", MaxLines: 1}},
		Agents:    []dialer.Agent{{ID: "a", Endpoint: "PJSIP/agent"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{fixture: fixture{t: t, clk: clk, store: store, e: e}, runErr: make(chan error, 1)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go func() { h.runErr <- e.Run(h.ctx) }()
	defer h.stop()
	h.settle()
	if _, err := store.UpsertDebts(context.Background(), campaign.Rules{CampaignID: campID},
		[]campaign.Debt{{ID: "d1", Phones: []string{"+84912345671"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Login(context.Background(), "a", ""); err != nil {
		t.Fatal(err)
	}
	h.settle()
	at := h.waitAttempts(1, 2*time.Second)
	if at[0].Outcome != campaign.OutcomeFailed || !strings.Contains(at[0].Reason, "i/o timeout") {
		t.Fatalf("attempt %+v", at[0])
	}
	if hungUp.Load() != at[0].ID {
		t.Fatalf("hung up %v, want %s", hungUp.Load(), at[0].ID)
	}
}

func TestLeasesRenewed(t *testing.T) {
	h := newHarness(t, nil) // LeaseTTL 30 s: renewed every 10 s
	var renewed atomic.Int32
	h.store.RenewErr = func() error { renewed.Add(1); return nil }
	call := h.placeOne("+84912345671")
	h.advance(65 * time.Second)
	if n := renewed.Load(); n < 5 || n > 7 {
		t.Fatalf("%d renewals in 65 s with a 30 s lease, want about 6", n)
	}
	// Another dialer cannot take the debt: the lease is still valid.
	if _, err := h.store.Claim(context.Background(), campID, "other", h.clk.Now(), time.Minute); !errors.Is(err, campaign.ErrNoDebtDue) {
		t.Fatalf("claim by another dialer during the call: %v", err)
	}
	h.pbx.RemoteHangup(call, 16)
	h.settle()
	at := h.attempts()
	if len(at) != 1 || at[0].Outcome != campaign.OutcomeBridged {
		t.Fatalf("attempts %+v", at)
	}
	d, _ := h.store.Debt(context.Background(), campID, "d1")
	if d.State != campaign.StateFinished {
		t.Fatalf("debt %+v: Complete did not apply (lease lost?)", d)
	}
	n := renewed.Load()
	h.advance(30 * time.Second)
	if renewed.Load() != n {
		t.Fatal("lease renewed after the attempt was written")
	}
}
