package pacing

import (
	"math"
	"sort"
)

// durDist is a distribution of durations (in seconds) learned online: a
// histogram on a fixed grid, read as a Kaplan–Meier estimate together with
// the durations still in progress (censored: a conversation 200 s old will
// last at least 200 s, so early in the day the short calls that already
// ended do not make calls look short), blended with an exponential of the
// observed mean while it holds few samples (weight n0 samples), with an
// exponential tail past the grid. The blended CDF is rebuilt on demand
// (rebuild), so lookups are table interpolations.
type durDist struct {
	step    float64   // seconds per bin
	counts  []float64 // samples per bin; the last bin holds those past the grid
	n       float64   // samples
	sum     float64   // sum of the samples (seconds)
	n0      float64   // prior weight, in samples
	prior   float64   // prior mean (seconds) before any sample
	mean    float64   // mean used by the exponential part and the tail
	cdf     []float64 // F at bin edges: cdf[i] = F(i·step), len(counts)
	cens    []float64 // scratch: censored durations per bin
	expF    []float64 // exponential CDF at the bin edges for expMean
	expMean float64
}

func newDurDist(step float64, bins int, priorMean, n0 float64) *durDist {
	d := &durDist{step: step, counts: make([]float64, bins+1), n0: n0, prior: priorMean,
		cdf: make([]float64, bins+1), cens: make([]float64, bins+1), expF: make([]float64, bins+1)}
	d.rebuild(nil)
	return d
}

// maxSamples bounds the weight of history: past it, the counts are scaled
// down so that old samples fade (the distributions follow a campaign that
// changes over weeks, and memory stays fixed).
const maxSamples = 20000

// add counts one sample.
func (d *durDist) add(x float64) {
	if x < 0 || math.IsNaN(x) {
		x = 0
	}
	if d.n >= maxSamples {
		for i := range d.counts {
			d.counts[i] *= 0.75
		}
		d.n *= 0.75
		d.sum *= 0.75
	}
	i := int(x / d.step)
	if i >= len(d.counts)-1 {
		i = len(d.counts) - 1
	}
	d.counts[i]++
	d.n++
	d.sum += x
}

