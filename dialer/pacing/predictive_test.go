package pacing

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

var pt0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// trained returns a Predictive that has seen n attempts of a campaign where
// a quarter of the dials are answered after 5 s, the rest fail at 20 s, and
// conversations last talk().
func trained(t *testing.T, n int, talk func(r *rand.Rand) time.Duration) *Predictive {
	t.Helper()
	p, err := New(Config{Mode: ModePredictive})
	if err != nil {
		t.Fatal(err)
	}
	pr := p.(*Predictive)
	r := rand.New(rand.NewPCG(7, 8))
	at := pt0.Add(-time.Duration(n) * time.Second) // the last call at pt0
	for i := range n {
		placed := at.Add(time.Duration(i) * time.Second)
		if i%4 == 0 {
			ans := placed.Add(5 * time.Second)
			pr.Record(Result{Outcome: campaign.OutcomeBridged, Dialed: true, PlacedAt: placed, AnsweredAt: ans,
				BridgedAt: ans, EndedAt: ans.Add(talk(r))})
		} else {
			pr.Record(Result{Outcome: campaign.OutcomeNoAnswer, Dialed: true, PlacedAt: placed, EndedAt: placed.Add(20 * time.Second)})
		}
	}
	return pr
}

func narrowTalk(r *rand.Rand) time.Duration {
	return 175*time.Second + time.Duration(r.Float64()*10*float64(time.Second))
}

// predState builds a state at pt0: busy agents with the given talk elapsed,
// ready agents, and ringing calls of the given ages.
func predState(ready int, busyElapsed []time.Duration, ringAges []time.Duration, w WindowCounts) State {
	return predStateAt(pt0, ready, busyElapsed, ringAges, w)
}

