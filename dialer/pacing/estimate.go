package pacing

import (
	"math"
	"sort"
)

// durDist is a distribution of durations (in seconds) learned online: a
// histogram on a fixed grid, blended with an exponential of the observed
// mean while it holds few samples (weight n0 samples), with an exponential
// tail past the grid. The blended CDF is rebuilt from the histogram on
// demand (rebuild), so lookups are table interpolations.
type durDist struct {
	step   float64   // seconds per bin
	counts []float64 // samples per bin; the last bin holds those past the grid
	n      float64   // samples
	sum    float64   // sum of the samples (seconds)
	n0     float64   // prior weight, in samples
	prior  float64   // prior mean (seconds) before any sample
	mean   float64   // mean used by the exponential part and the tail
	cdf    []float64 // F at bin edges: cdf[i] = F(i·step), len(counts)
	fresh  int       // samples since the last rebuild
	built  bool
}

func newDurDist(step float64, bins int, priorMean, n0 float64) *durDist {
	d := &durDist{step: step, counts: make([]float64, bins+1), n0: n0, prior: priorMean,
		cdf: make([]float64, bins+1)}
	d.rebuild(0)
	return d
}

// add counts one sample.
func (d *durDist) add(x float64) {
	if x < 0 || math.IsNaN(x) {
		x = 0
	}
	i := int(x / d.step)
	if i >= len(d.counts)-1 {
		i = len(d.counts) - 1
	}
	d.counts[i]++
	d.n++
	d.sum += x
	d.fresh++
}

// rebuild recomputes the blended CDF. exposure is time (seconds) that
// samples still in progress have already lasted: it enters the mean as
// censored observations (total time on test ÷ completed samples).
func (d *durDist) rebuild(exposure float64) {
	d.mean = d.prior
	if d.n > 0 {
		d.mean = (d.sum + exposure) / d.n
	} else if exposure > 0 && exposure > d.prior {
		d.mean = exposure
	}
	d.mean = max(d.mean, d.step)
	w := d.n / (d.n + d.n0)
	bins := len(d.counts) - 1
	acc := 0.0
	for i := 0; i <= bins; i++ {
		emp := 0.0
		if d.n > 0 {
			emp = acc / d.n
		}
		x := float64(i) * d.step
		d.cdf[i] = w*emp + (1-w)*(-math.Expm1(-x/d.mean))
		if i < bins {
			acc += d.counts[i]
		}
	}
	for i := 1; i <= bins; i++ { // numerical safety
		if d.cdf[i] < d.cdf[i-1] {
			d.cdf[i] = d.cdf[i-1]
		}
	}
	d.fresh = 0
	d.built = true
}

// cdfAt is F(x).
func (d *durDist) cdfAt(x float64) float64 {
	if x <= 0 {
		return 0
	}
	f := x / d.step
	i := int(f)
	bins := len(d.cdf) - 1
	if i >= bins {
		// Exponential tail past the grid.
		s := 1 - d.cdf[bins]
		return 1 - s*math.Exp(-(x-float64(bins)*d.step)/d.mean)
	}
	lo := d.cdf[i]
	return lo + (d.cdf[i+1]-lo)*(f-float64(i))
}

// surv is 1 − F(x).
func (d *durDist) surv(x float64) float64 { return 1 - d.cdfAt(x) }

// quantile is the smallest x with F(x) ≥ u (interpolated), u in (0, 1).
func (d *durDist) quantile(u float64) float64 {
	bins := len(d.cdf) - 1
	if u >= d.cdf[bins] {
		s := 1 - d.cdf[bins]
		if s <= 0 {
			return float64(bins) * d.step
		}
		return float64(bins)*d.step + d.mean*math.Log(s/(1-u))
	}
	i := sort.SearchFloat64s(d.cdf, u) // first edge with F ≥ u
	if i == 0 {
		return 0
	}
	lo, hi := d.cdf[i-1], d.cdf[i]
	frac := 0.0
	if hi > lo {
		frac = (u - lo) / (hi - lo)
	}
	return (float64(i-1) + frac) * d.step
}

// condDone is the probability that something that has lasted e seconds
// ends within the next h seconds.
func (d *durDist) condDone(e, h float64) float64 {
	if h <= 0 {
		return 0
	}
	se := d.surv(e)
	if se <= 1e-9 {
		// Past everything seen: memoryless with the mean.
		return -math.Expm1(-h / d.mean)
	}
	p := 1 - d.surv(e+h)/se
	return min(max(p, 0), 1)
}

// rateEst estimates a probability (the answer rate) from recent outcomes,
// exponentially weighted by count, with a per-hour-of-day history as the
// prior when recent data is thin.
type rateEst struct {
	decay  float64 // per observation
	hits   float64 // weighted
	total  float64 // weighted
	byHour [24]struct{ hits, total float64 }
	n0     float64 // prior weight of the hour's history
}

func newRateEst(halfLife float64) *rateEst {
	return &rateEst{decay: math.Exp2(-1 / halfLife), n0: 30}
}

func (r *rateEst) add(hour int, hit bool) {
	r.hits *= r.decay
	r.total *= r.decay
	r.total++
	h := &r.byHour[hour%24]
	h.total++
	if hit {
		r.hits++
		h.hits++
	}
}

// count is the weighted number of recent observations.
func (r *rateEst) count() float64 { return r.total }

// rate is the estimate for the given hour of day (0 when nothing is known).
func (r *rateEst) rate(hour int) float64 {
	h := r.byHour[hour%24]
	var prior float64
	switch {
	case h.total >= r.n0:
		prior = h.hits / h.total
	case r.total > 0:
		prior = r.hits / r.total
	default:
		return 0
	}
	return (r.hits + r.n0*prior) / (r.total + r.n0)
}
