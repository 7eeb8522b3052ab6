package pacing

import (
	"fmt"
	"math"
	"time"
)

// Predictive tuning. The controller constants were chosen with the
// discrete-event simulation (package sim); see docs/BENCHMARKS.md.
const (
	// predMinDials and predMinTalks: until the campaign has this many
	// resolved dials and finished conversations, dial progressively.
	predMinDials = 40
	predMinTalks = 8
	// predRebuildEvery: the learned distributions are refreshed at most
	// this often.
	predRebuildEvery = 5 * time.Second
	// predExactMax: with up to this many uncertain agents and calls, the
	// distribution of free agents is computed exactly (Poisson-binomial);
	// above it a normal approximation is used.
	predExactMax = 48
	// predAimShare: the controller aims at this share of the abandon
	// target, a margin for the noise of the last hours of the window.
	predAimShare = 0.88
	// predThetaBase, predGain, predSurplusMin/Max: the threshold on a new
	// call's chance of finding no agent is
	// predThetaBase·target·exp(predGain·surplus), where surplus is the
	// number of abandons the window can still take at the aim (clamped).
	predThetaBase  = 1.0
	predGain       = 0.15
	predSurplusMin = -12.0
	predSurplusMax = 6.0
	// predMaxPerAgent caps the calls in progress per working agent.
	predMaxPerAgent = 8
	// predEvalEvery: the model is evaluated at most this often; in between
	// (and always) the pacer places at least what Progressive would.
	predEvalEvery = 200 * time.Millisecond
)

// Tuning is a temporary experiment hook (to be removed).
var Tuning = struct {
	AimShare, ThetaBase, Gain, SurplusMin, SurplusMax float64
	NoBackoff                                         bool
	Variant                                           int
}{predAimShare, predThetaBase, predGain, predSurplusMin, predSurplusMax, false, 0}

// predQuantiles are the answer-delay quantiles a new call is evaluated at
// (equal weights).
var predQuantiles = [...]float64{1.0 / 6, 3.0 / 6, 5.0 / 6}

// Predictive is duecall's predictive pacer. It learns online, from every
// finished attempt, the campaign's answer probability (recent, with an
// hour-of-day history), how long answered calls ring before the answer,
// how long unanswered ones take to fail, and how long conversations last.
// At each decision it looks at every busy agent (how long they have talked
// or wrapped up: one 170 s into a typical 180 s call is about to be free)
// and every call on the way (how long it has rung: one still ringing at
// 19 s of a 20 s timeout will likely not be answered), and computes, for a
// new call answered after a typical delay, the chance that no agent is free
// within the abandon delay. It places calls while that chance stays under a
// threshold; a controller moves the threshold to hold the abandon rate of
// the rolling window at the target (Config.MaxAbandonRate) with a margin,
// and the pacer backs off to progressive while the window's rate is at the
// limit. It never places fewer calls than Progressive would.
type Predictive struct {
	target float64
	answer *rateEst
	ring   *durDist // placement → answer (answered calls)
	fail   *durDist // placement → end (unanswered calls)
	talk   *durDist // bridged → end

	resolved, talks   int64
	lastBuild         time.Time
	lastEval          time.Time
	dbgEvals, dbgBack int
	dbgFirst, dbgLast time.Time

	// Scratch, reused between decisions.
	busy, busyS  []float64 // agents on call: elapsed talk, survival at it
	wrapLeft     []float64 // agents in wrap-up: seconds left
	pendAge      []float64 // calls not answered yet: age
	pendF, pendD []float64 // ring CDF at the age, and P(still pending)
	pmfA, pmfB   []float64
	cdfs         [len(predQuantiles)][]float64

	report Report
}

var (
	_ Recorder = (*Predictive)(nil)
	_ Reporter = (*Predictive)(nil)
)

