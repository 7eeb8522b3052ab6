package pacing

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

// The steps below are VICIdial's calculate_dial_level worked by hand:
//
//	pct = (differential + dl_diff_target) / agents_avg × 100
//	pct' = pct × |intensity/100 − 1| when pct < 0, else pct × (intensity/100 + 1)
//	level' = round3(level × (pct'/100 + 1)), clamped to [1, max], then the
//	drop rules, then at least 1.
func TestAdaptiveLevelSteps(t *testing.T) {
	base := AdaptiveConfig{MaxLevel: 3, DropMode: DropHard}
	with := func(f func(*AdaptiveConfig)) AdaptiveConfig { c := base; f(&c); return c }
	drops := func(c1, d1, ct, at, dt int64) adaptiveDrops {
		return adaptiveDrops{CallsOneMin: c1, DropsOneMin: d1, CallsToday: ct, AnswersToday: at, DropsToday: dt}
	}
	tests := []struct {
		name string
		in   adaptiveInput
		cfg  AdaptiveConfig
		want float64
		note string
	}{
		// 5 idle agents of 20: +25 % → 1.0 × 1.25.
		{"idle agents raise the level", adaptiveInput{Level: 1, Differential: 5, AgentsAvg: 20}, base, 1.25, ""},
		// 2 waiting callers of 20 agents: −10 % → 2.0 × 0.9.
		{"waiting callers lower it", adaptiveInput{Level: 2, Differential: -2, AgentsAvg: 20}, base, 1.8, ""},
		// Intensity +20: rises ×1.2 (25 → 30 %), falls ×0.8 (−25 → −20 %).
		{"intensity +20 raises faster", adaptiveInput{Level: 1, Differential: 5, AgentsAvg: 20}, with(func(c *AdaptiveConfig) { c.Intensity = 20 }), 1.3, ""},
		{"intensity +20 lowers slower", adaptiveInput{Level: 2, Differential: -5, AgentsAvg: 20}, with(func(c *AdaptiveConfig) { c.Intensity = 20 }), 1.6, ""},
		// Intensity −20: rises ×0.8 (25 → 20 %), falls ×1.2 (−25 → −30 %).
		{"intensity -20 raises slower", adaptiveInput{Level: 1, Differential: 5, AgentsAvg: 20}, with(func(c *AdaptiveConfig) { c.Intensity = -20 }), 1.2, ""},
		{"intensity -20 lowers faster", adaptiveInput{Level: 2, Differential: -5, AgentsAvg: 20}, with(func(c *AdaptiveConfig) { c.Intensity = -20 }), 1.4, ""},
		// dl_diff_target −1 aims at one idle agent: differential 0 → −1/10.
		{"diff target -1", adaptiveInput{Level: 2, Differential: 0, AgentsAvg: 10}, with(func(c *AdaptiveConfig) { c.DLDiffTarget = -1 }), 1.8, ""},
		{"diff target cancels the differential", adaptiveInput{Level: 1.7, Differential: 1, AgentsAvg: 10}, with(func(c *AdaptiveConfig) { c.DLDiffTarget = -1 }), 1.7, ""},
		// 1.5 × (1 + 7/12) = 2.375; rounded to 3 decimals.
		{"rounded to 3 decimals", adaptiveInput{Level: 1.5, Differential: 7, AgentsAvg: 12}, base, 2.375, ""},
		{"1.333 × 1.1", adaptiveInput{Level: 1.333, Differential: 1, AgentsAvg: 10}, base, 1.466, ""},
		{"capped at the max level", adaptiveInput{Level: 2.8, Differential: 10, AgentsAvg: 20}, base, 3, ""},
		{"custom max level", adaptiveInput{Level: 2.8, Differential: 10, AgentsAvg: 20}, with(func(c *AdaptiveConfig) { c.MaxLevel = 2.5 }), 2.5, ""},
		{"never under 1", adaptiveInput{Level: 1.1, Differential: -10, AgentsAvg: 20}, base, 1, ""},
		{"no agents: unchanged", adaptiveInput{Level: 1.7, Differential: 3, AgentsAvg: 0}, base, 1.7, ""},
		// Last minute: 11 of 21 calls dropped (52.38 %) → halve 2.0 × 1.0.
		{"half the minute's calls dropped", adaptiveInput{Level: 2, AgentsAvg: 20, Drops: drops(21, 11, 0, 0, 0)}, base, 1, "last minute"},
		{"half the minute's calls dropped, high level", adaptiveInput{Level: 3, AgentsAvg: 20, Drops: drops(21, 11, 0, 0, 0)}, base, 1.5, "last minute"},
		{"exactly half is not over half", adaptiveInput{Level: 3, AgentsAvg: 20, Drops: drops(22, 11, 0, 0, 0)}, base, 3, ""},
		{"20 calls are too few", adaptiveInput{Level: 3, AgentsAvg: 20, Drops: drops(20, 20, 0, 0, 0)}, base, 3, ""},
		// Today: 2 drops of 40 answers = 5 % > 3 % with 51 calls.
		{"hard limit", adaptiveInput{Level: 2.5, AgentsAvg: 20, Drops: drops(0, 0, 51, 40, 2)}, base, 1, "hard limit"},
		{"average halves", adaptiveInput{Level: 2.5, AgentsAvg: 20, Drops: drops(0, 0, 51, 40, 2)}, with(func(c *AdaptiveConfig) { c.DropMode = DropAverage }), 1.25, "halved"},
		// 14:30 with a 21:00 latest: 2100 − 1430 = 670 → × 0.67.
		{"tapered", adaptiveInput{Level: 2.5, AgentsAvg: 20, HHMM: 1430, Drops: drops(0, 0, 51, 40, 2)}, with(func(c *AdaptiveConfig) { c.DropMode = DropTapered }), 1.675, "tapered by 0.670"},
		{"tapered, more than 1000 left", adaptiveInput{Level: 2.5, AgentsAvg: 20, HHMM: 900, Drops: drops(0, 0, 51, 40, 2)}, with(func(c *AdaptiveConfig) { c.DropMode = DropTapered }), 2.5, "tapered by 1.000"},
		{"tapered after the latest time", adaptiveInput{Level: 2.5, AgentsAvg: 20, HHMM: 2130, Drops: drops(0, 0, 51, 40, 2)}, with(func(c *AdaptiveConfig) { c.DropMode = DropTapered }), 1, "after the latest"},
		{"50 calls today are too few", adaptiveInput{Level: 2.5, AgentsAvg: 20, Drops: drops(0, 0, 50, 40, 10)}, base, 2.5, ""},
		// 3 drops of 100 answers = 3.00 %, not over 3.
		{"at the limit is not over it", adaptiveInput{Level: 2.5, AgentsAvg: 20, Drops: drops(0, 0, 300, 100, 3)}, base, 2.5, ""},
		// Drops are a share of answers, not of calls: 4 of 100 answers
		// (but of 300 calls) is 4 %.
		{"share of answers, not calls", adaptiveInput{Level: 2.5, AgentsAvg: 20, Drops: drops(0, 0, 300, 100, 4)}, base, 1, "hard limit"},
		// Both rules: halve (3 → 1.5), then average halves again (0.75) → 1.
		{"both rules, floor 1", adaptiveInput{Level: 3, AgentsAvg: 20, Drops: drops(30, 20, 60, 30, 20)}, with(func(c *AdaptiveConfig) { c.DropMode = DropAverage }), 1, "halved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note := adaptiveLevel(tt.in, tt.cfg, 3, 2100)
			if math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("level = %v, want %v", got, tt.want)
			}
			if tt.note == "" && note != "" || tt.note != "" && !strings.Contains(note, tt.note) {
				t.Fatalf("note %q, want %q", note, tt.note)
			}
		})
	}
}

