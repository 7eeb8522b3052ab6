package pbxsim

import (
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/phone"
)

// apiError is an HTTP error of an ARI operation.
type apiError struct {
	status int
	body   any
}

func errMsg(status int, msg string) *apiError {
	return &apiError{status: status, body: errorBody{Message: msg}}
}

// errAllocationFailed is Asterisk's answer to an endpoint it cannot reach.
var errAllocationFailed = &apiError{
	status: http.StatusInternalServerError,
	body:   map[string]string{"error": "Allocation failed"},
}

// resolveCallee decides how the dialled party behaves. exists is false
// when a non-Local endpoint does not exist (Asterisk: allocation failed).
func (s *Server) resolveCallee(ep Endpoint, app string) (c callee, exists bool) {
	if ep.IsLocal() {
		if s.localCtx != nil && !s.localCtx[ep.Context] {
			return callee{label: "invalid", invalid: true}, true
		}
		switch ep.Context {
		case labContext:
			return labCallee(ep.Number, app), true
		case agentsContext:
			if ep.IsAgent() {
				return agentCallee(ep.Number), true
			}
			return callee{label: "invalid", invalid: true}, true
		}
	}
	switch {
	case ep.IsAgent():
		return agentCallee(ep.Number), true
	case isDialNumber(ep.Number):
		if s.cfg.Population != nil {
			return populationCallee(ep.Number, s.cfg.Population, s.rng), true
		}
		return digitCallee(ep.Number, s.rng), true
	case ep.IsLocal():
		return callee{label: "invalid", invalid: true}, true
	default:
		return callee{}, false
	}
}