// NewPredictive returns a Predictive for cfg (its MaxAbandonRate; the
// window is the dialer's, given in State.Stats.Window). cfg is not
// validated: use New for that.
func NewPredictive(cfg Config) *Predictive {
	cfg = cfg.WithDefaults()
	return &Predictive{
		target: cfg.MaxAbandonRate,
		answer: newRateEst(400),
		ring:   newDurDist(0.5, 600, 10, 20),
		fail:   newDurDist(0.5, 600, 15, 20),
		talk:   newDurDist(2, 1800, 180, 30),
		report: Report{Mode: ModePredictive, DialLevel: 1, Note: "warming up"},
	}
}

// Record implements Recorder.
func (p *Predictive) Record(r Result) {
	if r.Failed() {
		return
	}
	p.resolved++
	p.answer.add(r.PlacedAt.Hour(), r.Answered())
	if r.Answered() {
		if !r.AnsweredAt.IsZero() {
			p.ring.add(r.AnsweredAt.Sub(r.PlacedAt).Seconds())
		}
	} else {
		p.fail.add(r.EndedAt.Sub(r.PlacedAt).Seconds())
	}
	if r.Bridged() {
		p.talks++
		p.talk.add(r.EndedAt.Sub(r.BridgedAt).Seconds())
	}
}

// Report implements Reporter.
func (p *Predictive) Report() Report { return p.report }

// Lines implements Pacer.
func (p *Predictive) Lines(st State) int {
	now := st.Now
	ready, waiting, busy, wrapping, pending := 0, 0, 0, 0, 0
	for i := range st.Agents {
		switch st.Agents[i].State {
		case AgentReady:
			ready++
		case AgentOnCall:
			busy++
		case AgentWrapUp:
			wrapping++
		}
	}
	for i := range st.Calls {
		switch st.Calls[i].Phase {
		case CallClaiming, CallDialing, CallRinging:
			pending++
		case CallWaiting:
			waiting++
		}
	}
	free := st.FreeLines()
	base := max(min(ready-pending-waiting, free), 0) // progressive
	working := ready + busy + wrapping
	if working == 0 || (!p.lastEval.IsZero() && now.Sub(p.lastEval) < predEvalEvery) {
		return base
	}
	p.lastEval = now
	nowNs := now.UnixNano()
	secs := func(t time.Time) float64 { return max(float64(nowNs-t.UnixNano())/1e9, 0) }
	wrap := st.WrapUp.Seconds()
	p.busy, p.wrapLeft, p.pendAge = p.busy[:0], p.wrapLeft[:0], p.pendAge[:0]
	exposure := 0.0
	for i := range st.Agents {
		a := &st.Agents[i]
		switch a.State {
		case AgentOnCall:
			e := secs(a.Since)
			p.busy = append(p.busy, e)
			exposure += e
		case AgentWrapUp:
			p.wrapLeft = append(p.wrapLeft, max(wrap-secs(a.Since), 0))
		}
	}
	for i := range st.Calls {
		switch c := &st.Calls[i]; c.Phase {
		case CallClaiming, CallDialing, CallRinging:
			p.pendAge = append(p.pendAge, secs(c.PlacedAt))
		}
	}
	p.rebuild(now, exposure)
	level := func(n int) float64 { return float64(len(st.Calls)+n) / float64(working) }
	if p.resolved < predMinDials || p.talks < predMinTalks {
		p.report = Report{Mode: ModePredictive, DialLevel: level(base),
			Note: fmt.Sprintf("warming up: progressive until %d dials and %d conversations", predMinDials, predMinTalks)}
		return base
	}
	w := st.Stats.Window
	p.dbgEvals++
	if !Tuning.NoBackoff && p.nearLimit(w) {
		p.dbgBack++
		if p.dbgFirst.IsZero() {
			p.dbgFirst = now
		}
		p.dbgLast = now
		p.report = Report{Mode: ModePredictive, DialLevel: level(base),
			Note: fmt.Sprintf("backed off to progressive: %d abandoned of %d answered in the window, limit %.1f%%",
				w.Abandoned, w.Answered, p.target*100)}
		return base
	}
	pAns := p.answer.rate(now.Hour())
	if pAns <= 0 {
		p.report = Report{Mode: ModePredictive, DialLevel: level(base), Note: "no answers yet: progressive"}
		return base
	}
	theta := p.threshold(w)
	limit := min(free, predMaxPerAgent*working-len(st.Calls))
	n := base
	if n < limit {
		n = p.search(base, limit, theta, pAns, ready, waiting, wrap, st.AbandonAfter.Seconds())
	}
	p.report = Report{Mode: ModePredictive, DialLevel: level(n), Note: fmt.Sprintf("dbg back %d/%d first %s last %s theta %.4f", p.dbgBack, p.dbgEvals, p.dbgFirst.Format("15:04"), p.dbgLast.Format("15:04"), theta)}
	return n
}

