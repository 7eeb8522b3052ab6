package sim

import (
	"math/rand/v2"
	"time"
)

// Class is what happens to a dial.
type Class int

// Dial classes.
const (
	ClassLive Class = iota
	ClassMachine
	ClassBusy
	ClassInvalid
	ClassNoAnswer
	numClasses
)

var classNames = [...]string{"live", "machine", "busy", "invalid", "no_answer"}

func (c Class) String() string {
	if c >= 0 && c < numClasses {
		return classNames[c]
	}
	return "class(?)"
}

// Fate is everything the population decides about one dial, drawn before
// the dial from the seed alone: the k-th dial of every pacer gets the same
// fate. Its class depends on the dial's time of day only through U (for a
// drifting answer rate).
type Fate struct {
	U            float64 // class draw in [0, 1)
	Answer       time.Duration
	BusyAfter    time.Duration
	InvalidAfter time.Duration
	NoAnswer     time.Duration
	Talk         time.Duration
	MachineTalk  time.Duration
}

// Class is the fate's class for a dial at fraction f of the day.
func (ft Fate) Class(s *Scenario, f float64) Class {
	u := ft.U
	live := s.Live(f)
	switch {
	case u < live:
		return ClassLive
	case u < live+s.Machine:
		return ClassMachine
	case u < live+s.Machine+s.Busy:
		return ClassBusy
	case u < live+s.Machine+s.Busy+s.Invalid:
		return ClassInvalid
	}
	return ClassNoAnswer
}

// Population draws fates in dial order from one seed.
type Population struct {
	sc    *Scenario
	rng   *rand.Rand
	fates []Fate
}

// NewPopulation returns the population of a scenario for a seed.
func NewPopulation(sc *Scenario, seed uint64) *Population {
	return &Population{sc: sc, rng: rand.New(rand.NewPCG(seed, 0x6475656361_6c6c))}
}

// Fate returns the fate of the k-th dial (k ≥ 0), drawing as needed.
func (p *Population) Fate(k int) Fate {
	for len(p.fates) <= k {
		p.fates = append(p.fates, p.draw())
	}
	return p.fates[k]
}

func (p *Population) draw() Fate {
	s, r := p.sc, p.rng
	ft := Fate{U: r.Float64()}
	ft.Answer = s.Answer.Sample(r)
	for ft.Answer >= s.OriginateTimeout {
		ft.Answer = s.Answer.Sample(r)
	}
	ft.BusyAfter = s.BusyAfter.Sample(r)
	ft.InvalidAfter = s.InvalidAfter.Sample(r)
	ft.NoAnswer = s.NoAnswerAfter.Sample(r)
	ft.Talk = s.Talk.Sample(r)
	ft.MachineTalk = s.MachineTalk.Sample(r)
	return ft
}
