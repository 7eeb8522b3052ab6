package dialer

import (
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer/pacing"
)

// campaignRT is a campaign's runtime state (loop-owned).
type campaignRT struct {
	cfg       Campaign
	tmpl      DialTemplate
	log       *zap.Logger
	claiming  int       // Claim requests in flight
	idleUntil time.Time // nothing due: no Claim before this
	// Results in this process.
	placed    int64
	completed int64
	answered  int64
	abandoned int64
	outcomes  map[campaign.Outcome]int64
	recent    []recentResult // ring of the last recentWindow attempts
	recentPos int
	recentSum recentSums // sums over recent
	// window counts answered and abandoned calls over Pacing.AbandonWindow.
	window *pacing.Window

	// The pacing snapshot, kept up to date as agents and calls change so
	// that a pacing decision costs no copy: stAgents[i] is agentsBy[i]
	// (logged-in agents), stCalls[i] is callsBy[i] (live calls).
	stAgents []pacing.Agent
	agentsBy []*agent
	stCalls  []pacing.Call
	callsBy  []*call
	counts   pacing.Counts // of stAgents and stCalls
	scratch  []pacing.Call // claims and calls, while claims are in flight
	scratchC pacing.Counts

	// The pacer and the optional interfaces it implements.
	dialEvery time.Duration // > 0: Lines only on the pacer's dial loop
	dialDue   bool          // the dial loop fired since the last Lines
	sampler   pacing.Sampler
	recorder  pacing.Recorder
	reporter  pacing.Reporter
}

type recentResult struct {
	answered, abandoned, bridged bool
	talk                         time.Duration
}

type recentSums struct {
	answered, abandoned, bridged int
	talk                         time.Duration
}

func (s *recentSums) add(r recentResult, sign int) {
	b := func(v bool) int {
		if v {
			return sign
		}
		return 0
	}
	s.answered += b(r.answered)
	s.abandoned += b(r.abandoned)
	s.bridged += b(r.bridged)
	if r.bridged {
		s.talk += time.Duration(sign) * r.talk
	}
}

func newCampaignRT(c Campaign, tmpl DialTemplate, log *zap.Logger) *campaignRT {
	rt := &campaignRT{cfg: c, tmpl: tmpl, log: log, window: pacing.NewWindow(c.Pacing.AbandonWindow)}
	if p, ok := c.Pacer.(pacing.Cadenced); ok && p.DialEvery() > 0 {
		rt.dialEvery = p.DialEvery()
	}
	if p, ok := c.Pacer.(pacing.Sampler); ok && p.SampleEvery() > 0 {
		rt.sampler = p
	}
	rt.recorder, _ = c.Pacer.(pacing.Recorder)
	rt.reporter, _ = c.Pacer.(pacing.Reporter)
	return rt
}

// record counts a finished attempt (dialed: a call was placed for it) and
// tells the pacer.
func (rt *campaignRT) record(a campaign.Attempt, dialed bool) {
	rt.completed++
	if rt.outcomes == nil {
		rt.outcomes = map[campaign.Outcome]int64{}
	}
	rt.outcomes[a.Outcome]++
	r := recentResult{answered: a.Outcome.Answered(), abandoned: a.Outcome == campaign.OutcomeAbandoned,
		bridged: a.Outcome == campaign.OutcomeBridged}
	if r.answered {
		rt.answered++
		rt.window.Add(a.EndedAt, r.abandoned)
	}
	if r.abandoned {
		rt.abandoned++
	}
	if r.bridged {
		r.talk = time.Duration(a.TalkSeconds() * float64(time.Second))
	}
	if len(rt.recent) < recentWindow {
		rt.recent = append(rt.recent, r)
	} else {
		rt.recentSum.add(rt.recent[rt.recentPos], -1)
		rt.recent[rt.recentPos] = r
		rt.recentPos = (rt.recentPos + 1) % recentWindow
	}
	rt.recentSum.add(r, 1)
	if rt.recorder != nil {
		rt.recorder.Record(pacing.Result{Outcome: a.Outcome, Dialed: dialed, PlacedAt: a.OriginatedAt,
			AnsweredAt: a.AnsweredAt, BridgedAt: a.BridgedAt, EndedAt: a.EndedAt})
	}
}

