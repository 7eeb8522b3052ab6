package pacing

import (
	"fmt"
	"math"
	"time"
)

// Predictive tuning. The values were chosen with the discrete-event
// simulation of package sim (see docs/BENCHMARKS.md); the controller's
// margins hold the whole-day abandon rate at or under the target in every
// scenario and seed there.
const (
	// predMinDials and predMinTalks: until the campaign has this many
	// resolved dials (answered ones included) and finished conversations,
	// dial progressively.
	predMinDials = 40
	predMinTalks = 10
	// predEvalEvery: the model is evaluated at most this often; in between
	// (and always) the pacer places at least what Progressive would. The
	// dialer asks at least every poll interval (250 ms by default).
	predEvalEvery = 200 * time.Millisecond
	// predRebuildEvery: the learned distributions are refreshed at most
	// this often.
	predRebuildEvery = 5 * time.Second
	// predExactMax: with up to this many busy agents and ringing calls the
	// distribution of free agents is computed exactly (Poisson-binomial);
	// above it a normal approximation is used.
	predExactMax = 48
	// predMaxPerAgent caps the calls in progress per working agent.
	predMaxPerAgent = 4

	// The controller. A new call may be placed while its chance of finding
	// no agent is at most
	//
	//	predThetaBase · target · exp(predGain·surplus + predHourGain·min(0, hourSlack))
	//
	// where surplus = predAim·target·answered − abandoned over the window
	// (clamped to [predSurplusMin, predSurplusMax]): the abandons the
	// window can still take at the aim, an integral controller that holds
	// the window's rate at the aim; and hourSlack = target·answered −
	// abandoned over the last hour, which damps bursts.
	predAim        = 0.85
	predThetaBase  = 0.6
	predGain       = 0.2
	predHourGain   = 0.5
	predSurplusMin = -12.0
	predSurplusMax = 12.0

	// Back-off: when the window's abandon rate reaches predNearShare of the
	// target, the pacer dials progressively until it is below again. It
	// applies once the window holds predNearAbandons/target answered calls
	// (200 at 3 %): before that one abandon moves the rate by half a point
	// or more, and the controller alone holds the budget.
	predNearShare    = 0.95
	predNearAbandons = 6.0

	// Hour guard: the pacer also keeps every hour's abandon rate under
	// predHourCap (reported as the worst 1-hour window; regulators and
	// supervisors look at hours too, and on a small team three abandons in
	// an hour are already 5 %). While one more abandon would take the last
	// hour to predHourCap of its answered calls (projected to a full hour
	// early in the run), it dials progressively.
	predHourCap = 0.045
)

// predQuantiles are the answer-delay quantiles a new call is evaluated at
// (equal weights).
var predQuantiles = [...]float64{1.0 / 6, 3.0 / 6, 5.0 / 6}

