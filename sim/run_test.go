package sim

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/pacing"
)

// dayLength is how long the simulated days of these tests are: full days
// normally, 2 hours with -short or the race detector (about ten times
// slower).
func dayLength(t *testing.T) time.Duration {
	if testing.Short() || raceEnabled {
		return 2 * time.Hour
	}
	return Day
}

func run(t *testing.T, name string, mode pacing.Mode, seed uint64, d time.Duration) Result {
	t.Helper()
	sc, ok := ScenarioByName(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	r, err := Run(RunConfig{Scenario: sc, Pacing: pacing.Config{Mode: mode}, Seed: seed, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunIsReproducible(t *testing.T) {
	a := run(t, "S4", pacing.ModePredictive, 3, 30*time.Minute)
	b := run(t, "S4", pacing.ModePredictive, 3, 30*time.Minute)
	if a.Engine.Pacing != b.Engine.Pacing || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("two runs of one seed differ:\n%+v\n%+v", a, b)
	}
	c := run(t, "S4", pacing.ModePredictive, 4, 30*time.Minute)
	if c.Dials == a.Dials && c.Talk == a.Talk {
		t.Fatal("another seed gives the same day")
	}
}

// TestProgressiveMatchesTheory: in S1, progressive dialing waits 4 dials of
// 20 s on average for each 240 s conversation: 75 % occupancy, no abandon.
func TestProgressiveMatchesTheory(t *testing.T) {
	d := dayLength(t)
	seeds := []uint64{11, 12, 13}
	tol := 0.02
	if d < Day {
		seeds, tol = seeds[:1], 0.05
	}
	occ := 0.0
	for _, s := range seeds {
		r := run(t, "S1", pacing.ModeProgressive, s, d)
		if r.Abandoned != 0 {
			t.Fatalf("seed %d: progressive abandoned %d calls", s, r.Abandoned)
		}
		within(t, "live rate", r.LiveRate, 0.25, 0.02)
		occ += r.Occupancy / float64(len(seeds))
	}
	within(t, "progressive occupancy in S1", occ, 0.75, tol)
}

// TestEngineAgreesWithGroundTruth: the dialer's own counts (outcomes it
// recorded) match what the simulated PBX saw.
func TestEngineAgreesWithGroundTruth(t *testing.T) {
	r := run(t, "S2", pacing.ModePredictive, 5, time.Hour)
	eng := r.Engine
	if eng.Placed < r.Dials || eng.Placed > r.Dials+int64(r.Agents) {
		t.Fatalf("engine placed %d, PBX saw %d dials before the end", eng.Placed, r.Dials)
	}
	// The engine counts attempts when they end (calls still talking at the
	// end are not counted yet); abandons end within seconds.
	if d := eng.Abandoned - r.Abandoned; d < 0 || d > 2 {
		t.Fatalf("engine abandoned %d, ground truth %d", eng.Abandoned, r.Abandoned)
	}
	if r.Abandoned == 0 || eng.Answered < r.Live-int64(r.Agents) || eng.Answered > r.Live {
		t.Fatalf("engine answered %d, ground truth %d live answers", eng.Answered, r.Live)
	}
	if eng.Pacing.Mode != pacing.ModePredictive || eng.WindowAnswered != eng.Answered {
		t.Fatalf("engine status %+v", eng)
	}
}

// TestPredictiveHoldsTheTarget is the property of issue 3: over any seed the
// predictive pacer's whole-day abandon rate stays within half a point of
// the target (3 %) in S1–S5, while keeping agents busier than progressive
// dialing of the same calls. The seeds are not the benchmark's.
func TestPredictiveHoldsTheTarget(t *testing.T) {
	d := dayLength(t)
	seeds := []uint64{101, 102, 103}
	if d < Day {
		seeds = seeds[:1]
	}
	for _, name := range []string{"S1", "S2", "S3", "S4", "S5"} {
		for _, s := range seeds {
			t.Run(fmt.Sprintf("%s/seed%d", name, s), func(t *testing.T) {
				r := run(t, name, pacing.ModePredictive, s, d)
				if r.AbandonRate > 0.03+0.005 {
					t.Fatalf("abandon rate %.2f %% over %d live answers", r.AbandonRate*100, r.Live)
				}
				prog := run(t, name, pacing.ModeProgressive, s, d)
				if r.Occupancy < prog.Occupancy+0.01 {
					t.Fatalf("occupancy %.1f %%: not a point better than progressive's %.1f %% on the same calls",
						r.Occupancy*100, prog.Occupancy*100)
				}
			})
		}
	}
}

// TestPBXCallFates drives the simulated PBX directly: each class of fate
// produces the events the ARI transcripts show.
func TestPBXCallFates(t *testing.T) {
	sc, _ := ScenarioByName("S4")
	clock := NewClock(Start)
	pop := NewPopulation(&sc, 1)
	pbx := NewPBX(clock, &sc, pop, Start)
	ctx := context.Background()
	// Find a live fate and a busy one among the first dials.
	live, busy := -1, -1
	for k := 0; live < 0 || busy < 0; k++ {
		switch pop.Fate(k).Class(&sc, 0) {
		case ClassLive:
			if live < 0 {
				live = k
			}
		case ClassBusy:
			if busy < 0 {
				busy = k
			}
		}
	}
	drain := func() []string {
		var out []string
		for {
			select {
			case ev := <-pbx.Events():
				s := ev.Kind.String()
				if ev.DialStatus != "" {
					s += ":" + ev.DialStatus
				}
				if ev.Kind == dialer.EventChannelDestroyed {
					s += fmt.Sprintf(":%d", ev.Cause)
				}
				out = append(out, s)
			default:
				return out
			}
		}
	}
	orig := func(id string, k int) {
		if err := pbx.Originate(ctx, dialer.OriginateRequest{ChannelID: id, Endpoint: "PJSIP/x@t", Timeout: 20 * time.Second,
			AppArgs: []string{"debtor", "c"}, Variables: map[string]string{"DUECALL_DEBT": fmt.Sprint(k)}}); err != nil {
			t.Fatal(err)
		}
	}
	orig("busy", busy)
	for clock.Next() {
	}
	if got := fmt.Sprint(drain()); got != "[DialStatus Ringing DialStatus:RINGING DialStatus:BUSY ChannelDestroyed:17]" {
		t.Fatalf("busy: %s", got)
	}
	// A live call nobody takes: the caller hangs up after the patience.
	orig("live", live)
	for clock.Next() {
	}
	if got := fmt.Sprint(drain()); got != "[DialStatus Ringing DialStatus:RINGING Answered DialStatus:ANSWER StasisStart HangupRequest StasisEnd ChannelDestroyed:16]" {
		t.Fatalf("unanswered live call: %s", got)
	}
	rec := pbx.Calls()[1]
	if rec.Class != ClassLive || rec.EndedAt.Sub(rec.AnsweredAt) <= sc.Patience || !rec.BridgedAt.IsZero() {
		t.Fatalf("record %+v", rec)
	}
	// A live call put in an agent's bridge talks for its fate's talk time.
	if err := pbx.Originate(ctx, dialer.OriginateRequest{ChannelID: "agent", Endpoint: "PJSIP/agent1",
		AppArgs: []string{"agent", "a1"}}); err != nil {
		t.Fatal(err)
	}
	_ = pbx.CreateBridge(ctx, "br")
	_ = pbx.AddToBridge(ctx, "br", "agent")
	orig("live2", live)
	for clock.Next() {
		if c := pbx.Calls()[2]; !c.AnsweredAt.IsZero() && c.BridgedAt.IsZero() {
			if err := pbx.AddToBridge(ctx, "br", "live2"); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := pbx.Calls()[2]
	if got := c.EndedAt.Sub(c.BridgedAt); got != pop.Fate(live).Talk {
		t.Fatalf("talked %v, fate %v", got, pop.Fate(live).Talk)
	}
	if err := pbx.Hangup(ctx, "live2"); err == nil {
		t.Fatal("hangup of a gone channel")
	}
}

func TestWorstWindow(t *testing.T) {
	ans := []int64{10, 10, 10, 10}
	abd := []int64{0, 3, 0, 1}
	if got := worstWindow(ans, abd, 2); got != 0.15 {
		t.Fatalf("worst 2-minute window %v", got)
	}
	if got := worstWindow(ans, abd, 60); got != 0.1 {
		t.Fatalf("window longer than the run %v", got)
	}
	if got := worstWindow([]int64{0, 0}, []int64{0, 0}, 1); got != 0 {
		t.Fatal(got)
	}
}

func TestMeasure(t *testing.T) {
	sc := Scenario{Name: "T", Agents: 2, Duration: time.Hour, WrapUp: 30 * time.Second, Patience: 2 * time.Second}
	end := Start.Add(time.Hour)
	at := func(d time.Duration) time.Time { return Start.Add(d) }
	calls := []CallRecord{
		// Connected at once, 10 min talk, 30 s wrap-up.
		{Class: ClassLive, PlacedAt: at(0), AnsweredAt: at(10 * time.Second), BridgedAt: at(10 * time.Second), EndedAt: at(10*time.Minute + 10*time.Second)},
		// Abandoned.
		{Class: ClassLive, PlacedAt: at(time.Minute), AnsweredAt: at(time.Minute + 5*time.Second), EndedAt: at(time.Minute + 8*time.Second)},
		// Connected after 1 s, still talking at the end (cut there).
		{Class: ClassLive, PlacedAt: at(50 * time.Minute), AnsweredAt: at(55 * time.Minute), BridgedAt: at(55*time.Minute + time.Second)},
		// Unanswered, and a dial after the end (not counted).
		{Class: ClassNoAnswer, PlacedAt: at(20 * time.Minute), EndedAt: at(20*time.Minute + 20*time.Second)},
		{Class: ClassLive, PlacedAt: end.Add(time.Second)},
	}
	r := measure(&sc, calls, end)
	if r.Dials != 4 || r.Live != 3 || r.Abandoned != 1 || r.Connected != 2 {
		t.Fatalf("%+v", r)
	}
	talk := 10*time.Minute + 5*time.Minute - time.Second
	if r.Talk != talk || r.WrapUp != 30*time.Second {
		t.Fatalf("talk %v wrap %v", r.Talk, r.WrapUp)
	}
	within(t, "occupancy", r.Occupancy, (talk+30*time.Second).Hours()/2, 1e-9)
	within(t, "abandon rate", r.AbandonRate, 1.0/3, 1e-9)
	if r.LatencyP95 != time.Second || math.Abs(r.DialsPerAgentHour-2) > 1e-9 {
		t.Fatalf("latency %v dials/agent-hour %v", r.LatencyP95, r.DialsPerAgentHour)
	}
}