// originate creates a call (POST /channels, /channels/{id} or
// /channels/create) and returns our channel's snapshot. The caller holds
// s.mu.
func (s *Server) originate(req originateRequest, mode callMode) (channelJSON, *apiError) {
	if req.Endpoint == "" {
		return channelJSON{}, errMsg(http.StatusBadRequest, "Endpoint must be specified")
	}
	if mode == modeOriginate && req.App == "" && req.Extension == "" {
		return channelJSON{}, errMsg(http.StatusBadRequest, "Application or extension must be specified")
	}
	if mode == modeCreate && req.App == "" {
		return channelJSON{}, errMsg(http.StatusBadRequest, "Application must be specified")
	}
	ep, err := ParseEndpoint(req.Endpoint)
	if err != nil {
		return channelJSON{}, errMsg(http.StatusBadRequest, "Invalid endpoint specified")
	}
	tech, ok := s.techs[strings.ToLower(ep.Tech)]
	if !ok {
		return channelJSON{}, errAllocationFailed
	}
	ep.Tech = tech
	local := ep.IsLocal()
	for _, id := range []string{req.ChannelID, req.OtherChannelID} {
		if s.idInUse(id) {
			return channelJSON{}, errMsg(http.StatusConflict, "Channel with given unique ID already exists")
		}
	}
	if local && req.ChannelID != "" && req.OtherChannelID == "" && s.idInUse(req.ChannelID+";2") {
		return channelJSON{}, errMsg(http.StatusConflict, "Channel with given unique ID already exists")
	}
	if local && req.ChannelID != "" && strings.EqualFold(req.ChannelID, req.OtherChannelID) {
		return channelJSON{}, errMsg(http.StatusConflict, "Channel with given unique ID already exists")
	}
	cal, exists := s.resolveCallee(ep, req.App)
	if !exists {
		return channelJSON{}, errAllocationFailed
	}

	now := s.clock.Now()
	c := &call{mode: mode, ep: ep, callee: cal, app: req.App, appArgs: splitArgs(req.AppArgs)}
	ourID := req.ChannelID
	if ourID == "" {
		ourID = s.newChannelID()
	}
	// Only an application that exists (has or had a socket) subscribes to
	// the channels; events of others go nowhere.
	subscribe := ""
	if req.App != "" && s.apps[req.App] != nil {
		subscribe = req.App
	}
	s.nameSeq++
	ours := &channel{id: ourID, state: stateDown, created: now, vars: map[string]string{}, call: c, app: subscribe}
	if mode == modeOriginate {
		ours.baseApp, ours.baseData = "AppDial2", "(Outgoing Line)"
	}
	if local {
		base := "Local/" + ep.Number + "@" + ep.Context + "-" + hex8(s.nameSeq)
		ours.name = base + ";1"
		ours.dp = dialplanJSON{Context: ep.Context, Exten: ep.Number, Priority: 1}
		farID := req.OtherChannelID
		switch {
		case farID != "":
		case req.ChannelID != "":
			farID = req.ChannelID + ";2"
		default:
			farID = s.newChannelID()
		}
		for strings.EqualFold(farID, ourID) {
			// Only a generated id can meet a given one here.
			farID = s.newChannelID()
		}
		far := &channel{id: farID, name: base + ";2", state: stateRing, created: now,
			vars: map[string]string{}, call: c, far: true,
			dp: dialplanJSON{Context: ep.Context, Exten: ep.Number, Priority: 1}}
		if mode == modeOriginate {
			far.app = subscribe
		}
		c.far = far
	} else {
		ours.name = tech + "/" + ep.peerName() + "-" + hex8(s.nameSeq)
		ours.dp = dialplanJSON{Context: "default", Exten: "s", Priority: 1}
	}
	ours.dp.AppName, ours.dp.AppData = ours.baseApp, ours.baseData
	c.ours = ours

	// Caller id: our channel shows the callerId (changed by CALLERID()
	// variables), its connected line the callerId as given.
	cid := ParseCallerID(req.CallerID)
	ours.caller, ours.connected = cid, cid
	var plain []variable
	for _, v := range req.Variables {
		switch strings.ToUpper(v.Name) {
		case "CALLERID(NAME)":
			ours.caller.Name = v.Value
		case "CALLERID(NUM)", "CALLERID(NUMBER)":
			ours.caller.Number = v.Value
		case "CALLERID(ALL)":
			ours.caller = ParseCallerID(v.Value)
		default:
			if !strings.Contains(v.Name, "(") {
				plain = append(plain, v)
			}
		}
	}
	for _, v := range plain {
		ours.vars[v.Name] = v.Value
		if c.far != nil {
			c.far.vars[v.Name] = v.Value
		}
	}

	c.rec = &CallRecord{
		ID: ourID, Name: ours.name, Endpoint: req.Endpoint, Number: ep.Number,
		Agent: ep.IsAgent(), Callee: cal.label, App: req.App, Created: mode == modeCreate,
		Originated: now,
	}
	if c.far != nil {
		c.rec.OtherID = c.far.id
	}
	s.calls = append(s.calls, c.rec)
	c.log = s.log.With(zap.String("channel_id", ourID))
	c.log.Debug("originate", zap.String("endpoint", tech+"/"+phone.Mask(ep.Number)),
		zap.String("callee", cal.label), zap.Bool("create", mode == modeCreate))

	s.addChannel(ours)
	if c.far != nil {
		s.addChannel(c.far)
	}
	resp := s.snapshot(ours)

	if mode == modeCreate {
		s.enterStasisOrFail(c, true)
		return resp, nil
	}

	// Asterisk sets the variables in reverse order of the request.
	varTarget := c.far
	if varTarget == nil {
		varTarget = ours
	}
	for i := len(plain) - 1; i >= 0; i-- {
		s.varset(varTarget, plain[i].Name, plain[i].Value)
	}
	if c.far != nil && req.CallerID != "" {
		c.far.caller, c.far.connected = cid, ours.caller
		s.chanEvent(c.far, "ChannelCallerId",
			kv{"caller_presentation", 0}, kv{"caller_presentation_txt", "Presentation Allowed, Not Screened"})
		s.chanEvent(c.far, "ChannelConnectedLine")
	}
	if cal.invalid {
		// No such context or extension: both halves go, cause 0.
		c.over = true
		c.rec.Outcome = OutcomeFailed
		s.destroyFar(c, 0)
		s.destroyOurs(c, 0, HungUpByPBX)
		return resp, nil
	}
	s.startDial(c, timeoutDuration(req.Timeout))
	return resp, nil
}

