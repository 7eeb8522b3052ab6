package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
)

// agent is one agent's runtime state (loop-owned).
type agent struct {
	cfg   Agent
	log   *zap.Logger
	state AgentState
	since time.Time // entered state (time accounting, status)
	// readySince orders ready agents: the longest waiting gets the next
	// call. An agent whose reserved call never connected keeps its place.
	readySince time.Time
	camp       *campaignRT // logged-in campaign

	channelID   string // nailed-up channel; "" when logged out
	bridgeID    string // the agent's mixing bridge
	originating bool   // Originate of the channel in flight
	settingUp   bool   // CreateBridge/AddToBridge in flight
	bridgeUp    bool   // the bridge exists and holds the agent
	loginReply  chan error

	pslot int   // index in camp.stAgents (pacing snapshot), -1 when none
	call  *call // reserved or connected debtor call
	// The last call the agent talked on (shown in wrap-up, for the
	// disposition).
	lastAttemptID, lastDebtID string
	pendingPause              bool // pause after the current call's wrap-up
	wrapTimer                 Timer
	wrapGen                   uint64

	// recent attempts the agent talked on (for dispositions): id -> campaign.
	recent      map[string]string
	recentOrder []string
}

const agentRecentAttempts = 50

func (a *agent) rememberAttempt(id, campaignID string) {
	if a.recent == nil {
		a.recent = map[string]string{}
	}
	if _, ok := a.recent[id]; ok {
		return
	}
	a.recent[id] = campaignID
	a.recentOrder = append(a.recentOrder, id)
	if len(a.recentOrder) > agentRecentAttempts {
		delete(a.recent, a.recentOrder[0])
		a.recentOrder = a.recentOrder[1:]
	}
}

// setAgentState changes an agent's state and accounts the time spent in
// the previous one.
func (e *Engine) setAgentState(a *agent, s AgentState) {
	if a.state == s {
		return
	}
	now := e.now()
	e.accountAgentTime(a, now)
	a.log.Info("agent state", zap.Stringer("from", a.state), zap.Stringer("to", s))
	a.state = s
	a.since = now
	e.dirty = true
	if a.camp != nil {
		a.camp.agentChanged(a)
	}
}

// accountAgentTime adds the time spent in the current state to the store's
// agent counters (ready, wrap-up and paused are counted; talk time comes
// from the attempts).
func (e *Engine) accountAgentTime(a *agent, now time.Time) {
	var ts campaign.AgentTimeState
	switch a.state {
	case AgentReady:
		ts = campaign.AgentTimeReady
	case AgentWrapUp:
		ts = campaign.AgentTimeWrapUp
	case AgentPaused:
		ts = campaign.AgentTimePaused
	default:
		return
	}
	secs := now.Sub(a.since).Seconds()
	if secs <= 0 || a.camp == nil {
		return
	}
	e.writes.agentTime(a.camp.cfg.ID, a.cfg.ID, ts, now, secs)
}

// agentReady makes the agent ready; keepPlace keeps its place in the queue
// of ready agents.
func (e *Engine) agentReady(a *agent, keepPlace bool) {
	e.stopWrap(a)
	a.pendingPause = false
	if !keepPlace || a.readySince.IsZero() {
		a.readySince = e.now()
	}
	e.setAgentState(a, AgentReady)
}

// agentFree is called when the agent's call is over: wrap-up after a
// conversation, back to ready (keeping its place) when the call never
// connected.
func (e *Engine) agentFree(a *agent, talked bool) {
	if !talked {
		if a.pendingPause {
			e.setAgentState(a, AgentPaused)
			a.pendingPause = false
			return
		}
		e.agentReady(a, true)
		return
	}
	wrap := a.camp.cfg.WrapUp
	if wrap <= 0 {
		e.wrapDone(a)
		return
	}
	e.setAgentState(a, AgentWrapUp)
	e.stopWrap(a)
	gen := a.wrapGen
	a.wrapTimer = e.after(wrap, func() {
		if a.wrapGen == gen && a.state == AgentWrapUp {
			a.wrapTimer = nil
			e.wrapDone(a)
		}
	})
}

func (e *Engine) wrapDone(a *agent) {
	if a.pendingPause {
		a.pendingPause = false
		e.stopWrap(a)
		e.setAgentState(a, AgentPaused)
		return
	}
	e.agentReady(a, false)
}

func (e *Engine) stopWrap(a *agent) {
	a.wrapGen++
	if a.wrapTimer != nil {
		a.wrapTimer.Stop()
		a.wrapTimer = nil
	}
}

