package sim

import (
	"errors"
	"fmt"
	"time"
)

// Scenario is one call centre day: the agents and the population of calls
// they dial.
type Scenario struct {
	Name        string // "S1"
	Description string
	Agents      int
	Duration    time.Duration // the day (8 h)

	// Each dial is, in order of its class draw: a live answer (probability
	// LiveStart at the start of the day, moving linearly to LiveEnd at its
	// end), an answering machine, busy, an invalid number, or no answer.
	LiveStart, LiveEnd float64
	Machine            float64
	Busy               float64
	Invalid            float64

	// Answer is the time from the dial to the answer of a live call or a
	// machine; draws at or past the originate timeout are drawn again (a
	// live call is answered before the timeout).
	Answer Dist
	// BusyAfter and InvalidAfter: when the network reports busy or an
	// invalid number.
	BusyAfter, InvalidAfter Dist
	// NoAnswerAfter: when an unanswered call ends; at or past the
	// originate timeout it rings out then.
	NoAnswerAfter Dist
	// OriginateTimeout is the dialer's ring time before giving up (≥ 15 s).
	OriginateTimeout time.Duration

	// Talk is the conversation of a live call; MachineTalk how long an
	// agent listens to a machine before hanging up.
	Talk        Dist
	MachineTalk Dist
	WrapUp      time.Duration
	// Patience: a live caller hangs up when no agent arrives within it
	// (the abandon delay, 2 s).
	Patience time.Duration

	// Reference holds published figures to print beside the measured ones.
	Reference *Reference
}

// Reference figures for a scenario.
type Reference struct {
	// Optimum is the occupancy of the best state-feedback policy at about
	// AbandonRate abandoned calls; Progressive the occupancy of
	// progressive dialing.
	Optimum, AbandonRate, Progressive float64
	Source                            string
}

// Live is the live-answer probability at a fraction f (0..1) of the day.
func (s Scenario) Live(f float64) float64 {
	f = min(max(f, 0), 1)
	return s.LiveStart + (s.LiveEnd-s.LiveStart)*f
}

// Validate checks the scenario.
func (s Scenario) Validate() error {
	if s.Name == "" {
		return errors.New("sim: scenario without a name")
	}
	if s.Agents < 1 {
		return fmt.Errorf("sim: scenario %s: at least one agent", s.Name)
	}
	if s.Duration <= 0 {
		return fmt.Errorf("sim: scenario %s: duration must be positive", s.Name)
	}
	for _, p := range []float64{s.LiveStart, s.LiveEnd, s.Machine, s.Busy, s.Invalid} {
		if p < 0 || p > 1 {
			return fmt.Errorf("sim: scenario %s: probabilities must be in [0, 1]", s.Name)
		}
	}
	if max(s.LiveStart, s.LiveEnd)+s.Machine+s.Busy+s.Invalid > 1 {
		return fmt.Errorf("sim: scenario %s: outcome probabilities add up to more than 1", s.Name)
	}
	if max(s.LiveStart, s.LiveEnd)+s.Machine <= 0 {
		return fmt.Errorf("sim: scenario %s: nobody ever answers", s.Name)
	}
	if s.OriginateTimeout < 15*time.Second {
		return fmt.Errorf("sim: scenario %s: originate timeout %v is under 15 s", s.Name, s.OriginateTimeout)
	}
	for name, d := range map[string]Dist{"answer": s.Answer, "busy_after": s.BusyAfter, "invalid_after": s.InvalidAfter,
		"no_answer_after": s.NoAnswerAfter, "talk": s.Talk, "machine_talk": s.MachineTalk} {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("sim: scenario %s: %s: %w", s.Name, name, err)
		}
	}
	if s.Answer.Kind == DistFixed && s.Answer.Mean >= s.OriginateTimeout {
		return fmt.Errorf("sim: scenario %s: a fixed answer delay must be under the originate timeout", s.Name)
	}
	if s.WrapUp < 0 || s.Patience <= 0 {
		return fmt.Errorf("sim: scenario %s: wrap-up must not be negative and patience must be positive", s.Name)
	}
	return nil
}