func (rt *campaignRT) stats(now time.Time) pacing.Stats {
	s := pacing.Stats{Placed: rt.placed, Answered: rt.answered, Abandoned: rt.abandoned, RecentAttempts: len(rt.recent),
		RecentAnswered: rt.recentSum.answered, RecentAbandoned: rt.recentSum.abandoned, Window: rt.window.Counts(now)}
	if rt.recentSum.bridged > 0 {
		s.MeanTalk = rt.recentSum.talk / time.Duration(rt.recentSum.bridged)
	}
	return s
}

// agentChanged updates the agent's entry in the pacing snapshot.
func (rt *campaignRT) agentChanged(a *agent) {
	if i := a.pslot; i >= 0 {
		rt.counts.Agents[rt.stAgents[i].State]--
	}
	if a.state == AgentLoggedOut {
		if i := a.pslot; i >= 0 {
			last := len(rt.stAgents) - 1
			rt.stAgents[i], rt.agentsBy[i] = rt.stAgents[last], rt.agentsBy[last]
			rt.agentsBy[i].pslot = i
			rt.stAgents, rt.agentsBy[last] = rt.stAgents[:last], nil
			rt.agentsBy = rt.agentsBy[:last]
			a.pslot = -1
		}
		return
	}
	if a.pslot < 0 {
		a.pslot = len(rt.stAgents)
		rt.stAgents = append(rt.stAgents, pacing.Agent{})
		rt.agentsBy = append(rt.agentsBy, a)
	}
	rt.stAgents[a.pslot] = pacing.Agent{ID: a.cfg.ID, State: a.state, Since: a.since}
	rt.counts.Agents[a.state]++
}

// addCall adds a new call to the pacing snapshot.
func (rt *campaignRT) addCall(c *call) {
	c.pslot = len(rt.stCalls)
	rt.stCalls = append(rt.stCalls, pacing.Call{Phase: c.st.Phase.pacingPhase()})
	rt.callsBy = append(rt.callsBy, c)
	rt.counts.Calls[c.st.Phase.pacingPhase()]++
	rt.callChanged(c)
}

// callChanged updates the call's entry in the pacing snapshot.
func (rt *campaignRT) callChanged(c *call) {
	if c.pslot < 0 {
		return
	}
	ph := c.st.Phase.pacingPhase()
	rt.counts.Calls[rt.stCalls[c.pslot].Phase]--
	rt.counts.Calls[ph]++
	rt.stCalls[c.pslot] = pacing.Call{Phase: ph, PlacedAt: c.placedAt, RingingAt: c.ringingAt, AnsweredAt: c.answeredAt}
}

// removeCall takes a call out of the pacing snapshot.
func (rt *campaignRT) removeCall(c *call) {
	i := c.pslot
	if i < 0 {
		return
	}
	rt.counts.Calls[rt.stCalls[i].Phase]--
	last := len(rt.stCalls) - 1
	rt.stCalls[i], rt.callsBy[i] = rt.stCalls[last], rt.callsBy[last]
	rt.callsBy[i].pslot = i
	rt.stCalls, rt.callsBy[last] = rt.stCalls[:last], nil
	rt.callsBy = rt.callsBy[:last]
	c.pslot = -1
}

// removeCall removes c from cs (order kept).
func removeCall(cs []*call, c *call) []*call {
	for i, x := range cs {
		if x == c {
			copy(cs[i:], cs[i+1:])
			cs[len(cs)-1] = nil
			return cs[:len(cs)-1]
		}
	}
	return cs
}