// rebuild recomputes the blended CDF; censored are the durations of the
// samples still in progress (seconds so far).
func (d *durDist) rebuild(censored []float64) {
	bins := len(d.counts) - 1
	exposure := 0.0
	for i := range d.cens {
		d.cens[i] = 0
	}
	for _, x := range censored {
		exposure += x
		i := min(int(max(x, 0)/d.step), bins)
		d.cens[i]++
	}
	// The mean with censoring: total time observed ÷ completed samples
	// (with none completed, at least the prior and the mean time so far).
	d.mean = d.prior
	if d.n > 0 {
		d.mean = (d.sum + exposure) / d.n
	} else if len(censored) > 0 {
		d.mean = max(d.prior, exposure/float64(len(censored)))
	}
	d.mean = max(d.mean, d.step)
	w := d.n / (d.n + d.n0)
	expCDF(d.expF, &d.expMean, d.mean, d.step)
	// Kaplan–Meier: at risk at bin i = everything that lasted at least to
	// the bin's start.
	atRisk := d.n + float64(len(censored))
	surv := 1.0
	for i := 0; i <= bins; i++ {
		d.cdf[i] = w*(1-surv) + (1-w)*d.expF[i]
		if i < bins {
			if atRisk > 0 {
				surv *= 1 - d.counts[i]/atRisk
			}
			atRisk -= d.counts[i] + d.cens[i]
		}
	}
	for i := 1; i <= bins; i++ { // numerical safety
		if d.cdf[i] < d.cdf[i-1] {
			d.cdf[i] = d.cdf[i-1]
		}
	}
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

// condDone is the probability that something that has lasted e seconds
// ends within the next h seconds.
func (d *durDist) condDone(e, h float64) float64 { return d.condDoneFrom(e, d.surv(e), h) }

// condDoneFrom is condDone with the survival at e already known (se).
func (d *durDist) condDoneFrom(e, se, h float64) float64 {
	if h <= 0 {
		return 0
	}
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

// rate is the estimate for the given hour of day (0 when nothing is
// known); extra hits not recorded yet (calls answered and still going on)
// count as recent observations.
func (r *rateEst) rate(hour int, extra float64) float64 {
	h := r.byHour[hour%24]
	hits, total := r.hits+extra, r.total+extra
	var prior float64
	switch {
	case h.total >= r.n0:
		prior = (h.hits + extra) / (h.total + extra)
	case total > 0:
		prior = hits / total
	default:
		return 0
	}
	return (hits + r.n0*prior) / (total + r.n0)
}

// resolveDist learns how long dials take to resolve, by outcome: answered
// (after the answer delay) or not (busy, invalid, no answer). The calls
// still ringing are censored observations shared by both causes (an
// Aalen–Johansen estimate), so early in the day, when only the quick
// outcomes are known, the slow ones are not forgotten. Each conditional
// distribution is blended with an exponential of its mean while it holds
// few samples.
type resolveDist struct {
	step         float64
	live, other  []float64 // events per bin; the last bin holds those past the grid
	nL, nO       float64
	sumL, sumO   float64
	n0           float64
	priorL       float64
	priorO       float64
	meanL, meanO float64
	fl, fo       []float64 // conditional CDFs at bin edges
	cens         []float64 // scratch
	expL, expO   []float64 // exponential CDFs at the bin edges
	expML, expMO float64
}

func newResolveDist(step float64, bins int, priorLive, priorOther, n0 float64) *resolveDist {
	d := &resolveDist{step: step, live: make([]float64, bins+1), other: make([]float64, bins+1),
		n0: n0, priorL: priorLive, priorO: priorOther,
		fl: make([]float64, bins+1), fo: make([]float64, bins+1), cens: make([]float64, bins+1),
		expL: make([]float64, bins+1), expO: make([]float64, bins+1)}
	d.rebuild(nil, nil)
	return d
}

func (d *resolveDist) add(x float64, answered bool) {
	if x < 0 || math.IsNaN(x) {
		x = 0
	}
	if d.nL+d.nO >= maxSamples {
		for i := range d.live {
			d.live[i] *= 0.75
			d.other[i] *= 0.75
		}
		d.nL, d.nO, d.sumL, d.sumO = d.nL*0.75, d.nO*0.75, d.sumL*0.75, d.sumO*0.75
	}
	i := min(int(x/d.step), len(d.live)-1)
	if answered {
		d.live[i]++
		d.nL++
		d.sumL += x
	} else {
		d.other[i]++
		d.nO++
		d.sumO += x
	}
}

// rebuild recomputes the CDFs; ringing are the ages of the calls still
// unresolved, answered the answer delays of calls answered but not
// recorded yet (they are still going on).
func (d *resolveDist) rebuild(ringing, answered []float64) {
	bins := len(d.live) - 1
	for i := range d.cens {
		d.cens[i] = 0
	}
	for _, x := range ringing {
		d.cens[min(int(max(x, 0)/d.step), bins)]++
	}
	// The answered calls still going on count as answers for this
	// rebuild only.
	temp := func(sign float64) {
		for _, x := range answered {
			x = max(x, 0)
			d.live[min(int(x/d.step), bins)] += sign
			d.nL += sign
			d.sumL += sign * x
		}
	}
	temp(1)
	defer temp(-1)
	d.meanL, d.meanO = d.priorL, d.priorO
	if d.nL > 0 {
		d.meanL = max(d.sumL/d.nL, d.step)
	}
	if d.nO > 0 {
		d.meanO = max(d.sumO/d.nO, d.step)
	}
	// Cumulative incidence of each cause at the bin edges (stored in fl, fo
	// first, normalised below).
	atRisk := d.nL + d.nO + float64(len(ringing))
	surv, cl, co := 1.0, 0.0, 0.0
	for i := 0; i <= bins; i++ {
		d.fl[i], d.fo[i] = cl, co
		if atRisk <= 0 {
			continue
		}
		hl, ho := d.live[i]/atRisk, d.other[i]/atRisk
		if i == bins { // past the grid: everything left
			cl += surv * hl
			co += surv * ho
			break
		}
		cl += surv * hl
		co += surv * ho
		surv *= 1 - hl - ho
		atRisk -= d.live[i] + d.other[i] + d.cens[i]
	}
	expCDF(d.expL, &d.expML, d.meanL, d.step)
	expCDF(d.expO, &d.expMO, d.meanO, d.step)
	blend := func(f []float64, total, n float64, exp []float64) {
		w := 0.0
		if total > 0 {
			w = n / (n + d.n0)
		}
		for i := range f {
			emp := 0.0
			if total > 0 {
				emp = f[i] / total
			}
			f[i] = w*emp + (1-w)*exp[i]
			if i > 0 && f[i] < f[i-1] {
				f[i] = f[i-1]
			}
		}
	}
	blend(d.fl, cl, d.nL, d.expL)
	blend(d.fo, co, d.nO, d.expO)
}

// cdf interpolates a CDF table, with an exponential tail past the grid.
func (d *resolveDist) cdf(f []float64, mean, x float64) float64 {
	if x <= 0 {
		return 0
	}
	g := x / d.step
	i := int(g)
	bins := len(f) - 1
	if i >= bins {
		return 1 - (1-f[bins])*math.Exp(-(x-float64(bins)*d.step)/mean)
	}
	return f[i] + (f[i+1]-f[i])*(g-float64(i))
}

// liveCDF is P(answer delay ≤ x | answered).
func (d *resolveDist) liveCDF(x float64) float64 { return d.cdf(d.fl, d.meanL, x) }

// otherSurv is P(resolution delay > x | not answered).
func (d *resolveDist) otherSurv(x float64) float64 { return 1 - d.cdf(d.fo, d.meanO, x) }

// liveQuantile is the u-quantile of the answer delay.
func (d *resolveDist) liveQuantile(u float64) float64 {
	f := d.fl
	bins := len(f) - 1
	if u >= f[bins] {
		s := 1 - f[bins]
		if s <= 0 {
			return float64(bins) * d.step
		}
		return float64(bins)*d.step + d.meanL*math.Log(s/(1-u))
	}
	i := sort.SearchFloat64s(f, u)
	if i == 0 {
		return 0
	}
	lo, hi := f[i-1], f[i]
	frac := 0.0
	if hi > lo {
		frac = (u - lo) / (hi - lo)
	}
	return (float64(i-1) + frac) * d.step
}

// expCDF fills f with the exponential CDF of the given mean at multiples of
// step, unless it already holds it for a mean within 0.5 %.
func expCDF(f []float64, cached *float64, mean, step float64) {
	if *cached > 0 && math.Abs(mean-*cached) <= 0.005*mean {
		return
	}
	*cached = mean
	r := math.Exp(-step / mean)
	s := 1.0
	for i := range f {
		f[i] = 1 - s
		s *= r
	}
}