// Day is the length of every scenario's day.
const Day = 8 * time.Hour

// referenceSource names where the S1–S3 figures come from.
const referenceSource = "issue 3: exact optimum of state-feedback policies with exponential times"

// Scenarios returns S1–S6 of issue 3.
//
// S1–S3 are the memoryless model behind the published optimum: every dial
// resolves after an exponential time with mean 20 s (a live answer with
// probability 0.25, otherwise the network ends it), talk is exponential
// with mean 240 s, no wrap-up. The dialer's originate timeout is set to
// 5 min there so that it never cuts a dial short (P < 10⁻⁶) and the model
// stays the published one; progressive then gives 240 / (240 + 4·20) = 75 %.
//
// S4 is a collections campaign: p(live) 0.25, talk lognormal with mean
// 180 s and sd 120 s, 30 s wrap-up, 3 % busy (after about 5 s), 5 %
// invalid numbers (after about 2 s), the rest rings out after the 20 s
// originate timeout; live calls answer after a lognormal time with mean 8 s
// and sd 4 s (below the timeout). S5 is S4 with p(live) drifting from 0.35
// to 0.15 over the day, S6 is S4 with 200 agents.
func Scenarios() []Scenario {
	memoryless := func(name string, agents int, ref Reference) Scenario {
		return Scenario{
			Name: name, Agents: agents, Duration: Day,
			Description: fmt.Sprintf("%d agents, p(live) 0.25, talk exponential mean 240 s, no wrap-up, each dial resolves after exponential mean 20 s", agents),
			LiveStart:   0.25, LiveEnd: 0.25,
			Answer: Exponential(20 * time.Second), NoAnswerAfter: Exponential(20 * time.Second),
			BusyAfter: Fixed(3 * time.Second), InvalidAfter: Fixed(time.Second),
			OriginateTimeout: 5 * time.Minute,
			Talk:             Exponential(240 * time.Second), MachineTalk: Fixed(5 * time.Second),
			Patience:  2 * time.Second,
			Reference: &ref,
		}
	}
	collections := func(name string, agents int, live0, live1 float64, desc string) Scenario {
		return Scenario{
			Name: name, Agents: agents, Duration: Day, Description: desc,
			LiveStart: live0, LiveEnd: live1, Busy: 0.03, Invalid: 0.05,
			Answer:    LogNormal(8*time.Second, 4*time.Second),
			BusyAfter: LogNormal(5*time.Second, 2*time.Second), InvalidAfter: LogNormal(2*time.Second, time.Second),
			NoAnswerAfter: Fixed(20 * time.Second), OriginateTimeout: 20 * time.Second,
			Talk: LogNormal(180*time.Second, 120*time.Second), MachineTalk: Fixed(5 * time.Second),
			WrapUp: 30 * time.Second, Patience: 2 * time.Second,
		}
	}
	const s4 = "p(live) 0.25, talk lognormal mean 180 s sd 120 s, wrap-up 30 s, busy 3 %, invalid 5 %, no answer after 20 s"
	return []Scenario{
		memoryless("S1", 20, Reference{Optimum: 0.893, AbandonRate: 0.03, Progressive: 0.75, Source: referenceSource}),
		memoryless("S2", 50, Reference{Optimum: 0.937, AbandonRate: 0.03, Progressive: 0.75, Source: referenceSource}),
		memoryless("S3", 5, Reference{Optimum: 0.81, AbandonRate: 0.03, Progressive: 0.75, Source: referenceSource}),
		collections("S4", 20, 0.25, 0.25, "20 agents, collections: "+s4),
		collections("S5", 20, 0.35, 0.15, "S4 with p(live) drifting from 0.35 to 0.15 over the day"),
		collections("S6", 200, 0.25, 0.25, "200 agents, S4's parameters"),
	}
}

// ScenarioByName returns one of Scenarios.
func ScenarioByName(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}