// routable reports whether a call can be given an agent now.
func (s callState) routable() bool { return s.Phase == phWaiting && s.Stasis }

// pace asks each campaign's pacer how many calls to place and claims that
// many debts. A Cadenced pacer is asked only once per dial loop period.
func (e *Engine) pace() {
	if !e.canOriginate() {
		return
	}
	now := e.now()
	if now.Before(e.claimBlockedTil) {
		return
	}
	for _, rt := range e.campList {
		if now.Before(rt.idleUntil) {
			continue
		}
		if rt.dialEvery > 0 && !rt.dialDue {
			continue
		}
		rt.dialDue = false
		st := e.pacingState(rt, now)
		n := rt.cfg.Pacer.Lines(st)
		n = min(n, st.FreeLines()) // whatever the pacer says, never exceed max_lines
		if e.storeDown {
			n = min(n, 1-e.claiming()) // probe with one claim at a time
		}
		for range n {
			e.startClaim(rt, now)
		}
	}
}

// pacingState snapshots a campaign for its pacer. Its slices are the
// campaign's own, valid until the loop goes on: a pacer reads them only.
func (e *Engine) pacingState(rt *campaignRT, now time.Time) pacing.State {
	st := pacing.State{
		Now: now, CampaignID: rt.cfg.ID, MaxLines: rt.cfg.MaxLines,
		AbandonAfter: rt.cfg.AbandonAfter, WrapUp: rt.cfg.WrapUp, Stats: rt.stats(now),
		Agents: rt.stAgents, Calls: rt.stCalls, Counts: &rt.counts,
	}
	if rt.claiming > 0 {
		rt.scratchC = rt.counts
		rt.scratchC.Calls[pacing.CallClaiming] += rt.claiming
		st.Counts = &rt.scratchC
		cs := rt.scratch[:0]
		for range rt.claiming {
			cs = append(cs, pacing.Call{Phase: pacing.CallClaiming, PlacedAt: now})
		}
		cs = append(cs, rt.stCalls...)
		rt.scratch = cs
		st.Calls = cs
	}
	return st
}

// armPacers starts the dial loops and sampling clocks of the pacers that
// want them.
func (e *Engine) armPacers() {
	for _, rt := range e.campList {
		if rt.dialEvery > 0 {
			rt.dialDue = true
			e.armDialLoop(rt)
		}
		if rt.sampler != nil {
			e.armSampler(rt)
		}
	}
}

func (e *Engine) armDialLoop(rt *campaignRT) {
	e.after(rt.dialEvery, func() {
		rt.dialDue = true
		e.dirty = true
		if e.lc < lcClosing {
			e.armDialLoop(rt)
		}
	})
}

func (e *Engine) armSampler(rt *campaignRT) {
	e.after(rt.sampler.SampleEvery(), func() {
		rt.sampler.Sample(e.pacingState(rt, e.now()))
		if e.lc < lcClosing {
			e.armSampler(rt)
		}
	})
}

// pacingReport is the campaign's pacer report for Status.
func (e *Engine) pacingReport(rt *campaignRT) pacing.Report {
	if rt.reporter != nil {
		return rt.reporter.Report()
	}
	working, lines := 0, rt.claiming+len(rt.stCalls)
	for _, a := range e.agentList {
		if a.camp == rt {
			switch a.state {
			case AgentReady, AgentOnCall, AgentWrapUp:
				working++
			}
		}
	}
	r := pacing.Report{Mode: "custom"}
	if working > 0 {
		r.DialLevel = float64(lines) / float64(working)
	}
	return r
}

// childLogger is l.With(fields...), or l itself when l logs nothing at all
// (zap.NewNop): a call's logger is made for every call.
func childLogger(l *zap.Logger, fields ...zap.Field) *zap.Logger {
	if !l.Core().Enabled(zapcore.FatalLevel) {
		return l
	}
	return l.With(fields...)
}
