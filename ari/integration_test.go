package ari_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/ari"
	"github.com/duecall/duecall/ari/pbxsim"
	"github.com/duecall/duecall/dialer"
)

// recorder collects a client's events so that tests can wait for them.
type recorder struct {
	mu     sync.Mutex
	events []dialer.Event
	closed bool
}

func record(c *ari.Client) *recorder {
	r := &recorder{}
	go func() {
		for ev := range c.Events() {
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
	}()
	return r
}

// await returns the first event at index >= from matching pred, and its
// index. It fails after 10 s without a new event (not a total deadline, so
// that a loaded machine slows the test down without failing it).
func (r *recorder) await(t *testing.T, from int, what string, pred func(dialer.Event) bool) (dialer.Event, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	i, seen := from, 0
	for {
		r.mu.Lock()
		for ; i < len(r.events); i++ {
			if pred(r.events[i]) {
				ev := r.events[i]
				r.mu.Unlock()
				return ev, i
			}
		}
		if n := len(r.events); n > seen {
			seen = n
			deadline = time.Now().Add(10 * time.Second)
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s, and no event for 10 s; events: %v", what, r.summary())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// of returns the events about one channel, in order.
func (r *recorder) of(id string) []dialer.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []dialer.Event
	for _, ev := range r.events {
		if ev.ChannelID == id {
			out = append(out, ev)
		}
	}
	return out
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recorder) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, ev := range r.events {
		fmt.Fprintf(&b, "\n  %v %s %s %s %d", ev.Kind, ev.ChannelID, ev.BridgeID, ev.DialStatus, ev.Cause)
	}
	return b.String()
}

func is(kind dialer.EventKind, id string) func(dialer.Event) bool {
	return func(ev dialer.Event) bool {
		return ev.Kind == kind && (ev.ChannelID == id || ev.BridgeID == id || ev.PlaybackID == id)
	}
}

func dialStatus(id, status string) func(dialer.Event) bool {
	return func(ev dialer.Event) bool {
		return ev.Kind == dialer.EventDialStatus && ev.ChannelID == id && ev.DialStatus == status
	}
}

type simEnv struct {
	sim  *pbxsim.Server
	url  string
	c    *ari.Client
	rec  *recorder
	errc chan error
}

func startSim(t *testing.T, app string) *simEnv {
	t.Helper()
	sim := pbxsim.New(pbxsim.Config{Username: "dialer", Password: "sim-pw", TimeScale: 0.01, Seed: 7})
	base, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	env := &simEnv{sim: sim, url: base + "/ari"}
	env.c, env.rec, env.errc = startClient(t, env.url, app)
	env.rec.await(t, 0, "Connected", func(ev dialer.Event) bool { return ev.Kind == dialer.EventConnected })
	return env
}

func startClient(t *testing.T, url, app string) (*ari.Client, *recorder, chan error) {
	t.Helper()
	c, err := ari.New(ari.Options{
		URL: url, Username: "dialer", Password: "sim-pw", Application: app,
		RequestTimeout: 5 * time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := record(c)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		_ = c.Close()
	})
	return c, rec, errc
}

func (e *simEnv) originate(t *testing.T, number string, timeout time.Duration, args ...string) string {
	t.Helper()
	id := dialer.NewID(dialer.KindDebtor)
	err := e.c.Originate(context.Background(), dialer.OriginateRequest{
		ChannelID: id, Endpoint: "Local/" + number + "@duecall", CallerID: "Acme <1900123>",
		Timeout: timeout, AppArgs: args, Variables: map[string]string{"DUECALL_DEBT": "d-1"},
	})
	if err != nil {
		t.Fatalf("originate %s: %v", number, err)
	}
	return id
}

func kinds(evs []dialer.Event) []dialer.EventKind {
	out := make([]dialer.EventKind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

func TestPBXSimOutcomes(t *testing.T) {
	env := startSim(t, "duecall-test")
	ctx := context.Background()

	answered := env.originate(t, "5550001", 30*time.Second, "campaign-1", "debt-1")
	busy := env.originate(t, "5550002", 30*time.Second)
	noAnswer := env.originate(t, "5550003", 3*time.Second)
	congestion := env.originate(t, "5550004", 30*time.Second)
	unallocated := env.originate(t, "5550007", 30*time.Second)

	// Answered: Dial ANSWER, Answered and StasisStart with our args, in
	// the recorded order.
	_, iUp := env.rec.await(t, 0, "answered", is(dialer.EventAnswered, answered))
	_, iAns := env.rec.await(t, 0, "Dial ANSWER", dialStatus(answered, "ANSWER"))
	ss, iStart := env.rec.await(t, 0, "StasisStart", is(dialer.EventStasisStart, answered))
	if !(iUp < iAns && iAns < iStart) {
		t.Errorf("answer order: Answered %d, Dial ANSWER %d, StasisStart %d", iUp, iAns, iStart)
	}
	if !slices.Equal(ss.Args, []string{"campaign-1", "debt-1"}) {
		t.Errorf("StasisStart args %v", ss.Args)
	}

	// Busy and congestion: the outcome is in the Dial status; our leg's
	// cause says nothing (0) through a Local channel.
	env.rec.await(t, 0, "Dial BUSY", dialStatus(busy, "BUSY"))
	env.rec.await(t, 0, "busy destroyed", is(dialer.EventChannelDestroyed, busy))
	env.rec.await(t, 0, "Dial CONGESTION", dialStatus(congestion, "CONGESTION"))
	env.rec.await(t, 0, "congestion destroyed", is(dialer.EventChannelDestroyed, congestion))

	// No answer: cause 19 once the originate timeout runs out.
	na, _ := env.rec.await(t, 0, "no-answer destroyed", is(dialer.EventChannelDestroyed, noAnswer))
	if na.Cause != 19 {
		t.Errorf("no answer: cause %d %q, want 19", na.Cause, na.CauseText)
	}

	// Unallocated: Dial NOANSWER and cause 1.
	env.rec.await(t, 0, "Dial NOANSWER", dialStatus(unallocated, "NOANSWER"))
	un, _ := env.rec.await(t, 0, "unallocated destroyed", is(dialer.EventChannelDestroyed, unallocated))
	if un.Cause != 1 {
		t.Errorf("unallocated: cause %d %q, want 1", un.Cause, un.CauseText)
	}

	for _, id := range []string{busy, congestion, noAnswer, unallocated} {
		for _, ev := range env.rec.of(id) {
			if ev.Kind == dialer.EventStasisStart {
				t.Errorf("%s: StasisStart for a call that was not answered", id)
			}
		}
	}

	// Hang up the answered call.
	if err := env.c.Hangup(ctx, answered); err != nil {
		t.Fatal(err)
	}
	d, _ := env.rec.await(t, 0, "answered destroyed", is(dialer.EventChannelDestroyed, answered))
	if d.Cause != 16 {
		t.Errorf("hangup: cause %d, want 16", d.Cause)
	}
	if err := env.c.Hangup(ctx, answered); !errors.Is(err, dialer.ErrNotFound) {
		t.Errorf("second hangup: %v, want ErrNotFound", err)
	}
	want := []dialer.EventKind{dialer.EventHangupRequest, dialer.EventStasisEnd, dialer.EventChannelDestroyed}
	if got := kinds(env.rec.of(answered)); !slices.Equal(got[len(got)-3:], want) {
		t.Errorf("hangup events %v, want ... %v", got, want)
	}

	// Only our legs ever reach the dialer: never a callee half "<id>;2".
	env.rec.mu.Lock()
	for _, ev := range env.rec.events {
		if ev.ChannelID != "" && len(ev.ChannelID) != dialer.IDLength {
			t.Errorf("event about a channel that is not ours: %+v", ev)
		}
	}
	env.rec.mu.Unlock()

	// The simulator agrees on the outcomes.
	outcomes := map[string]pbxsim.Outcome{}
	for _, cr := range env.sim.Calls() {
		outcomes[cr.ID] = cr.Outcome
	}
	for id, want := range map[string]pbxsim.Outcome{
		answered: pbxsim.OutcomeAnswered, busy: pbxsim.OutcomeBusy, noAnswer: pbxsim.OutcomeNoAnswer,
		congestion: pbxsim.OutcomeCongestion, unallocated: pbxsim.OutcomeUnallocated,
	} {
		if outcomes[id] != want {
			t.Errorf("simulator outcome of %s: %q, want %q", id, outcomes[id], want)
		}
	}
}

func TestPBXSimRejectedOriginates(t *testing.T) {
	env := startSim(t, "duecall-test")
	ctx := context.Background()
	id := env.originate(t, "5550001", 30*time.Second)
	cases := []struct {
		name     string
		req      dialer.OriginateRequest
		status   int
		reason   string
		conflict bool
	}{
		{"duplicate id", dialer.OriginateRequest{ChannelID: id, Endpoint: "Local/5550011@duecall", Timeout: time.Second}, 409, "", true},
		{"unknown technology", dialer.OriginateRequest{ChannelID: dialer.NewID('d'), Endpoint: "Foo/bar", Timeout: time.Second}, 500, "Allocation failed", false},
		{"no technology", dialer.OriginateRequest{ChannelID: dialer.NewID('d'), Endpoint: "1001", Timeout: time.Second}, 400, "Invalid endpoint specified", false},
	}
	for _, tc := range cases {
		err := env.c.Originate(ctx, tc.req)
		var oe *dialer.OriginateError
		if !errors.As(err, &oe) || oe.Status != tc.status || (tc.reason != "" && oe.Reason != tc.reason) {
			t.Errorf("%s: %v, want OriginateError %d %q", tc.name, err, tc.status, tc.reason)
		}
		if errors.Is(err, dialer.ErrConflict) != tc.conflict {
			t.Errorf("%s: errors.Is(ErrConflict) = %v", tc.name, !tc.conflict)
		}
	}
}

func TestPBXSimBridgePlayHangup(t *testing.T) {
	env := startSim(t, "duecall-test")
	ctx := context.Background()
	agent := env.originate(t, "5550011", 30*time.Second, "agent")
	debtor := env.originate(t, "5550021", 30*time.Second, "debtor")
	env.rec.await(t, 0, "agent StasisStart", is(dialer.EventStasisStart, agent))
	env.rec.await(t, 0, "debtor StasisStart", is(dialer.EventStasisStart, debtor))

	bridge := dialer.NewID(dialer.KindBridge)
	if err := env.c.CreateBridge(ctx, bridge); err != nil {
		t.Fatal(err)
	}
	if err := env.c.CreateBridge(ctx, bridge); !errors.Is(err, dialer.ErrConflict) {
		t.Errorf("second CreateBridge: %v, want ErrConflict", err)
	}
	for _, id := range []string{agent, debtor} {
		if err := env.c.AddToBridge(ctx, bridge, id); err != nil {
			t.Fatal(err)
		}
		ev, _ := env.rec.await(t, 0, "entered bridge", is(dialer.EventEnteredBridge, id))
		if ev.BridgeID != bridge {
			t.Errorf("entered bridge %s, want %s", ev.BridgeID, bridge)
		}
	}
	if err := env.c.AddToBridge(ctx, bridge, dialer.NewID('d')); !errors.Is(err, dialer.ErrNotFound) {
		t.Errorf("AddToBridge of an unknown channel: %v, want ErrNotFound", err)
	}

	pb := dialer.NewID(dialer.KindPlayback)
	if err := env.c.Play(ctx, debtor, pb, "sound:hello-world"); err != nil {
		t.Fatal(err)
	}
	fin, _ := env.rec.await(t, 0, "PlaybackFinished", is(dialer.EventPlaybackFinished, pb))
	if fin.State != "done" || fin.ChannelID != debtor {
		t.Errorf("playback finished %+v", fin)
	}
	missing := dialer.NewID(dialer.KindPlayback)
	if err := env.c.Play(ctx, debtor, missing, "sound:no-such-sound"); err != nil {
		t.Fatal(err)
	}
	if fin, _ := env.rec.await(t, 0, "failed playback", is(dialer.EventPlaybackFinished, missing)); fin.State != "failed" {
		t.Errorf("missing sound: state %q, want failed", fin.State)
	}

	snap, err := env.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Channels) != 2 || len(snap.Bridges) != 1 || len(snap.Bridges[0].Channels) != 2 {
		t.Errorf("snapshot %+v, want our 2 channels in 1 bridge", snap)
	}

	// The debtor leg is hung up: it leaves the bridge, then Stasis.
	mark := env.rec.len()
	if err := env.c.Hangup(ctx, debtor); err != nil {
		t.Fatal(err)
	}
	env.rec.await(t, mark, "debtor destroyed", is(dialer.EventChannelDestroyed, debtor))
	want := []dialer.EventKind{dialer.EventHangupRequest, dialer.EventLeftBridge, dialer.EventStasisEnd, dialer.EventChannelDestroyed}
	if got := kinds(env.rec.of(debtor)); !slices.Equal(got[len(got)-4:], want) {
		t.Errorf("debtor hangup events %v, want ... %v", got, want)
	}

	if err := env.c.RemoveFromBridge(ctx, bridge, agent); err != nil {
		t.Fatal(err)
	}
	env.rec.await(t, mark, "agent left", is(dialer.EventLeftBridge, agent))
	if err := env.c.DestroyBridge(ctx, bridge); err != nil {
		t.Fatal(err)
	}
	env.rec.await(t, mark, "bridge destroyed", is(dialer.EventBridgeDestroyed, bridge))
	if err := env.c.DestroyBridge(ctx, bridge); !errors.Is(err, dialer.ErrNotFound) {
		t.Errorf("second DestroyBridge: %v, want ErrNotFound", err)
	}
	if err := env.c.Hangup(ctx, agent); err != nil {
		t.Fatal(err)
	}
	env.rec.await(t, mark, "agent destroyed", is(dialer.EventChannelDestroyed, agent))

	log := env.sim.BridgeLog()
	if len(log) != 2 {
		t.Fatalf("bridge log %+v, want 2 stays", log)
	}
	for _, st := range log {
		if st.BridgeID != bridge || st.Left.IsZero() {
			t.Errorf("bridge stay %+v", st)
		}
	}
}

func TestPBXSimDropAndReconnect(t *testing.T) {
	env := startSim(t, "duecall-test")
	ctx := context.Background()
	live := env.originate(t, "5550001", 30*time.Second)
	env.rec.await(t, 0, "StasisStart", is(dialer.EventStasisStart, live))
	bridge := dialer.NewID(dialer.KindBridge)
	if err := env.c.CreateBridge(ctx, bridge); err != nil {
		t.Fatal(err)
	}
	if err := env.c.AddToBridge(ctx, bridge, live); err != nil {
		t.Fatal(err)
	}
	env.rec.await(t, 0, "entered", is(dialer.EventEnteredBridge, live))

	mark := env.rec.len()
	env.sim.DropWebSockets()
	_, iDown := env.rec.await(t, mark, "Disconnected", func(ev dialer.Event) bool { return ev.Kind == dialer.EventDisconnected })
	up, _ := env.rec.await(t, iDown, "Connected", func(ev dialer.Event) bool { return ev.Kind == dialer.EventConnected })
	if up.Snapshot == nil {
		t.Fatal("EventConnected without a snapshot")
	}
	want := dialer.Snapshot{
		Channels: []dialer.ChannelInfo{{ID: live, State: "Up"}},
		Bridges:  []dialer.BridgeInfo{{ID: bridge, Channels: []string{live}}},
	}
	if fmt.Sprint(*up.Snapshot) != fmt.Sprint(want) {
		t.Errorf("resync snapshot %+v, want %+v", *up.Snapshot, want)
	}
	if !env.c.Connected() {
		t.Error("not Connected() after EventConnected")
	}

	// The connection works again: events of the live call arrive.
	if err := env.c.Hangup(ctx, live); err != nil {
		t.Fatal(err)
	}
	env.rec.await(t, iDown, "destroyed after reconnect", is(dialer.EventChannelDestroyed, live))
	next := env.originate(t, "5550002", 30*time.Second)
	env.rec.await(t, iDown, "BUSY after reconnect", dialStatus(next, "BUSY"))
	if st := env.c.Stats(); st.Connects != 2 {
		t.Errorf("Connects = %d, want 2", st.Connects)
	}
}

func TestPBXSimInjectedNoiseAndBurst(t *testing.T) {
	env := startSim(t, "duecall-test")
	for _, raw := range []string{
		`{"type":"ChannelToneDetected","channel":{"id":"dcd-00000000000000000000000000000000"}}`,
		`{"type":"SomethingNew"}`,
		`{not json`,
	} {
		if err := env.sim.InjectRaw("duecall-test", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	const n = 10000
	for i := range n {
		raw := fmt.Sprintf(`{"type":"StasisEnd","timestamp":"2026-12-03T16:10:01.100+0000","channel":{"id":"dcd-%032d","state":"Up"}}`, i)
		if err := env.sim.InjectRaw("duecall-test", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	_, first := env.rec.await(t, 0, "first of the burst", is(dialer.EventStasisEnd, fmt.Sprintf("dcd-%032d", 0)))
	env.rec.await(t, first, "last of the burst", is(dialer.EventStasisEnd, fmt.Sprintf("dcd-%032d", n-1)))
	env.rec.mu.Lock()
	burst := env.rec.events[first : first+n]
	for i, ev := range burst {
		if want := fmt.Sprintf("dcd-%032d", i); ev.Kind != dialer.EventStasisEnd || ev.ChannelID != want {
			t.Fatalf("burst event %d: %v %s, want StasisEnd %s", i, ev.Kind, ev.ChannelID, want)
		}
	}
	env.rec.mu.Unlock()
	if st := env.c.Stats(); st.Unknown != 2 || st.Malformed != 1 {
		t.Errorf("stats %+v, want 2 unknown and 1 malformed", st)
	}
	if !env.c.Connected() {
		t.Error("noise broke the connection")
	}
}

func TestPBXSimSecondClientReplacesTheFirst(t *testing.T) {
	env := startSim(t, "duecall-test")
	_, rec2, _ := startClient(t, env.url, "duecall-test")
	rec2.await(t, 0, "second client connected", func(ev dialer.Event) bool { return ev.Kind == dialer.EventConnected })
	env.rec.await(t, 0, "Replaced", func(ev dialer.Event) bool { return ev.Kind == dialer.EventReplaced })
	select {
	case err := <-env.errc:
		if !errors.Is(err, ari.ErrApplicationReplaced) || !strings.Contains(err.Error(), `"duecall-test"`) {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run of the replaced client did not return")
	}
	if env.c.Connected() {
		t.Error("replaced client still Connected()")
	}
	if !env.sim.Connected("duecall-test") {
		t.Error("the simulator has no active socket for the application")
	}
}
