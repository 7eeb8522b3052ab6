package sim

import (
	"math"
	"testing"
	"time"
)

// TestPopulationMatchesScenario: the fates drawn for a seed follow the
// scenario's rates and distributions.
func TestPopulationMatchesScenario(t *testing.T) {
	const n = 100_000
	s4, _ := ScenarioByName("S4")
	p := NewPopulation(&s4, 42)
	var classes [numClasses]int
	var talk, talk2, ans float64
	for k := range n {
		ft := p.Fate(k)
		classes[ft.Class(&s4, 0.5)]++
		x := ft.Talk.Seconds()
		talk += x
		talk2 += x * x
		if ft.Answer >= s4.OriginateTimeout {
			t.Fatalf("answer delay %v at or past the timeout", ft.Answer)
		}
		ans += ft.Answer.Seconds()
	}
	share := func(c Class) float64 { return float64(classes[c]) / n }
	// Tolerances are about 4 standard deviations of a share of 100 000.
	within(t, "live", share(ClassLive), 0.25, 0.006)
	within(t, "busy", share(ClassBusy), 0.03, 0.0025)
	within(t, "invalid", share(ClassInvalid), 0.05, 0.003)
	within(t, "no answer", share(ClassNoAnswer), 0.67, 0.006)
	within(t, "machine", share(ClassMachine), 0, 0)
	mean := talk / n
	within(t, "talk mean (s)", mean, 180, 2)
	within(t, "talk sd (s)", math.Sqrt(talk2/n-mean*mean), 120, 3)
	within(t, "answer delay mean (s)", ans/n, 8, 0.3) // lognormal mean 8 s, cut at 20 s

	s1, _ := ScenarioByName("S1")
	p = NewPopulation(&s1, 7)
	talk, ans = 0, 0
	var noAns float64
	for k := range n {
		ft := p.Fate(k)
		talk += ft.Talk.Seconds()
		ans += ft.Answer.Seconds()
		noAns += ft.NoAnswer.Seconds()
	}
	within(t, "S1 talk mean (s)", talk/n, 240, 3)
	within(t, "S1 answer mean (s)", ans/n, 20, 0.3)
	within(t, "S1 no-answer mean (s)", noAns/n, 20, 0.3)

	s5, _ := ScenarioByName("S5")
	p = NewPopulation(&s5, 9)
	var start, end int
	for k := range n {
		ft := p.Fate(k)
		if ft.Class(&s5, 0) == ClassLive {
			start++
		}
		if ft.Class(&s5, 1) == ClassLive {
			end++
		}
	}
	within(t, "S5 live at the start", float64(start)/n, 0.35, 0.006)
	within(t, "S5 live at the end", float64(end)/n, 0.15, 0.005)
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	}
}

func TestPopulationIsReproducible(t *testing.T) {
	s4, _ := ScenarioByName("S4")
	a, b, c := NewPopulation(&s4, 1), NewPopulation(&s4, 1), NewPopulation(&s4, 2)
	// Drawing out of order gives the same fates.
	_ = b.Fate(500)
	same, diff := 0, 0
	for k := range 1000 {
		if a.Fate(k) == b.Fate(k) {
			same++
		}
		if a.Fate(k) != c.Fate(k) {
			diff++
		}
	}
	if same != 1000 || diff < 990 {
		t.Fatalf("same seed: %d of 1000 equal; other seed: %d of 1000 different", same, diff)
	}
}

func TestDistAndScenarioValidation(t *testing.T) {
	for _, d := range []Dist{{Kind: "weibull", Mean: time.Second}, Exponential(0), LogNormal(time.Second, 0), Fixed(-1)} {
		if d.Validate() == nil {
			t.Errorf("%+v accepted", d)
		}
	}
	for _, s := range Scenarios() {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	s, _ := ScenarioByName("S4")
	bad := []func(*Scenario){
		func(s *Scenario) { s.Agents = 0 },
		func(s *Scenario) { s.OriginateTimeout = 10 * time.Second },
		func(s *Scenario) { s.Busy = 0.9 },
		func(s *Scenario) { s.LiveStart, s.LiveEnd = 0, 0 },
		func(s *Scenario) { s.Talk = Dist{} },
		func(s *Scenario) { s.Patience = 0 },
	}
	for i, f := range bad {
		c := s
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad scenario %d accepted", i)
		}
	}
	if _, ok := ScenarioByName("S9"); ok {
		t.Error("S9 exists")
	}
	if Exponential(time.Second).String() != "exponential mean 1s" || LogNormal(2*time.Second, time.Second).String() != "lognormal mean 2s sd 1s" {
		t.Error("String")
	}
}