func adaptiveState(now time.Time, ready, busy, waiting, ringing int) State {
	st := State{Now: now, MaxLines: 200}
	for range ready {
		st.Agents = append(st.Agents, Agent{State: AgentReady})
	}
	for range busy {
		st.Agents = append(st.Agents, Agent{State: AgentOnCall})
		st.Calls = append(st.Calls, Call{Phase: CallTalking})
	}
	for range waiting {
		st.Calls = append(st.Calls, Call{Phase: CallWaiting})
	}
	for range ringing {
		st.Calls = append(st.Calls, Call{Phase: CallRinging})
	}
	return st
}

// TestAdaptiveSampling runs the 1-second loop: the level changes on the 16th
// sample (the first recalculation), from the average of the 15 samples, and
// every 15 samples after that.
func TestAdaptiveSampling(t *testing.T) {
	p, err := New(Config{Mode: ModeAdaptive, Adaptive: AdaptiveConfig{Location: time.UTC}})
	if err != nil {
		t.Fatal(err)
	}
	a := p.(*Adaptive)
	t0 := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	// 15 samples: 4 ready and 16 busy agents, no caller waiting.
	for i := range 15 {
		a.Sample(adaptiveState(t0.Add(time.Duration(i)*time.Second), 4, 16, 0, 0))
		if a.Level() != 1 {
			t.Fatalf("level changed at sample %d", i+1)
		}
	}
	// 16th sample: 0 ready, 20 busy, 2 waiting. Averages over the last 15
	// samples (2..16): ready 14×4/15, waiting 2/15, agents (14×20+20)/15 =
	// 20: differential (56 − 2)/15 = 3.6 → +18 % → 1.18.
	a.Sample(adaptiveState(t0.Add(15*time.Second), 0, 20, 2, 0))
	if got := a.Level(); got != 1.18 {
		t.Fatalf("level after the 16th sample = %v, want 1.18", got)
	}
	// 14 more samples do not move it; the 15th does. All 15 samples now
	// have 0 ready and 2 waiting of 20: −10 % → 1.18 × 0.9 = 1.062.
	for i := range 14 {
		a.Sample(adaptiveState(t0.Add(time.Duration(16+i)*time.Second), 0, 20, 2, 0))
		if a.Level() != 1.18 {
			t.Fatalf("level changed at sample %d", 17+i)
		}
	}
	a.Sample(adaptiveState(t0.Add(30*time.Second), 0, 20, 2, 0))
	if got := a.Level(); got != 1.062 {
		t.Fatalf("level after 31 samples = %v, want 1.062", got)
	}
}

