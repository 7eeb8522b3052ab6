package dialer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/phone"
)

// heldLease is a lease this process holds, from Claim until the attempt is
// written (or the lease released).
type heldLease struct {
	lease    campaign.Lease
	renewing bool
	lost     bool
}

func leaseKey(l campaign.Lease) string { return l.CampaignID + "\x00" + l.DebtID + "\x00" + l.Token }

// call is one debtor call (loop-owned).
type call struct {
	id    string // channel id and attempt id
	camp  *campaignRT
	held  *heldLease
	phone string // E.164; never log unmasked
	st    callState
	log   *zap.Logger

	placedAt, ringingAt, answeredAt, bridgedAt time.Time

	agent      *agent // reserved or bridged agent
	agentID    string // the agent who talked (set when bridged)
	playbackID string

	timer     Timer
	timerGen  uint64
	timerKind inputKind

	pslot                int  // index in camp.stCalls (pacing snapshot), -1 when forgotten
	originating          bool // Originate in flight
	hangupAfterOriginate bool
	addedAt              time.Time // AddToBridge returned OK
	lastInput            inputKind // the input being handled
}

// startClaim claims one due debt of the campaign in a worker.
func (e *Engine) startClaim(rt *campaignRT, now time.Time) {
	rt.claiming++
	ttl := e.opts.LeaseTTL
	e.spawn(func(ctx context.Context) func() {
		lease, err := e.store.Claim(ctx, rt.cfg.ID, e.opts.Owner, now, ttl)
		return func() {
			rt.claiming--
			e.dirty = true
			switch {
			case errors.Is(err, campaign.ErrNoDebtDue):
				e.storeOK()
				rt.idleUntil = e.now().Add(e.opts.PollInterval)
			case err != nil:
				e.storeFailed(err, now)
			default:
				e.storeOK()
				h := &heldLease{lease: lease}
				e.leases[leaseKey(lease)] = h
				if !e.canOriginate() {
					e.releaseLease(h, "not originating any more")
					return
				}
				e.placeCall(rt, h)
			}
		}
	})
}

// storeFailed notes a failed Claim: claims pause with backoff; the outage is
// logged once.
func (e *Engine) storeFailed(err error, started time.Time) {
	now := e.now()
	if !e.storeDown {
		e.storeDown = true
		e.storeDownSince = now
		e.claimBackoff = backoffMin
		e.log.Error("campaign store unavailable: dialing paused, retrying with backoff", zap.Error(err),
			zap.Duration("retry_in", e.claimBackoff))
	} else if !started.Before(e.storeDownSince) {
		// A probe started during the outage failed: back off further.
		e.claimBackoff = backoff(e.claimBackoff)
		e.log.Debug("campaign store still unavailable", zap.Error(err), zap.Duration("retry_in", e.claimBackoff))
	}
	e.claimBlockedTil = now.Add(e.claimBackoff)
}

// storeOK notes a store success; it ends an outage.
func (e *Engine) storeOK() {
	if e.storeDown {
		e.log.Info("campaign store available again: dialing resumes",
			zap.Duration("outage", e.now().Sub(e.storeDownSince)))
	}
	e.storeDown = false
	e.claimBackoff = 0
	e.claimBlockedTil = time.Time{}
}

// releaseLease returns an unused lease to the queue (a single try: if it
// fails the lease expires and the debt returns to the queue by itself).
func (e *Engine) releaseLease(h *heldLease, why string) {
	lease := h.lease
	e.spawn(func(ctx context.Context) func() {
		err := e.store.Release(ctx, lease)
		return func() {
			delete(e.leases, leaseKey(lease))
			if err != nil && !errors.Is(err, campaign.ErrLeaseLost) {
				e.log.Warn("release lease failed; the debt returns to the queue when the lease expires",
					zap.String("campaign_id", lease.CampaignID), zap.String("debt_id", lease.DebtID),
					zap.String("why", why), zap.Error(err))
			}
		}
	})
}