func (p *Predictive) nearLimit(w WindowCounts) bool {
	switch Tuning.Variant {
	case 1:
		return w.Answered >= 50 && float64(w.Abandoned) >= 0.95*p.target*float64(w.Answered)
	case 2:
		return w.Answered >= 50 && float64(w.Abandoned) >= p.target*float64(w.Answered)
	case 3:
		return float64(w.Abandoned)+1 > p.target*float64(w.Answered) && w.Answered >= 100
	case 4:
		return w.Abandoned > 0 && float64(w.Abandoned) >= p.target*float64(w.Answered)
	}
	return float64(w.Abandoned)+1 > p.target*float64(w.Answered)
}

// threshold is the controller: the highest chance of finding no agent a new
// call may have.
func (p *Predictive) threshold(w WindowCounts) float64 {
	if Tuning.Variant == 4 {
		slack := p.target*float64(w.Answered) - float64(w.Abandoned) - Tuning.AimShare
		x := min(max(Tuning.Gain*slack, Tuning.SurplusMin), Tuning.SurplusMax)
		return Tuning.ThetaBase * p.target * math.Exp(x)
	}
	surplus := Tuning.AimShare*p.target*float64(w.Answered) - float64(w.Abandoned)
	surplus = min(max(surplus, Tuning.SurplusMin), Tuning.SurplusMax)
	return Tuning.ThetaBase * p.target * math.Exp(Tuning.Gain*surplus)
}

// rebuild refreshes the learned distributions when due.
func (p *Predictive) rebuild(now time.Time, talkExposure float64) {
	if !p.lastBuild.IsZero() && now.Sub(p.lastBuild) < predRebuildEvery {
		return
	}
	p.lastBuild = now
	if p.ring.fresh > 0 {
		p.ring.rebuild(0)
	}
	if p.fail.fresh > 0 {
		p.fail.rebuild(0)
	}
	if p.talk.fresh > 0 || p.talks < predMinTalks {
		p.talk.rebuild(talkExposure)
	}
}