// predStateAt is predState at another time.
func predStateAt(pt0 time.Time, ready int, busyElapsed []time.Duration, ringAges []time.Duration, w WindowCounts) State {
	st := State{Now: pt0, MaxLines: 500, AbandonAfter: 2 * time.Second, Stats: Stats{Window: w}}
	for range ready {
		st.Agents = append(st.Agents, Agent{State: AgentReady, Since: pt0.Add(-time.Second)})
	}
	for _, e := range busyElapsed {
		st.Agents = append(st.Agents, Agent{State: AgentOnCall, Since: pt0.Add(-e)})
		st.Calls = append(st.Calls, Call{Phase: CallTalking, PlacedAt: pt0.Add(-e - 5*time.Second),
			AnsweredAt: pt0.Add(-e)})
	}
	for _, a := range ringAges {
		st.Calls = append(st.Calls, Call{Phase: CallRinging, PlacedAt: pt0.Add(-a), RingingAt: pt0.Add(-a)})
	}
	return st
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

var healthy = WindowCounts{Span: 24 * time.Hour, Answered: 1000, Abandoned: 10}

func TestPredictiveWarmsUpProgressively(t *testing.T) {
	p, _ := New(Config{Mode: ModePredictive})
	st := predState(3, repeat(170*time.Second, 5), repeat(time.Second, 1), healthy)
	if got := p.Lines(st); got != 2 {
		t.Fatalf("untrained: Lines = %d, want progressive 2", got)
	}
	if r := p.(Reporter).Report(); !strings.Contains(r.Note, "warming up") {
		t.Fatalf("report %+v", r)
	}
}

// TestPredictiveAgentAboutToBeFree: with conversations of 175–185 s and
// answers 5 s after the dial, ten agents 178 s into their calls will mostly
// be free when a call placed now is answered; ten agents 10 s in will not.
func TestPredictiveAgentAboutToBeFree(t *testing.T) {
	p := trained(t, 2000, narrowTalk)
	nearEnd := p.Lines(predState(0, repeat(178*time.Second, 10), nil, healthy))
	p.lastEval = time.Time{}
	justStarted := p.Lines(predState(0, repeat(10*time.Second, 10), nil, healthy))
	if nearEnd < 8 || justStarted != 0 {
		t.Fatalf("agents 178 s in: %d calls, 10 s in: %d calls; want ≥ 8 and 0", nearEnd, justStarted)
	}
}

// TestPredictiveRingingAge: answered calls answer after 5 s and unanswered
// ones ring out at 20 s, so calls ringing for 19 s will almost surely not
// be answered, while fresh ones still may.
func TestPredictiveRingingAge(t *testing.T) {
	p := trained(t, 2000, narrowTalk)
	old := p.Lines(predState(4, nil, repeat(19*time.Second, 8), healthy))
	p.lastEval = time.Time{}
	fresh := p.Lines(predState(4, nil, repeat(time.Second, 8), healthy))
	if old <= fresh {
		t.Fatalf("8 calls ringing for 19 s: %d new calls; 8 fresh ones: %d; want more for the old ones", old, fresh)
	}
	if old < 4 {
		t.Fatalf("old ringing calls should leave the 4 ready agents to new calls: %d", old)
	}
}

func TestPredictiveBacksOffNearTheLimit(t *testing.T) {
	p := trained(t, 2000, narrowTalk)
	st := predState(0, repeat(178*time.Second, 10), nil, WindowCounts{Answered: 1000, Abandoned: 29})
	if got := p.Lines(st); got != 0 {
		t.Fatalf("2.9 %% of 1000 answered: Lines = %d, want progressive 0", got)
	}
	if r := p.Report(); !strings.Contains(r.Note, "backed off to progressive") || r.Mode != ModePredictive {
		t.Fatalf("report %+v", r)
	}
	// 2.9 % of 100 answered: too few for the rate to mean much.
	p.lastEval = time.Time{}
	st.Stats.Window = WindowCounts{Answered: 100, Abandoned: 2}
	if got := p.Lines(st); got == 0 {
		t.Fatal("backed off with 100 answered calls")
	}
}

func TestPredictiveThreshold(t *testing.T) {
	p := trained(t, 10, narrowTalk)
	low := p.threshold(WindowCounts{Answered: 1000, Abandoned: 30}, WindowCounts{})
	mid := p.threshold(WindowCounts{Answered: 1000, Abandoned: 25}, WindowCounts{})
	high := p.threshold(WindowCounts{Answered: 1000, Abandoned: 10}, WindowCounts{})
	if !(low < mid && mid < high) {
		t.Fatalf("threshold not increasing with the surplus: %v %v %v", low, mid, high)
	}
	// At the aim (0.85 × 3 % × 1000 = 25.5 abandons) it is the base.
	if got := p.threshold(WindowCounts{Answered: 2000, Abandoned: 51}, WindowCounts{}); got != predThetaBase*0.03 {
		t.Fatalf("threshold at the aim %v", got)
	}
	// A bad last hour lowers it.
	if p.threshold(WindowCounts{Answered: 1000, Abandoned: 10}, WindowCounts{Answered: 100, Abandoned: 6}) >= high {
		t.Fatal("the last hour's excess does not lower the threshold")
	}
}

// TestPredictiveNeverBelowProgressive: random states.
func TestPredictiveNeverBelowProgressive(t *testing.T) {
	p := trained(t, 3000, func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 120 * float64(time.Second)) })
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 500 {
		ready := r.IntN(10)
		busy := make([]time.Duration, r.IntN(60))
		for j := range busy {
			busy[j] = time.Duration(r.IntN(600)) * time.Second
		}
		ring := make([]time.Duration, r.IntN(30))
		for j := range ring {
			ring[j] = time.Duration(r.IntN(25)) * time.Second
		}
		w := WindowCounts{Answered: int64(r.IntN(3000)), Abandoned: int64(r.IntN(60))}
		st := predState(ready, busy, ring, w)
		st.MaxLines = len(st.Calls) + r.IntN(40)
		p.lastEval = time.Time{}
		got, prog := p.Lines(st), Progressive{}.Lines(st)
		if got < prog || got > st.FreeLines() {
			t.Fatalf("case %d: Lines = %d, progressive %d, free %d", i, got, prog, st.FreeLines())
		}
	}
}