// placeCall originates a call for a claimed debt.
func (e *Engine) placeCall(rt *campaignRT, h *heldLease) {
	debt := h.lease.Debt
	now := e.now()
	number := debt.Phone()
	log := childLogger(rt.log, zap.String("debt_id", debt.ID))
	if number == "" {
		log.Warn("claimed debt has no phone number left; finishing it")
		e.recordWithoutCall(rt, h, number, campaign.OutcomeFailed, "no phone number to dial",
			campaign.Schedule{Finish: true, FinishReason: "no phone number to dial"}, now)
		return
	}
	endpoint, err := rt.tmpl.Expand(number)
	if err != nil {
		log.Warn("debtor number is not E.164; counted as invalid", zap.String("phone", phone.Mask(number)))
		o := campaign.OutcomeInvalidNumber
		e.recordWithoutCall(rt, h, number, o, "not an E.164 number",
			rt.cfg.Rules.Next(debt, debt.Attempts+1, o, now), now)
		return
	}
	c := &call{
		id: e.opts.NewID(KindDebtor), camp: rt, held: h, phone: number, st: callState{Phase: phDialing},
		placedAt: now, originating: true, pslot: -1,
	}
	c.log = childLogger(log, zap.String("call_id", c.id))
	e.calls[c.id] = c
	rt.addCall(c)
	rt.placed++
	e.dirty = true
	e.armCallTimer(c, rt.cfg.OriginateTimeout+ringGrace, inGuardTimeout)
	req := OriginateRequest{
		ChannelID: c.id,
		Endpoint:  endpoint,
		CallerID:  rt.cfg.CallerID,
		Timeout:   rt.cfg.OriginateTimeout,
		AppArgs:   []string{"debtor", rt.cfg.ID},
		Variables: map[string]string{"DUECALL_CAMPAIGN": rt.cfg.ID, "DUECALL_DEBT": debt.ID},
	}
	if ce := c.log.Check(zap.DebugLevel, "originating"); ce != nil { // masks only when logged
		ce.Write(zap.String("phone", phone.Mask(number)))
	}
	e.spawn(func(ctx context.Context) func() {
		err := e.tel.Originate(ctx, req)
		return func() { e.originated(c, err) }
	})
}

// originated handles the result of a debtor Originate.
func (e *Engine) originated(c *call, err error) {
	c.originating = false
	if c.hangupAfterOriginate && err == nil {
		e.hangupChannel(c.id, c)
	}
	if err == nil {
		e.step(c, callInput{Kind: inOriginated})
		return
	}
	var oe *OriginateError
	switch {
	case errors.As(err, &oe):
		c.log.Warn("originate rejected by the PBX", zap.Int("status", oe.Status), zap.String("reason", oe.Reason))
		e.step(c, callInput{Kind: inOriginateFailed, Rejected: true,
			Reason: fmt.Sprintf("originate rejected (%d): %s", oe.Status, oe.Reason)})
	case errors.Is(err, ErrDisconnected):
		c.log.Info("originate not sent: PBX disconnected; debt returned to the queue")
		e.step(c, callInput{Kind: inOriginateFailed, Release: true, Reason: "PBX disconnected"})
	default:
		c.log.Warn("originate failed", zap.Error(err))
		e.step(c, callInput{Kind: inOriginateFailed, Reason: "originate failed: " + err.Error()})
	}
}

// recordWithoutCall records an attempt for a claimed debt that could not be
// dialled at all.
func (e *Engine) recordWithoutCall(rt *campaignRT, h *heldLease, phone string, o campaign.Outcome, reason string,
	sched campaign.Schedule, now time.Time) {
	a := campaign.Attempt{
		ID: e.opts.NewID(KindDebtor), CampaignID: rt.cfg.ID, DebtID: h.lease.DebtID, Phone: phone, Outcome: o,
		Reason: reason, OriginatedAt: now, EndedAt: now,
	}
	rt.record(a, false)
	e.writes.complete(h, a, sched)
}

// step feeds an input to a call's state machine and runs the actions.
func (e *Engine) step(c *call, in callInput) {
	if e.calls[c.id] != c {
		return // already finished
	}
	prev := c.st.Phase
	wasRoutable := c.st.routable()
	s, acts, err := next(c.st, in)
	if err != nil {
		e.invalidInputs++
		c.log.Debug("input ignored", zap.Error(err))
		return
	}
	c.st = s
	if r := s.routable(); r != wasRoutable {
		if r {
			e.routable = append(e.routable, c)
		} else {
			e.routable = removeCall(e.routable, c)
		}
	}
	c.lastInput = in.Kind
	if s.Phase != prev {
		e.dirty = true
		c.log.Debug("call phase", zap.Stringer("from", prev), zap.Stringer("to", s.Phase), zap.Stringer("input", in.Kind))
	}
	for _, a := range acts {
		e.act(c, a)
	}
	c.camp.callChanged(c)
}