// TestAdaptiveNoAgents: without working agents the level is not
// recalculated.
func TestAdaptiveNoAgents(t *testing.T) {
	a := newAdaptive(Config{MaxAbandonRate: 0.03, Adaptive: AdaptiveConfig{MaxLevel: 3, DropMode: DropHard, LatestServerTime: "2100", Location: time.UTC}})
	t0 := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		a.Sample(adaptiveState(t0.Add(time.Duration(i)*time.Second), 0, 0, 0, 0))
	}
	if a.Level() != 1 {
		t.Fatal("level moved without agents")
	}
}

func TestAdaptiveDialLoop(t *testing.T) {
	a := newAdaptive(Config{MaxAbandonRate: 0.03, Adaptive: AdaptiveConfig{MaxLevel: 3, DropMode: DropHard, LatestServerTime: "2100", Location: time.UTC}})
	now := time.Now()
	tests := []struct {
		level                         float64
		ready, busy, waiting, ringing int
		want                          int
	}{
		{1, 5, 15, 0, 0, 5},    // level 1 is progressive
		{1, 5, 15, 0, 3, 2},    // calls in progress count
		{2, 5, 15, 0, 3, 22},   // 2 × 20 − 15 talking − 3 ringing
		{1.25, 2, 2, 0, 0, 3},  // 1.25 × 4 = 5, − 2 talking
		{1.125, 2, 2, 0, 0, 2}, // 1.125 × 4 = 4.5 rounds to even 4, − 2 talking
		{3, 0, 10, 2, 30, 0},   // 30 − 42 < 0
	}
	for i, tt := range tests {
		a.level = tt.level
		st := adaptiveState(now, tt.ready, tt.busy, tt.waiting, tt.ringing)
		if got := a.Lines(st); got != tt.want {
			t.Errorf("case %d: Lines = %d, want %d", i, got, tt.want)
		}
	}
	a.level = 3
	st := adaptiveState(now, 10, 10, 0, 0)
	st.MaxLines = 25
	if got := a.Lines(st); got != 15 {
		t.Errorf("not capped by free lines: %d", got)
	}
	// Wrap-up and paused agents are not counted (VICIdial's PAUSED).
	a.level = 2
	st = adaptiveState(now, 1, 0, 0, 0)
	st.Agents = append(st.Agents, Agent{State: AgentWrapUp}, Agent{State: AgentPaused})
	if got := a.Lines(st); got != 2 {
		t.Errorf("wrap-up counted: %d", got)
	}
}

func TestAdaptiveDropStatistics(t *testing.T) {
	a := newAdaptive(Config{MaxAbandonRate: 0.03, Adaptive: AdaptiveConfig{MaxLevel: 3, DropMode: DropHard, LatestServerTime: "2100", Location: time.UTC}})
	t0 := time.Date(2025, 3, 10, 23, 58, 0, 0, time.UTC)
	rec := func(placed, ended time.Time, o campaign.Outcome) {
		a.Record(Result{Outcome: o, Dialed: true, PlacedAt: placed, EndedAt: ended})
	}
	rec(t0, t0.Add(20*time.Second), campaign.OutcomeNoAnswer)
	rec(t0.Add(30*time.Second), t0.Add(40*time.Second), campaign.OutcomeAbandoned)
	rec(t0.Add(50*time.Second), t0.Add(3*time.Minute), campaign.OutcomeBridged)
	a.Record(Result{Outcome: campaign.OutcomeFailed, Dialed: false, PlacedAt: t0, EndedAt: t0}) // never dialled
	a.refreshDrops(t0.Add(75 * time.Second))
	want := adaptiveDrops{CallsOneMin: 2, DropsOneMin: 1, CallsToday: 3, AnswersToday: 2, DropsToday: 1}
	if a.stats != want {
		t.Fatalf("stats %+v, want %+v", a.stats, want)
	}
	// Past midnight: a new day.
	rec(t0.Add(3*time.Minute), t0.Add(3*time.Minute+10*time.Second), campaign.OutcomeBusy)
	a.refreshDrops(t0.Add(3*time.Minute + 30*time.Second))
	want = adaptiveDrops{CallsOneMin: 1, CallsToday: 1}
	if a.stats != want {
		t.Fatalf("after midnight %+v, want %+v", a.stats, want)
	}
	if a.Report().Mode != ModeAdaptive || a.Report().DialLevel != 1 {
		t.Fatalf("report %+v", a.Report())
	}
}