// timeoutDuration converts an originate/dial timeout in seconds (-1 or 0:
// none) to a duration (0 = none).
func timeoutDuration(secs int) time.Duration {
	if secs <= 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// enterStasisOrFail puts our channel of a created call into the
// application, or hangs it up when the application is not active.
func (s *Server) enterStasisOrFail(c *call, dialplanEvent bool) {
	if !s.appActive(c.app) {
		c.log.Debug("stasis application not active", zap.String("app", c.app))
		// As in Asterisk, the failure is not reported through ARI.
		c.over = true
		if c.rec.Outcome == "" {
			c.rec.Outcome = OutcomeFailed
		}
		s.destroyFar(c, 16)
		s.destroyOurs(c, 16, HungUpByPBX)
		return
	}
	s.enterStasis(c.ours, c.app, c.appArgs, dialplanEvent)
}

// enterStasis makes ch enter the application.
func (s *Server) enterStasis(ch *channel, appName string, args []string, dialplanEvent bool) {
	if ch.app == "" {
		ch.app = appName
	}
	data := strings.Join(append([]string{appName}, args...), ",")
	ch.dp.AppName, ch.dp.AppData = "Stasis", data
	if dialplanEvent {
		s.dialplanEvent(ch, "Stasis", data)
	}
	s.varset(ch, "STASISSTATUS", "")
	ch.inStasis, ch.everStasis = true, true
	if args == nil {
		args = []string{}
	}
	s.chanEvent(ch, "StasisStart", kv{"args", args})
}

// startDial starts dialling the callee.
func (s *Server) startDial(c *call, timeout time.Duration) {
	c.dialing, c.dialed = true, true
	s.dialEvent(c, "")
	if timeout > 0 {
		c.dialTmr = s.after(timeout, func() { s.dialTimeout(c) })
	}
	s.runScript(c)
}

// runScript runs the callee's steps until one waits or the call ends.
func (s *Server) runScript(c *call) {
	c.timer = nil
	for !c.over {
		if c.pc >= len(c.callee.script) {
			c.over = true
			// The dialplan ended: the callee hangs up.
			if c.answered {
				s.calleeHangup(c, 16, false)
			} else {
				s.calleeRejected(c, 16, false)
			}
			return
		}
		st := c.callee.script[c.pc]
		c.pc++
		s.farDialplan(c, st)
		switch st.kind {
		case stepNoOp, stepGoto:
		case stepRinging:
			if c.ours.state == stateDown || c.ours.state == stateRing {
				s.stateChange(c.ours, stateRinging)
				s.dialEvent(c, "RINGING")
			}
		case stepWait:
			if st.dur >= 0 {
				c.timer = s.after(st.dur, func() { s.runScript(c) })
			}
			return
		case stepAnswer:
			s.calleeAnswered(c)
			if c.over || !c.ours.alive {
				return
			}
			if st.after > 0 {
				c.answerPause = true
				c.timer = s.after(st.after, func() {
					c.answerPause = false
					s.runScript(c)
				})
				return
			}
		case stepPlayback:
			c.farPlaying = true
			if st.dur >= 0 {
				c.timer = s.after(st.dur, func() {
					c.farPlaying = false
					s.varset(c.far, "PLAYBACKSTATUS", "SUCCESS")
					s.runScript(c)
				})
			}
			return
		case stepSet:
			if c.far != nil {
				c.far.vars[st.name] = st.value
				s.varset(c.far, st.name, st.value)
			}
		case stepBusy:
			c.over = true
			s.calleeFailed(c, 17, "BUSY")
			return
		case stepCongestion:
			c.over = true
			s.calleeFailed(c, 34, "CONGESTION")
			return
		case stepHangup:
			c.over = true
			if c.answered {
				s.calleeHangup(c, st.cause, false)
			} else {
				s.calleeRejected(c, st.cause, false)
			}
			return
		case stepStasis:
			s.farEnterStasis(c, st.args)
			return
		}
	}
}

// farDialplan moves the callee to the next step and reports it
// (ChannelDialplan on the callee half of a Local pair).
func (s *Server) farDialplan(c *call, st step) {
	far := c.far
	if far == nil || !far.alive {
		return
	}
	switch {
	case c.gotoPending:
		c.gotoPending = false
		far.dp.Priority = 1
	case c.pc > 1: // the first step runs at priority 1
		far.dp.Priority++
	}
	far.dp.AppName, far.dp.AppData = st.app, st.data
	s.dialplanEvent(far, st.app, st.data)
	if st.kind == stepGoto {
		// The Goto itself is reported at the old position; the next step
		// runs at the new one.
		c.gotoPending = true
		far.dp.Context, far.dp.Exten = st.context, st.exten
	}
}

// mediaDelay is how long after our half starts sending media (bridged to
// someone, a playback, dialplan) the callee's Answer() notices it.
const mediaDelay = 20 * time.Millisecond

// mediaReached tells the callee that media from ch arrived: when ch is our
// half, an Answer() of the callee that waits for media returns then, as in
// Asterisk, instead of at the end of its delay. Media from the callee half
// itself changes nothing.
func (s *Server) mediaReached(ch *channel) {
	c := ch.call
	if ch.far || c == nil || !c.answerPause || c.over {
		return
	}
	c.answerPause = false
	s.cancelTimer(c.timer)
	c.timer = s.after(mediaDelay, func() { s.runScript(c) })
}

// calleeAnswered: the callee answered.
func (s *Server) calleeAnswered(c *call) {
	if c.far != nil {
		s.stateChange(c.far, stateUp)
	}
	c.answered, c.dialing = true, false
	s.cancelTimer(c.dialTmr)
	c.rec.Answered = s.clock.Now()
	c.rec.Outcome = OutcomeAnswered
	s.stateChange(c.ours, stateUp)
	s.dialEvent(c, "ANSWER")
	c.log.Debug("answered", zap.String("callee", c.callee.label))
	if c.mode != modeOriginate || c.app == "" {
		return
	}
	if !s.appActive(c.app) {
		s.enterStasisOrFail(c, false)
		return
	}
	s.enterStasis(c.ours, c.app, c.appArgs, false)
}

// farEnterStasis puts the callee half into the application (lab 7XXX).
func (s *Server) farEnterStasis(c *call, args []string) {
	if c.far == nil || !s.appActive(c.app) {
		c.over = true
		s.calleeHangup(c, 16, false)
		return
	}
	s.enterStasis(c.far, c.app, args, false)
}

func outcomeForCause(cause int) Outcome {
	switch cause {
	case 1:
		return OutcomeUnallocated
	case 17:
		return OutcomeBusy
	case 19:
		return OutcomeNoAnswer
	case 34:
		return OutcomeCongestion
	default:
		return OutcomeFailed
	}
}

// calleeFailed: Busy() or Congestion() before answer.
func (s *Server) calleeFailed(c *call, cause int, status string) {
	c.dialing = false
	s.cancelTimer(c.dialTmr)
	c.rec.Outcome = outcomeForCause(cause)
	c.log.Debug("callee failed", zap.String("dialstatus", status))
	far := c.far
	if status == "CONGESTION" {
		s.stateChange(far, stateBusy)
	}
	s.dialEvent(c, status)
	if c.mode == modeCreate {
		// The channel stays in the application; only the callee goes.
		s.destroyFar(c, cause)
		return
	}
	if far == nil {
		s.destroyOurs(c, cause, HungUpByCallee)
		return
	}
	s.hangupRequest(far, 0, false)
	s.destroyOurs(c, 0, HungUpByCallee)
	if status == "BUSY" {
		s.stateChange(far, stateBusy)
	}
	s.hangupRequest(far, 16, true)
	s.destroyFar(c, cause)
}

// calleeRejected: the callee hung up before answering (Hangup(cause), the
// end of its dialplan, or DELETE of the callee half).
func (s *Server) calleeRejected(c *call, cause int, viaAPI bool) {
	c.over, c.dialing = true, false
	s.cancelTimer(c.timer)
	s.cancelTimer(c.dialTmr)
	c.rec.Outcome = outcomeForCause(cause)
	c.log.Debug("callee rejected", zap.Int("cause", cause))
	if c.mode == modeCreate {
		if c.dialed {
			s.dialEvent(c, "NOANSWER")
		}
		s.destroyFar(c, cause)
		return
	}
	ours, far := c.ours, c.far
	if far != nil && far.alive {
		if viaAPI {
			s.hangupRequest(far, 32, true)
		}
		s.hangupRequest(far, 16, true)
	}
	s.hangupRequest(ours, cause, false)
	s.destroyFar(c, cause)
	s.dialEvent(c, "NOANSWER")
	s.destroyOurs(c, cause, HungUpByCallee)
}

// dialTimeout: the originate (or dial) timeout expired while ringing.
func (s *Server) dialTimeout(c *call) {
	if !c.dialing || !c.ours.alive {
		return
	}
	c.over, c.dialing = true, false
	s.cancelTimer(c.timer)
	c.rec.Outcome = OutcomeNoAnswer
	c.log.Debug("no answer")
	if c.mode == modeCreate {
		s.hangupRequest(c.ours, 32, true)
		s.destroyFar(c, 19)
		s.destroyOurs(c, 19, HungUpByTimeout)
		return
	}
	far := c.far
	if far != nil && far.alive {
		s.hangupRequest(far, 19, false)
	}
	s.destroyOurs(c, 19, HungUpByTimeout)
	if far != nil && far.alive {
		s.hangupRequest(far, 16, true)
		s.destroyFar(c, 19)
	}
}

// calleeHangup: the callee hung up after answering.
func (s *Server) calleeHangup(c *call, cause int, viaAPI bool) {
	c.over = true
	s.cancelTimer(c.timer)
	c.log.Debug("callee hung up", zap.Int("cause", cause))
	ours, far := c.ours, c.far
	if far != nil && far.alive {
		if viaAPI {
			s.hangupRequest(far, 32, true)
		}
		s.teardown(far)
		if c.farPlaying {
			c.farPlaying = false
			s.varset(far, "PLAYBACKSTATUS", "SUCCESS")
		}
		s.hangupRequest(far, 16, true)
	}
	if ours.alive {
		s.hangupRequest(ours, cause, false)
	}
	s.destroyFar(c, cause)
	s.destroyOurs(c, cause, HungUpByCallee)
}

// hangupOurs: DELETE of our channel with a cause.
func (s *Server) hangupOurs(c *call, cause int) {
	ours, far := c.ours, c.far
	c.rec.HungUpBy = HungUpByAPI
	s.hangupRequest(ours, 32, true)
	wasDialing := c.dialing
	c.over, c.dialing = true, false
	s.cancelTimer(c.timer)
	s.cancelTimer(c.dialTmr)
	if wasDialing {
		c.rec.Outcome = OutcomeCancelled
	}
	if wasDialing && c.mode == modeOriginate {
		s.dialEvent(c, "NOANSWER")
	}
	s.teardown(ours)
	if far != nil && far.alive {
		s.hangupRequest(far, cause, false)
		s.teardown(far)
		if c.farPlaying {
			c.farPlaying = false
			s.varset(far, "PLAYBACKSTATUS", "SUCCESS")
		}
		s.hangupRequest(far, 16, true)
		s.destroyFar(c, cause)
	}
	s.destroyOurs(c, cause, HungUpByAPI)
}

// hangupFar: DELETE of the callee half.
func (s *Server) hangupFar(c *call, cause int) {
	if !c.ours.alive {
		s.hangupRequest(c.far, 32, true)
		s.destroyFar(c, cause)
		return
	}
	if c.answered {
		s.calleeHangup(c, cause, true)
		return
	}
	if c.mode == modeCreate && !c.dialing {
		// Not dialled yet (or the dial is over): the callee half just goes.
		s.hangupRequest(c.far, 32, true)
		s.destroyFar(c, cause)
		return
	}
	s.calleeRejected(c, cause, true)
}

// teardown takes a channel out of everything before it goes: playbacks,
// bridge, the application. It is idempotent.
func (s *Server) teardown(ch *channel) {
	s.stopPlaybacks(ch)
	for _, t := range ch.dtmfTimers {
		s.cancelTimer(t)
	}
	ch.dtmfTimers = nil
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	if ch.inStasis {
		ch.inStasis = false
		s.chanEvent(ch, "StasisEnd")
	}
	if ch.everStasis {
		ch.everStasis = false
		s.varset(ch, "STASISSTATUS", "SUCCESS")
	}
}

// destroyOurs destroys our channel of c.
func (s *Server) destroyOurs(c *call, cause int, by string) {
	ch := c.ours
	if !ch.alive {
		return
	}
	c.over, c.dialing = true, false
	s.cancelTimer(c.timer)
	s.cancelTimer(c.dialTmr)
	s.destroyChannel(ch, cause)
	c.rec.Ended = s.clock.Now()
	c.rec.Cause, c.rec.CauseText = cause, CauseText(cause)
	if c.rec.HungUpBy == "" {
		c.rec.HungUpBy = by
	}
	c.log.Debug("channel destroyed", zap.Int("cause", cause), zap.String("outcome", string(c.rec.Outcome)))
	if c.far != nil && c.far.alive && c.far.app == "" {
		// The unsubscribed callee half of a created channel goes quietly.
		s.destroyFar(c, cause)
	}
}

// destroyFar destroys the callee half of c, if any.
func (s *Server) destroyFar(c *call, cause int) {
	if c.far == nil || !c.far.alive {
		return
	}
	s.destroyChannel(c.far, cause)
}

// destroyChannel removes a channel and reports ChannelDestroyed.
func (s *Server) destroyChannel(ch *channel, cause int) {
	s.teardown(ch)
	ch.alive = false
	delete(s.channels, strings.ToLower(ch.id))
	ch.dp.AppName, ch.dp.AppData = ch.baseApp, ch.baseData
	s.chanEvent(ch, "ChannelDestroyed", kv{"cause", cause}, kv{"cause_txt", CauseText(cause)})
	if ch.app != "" {
		s.gcApp(ch.app)
	}
}