// act runs one action of the call machine.
func (e *Engine) act(c *call, a actionKind) {
	rt := c.camp
	now := e.now()
	switch a {
	case actHangup:
		e.hangupChannel(c.id, c)
	case actAddToBridge:
		ag := c.agent
		if ag == nil || ag.bridgeID == "" {
			e.enqueue(func() { e.step(c, callInput{Kind: inBridgeFailed, Reason: "agent gone before bridging"}) })
			return
		}
		bridgeID := ag.bridgeID
		e.spawn(func(ctx context.Context) func() {
			err := e.tel.AddToBridge(ctx, bridgeID, c.id)
			return func() {
				if err != nil {
					c.log.Warn("add debtor to agent bridge failed", zap.String("agent_id", ag.cfg.ID), zap.Error(err))
					e.step(c, callInput{Kind: inBridgeFailed, Reason: "add to bridge failed: " + err.Error()})
					return
				}
				c.addedAt = e.now()
				e.step(c, callInput{Kind: inBridgeAdded})
			}
		})
	case actPlayAbandon:
		if rt.cfg.AbandonSound == "" {
			e.enqueue(func() { e.step(c, callInput{Kind: inPlayFailed}) })
			return
		}
		pb := e.opts.NewID(KindPlayback)
		c.playbackID = pb
		e.playbacks[pb] = c
		sound := rt.cfg.AbandonSound
		c.log.Info("no agent free: playing the abandon message")
		e.spawn(func(ctx context.Context) func() {
			err := e.tel.Play(ctx, c.id, pb, sound)
			return func() {
				if err != nil {
					c.log.Warn("abandon message failed", zap.Error(err))
					e.step(c, callInput{Kind: inPlayFailed})
				}
			}
		})
	case actRoute:
		e.dirty = true
	case actReleaseAgent:
		ag := c.agent
		c.agent = nil
		if ag != nil && ag.call == c {
			ag.call = nil
			if ag.state == AgentOnCall {
				e.agentFree(ag, false)
			}
		}
	case actArmAbandon:
		e.armCallTimer(c, c.answeredAt.Add(rt.cfg.AbandonAfter).Sub(now), inAbandonTimeout)
	case actArmPlayback:
		e.armCallTimer(c, playbackTimeout, inPlaybackTimeout)
	case actArmBridgeGuard:
		e.armCallTimer(c, bridgeGuard, inGuardTimeout)
	case actArmEndGuard:
		e.armCallTimer(c, endGuard, inGuardTimeout)
	case actDisarm:
		e.disarm(c)
	case actMarkRinging:
		c.ringingAt = now
	case actMarkAnswered:
		c.answeredAt = now
		c.log.Info("debtor answered")
	case actMarkBridged:
		c.bridgedAt = now
		if c.lastInput != inEnteredBridge && !c.addedAt.IsZero() {
			// The EnteredBridge event was lost: the bridge took the
			// channel when AddToBridge returned.
			c.bridgedAt = c.addedAt
		}
		if c.agent != nil {
			c.agentID = c.agent.cfg.ID
		}
		lat := c.bridgedAt.Sub(c.answeredAt)
		e.latency.Observe(lat)
		c.log.Info("debtor connected to agent", zap.String("agent_id", c.agentID), zap.Duration("connect_latency", lat))
	case actFinish:
		e.finishCall(c)
	case actRelease:
		e.forgetCall(c)
		e.releaseLease(c.held, c.st.Reason)
	}
}

// hangupChannel hangs up a debtor channel; the result feeds the call's
// machine (c may be nil for orphans).
func (e *Engine) hangupChannel(id string, c *call) {
	if c != nil && c.originating {
		c.hangupAfterOriginate = true
		return
	}
	e.spawn(func(ctx context.Context) func() {
		err := e.tel.Hangup(ctx, id)
		return func() {
			if c == nil {
				return
			}
			switch {
			case err == nil:
				e.step(c, callInput{Kind: inHangupDone})
			case errors.Is(err, ErrNotFound):
				e.step(c, callInput{Kind: inHangupDone, NotFound: true})
			default:
				c.log.Warn("hangup failed", zap.Error(err))
			}
		}
	})
}

// armCallTimer arms the call's single timer; a fire feeds kind.
func (e *Engine) armCallTimer(c *call, d time.Duration, kind inputKind) {
	e.disarm(c)
	if d < 0 {
		d = 0
	}
	gen := c.timerGen
	c.timerKind = kind
	c.timer = e.after(d, func() {
		if c.timerGen != gen {
			return // stale
		}
		c.timer = nil
		e.step(c, callInput{Kind: kind})
	})
}