// Predictive is duecall's predictive pacer. It learns online, from every
// finished attempt and from the calls in progress, the campaign's answer
// probability (recent, with an hour-of-day history), how long answered
// calls ring before the answer and unanswered ones before they fail (with
// the calls still ringing as censored observations), and how long
// conversations last (with the conversations in progress as censored
// observations). At each decision it looks at every agent (how long a busy
// one has talked: one 170 s into a typical 180 s call is about to be free;
// how much wrap-up is left) and every call on the way (how long it has
// rung: one still ringing at 19 s of a 20 s timeout will likely not be
// answered), and computes, for a new call answered after a typical delay,
// the chance that no agent is free for it within the abandon delay, given
// the calls that will be answered before it. It places calls while that
// chance stays under a threshold that an integral controller moves to hold
// the window's abandon rate (Config.MaxAbandonRate over
// Config.AbandonWindow, which the dialer counts) under the target with a
// margin, damped by the last hour's rate; it backs off to progressive while
// the window's rate is near the limit or one more abandon would take the
// last hour's over predHourCap, and never places fewer calls than
// Progressive would. Create it with New (ModePredictive).
type Predictive struct {
	target float64
	answer *rateEst
	res    *resolveDist // placement → answer, or → end of unanswered calls
	talk   *durDist     // bridged → end
	hour   *Window      // the last hour's answered and abandoned calls, by answer time
	first  time.Time    // answer time of the first call in hour (see hourNearLimit)

	resolved, talks int64
	lastBuild       time.Time
	lastEval        time.Time

	// Scratch, reused between decisions.
	busy, busyS  []float64 // agents on call: elapsed talk, survival at it
	wrapLeft     []float64 // agents in wrap-up: seconds left
	pendAge      []float64 // calls not answered yet: age
	ansDelay     []float64 // calls answered, not recorded yet: answer delay
	pendF, pendD []float64 // per pending call: answer-delay CDF at its age, P(still pending)
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
		res:    newResolveDist(0.5, 600, 10, 15, 20),
		talk:   newDurDist(2, 1800, 180, 30),
		hour:   NewWindow(time.Hour),
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
	switch {
	case r.Answered():
		// By answer time, as the hour's rate is judged.
		at := r.AnsweredAt
		if at.IsZero() {
			at = r.EndedAt
		}
		if p.hour.Counts(at).Answered == 0 {
			p.first = at // the first call of the run, or after an hour without any
		}
		p.hour.Add(at, r.Abandoned())
		if !r.AnsweredAt.IsZero() {
			p.res.add(r.AnsweredAt.Sub(r.PlacedAt).Seconds(), true)
		}
	default:
		p.res.add(r.EndedAt.Sub(r.PlacedAt).Seconds(), false)
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
	ready, busy, wrapping := st.AgentsIn(AgentReady), st.AgentsIn(AgentOnCall), st.AgentsIn(AgentWrapUp)
	waiting := st.CallsIn(CallWaiting)
	pending := st.Pending() - waiting
	free := st.FreeLines()
	base := max(min(ready-pending-waiting, free), 0) // progressive
	working := ready + busy + wrapping
	if working == 0 || (!p.lastEval.IsZero() && now.Sub(p.lastEval) < predEvalEvery && !now.Before(p.lastEval)) {
		return base
	}
	p.lastEval = now
	p.observe(st)
	p.rebuild(now)
	level := func(n int) float64 { return float64(len(st.Calls)+n) / float64(working) }
	if p.resolved+int64(len(p.ansDelay)) < predMinDials || p.talks < predMinTalks {
		p.report = Report{Mode: ModePredictive, DialLevel: level(base),
			Note: fmt.Sprintf("warming up: progressive until %d dials and %d conversations", predMinDials, predMinTalks)}
		return base
	}
	w := st.Stats.Window
	if p.nearLimit(w) {
		p.report = Report{Mode: ModePredictive, DialLevel: level(base),
			Note: fmt.Sprintf("backed off to progressive: %d abandoned of %d answered in the window (%.2f%%), limit %.2f%%",
				w.Abandoned, w.Answered, w.Rate()*100, p.target*100)}
		return base
	}
	h := p.hour.Counts(now)
	if p.hourNearLimit(h, now) {
		p.report = Report{Mode: ModePredictive, DialLevel: level(base),
			Note: fmt.Sprintf("backed off to progressive: %d abandoned of %d answered in the last hour, hour limit %.1f%%",
				h.Abandoned, h.Answered, predHourCap*100)}
		return base
	}
	pAns := p.answer.rate(now.Hour(), float64(len(p.ansDelay)))
	if pAns <= 0 {
		p.report = Report{Mode: ModePredictive, DialLevel: level(base), Note: "no answer yet: progressive"}
		return base
	}
	theta := p.threshold(w, h)
	limit := min(free, predMaxPerAgent*working-len(st.Calls))
	n := base
	if n < limit {
		n = p.search(base, limit, theta, pAns, ready, waiting, st.WrapUp.Seconds(), st.AbandonAfter.Seconds())
	}
	p.report = Report{Mode: ModePredictive, DialLevel: level(n)}
	return n
}

// observe collects the elapsed times the model needs from the state.
func (p *Predictive) observe(st State) {
	nowNs := st.Now.UnixNano()
	secs := func(t time.Time) float64 { return max(float64(nowNs-t.UnixNano())/1e9, 0) }
	wrap := st.WrapUp.Seconds()
	p.busy, p.wrapLeft, p.pendAge, p.ansDelay = p.busy[:0], p.wrapLeft[:0], p.pendAge[:0], p.ansDelay[:0]
	for i := range st.Agents {
		a := &st.Agents[i]
		switch a.State {
		case AgentOnCall:
			p.busy = append(p.busy, secs(a.Since))
		case AgentWrapUp:
			p.wrapLeft = append(p.wrapLeft, max(wrap-secs(a.Since), 0))
		}
	}
	for i := range st.Calls {
		switch c := &st.Calls[i]; c.Phase {
		case CallClaiming, CallDialing, CallRinging:
			p.pendAge = append(p.pendAge, secs(c.PlacedAt))
		default:
			if !c.AnsweredAt.IsZero() {
				p.ansDelay = append(p.ansDelay, max(c.AnsweredAt.Sub(c.PlacedAt).Seconds(), 0))
			}
		}
	}
}

// nearLimit reports whether the window's abandon rate is near the target.
func (p *Predictive) nearLimit(w WindowCounts) bool {
	return float64(w.Answered) >= predNearAbandons/p.target &&
		float64(w.Abandoned) >= predNearShare*p.target*float64(w.Answered)
}

// hourNearLimit reports whether one more abandoned call would take the
// last hour's abandon rate to predHourCap. When the calls in the window
// began less than an hour ago (at the start of the run, or after an hour
// without answered calls, such as a break), the answered count is projected
// to a full hour at the rate seen since (over at least 10 minutes), so that
// the first minutes are not held to the rate of a handful of calls; an
// empty window allows no risk until calls are answered again.
func (p *Predictive) hourNearLimit(h WindowCounts, now time.Time) bool {
	answered := float64(h.Answered)
	if span := now.Sub(p.first); !p.first.IsZero() && span > 0 && span < p.hour.Span() {
		answered *= float64(p.hour.Span()) / float64(max(span, p.hour.Span()/6))
	}
	return float64(h.Abandoned+1) >= predHourCap*(answered+1)
}

// threshold is the controller: the highest chance of finding no agent a new
// call may have.
func (p *Predictive) threshold(w, h WindowCounts) float64 {
	surplus := predAim*p.target*float64(w.Answered) - float64(w.Abandoned)
	x := predGain * min(max(surplus, predSurplusMin), predSurplusMax)
	if hs := p.target*float64(h.Answered) - float64(h.Abandoned); hs < 0 {
		x += predHourGain * max(hs, predSurplusMin)
	}
	return predThetaBase * p.target * math.Exp(x)
}

// rebuild refreshes the learned distributions when due.
func (p *Predictive) rebuild(now time.Time) {
	if !p.lastBuild.IsZero() && now.Sub(p.lastBuild) < predRebuildEvery && !now.Before(p.lastBuild) {
		return
	}
	p.lastBuild = now
	p.res.rebuild(p.pendAge, p.ansDelay)
	p.talk.rebuild(p.busy)
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
		f := p.res.liveCDF(a)
		p.pendF = append(p.pendF, f)
		p.pendD = append(p.pendD, pAns*(1-f)+(1-pAns)*p.res.otherSurv(a))
	}
	exact := len(p.busy)+len(p.pendAge) <= predExactMax
	type horizon struct {
		u, mean, v float64 // normal: mean and variance of free agents − demand
		cdf        []float64
		off        int // exact: cdf[i] = P(Y ≤ i − off)
	}
	var hs [len(predQuantiles)]horizon
	for m, u := range predQuantiles {
		r := p.res.liveQuantile(u)
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
func (p *Predictive) freeProb(e, se, h float64) float64 { return p.talk.condDoneFrom(e, se, h) }

// answerProb is the chance that the i-th pending call (age a) is answered
// within the next r seconds.
func (p *Predictive) answerProb(a float64, i int, r, pAns float64) float64 {
	den := p.pendD[i]
	if den <= 1e-12 {
		return 0
	}
	q := pAns * (p.res.liveCDF(a+r) - p.pendF[i]) / den
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