// logoutAgent logs an agent out: its debtor call (if any) is ended, its
// channel hung up (unless gone) and its bridge destroyed.
func (e *Engine) logoutAgent(a *agent, reason string, channelGone bool) {
	if a.state == AgentLoggedOut {
		return
	}
	a.log.Info("agent logged out", zap.String("reason", reason))
	if c := a.call; c != nil {
		a.call = nil
		c.agent = nil
		e.step(c, callInput{Kind: inAgentGone, Reason: "agent gone: " + reason})
	}
	e.stopWrap(a)
	a.pendingPause = false
	e.setAgentState(a, AgentLoggedOut)
	ch, br := a.channelID, a.bridgeID
	wasOriginating := a.originating // its result hangs the channel up
	a.originating = false
	delete(e.agentChans, ch)
	delete(e.bridges, br)
	e.retire(ch)
	e.retire(br)
	if !channelGone && ch != "" && !wasOriginating {
		e.spawn(func(ctx context.Context) func() {
			err := e.tel.Hangup(ctx, ch)
			return func() {
				if err != nil && !errors.Is(err, ErrNotFound) {
					a.log.Warn("hang up agent channel failed", zap.String("channel_id", ch), zap.Error(err))
				}
			}
		})
	}
	if (a.bridgeUp || a.settingUp) && br != "" {
		e.destroyBridge(br, a.log)
	}
	a.channelID, a.bridgeID = "", ""
	a.bridgeUp, a.settingUp = false, false
	a.camp = nil
	if a.loginReply != nil {
		a.loginReply <- fmt.Errorf("login of agent %s failed: %s", a.cfg.ID, reason)
		a.loginReply = nil
	}
}

func (e *Engine) destroyBridge(br string, log *zap.Logger) {
	e.spawn(func(ctx context.Context) func() {
		err := e.tel.DestroyBridge(ctx, br)
		return func() {
			if err != nil && !errors.Is(err, ErrNotFound) {
				log.Warn("destroy bridge failed", zap.String("bridge_id", br), zap.Error(err))
			}
		}
	})
}

// setupAgentBridge creates the agent's bridge and puts the agent channel in
// it; the agent is then ready.
func (e *Engine) setupAgentBridge(a *agent) {
	if a.settingUp || a.bridgeUp || a.state != AgentConnecting {
		return
	}
	a.settingUp = true
	ch, br := a.channelID, a.bridgeID
	e.spawn(func(ctx context.Context) func() {
		err := e.tel.CreateBridge(ctx, br)
		created := err == nil
		if err == nil {
			err = e.tel.AddToBridge(ctx, br, ch)
		}
		return func() {
			if a.channelID != ch { // logged out meanwhile
				if created {
					e.destroyBridge(br, a.log)
				}
				return
			}
			a.settingUp = false
			if err != nil {
				a.bridgeUp = created
				a.log.Error("agent bridge setup failed", zap.Error(err))
				e.logoutAgent(a, "bridge setup failed: "+err.Error(), false)
				return
			}
			a.bridgeUp = true
			e.agentReady(a, false)
		}
	})
}

// agentEvent handles an event of an agent's channel.
func (e *Engine) agentEvent(a *agent, ev Event) {
	switch ev.Kind {
	case EventStasisStart:
		e.setupAgentBridge(a)
	case EventAnswered:
		// Bridging needs the channel in the application: wait for StasisStart.
	case EventStasisEnd, EventChannelDestroyed:
		reason := "agent channel left the application"
		if ev.Kind == EventChannelDestroyed {
			reason = fmt.Sprintf("agent channel hung up (cause %d)", ev.Cause)
			if a.state == AgentConnecting && !a.bridgeUp {
				reason = fmt.Sprintf("agent did not answer (cause %d)", ev.Cause)
			}
		}
		e.logoutAgent(a, reason, true)
	}
}

// agentCommand runs f for the agent on the loop.
func (e *Engine) agentCommand(ctx context.Context, agentID string, f func(a *agent) error) error {
	var err error
	if derr := e.do(ctx, func() {
		a, ok := e.agents[agentID]
		if !ok {
			err = fmt.Errorf("agent %q: %w", agentID, ErrUnknownAgent)
			return
		}
		err = f(a)
	}); derr != nil {
		return derr
	}
	return err
}

func stateErr(a *agent, allowed string) error {
	return fmt.Errorf("agent %s is %s; %s: %w", a.cfg.ID, a.state, allowed, ErrAgentState)
}

