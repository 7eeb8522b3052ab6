package pacing

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	}
}

func TestDurDistLearnsExponential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := newDurDist(2, 1800, 180, 30)
	for range 20000 {
		d.add(r.ExpFloat64() * 100)
	}
	d.rebuild(nil)
	near(t, "F(100)", d.cdfAt(100), 1-math.Exp(-1), 0.02)
	near(t, "F(median)", d.cdfAt(100*math.Ln2), 0.5, 0.02)
	near(t, "mean", d.mean, 100, 3)
	// Memoryless: 50 more seconds after 200 s.
	near(t, "P(done in 50 s | 200 s)", d.condDone(200, 50), 1-math.Exp(-0.5), 0.04)
	// Past the grid: the exponential tail.
	near(t, "F(5000)", d.cdfAt(5000), 1, 1e-6)
	if d.condDone(10, 0) != 0 || d.cdfAt(-1) != 0 {
		t.Error("edges")
	}
}

func TestDurDistNarrow(t *testing.T) {
	d := newDurDist(2, 1800, 180, 30)
	for i := range 3000 {
		d.add(175 + float64(i%11))
	}
	d.rebuild(nil)
	if p := d.condDone(170, 20); p < 0.95 {
		t.Errorf("an agent 170 s into a 175–185 s call: P(free in 20 s) = %.3f", p)
	}
	if p := d.condDone(10, 20); p > 0.05 {
		t.Errorf("an agent 10 s into a 175–185 s call: P(free in 20 s) = %.3f", p)
	}
}

// TestDurDistCensoring: early in the day only the short calls have ended;
// the calls still going on (censored) keep the estimate honest.
func TestDurDistCensoring(t *testing.T) {
	d := newDurDist(2, 1800, 180, 30)
	for range 100 {
		d.add(10)
	}
	d.rebuild(nil)
	if f := d.cdfAt(20); f < 0.7 {
		t.Fatalf("without the calls in progress F(20) = %.3f; the test expects the biased view", f)
	}
	ongoing := make([]float64, 100)
	for i := range ongoing {
		ongoing[i] = 300
	}
	d.rebuild(ongoing)
	if f := d.cdfAt(20); f > 0.6 {
		t.Fatalf("with 100 calls 300 s old, F(20) = %.3f (half the calls are still going on)", f)
	}
	near(t, "mean with exposure", d.mean, (1000+30000)/100.0, 1e-9)
}

func TestResolveDist(t *testing.T) {
	d := newResolveDist(0.5, 600, 10, 15, 20)
	for i := range 1000 {
		if i%4 == 0 {
			d.add(5, true)
		} else {
			d.add(20, false)
		}
	}
	d.rebuild(nil, nil)
	near(t, "liveCDF(6)", d.liveCDF(6), 1, 0.03)
	near(t, "liveCDF(4)", d.liveCDF(4), 0, 0.06) // the exponential prior keeps a little weight
	near(t, "otherSurv(19)", d.otherSurv(19), 1, 0.03)
	near(t, "otherSurv(21)", d.otherSurv(21), 0, 0.03)
	near(t, "live median", d.liveQuantile(0.5), 5.25, 0.5)
}

// TestResolveDistEarly: the calls still ringing and the answered calls not
// recorded yet (still talking) count.
func TestResolveDistEarly(t *testing.T) {
	d := newResolveDist(0.5, 600, 10, 15, 20)
	for range 10 {
		d.add(1, false) // quick failures resolve first
	}
	ringing := make([]float64, 40)
	for i := range ringing {
		ringing[i] = 10
	}
	answered := []float64{8, 8.5, 9, 9, 9.5, 8, 8, 9, 9, 8.5, 8, 9}
	d.rebuild(ringing, answered)
	if q := d.liveQuantile(0.5); q < 7 || q > 10 {
		t.Fatalf("live median %.2f, want about 8.5", q)
	}
	// The answered calls were not kept.
	if d.nL != 0 {
		t.Fatalf("nL = %v", d.nL)
	}
}

func TestRateEst(t *testing.T) {
	r := newRateEst(400)
	if r.rate(9, 0) != 0 {
		t.Fatal("rate without data")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		r.add(9, rng.Float64() < 0.3)
	}
	near(t, "rate", r.rate(9, 0), 0.3, 0.04)
	near(t, "rate at another hour", r.rate(15, 0), 0.3, 0.04)
	if r.rate(9, 50) <= r.rate(9, 0) {
		t.Fatal("answered calls in progress must raise the rate")
	}
	// Recent data wins: the rate drifts down.
	for range 3000 {
		r.add(10, rng.Float64() < 0.1)
	}
	if got := r.rate(10, 0); got > 0.16 {
		t.Fatalf("rate after the drift %.3f", got)
	}
}

func TestAddBernoulliAndNormal(t *testing.T) {
	pmf := []float64{1}
	for _, q := range []float64{0.5, 0.5, 0.2} {
		pmf = addBernoulli(pmf, q)
	}
	want := []float64{0.2, 0.5, 0.3 + 0 /*see below*/, 0.05}
	// P(0) = .5·.5·.8 = .2; P(3) = .5·.5·.2 = .05; P(1) = 2·.25·.8 + .25·.2 = .45; P(2) = .25·.8 + 2·.25·.2 = .3
	want[1] = 0.45
	for i := range want {
		near(t, "pmf", pmf[i], want[i], 1e-12)
	}
	near(t, "normal 0", normalLE(0, 1), 0.5, 1e-12)
	near(t, "normal 1.96", normalLE(1.96, 1), 0.975, 1e-3)
	if normalLE(0.1, 0) != 1 || normalLE(-0.1, 0) != 0 {
		t.Fatal("step")
	}
}

func TestDistsForgetSlowly(t *testing.T) {
	d := newDurDist(2, 1800, 180, 30)
	for range 3 * maxSamples {
		d.add(100)
	}
	for range maxSamples {
		d.add(300)
	}
	d.rebuild(nil)
	if d.n > maxSamples || d.cdfAt(200) > 0.5 {
		t.Fatalf("n %v, F(200) %.3f: the recent 300 s calls should dominate", d.n, d.cdfAt(200))
	}
	r := newResolveDist(0.5, 600, 10, 15, 20)
	for range 2 * maxSamples {
		r.add(5, true)
	}
	r.rebuild(nil, []float64{7, 8})
	if r.nL > maxSamples || r.nL < 0 {
		t.Fatalf("nL %v", r.nL)
	}
	for _, c := range r.live {
		if c < 0 {
			t.Fatal("negative count")
		}
	}
}