func TestPredictiveEvaluatesAtMostEvery200ms(t *testing.T) {
	p := trained(t, 2000, narrowTalk)
	st := predState(0, repeat(178*time.Second, 10), nil, healthy)
	if p.Lines(st) == 0 {
		t.Fatal("first evaluation placed nothing")
	}
	st.Now = st.Now.Add(100 * time.Millisecond)
	if got := p.Lines(st); got != 0 {
		t.Fatalf("re-evaluated after 100 ms: %d", got)
	}
	st.Now = st.Now.Add(150 * time.Millisecond)
	if p.Lines(st) == 0 {
		t.Fatal("not re-evaluated after 250 ms")
	}
}

func TestPredictiveIgnoresFailedCalls(t *testing.T) {
	p, _ := New(Config{Mode: ModePredictive})
	pr := p.(*Predictive)
	pr.Record(Result{Outcome: campaign.OutcomeFailed, Dialed: true, PlacedAt: pt0, EndedAt: pt0})
	pr.Record(Result{Outcome: campaign.OutcomeInvalidNumber, Dialed: false, PlacedAt: pt0, EndedAt: pt0})
	if pr.resolved != 0 {
		t.Fatal("failed calls counted")
	}
}

// TestPredictiveExactAndNormalAgree checks the normal approximation against
// the exact computation on a campaign just above the exact size.
func TestPredictiveExactAndNormalAgree(t *testing.T) {
	p := trained(t, 3000, func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 200 * float64(time.Second)) })
	busy := make([]time.Duration, 40)
	for i := range busy {
		busy[i] = time.Duration(10+i*7) * time.Second
	}
	ring := []time.Duration{time.Second, 3 * time.Second, 8 * time.Second, 12 * time.Second, 15 * time.Second}
	st := predState(2, busy, ring, healthy) // 45 uncertain terms: exact
	exact := p.Lines(st)
	st2 := predState(2, append(busy, busy[:5]...), ring, healthy) // 50: normal
	p.lastEval = time.Time{}
	normal := p.Lines(st2)
	if exact <= 0 || normal < exact || normal > exact+4 {
		t.Fatalf("exact (45 terms) %d calls, normal (50 terms, 5 more busy agents) %d", exact, normal)
	}
}

func BenchmarkPredictive(b *testing.B) {
	pr, _ := New(Config{Mode: ModePredictive})
	pd := pr.(*Predictive)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 5000 {
		placed := pt0.Add(time.Duration(i-6000) * time.Second)
		if i%4 == 0 {
			pd.Record(Result{Outcome: campaign.OutcomeBridged, Dialed: true, PlacedAt: placed, AnsweredAt: placed.Add(8 * time.Second),
				BridgedAt: placed.Add(8 * time.Second), EndedAt: placed.Add(8*time.Second + time.Duration(r.ExpFloat64()*180e9))})
		} else {
			pd.Record(Result{Outcome: campaign.OutcomeNoAnswer, Dialed: true, PlacedAt: placed, EndedAt: placed.Add(20 * time.Second)})
		}
	}
	busy := make([]time.Duration, 200)
	for i := range busy {
		busy[i] = time.Duration(r.IntN(400)) * time.Second
	}
	ring := make([]time.Duration, 60)
	for i := range ring {
		ring[i] = time.Duration(r.IntN(20)) * time.Second
	}
	st := predState(3, busy, ring, healthy)
	for b.Loop() {
		pd.lastEval = time.Time{}
		pd.Lines(st)
	}
}

func BenchmarkAdaptiveSample(b *testing.B) {
	a := newAdaptive(Config{MaxAbandonRate: 0.03, Adaptive: AdaptiveConfig{MaxLevel: 3, DropMode: DropHard, LatestServerTime: "2100", Location: time.UTC}})
	st := adaptiveState(pt0, 5, 195, 2, 60)
	for b.Loop() {
		a.Sample(st)
		a.Lines(st)
	}
}