// Login logs an agent in to a campaign ("" is the agent's default): the
// dialer calls the agent's endpoint once and, when it answers, puts it in
// the agent's own bridge, where debtors are connected; the agent is then
// ready. Login returns once the PBX accepted the call to the agent's phone
// (the agent is connecting), or its error.
func (e *Engine) Login(ctx context.Context, agentID, campaignID string) error {
	reply := make(chan error, 1)
	err := e.agentCommand(ctx, agentID, func(a *agent) error {
		if e.lc != lcRunning {
			return ErrShuttingDown
		}
		if a.state != AgentLoggedOut {
			return stateErr(a, "log out first")
		}
		cid := campaignID
		if cid == "" {
			cid = a.cfg.CampaignID
		}
		rt, ok := e.campaigns[cid]
		if !ok {
			return fmt.Errorf("agent %s: campaign %q: %w", a.cfg.ID, cid, ErrUnknownCampaign)
		}
		if !e.connected || !e.tel.Connected() {
			return fmt.Errorf("login agent %s: %w", a.cfg.ID, ErrDisconnected)
		}
		a.camp = rt
		a.channelID = e.opts.NewID(KindAgent)
		a.bridgeID = e.opts.NewID(KindBridge)
		a.log = e.log.With(zap.String("agent_id", a.cfg.ID), zap.String("campaign_id", rt.cfg.ID),
			zap.String("channel_id", a.channelID))
		e.agentChans[a.channelID] = a
		e.bridges[a.bridgeID] = a
		a.originating = true
		a.loginReply = reply
		e.setAgentState(a, AgentConnecting)
		ch := a.channelID
		req := OriginateRequest{
			ChannelID: ch, Endpoint: a.cfg.Endpoint, CallerID: rt.cfg.CallerID, Timeout: e.opts.AgentTimeout,
			AppArgs: []string{"agent", a.cfg.ID}, Variables: map[string]string{"DUECALL_AGENT": a.cfg.ID},
		}
		e.spawn(func(ctx context.Context) func() {
			err := e.tel.Originate(ctx, req)
			return func() { e.agentOriginated(a, ch, err) }
		})
		return nil
	})
	if err != nil {
		return err
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return ErrNotRunning
	}
}

func (e *Engine) agentOriginated(a *agent, ch string, err error) {
	if a.channelID != ch { // logged out meanwhile
		if err == nil {
			e.spawn(func(ctx context.Context) func() {
				_ = e.tel.Hangup(ctx, ch)
				return nil
			})
		}
		return
	}
	a.originating = false
	if err != nil {
		a.log.Warn("calling the agent's phone failed", zap.Error(err))
		reply := a.loginReply
		a.loginReply = nil
		e.logoutAgent(a, "originate failed", true)
		if reply != nil {
			reply <- fmt.Errorf("login agent %s: call to %s: %w", a.cfg.ID, a.cfg.Endpoint, err)
		}
		return
	}
	if a.loginReply != nil {
		a.loginReply <- nil
		a.loginReply = nil
	}
}

// Logout logs an agent out. A debtor call in progress is ended (recorded as
// bridged with the talk time so far).
func (e *Engine) Logout(ctx context.Context, agentID string) error {
	return e.agentCommand(ctx, agentID, func(a *agent) error {
		if a.state == AgentLoggedOut {
			return stateErr(a, "already logged out")
		}
		e.logoutAgent(a, "logout requested", false)
		return nil
	})
}

// Pause stops routing calls to a ready or wrapping-up agent. On a call, the
// agent pauses after the call (and its wrap-up).
func (e *Engine) Pause(ctx context.Context, agentID string) error {
	return e.agentCommand(ctx, agentID, func(a *agent) error {
		switch a.state {
		case AgentReady, AgentWrapUp:
			e.stopWrap(a)
			e.setAgentState(a, AgentPaused)
			return nil
		case AgentPaused:
			return nil
		case AgentOnCall:
			a.pendingPause = true
			return nil
		}
		return stateErr(a, "pause is allowed when ready, on a call or in wrap-up")
	})
}

// Ready makes a paused or wrapping-up agent ready (a no-op when ready).
func (e *Engine) Ready(ctx context.Context, agentID string) error {
	return e.agentCommand(ctx, agentID, func(a *agent) error {
		switch a.state {
		case AgentPaused, AgentWrapUp:
			e.agentReady(a, false)
			return nil
		case AgentReady:
			return nil
		case AgentOnCall:
			if a.pendingPause { // cancels the pause asked for during the call
				a.pendingPause = false
				return nil
			}
		}
		return stateErr(a, "ready is allowed from paused or wrap-up")
	})
}

