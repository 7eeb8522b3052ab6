package dialer_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/dialertest"
	"github.com/duecall/duecall/dialer/pacing"
	"github.com/duecall/duecall/phone"
)

// syncHarness drives a Synchronous engine on the same fakes as harness, from
// the test's goroutine.
type syncHarness struct{ fixture }

func newSyncHarness(t *testing.T, mod func(*dialer.Options)) *syncHarness {
	t.Helper()
	h := &syncHarness{newFixture(t, true, mod)}
	if err := h.e.Start(); err != nil {
		t.Fatal(err)
	}
	return h
}

// advance moves the clock in 50 ms steps, pumping the PBX's events after each.
func (h *syncHarness) advance(d time.Duration) {
	const step = 50 * time.Millisecond
	for d > 0 {
		s := min(step, d)
		h.clk.Advance(s)
		h.e.Pump()
		d -= s
	}
}

func (h *syncHarness) login(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		if err := h.e.Login(context.Background(), id, ""); err != nil {
			h.t.Fatalf("login %s: %v", id, err)
		}
		h.e.Pump()
	}
}

func (h *syncHarness) campaign() dialer.CampaignStatus {
	h.t.Helper()
	st := h.e.Status(context.Background())
	if !st.Running || len(st.Campaigns) != 1 {
		h.t.Fatalf("status %+v", st)
	}
	return st.Campaigns[0]
}

func TestSynchronousEngine(t *testing.T) {
	h := newSyncHarness(t, nil)
	h.addDebts("+84900000011", "+84900000022")
	h.login("a1", "a2")
	st := h.e.Status(context.Background())
	for _, a := range st.Agents[:2] {
		if a.State != dialer.AgentReady {
			t.Fatalf("agent %s is %s after login", a.ID, a.State)
		}
	}
	if n := len(h.pbx.Originates()); n != 4 {
		t.Fatalf("%d originates (2 agents + 2 debtors), want 4", n)
	}
	h.advance(3 * time.Second)
	cs := h.campaign()
	if cs.OnCall != 1 || cs.AgentsOnCall != 1 || cs.Completed != 1 || cs.Outcomes[campaign.OutcomeBusy] != 1 {
		t.Fatalf("after 3 s: %+v", cs)
	}
	var talking string
	for _, a := range h.e.Status(context.Background()).Agents {
		if a.State == dialer.AgentOnCall {
			talking = a.ID
		}
	}
	if err := h.e.EndCall(context.Background(), talking); err != nil {
		t.Fatal(err)
	}
	h.e.Pump()
	if got := h.agentState(talking); got != dialer.AgentWrapUp {
		t.Fatalf("after EndCall the agent is %s", got)
	}
	h.advance(5100 * time.Millisecond)
	if got := h.agentState(talking); got != dialer.AgentReady {
		t.Fatalf("after the wrap-up the agent is %s", got)
	}
	outcomes := map[campaign.Outcome]int{}
	for _, a := range h.store.AllAttempts(campID) {
		outcomes[a.Outcome]++
	}
	if outcomes[campaign.OutcomeBridged] != 1 || outcomes[campaign.OutcomeBusy] != 1 {
		t.Fatalf("attempts %v", outcomes)
	}
	h.e.Stop()
	for range 1000 {
		if h.e.Stopped() {
			break
		}
		h.advance(100 * time.Millisecond)
	}
	if !h.e.Stopped() || h.e.Err() != nil {
		t.Fatalf("stopped %v err %v", h.e.Stopped(), h.e.Err())
	}
	if err := h.e.Login(context.Background(), "a1", ""); !errors.Is(err, dialer.ErrNotRunning) {
		t.Fatalf("login after stop: %v", err)
	}
}

func (h *syncHarness) agentState(id string) dialer.AgentState {
	for _, a := range h.e.Status(context.Background()).Agents {
		if a.ID == id {
			return a.State
		}
	}
	h.t.Fatalf("no agent %s", id)
	return 0
}