// TestPredictiveHourNearLimit: the pacer stops risking abandons while one
// more would take the last hour to predHourCap (4.5 %) of its answered
// calls, projecting the answered count to a full hour early in the run.
func TestPredictiveHourNearLimit(t *testing.T) {
	for _, tc := range []struct {
		name              string
		first             time.Duration // before pt0; 0: nothing recorded
		answered, abandon int64
		want              bool
	}{
		{"a full hour, 60 answered, none abandoned", 3 * time.Hour, 60, 0, false},
		{"a full hour, 60 answered, 1 abandoned", 3 * time.Hour, 60, 1, false},
		{"a full hour, 60 answered, 2 abandoned", 3 * time.Hour, 60, 2, true},
		{"a full hour, 240 answered, 9 abandoned", 3 * time.Hour, 240, 9, false},
		{"a full hour, 240 answered, 10 abandoned", 3 * time.Hour, 240, 10, true},
		{"10 minutes in, 10 answered (60 an hour), none abandoned", 10 * time.Minute, 10, 0, false},
		{"10 minutes in, 10 answered, 1 abandoned", 10 * time.Minute, 10, 1, false},
		{"10 minutes in, 10 answered, 2 abandoned", 10 * time.Minute, 10, 2, true},
		{"2 minutes in, 2 answered: projected as over 10 minutes", 2 * time.Minute, 2, 0, true},
		{"30 minutes in, 60 answered (120 an hour), 4 abandoned", 30 * time.Minute, 60, 4, false},
		{"30 minutes in, 60 answered, 5 abandoned", 30 * time.Minute, 60, 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPredictive(Config{})
			if tc.first > 0 {
				p.first = pt0.Add(-tc.first)
			}
			h := WindowCounts{Span: time.Hour, Answered: tc.answered, Abandoned: tc.abandon}
			if got := p.hourNearLimit(h, pt0); got != tc.want {
				t.Errorf("hourNearLimit = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPredictiveBacksOffForTheHour: two abandons among the last hour's 60
// answered calls stop predictive dialing even with a healthy day.
func TestPredictiveBacksOffForTheHour(t *testing.T) {
	p := trained(t, 2000, narrowTalk)
	if got := p.Lines(predState(0, repeat(178*time.Second, 10), nil, healthy)); got == 0 {
		t.Fatal("no calls placed before the hour's abandons")
	}
	// An hour later: a break, then an hour of 60 answered calls.
	now := pt0.Add(2 * time.Hour)
	st := predStateAt(now, 0, repeat(178*time.Second, 10), nil, healthy)
	p.lastEval = time.Time{}
	if got := p.Lines(st); got != 0 {
		t.Fatalf("after an hour without answered calls: Lines = %d, want progressive 0", got)
	}
	for i := range 60 {
		ans := now.Add(-time.Hour + time.Duration(i+1)*time.Minute - 30*time.Second)
		out := campaign.OutcomeBridged
		if i%30 == 29 {
			out = campaign.OutcomeAbandoned
		}
		r := Result{Outcome: out, Dialed: true, PlacedAt: ans.Add(-5 * time.Second), AnsweredAt: ans, EndedAt: ans.Add(2 * time.Second)}
		if out == campaign.OutcomeBridged {
			r.BridgedAt = ans
			r.EndedAt = ans.Add(20 * time.Second)
		}
		p.Record(r)
	}
	p.lastEval = time.Time{}
	if got := p.Lines(st); got != 0 {
		t.Fatalf("2 abandoned of 60 answered in the last hour: Lines = %d, want progressive 0", got)
	}
	if r := p.Report(); !strings.Contains(r.Note, "last hour") {
		t.Fatalf("report %+v: want a note about the last hour", r)
	}
}