// EndCall hangs up the agent's connected debtor; the agent then goes to
// wrap-up. A call already ending (hung up by either side, the channel not
// yet gone) is not an error: the request is done. An agent with no call,
// or whose debtor is still being connected, gets ErrNotOnCall with the
// agent's state.
func (e *Engine) EndCall(ctx context.Context, agentID string) error {
	return e.agentCommand(ctx, agentID, func(a *agent) error {
		c := a.call
		switch {
		case a.state != AgentOnCall || c == nil:
			return fmt.Errorf("agent %s has no call to hang up (the agent is %s): %w", a.cfg.ID, a.state, ErrNotOnCall)
		case c.st.Phase >= phEnding:
			return nil
		case c.st.Phase != phBridged:
			return fmt.Errorf("agent %s's call is still being connected (%s); hang up once it is bridged: %w", a.cfg.ID, c.st.Phase, ErrNotOnCall)
		}
		e.step(c, callInput{Kind: inHangupNow, Reason: "agent ended the call"})
		return nil
	})
}

// AttemptError is the store's error on one attempt of a campaign, as
// Disposition returns it: errors.Is(err, campaign.ErrNotFound) when the
// campaign has no attempt with that id.
type AttemptError struct {
	CampaignID, AttemptID string
	Err                   error // the store's error
}

func (e *AttemptError) Error() string {
	return fmt.Sprintf("disposition of attempt %s of campaign %s: %v", e.AttemptID, e.CampaignID, e.Err)
}

// Unwrap returns the store's error.
func (e *AttemptError) Unwrap() error { return e.Err }

// disposition is an agent's wrap-up code waiting for its attempt to be
// written.
type disposition struct {
	campaignID, attemptID, agentID, code string
	at                                   time.Time
}

// Disposition records the agent's wrap-up code (promise_to_pay, refused,
// wrong_party, callback, ...) on an attempt through Store.SetDisposition.
// When the attempt is still in progress or not yet written, the code is
// written right after it and Disposition returns nil; otherwise it is
// written now and the store's error returned.
func (e *Engine) Disposition(ctx context.Context, agentID, attemptID, code string) error {
	if attemptID == "" {
		return fmt.Errorf("disposition: %w: empty attempt id", campaign.ErrInvalid)
	}
	if !validCode(code) {
		return fmt.Errorf("disposition: %w: code %q (want lower-case letters, digits and _)", campaign.ErrInvalid, code)
	}
	var d *disposition
	err := e.agentCommand(ctx, agentID, func(a *agent) error {
		now := e.now()
		dd := disposition{attemptID: attemptID, agentID: agentID, code: code, at: now}
		if c, ok := e.calls[attemptID]; ok {
			if c.agent != a && c.agentID != agentID {
				return fmt.Errorf("disposition: agent %s: attempt %s is not the agent's call: %w", agentID, attemptID, campaign.ErrWrongAgent)
			}
			dd.campaignID = c.camp.cfg.ID
			e.waitingDispositions[attemptID] = append(e.waitingDispositions[attemptID], dd)
			return nil
		}
		if j := e.writes.pendingAttempt(attemptID); j != nil {
			if j.attempt.AgentID != agentID {
				return fmt.Errorf("disposition: agent %s: attempt %s is not the agent's call: %w", agentID, attemptID, campaign.ErrWrongAgent)
			}
			dd.campaignID = j.attempt.CampaignID
			e.waitingDispositions[attemptID] = append(e.waitingDispositions[attemptID], dd)
			return nil
		}
		switch {
		case a.recent[attemptID] != "":
			dd.campaignID = a.recent[attemptID]
		case a.camp != nil:
			dd.campaignID = a.camp.cfg.ID
		case a.cfg.CampaignID != "":
			dd.campaignID = a.cfg.CampaignID
		default:
			return fmt.Errorf("disposition: agent %s has no campaign: %w", agentID, ErrUnknownCampaign)
		}
		d = &dd
		return nil
	})
	if err != nil || d == nil {
		return err
	}
	if err := e.store.SetDisposition(ctx, d.campaignID, d.attemptID, d.agentID, d.code, d.at); err != nil {
		return &AttemptError{CampaignID: d.campaignID, AttemptID: attemptID, Err: err}
	}
	return nil
}

func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