func (e *Engine) disarm(c *call) {
	c.timerGen++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// forgetCall removes a call from the engine's maps.
func (e *Engine) forgetCall(c *call) {
	e.disarm(c)
	delete(e.calls, c.id)
	c.camp.removeCall(c)
	if c.playbackID != "" {
		delete(e.playbacks, c.playbackID)
		e.retire(c.playbackID)
	}
	e.retire(c.id)
	e.dirty = true
}

// finishCall records the call's attempt and frees its agent.
func (e *Engine) finishCall(c *call) {
	now := e.now()
	rt := c.camp
	e.forgetCall(c)
	if ag := c.agent; ag != nil {
		c.agent = nil
		if ag.call == c {
			ag.call = nil
			if !c.bridgedAt.IsZero() {
				// Kept for the agent's wrap-up screen and disposition.
				ag.lastAttemptID, ag.lastDebtID = c.id, c.held.lease.DebtID
			}
			if ag.state == AgentOnCall {
				e.agentFree(ag, !c.bridgedAt.IsZero())
			}
		}
	}
	o := c.st.Outcome
	if !o.Valid() {
		o = campaign.OutcomeFailed
	}
	debt := c.held.lease.Debt
	a := campaign.Attempt{
		ID: c.id, CampaignID: rt.cfg.ID, DebtID: debt.ID, Phone: c.phone, AgentID: c.agentID, Outcome: o,
		HangupCause: c.st.Cause, Reason: c.st.Reason, OriginatedAt: c.placedAt, AnsweredAt: c.answeredAt,
		BridgedAt: c.bridgedAt, EndedAt: now,
	}
	if !o.Answered() {
		a.AnsweredAt, a.BridgedAt = time.Time{}, time.Time{}
	}
	if a.AgentID != "" {
		if ag := e.agents[a.AgentID]; ag != nil {
			ag.rememberAttempt(a.ID, rt.cfg.ID)
		}
	}
	rt.record(a, true)
	c.log.Info("call ended", zap.String("outcome", string(o)), zap.Int("cause", a.HangupCause),
		zap.String("reason", a.Reason), zap.Float64("talk_seconds", a.TalkSeconds()))
	e.writes.complete(c.held, a, rt.cfg.Rules.Next(debt, debt.Attempts+1, o, now))
}

// route connects answered debtors (oldest answer first) to the ready agent
// of their campaign who has waited longest.
func (e *Engine) route() {
	if len(e.routable) == 0 {
		return
	}
	waiting := append(e.routeScratch[:0], e.routable...)
	defer func() { clear(waiting); e.routeScratch = waiting[:0] }()
	slices.SortFunc(waiting, func(a, b *call) int {
		if c := a.answeredAt.Compare(b.answeredAt); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for _, c := range waiting {
		if c.camp.counts.Agents[AgentReady] == 0 {
			continue // no agent to look for (calls wait while every agent talks)
		}
		ag := e.longestReady(c.camp)
		if ag == nil {
			continue
		}
		ag.call = c
		c.agent = ag
		e.setAgentState(ag, AgentOnCall)
		c.log.Debug("routing to agent", zap.String("agent_id", ag.cfg.ID))
		e.step(c, callInput{Kind: inAgentAssigned})
	}
}

// longestReady is the campaign's ready agent who has waited longest.
func (e *Engine) longestReady(rt *campaignRT) *agent {
	var best *agent
	for _, a := range e.agentList {
		if a.camp != rt || a.state != AgentReady || a.call != nil || a.bridgeID == "" {
			continue
		}
		if best == nil || a.readySince.Before(best.readySince) {
			best = a
		}
	}
	return best
}

// armRenew renews the held leases every LeaseTTL/3.
func (e *Engine) armRenew() {
	e.after(e.opts.LeaseTTL/3, func() {
		e.renewLeases()
		if e.lc < lcClosing || !e.writes.empty() {
			e.armRenew()
		}
	})
}

func (e *Engine) renewLeases() {
	now := e.now()
	ttl := e.opts.LeaseTTL
	for _, h := range e.leases {
		if h.renewing || h.lost {
			continue
		}
		h.renewing = true
		lease := h.lease
		e.spawn(func(ctx context.Context) func() {
			nl, err := e.store.Renew(ctx, lease, now, ttl)
			return func() {
				h.renewing = false
				switch {
				case err == nil:
					h.lease.ExpiresAt = nl.ExpiresAt
				case errors.Is(err, campaign.ErrLeaseLost):
					h.lost = true
					e.log.Warn("lease lost; the attempt will still be recorded", zap.String("campaign_id", lease.CampaignID),
						zap.String("debt_id", lease.DebtID))
				default:
					e.log.Debug("lease renewal failed", zap.String("debt_id", lease.DebtID), zap.Error(err))
				}
			}
		})
	}
}