func TestSynchronousModeMisuse(t *testing.T) {
	h := newSyncHarness(t, nil)
	if err := h.e.Start(); err == nil {
		t.Fatal("Start twice")
	}
	if err := h.e.Run(context.Background()); err == nil {
		t.Fatal("Run on a Synchronous engine")
	}
	async, err := dialer.New(dialer.Options{Telephony: h.pbx, Store: h.store, Owner: "x",
		Campaigns: []dialer.Campaign{{ID: "c", DialTemplate: "PJSIP/{number}@t", MaxLines: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := async.Start(); err == nil {
		t.Fatal("Start on an asynchronous engine")
	}
	async.Pump() // no-op
	async.Stop()
}

// TestSynchronousMatchesRun plays one script on the asynchronous engine
// (harness) and on the Synchronous one: both record the same outcomes for
// the same debts.
func TestSynchronousMatchesRun(t *testing.T) {
	phones := []string{"+84900000011", "+84900000022", "+84900000033", "+84900000044", "+84900000055",
		"+84900000066", "+84900000077", "+84900000088", "+84900000099", "+84900000010", "+84900000021"}
	summary := func(as []campaign.Attempt) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.DebtID+" "+string(a.Outcome))
		}
		slices.Sort(out)
		return out
	}
	async := newHarness(t, nil)
	async.addDebts(phones...)
	async.login("a1", "a2", "a3")
	async.advance(90 * time.Second)
	want := summary(async.attempts())

	sh := newSyncHarness(t, nil)
	sh.addDebts(phones...)
	sh.login("a1", "a2", "a3")
	sh.advance(90 * time.Second)
	got := summary(sh.store.AllAttempts(campID))
	if len(want) < len(phones)/2 || !slices.Equal(got, want) {
		t.Fatalf("synchronous %v\nasynchronous %v", got, want)
	}
}

// cadencePacer records how the engine drives it.
type cadencePacer struct {
	lines, samples int
	records        []pacing.Result
	countsOK       bool
}

func (p *cadencePacer) Lines(st pacing.State) int {
	p.lines++
	return pacing.Progressive{}.Lines(st)
}
func (p *cadencePacer) DialEvery() time.Duration   { return 2500 * time.Millisecond }
func (p *cadencePacer) SampleEvery() time.Duration { return time.Second }
func (p *cadencePacer) Sample(pacing.State)        { p.samples++ }
func (p *cadencePacer) Record(r pacing.Result)     { p.records = append(p.records, r) }
func (p *cadencePacer) Report() pacing.Report {
	return pacing.Report{Mode: "custom", DialLevel: 1.75, Note: "test"}
}

func TestPacerCadenceSamplingAndRecords(t *testing.T) {
	p := &cadencePacer{}
	h := newSyncHarness(t, func(o *dialer.Options) { o.Campaigns[0].Pacer = p })
	var phones []string
	for i := range 20 {
		phones = append(phones, fmt.Sprintf("+8490000%03d2", i)) // busy after 1 s
	}
	h.addDebts(phones...)
	h.login("a1")
	h.advance(10*time.Second + 10*time.Millisecond)
	// Lines at the start and at 2.5, 5, 7.5 and 10 s; samples every second.
	if p.lines != 5 || p.samples != 10 {
		t.Fatalf("Lines called %d times (want 5), Sample %d (want 10)", p.lines, p.samples)
	}
	if len(p.records) < 3 { // one call per dial loop, busy after 1.1 s
		t.Fatalf("%d records", len(p.records))
	}
	for _, r := range p.records {
		if r.Outcome != campaign.OutcomeBusy || !r.Dialed || r.PlacedAt.IsZero() || !r.EndedAt.After(r.PlacedAt) || r.Answered() {
			t.Fatalf("record %+v", r)
		}
	}
	cs := h.campaign()
	if cs.Pacing.Mode != "custom" || cs.Pacing.DialLevel != 1.75 || cs.Pacing.Note != "test" {
		t.Fatalf("pacing status %+v", cs.Pacing)
	}
}

// TestPacingStateCounts checks, at every decision of a busy campaign, that
// the counts the engine keeps match the agents and calls it passes.
func TestPacingStateCounts(t *testing.T) {
	var bad []string
	decisions := 0
	check := pacing.Func(func(st pacing.State) int {
		decisions++
		scan := pacing.State{Agents: st.Agents, Calls: st.Calls}
		for s := pacing.AgentLoggedOut; s <= pacing.AgentPaused; s++ {
			if st.AgentsIn(s) != scan.AgentsIn(s) {
				bad = append(bad, fmt.Sprintf("%v: %d agents %s, scan %d", st.Now, st.AgentsIn(s), s, scan.AgentsIn(s)))
			}
		}
		for ph := pacing.CallClaiming; ph <= pacing.CallEnding; ph++ {
			if st.CallsIn(ph) != scan.CallsIn(ph) {
				bad = append(bad, fmt.Sprintf("%v: %d calls %s, scan %d", st.Now, st.CallsIn(ph), ph, scan.CallsIn(ph)))
			}
		}
		return pacing.Power{Ratio: 2}.Lines(st)
	})
	h := newSyncHarness(t, func(o *dialer.Options) {
		o.Campaigns[0].Pacer = check
		o.Campaigns[0].MaxLines = 8
	})
	var phones []string
	for i := range 200 {
		phones = append(phones, fmt.Sprintf("+8490000%03d%d", i, i%10))
	}
	h.addDebts(phones...)
	h.login("a1", "a2", "a3")
	h.advance(30 * time.Second)
	if err := h.e.Pause(context.Background(), "a2"); err != nil && !errors.Is(err, dialer.ErrAgentState) {
		t.Fatal(err)
	}
	h.advance(30 * time.Second)
	if err := h.e.Logout(context.Background(), "a3"); err != nil {
		t.Fatal(err)
	}
	h.advance(30 * time.Second)
	if decisions < 50 || len(bad) > 0 {
		t.Fatalf("%d decisions; mismatches: %v", decisions, bad)
	}
}

func TestStatusPacingAndWindow(t *testing.T) {
	h := newSyncHarness(t, func(o *dialer.Options) {
		o.Campaigns[0].Pacing = pacing.Config{Mode: pacing.ModePower, Ratio: 1.5, AbandonWindow: time.Hour}
	})
	cs := h.campaign()
	if cs.Pacing.Mode != pacing.ModePower || cs.Pacing.DialLevel != 1.5 || cs.MaxAbandonRate != 0.03 ||
		cs.AbandonWindowSeconds != 3600 || cs.WindowAnswered != 0 {
		t.Fatalf("status %+v", cs)
	}
	// One ready agent, ratio 1.5: two calls; both answer (digit 1), one is
	// abandoned.
	h.addDebts("+84900000011", "+84900000021")
	h.login("a1")
	h.advance(10 * time.Second)
	cs = h.campaign()
	if cs.WindowAnswered != 1 || cs.WindowAbandoned != 1 || cs.WindowAbandonRate != 1 || cs.Abandoned != 1 {
		t.Fatalf("after an abandon: %+v", cs)
	}
	h.advance(time.Hour + 2*time.Minute)
	if cs = h.campaign(); cs.WindowAbandoned != 0 || cs.Abandoned != 1 {
		t.Fatalf("an hour later: window %d abandoned (want 0), total %d", cs.WindowAbandoned, cs.Abandoned)
	}
}

func TestNewRejectsBadPacing(t *testing.T) {
	_, err := dialer.New(dialer.Options{Telephony: &dialertest.Telephony{}, Store: dialertest.NewStore(), Owner: "x",
		Campaigns: []dialer.Campaign{{ID: "c", DialTemplate: "PJSIP/{number}@t", MaxLines: 1,
			Pacing: pacing.Config{Mode: pacing.ModePower, Ratio: 0.5}}}})
	if !errors.Is(err, pacing.ErrInvalidConfig) || !strings.Contains(err.Error(), "pacing.ratio") ||
		!strings.Contains(err.Error(), "campaign c") {
		t.Fatalf("err %v", err)
	}
	e, err := dialer.New(dialer.Options{Telephony: &dialertest.Telephony{}, Store: dialertest.NewStore(), Owner: "x",
		Campaigns: []dialer.Campaign{{ID: "c", DialTemplate: "PJSIP/{number}@t", MaxLines: 1,
			Pacing: pacing.Config{Mode: pacing.ModeAdaptive}}}})
	if err != nil || e == nil {
		t.Fatal(err)
	}
}

// TestEngineLogsMaskNumbers: at debug level, the engine's logs of a dialled
// number and of a number it cannot dial show them masked (phone.Mask),
// never in full.
func TestEngineLogsMaskNumbers(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	h := newSyncHarness(t, func(o *dialer.Options) { o.Logger = zap.New(core) })
	numbers := []string{"+84912345671", "0912345672"} // the second is not E.164
	h.addDebts(numbers...)
	h.login("a1", "a2")
	h.advance(5 * time.Second)
	if n := len(h.store.AllAttempts(campID)); n < 1 {
		t.Fatalf("%d attempts; want the non-E.164 number recorded", n)
	}
	seen := map[string]bool{}
	for _, entry := range logs.All() {
		for k, v := range entry.ContextMap() {
			s := fmt.Sprint(v)
			for _, n := range numbers {
				if strings.Contains(s, n) {
					t.Errorf("log %q field %s shows %s unmasked", entry.Message, k, n)
				}
				if k == "phone" && s == phone.Mask(n) {
					seen[n] = true
				}
			}
		}
	}
	for _, n := range numbers {
		if !seen[n] {
			t.Errorf("no log shows %s masked as %s", n, phone.Mask(n))
		}
	}
}