// search returns the number of calls to place, from base (placed whatever
// the model says) up to limit: the largest n whose calls each have a chance
// of finding no agent of at most theta.
func (p *Predictive) search(base, limit int, theta, pAns float64, ready, waiting int, wrap, patience float64) int {
	// Per-agent and per-call terms that do not depend on the horizon.
	p.busyS = p.busyS[:0]
	for _, e := range p.busy {
		p.busyS = append(p.busyS, p.talk.surv(e))
	}
	p.pendF, p.pendD = p.pendF[:0], p.pendD[:0]
	for _, a := range p.pendAge {
		f := p.ring.cdfAt(a)
		p.pendF = append(p.pendF, f)
		p.pendD = append(p.pendD, pAns*(1-f)+(1-pAns)*p.fail.surv(a))
	}
	exact := len(p.busy)+len(p.pendAge) <= predExactMax
	type horizon struct {
		u, mean, v float64 // normal: mean and variance of free agents − demand
		cdf        []float64
		off        int // exact: cdf[i] = P(Y ≤ i − off)
	}
	var hs [len(predQuantiles)]horizon
	for m, u := range predQuantiles {
		r := p.ring.quantile(u)
		tau := r + patience
		h := &hs[m]
		h.u = u
		fixed := float64(ready - waiting)
		for _, left := range p.wrapLeft {
			if left <= tau {
				fixed++
			}
		}
		if exact {
			p.pmfA = p.pmfA[:0]
			p.pmfA = append(p.pmfA, 1)
			for i, e := range p.busy {
				p.pmfA = addBernoulli(p.pmfA, p.freeProb(e, p.busyS[i], tau-wrap))
			}
			p.pmfB = p.pmfB[:0]
			p.pmfB = append(p.pmfB, 1)
			for i, a := range p.pendAge {
				p.pmfB = addBernoulli(p.pmfB, p.answerProb(a, i, r, pAns))
			}
			// Y = fixed + A − B: cdf over i − off for i in [0, len).
			nA, nB := len(p.pmfA)-1, len(p.pmfB)-1
			cdf := p.cdfs[m][:0]
			for y := -nB; y <= nA; y++ {
				s := 0.0
				for a := max(0, y); a <= nA && a-y <= nB; a++ {
					s += p.pmfA[a] * p.pmfB[a-y]
				}
				cdf = append(cdf, s)
			}
			for i := 1; i < len(cdf); i++ {
				cdf[i] += cdf[i-1]
			}
			p.cdfs[m] = cdf
			h.cdf = cdf
			// P(fixed + (A − B) ≤ x) = cdf[x − fixed + nB].
			h.off = nB - int(fixed)
			continue
		}
		mean, v := fixed, 0.0
		for i, e := range p.busy {
			q := p.freeProb(e, p.busyS[i], tau-wrap)
			mean += q
			v += q * (1 - q)
		}
		for i, a := range p.pendAge {
			q := p.answerProb(a, i, r, pAns)
			mean -= q
			v += q * (1 - q)
		}
		h.mean, h.v = mean, v
	}
	// chance is the probability that one of k new calls finds no agent.
	chance := func(k int) float64 {
		total := 0.0
		for m := range hs {
			h := &hs[m]
			q := pAns * h.u // another new call answered before this one
			if !exact {
				mu := h.mean - float64(k-1)*q
				v := h.v + float64(k-1)*q*(1-q)
				total += normalLE(0.5-mu, v)
				continue
			}
			// Σ_o P(O = o) · P(X ≤ o), O ~ Binomial(k−1, q).
			bin := math.Pow(1-q, float64(k-1))
			s := 0.0
			for o := 0; o <= k-1; o++ {
				if o > 0 {
					bin *= float64(k-o) / float64(o) * q / (1 - q)
				}
				i := o + h.off
				switch {
				case i < 0:
				case i >= len(h.cdf):
					s += bin
				default:
					s += bin * h.cdf[i]
				}
			}
			total += s
		}
		return total / float64(len(hs))
	}
	n := base
	for n < limit && chance(n+1) <= theta {
		n++
	}
	return n
}

// freeProb is the chance that an agent who has talked e seconds (talk
// survival se at e) is free within h seconds of talk time.
func (p *Predictive) freeProb(e, se, h float64) float64 {
	if h <= 0 {
		return 0
	}
	if se <= 1e-9 {
		return -math.Expm1(-h / p.talk.mean)
	}
	q := 1 - p.talk.surv(e+h)/se
	return min(max(q, 0), 1)
}

// answerProb is the chance that the i-th pending call (age a) is answered
// within the next r seconds.
func (p *Predictive) answerProb(a float64, i int, r, pAns float64) float64 {
	den := p.pendD[i]
	if den <= 1e-12 {
		return 0
	}
	q := pAns * (p.ring.cdfAt(a+r) - p.pendF[i]) / den
	return min(max(q, 0), 1)
}

// addBernoulli convolves a PMF with a Bernoulli(q).
func addBernoulli(pmf []float64, q float64) []float64 {
	pmf = append(pmf, 0)
	for j := len(pmf) - 1; j >= 1; j-- {
		pmf[j] = pmf[j]*(1-q) + pmf[j-1]*q
	}
	pmf[0] *= 1 - q
	return pmf
}

// normalLE is P(Z ≤ x) for Z normal with mean 0 and variance v (a step
// when v is 0).
func normalLE(x, v float64) float64 {
	if v <= 1e-12 {
		if x >= 0 {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc(-x/math.Sqrt(2*v))
}
