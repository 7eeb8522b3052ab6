package pbxsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	msgChannelNotFound = "Channel not found"
	msgNotInStasis     = "Channel not in Stasis application"
)

func hChannelList(s *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	s.mu.Lock()
	chans := s.liveChannels()
	out := make([]channelJSON, 0, len(chans))
	for _, ch := range chans {
		out = append(out, s.snapshot(ch))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func hOriginate(s *Server, w http.ResponseWriter, _ *http.Request, p params, _ []string) {
	s.mu.Lock()
	resp, aerr := s.originate(parseOriginate(p, ""), modeOriginate)
	s.mu.Unlock()
	writeResult(w, http.StatusOK, resp, aerr)
}

func hOriginateWithID(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	resp, aerr := s.originate(parseOriginate(p, vars[0]), modeOriginate)
	s.mu.Unlock()
	writeResult(w, http.StatusOK, resp, aerr)
}

func hCreate(s *Server, w http.ResponseWriter, _ *http.Request, p params, _ []string) {
	s.mu.Lock()
	resp, aerr := s.originate(parseOriginate(p, ""), modeCreate)
	s.mu.Unlock()
	writeResult(w, http.StatusOK, resp, aerr)
}

func hChannelGet(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.findChannel(w, vars[0], msgChannelNotFound)
	if ch == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.snapshot(ch))
}

// hangupCause reads reason / reason_code of DELETE /channels/{id}.
func hangupCause(p params) (int, *apiError) {
	reason, code := p.get("reason"), p.get("reason_code")
	switch {
	case reason != "" && code != "":
		return 0, errMsg(http.StatusBadRequest, "The reason and reason_code can't both be specified")
	case code != "":
		n, err := strconv.Atoi(code)
		if err != nil || n < 0 || n > 127 {
			return 0, errMsg(http.StatusBadRequest, "Invalid reason for hangup provided")
		}
		return n, nil
	case reason != "":
		n, ok := hangupReasons[reason]
		if !ok {
			return 0, errMsg(http.StatusBadRequest, "Invalid reason for hangup provided")
		}
		return n, nil
	default:
		return 16, nil
	}
}

func hHangup(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.findChannel(w, vars[0], msgChannelNotFound)
	if ch == nil {
		return
	}
	cause, aerr := hangupCause(p)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if ch.far {
		s.hangupFar(ch.call, cause)
	} else {
		s.hangupOurs(ch.call, cause)
	}
	writeNoContent(w)
}

// findChannel finds a channel, or writes 404 with Asterisk's message for
// the route (notFound) and returns nil. The caller holds s.mu.
func (s *Server) findChannel(w http.ResponseWriter, id, notFound string) *channel {
	ch := s.lookupChannel(id)
	if ch == nil {
		writeError(w, http.StatusNotFound, notFound)
	}
	return ch
}

// stasisChannel finds a channel that must be in the application; it
// writes the error and returns nil otherwise. The caller holds s.mu.
func (s *Server) stasisChannel(w http.ResponseWriter, id string) *channel {
	ch := s.findChannel(w, id, msgChannelNotFound)
	if ch == nil {
		return nil
	}
	if !ch.inStasis {
		writeError(w, http.StatusConflict, msgNotInStasis)
		return nil
	}
	return ch
}

func hAnswer(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.stasisChannel(w, vars[0])
	if ch == nil {
		return
	}
	s.stateChange(ch, stateUp)
	writeNoContent(w)
}

// flagOp builds handlers for operations that only change a channel's
// indications (ring, moh, hold, silence, mute): no media is simulated and
// Asterisk sends no event for them.
func flagOp(flag string, on bool, param string) handlerFunc {
	return func(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		ch := s.stasisChannel(w, vars[0])
		if ch == nil {
			return
		}
		if ch.flags == nil {
			ch.flags = map[string]string{}
		}
		if on {
			if flag == "moh" {
				s.mediaReached(ch)
			}
			v := "on"
			if param != "" && p.get(param) != "" {
				v = p.get(param)
			}
			ch.flags[flag] = v
		} else {
			delete(ch.flags, flag)
		}
		writeNoContent(w)
	}
}

var (
	hRing        = flagOp("ring", true, "")
	hRingStop    = flagOp("ring", false, "")
	hMOH         = flagOp("moh", true, "mohClass")
	hMOHStop     = flagOp("moh", false, "")
	hHold        = flagOp("hold", true, "")
	hHoldStop    = flagOp("hold", false, "")
	hSilence     = flagOp("silence", true, "")
	hSilenceStop = flagOp("silence", false, "")
	hMute        = flagOp("mute", true, "direction")
	hUnmute      = flagOp("mute", false, "")
)

func hDTMF(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.stasisChannel(w, vars[0])
	if ch == nil {
		return
	}
	digits := p.get("dtmf")
	if digits == "" {
		writeError(w, http.StatusBadRequest, "DTMF is required")
		return
	}
	ms := func(name string, def int) time.Duration {
		n := p.intOr(name, def)
		if n < 0 {
			n = def
		}
		return time.Duration(n) * time.Millisecond
	}
	s.sendDTMF(ch, digits, ms("before", 0), ms("between", 100), ms("duration", 100))
	writeNoContent(w)
}

func hPlay(s *Server, w http.ResponseWriter, r *http.Request, p params, vars []string) {
	doPlay(s, w, p, vars[0], p.get("playbackId"))
}

func hPlayWithID(s *Server, w http.ResponseWriter, r *http.Request, p params, vars []string) {
	doPlay(s, w, p, vars[0], vars[1])
}

func doPlay(s *Server, w http.ResponseWriter, p params, chanID, pbID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.stasisChannel(w, chanID)
	if ch == nil {
		return
	}
	pb, aerr := s.play(ch, pbID, p.list("media"), p.get("lang"))
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	w.Header().Set("Location", "/playbacks/"+pb.ID)
	writeJSON(w, http.StatusCreated, pb)
}

// channelVar reads a variable or a supported dialplan function.
func channelVar(ch *channel, name string) (string, bool) {
	switch strings.ToUpper(name) {
	case "CALLERID(ALL)":
		switch {
		case ch.caller.Name != "":
			return `"` + ch.caller.Name + `" <` + ch.caller.Number + `>`, true
		case ch.caller.Number != "":
			return "<" + ch.caller.Number + ">", true
		default:
			return "", true
		}
	case "CALLERID(NAME)":
		return ch.caller.Name, true
	case "CALLERID(NUM)", "CALLERID(NUMBER)":
		return ch.caller.Number, true
	case "CONNECTEDLINE(NAME)":
		return ch.connected.Name, true
	case "CONNECTEDLINE(NUM)", "CONNECTEDLINE(NUMBER)":
		return ch.connected.Number, true
	case "CHANNEL(STATE)":
		return ch.state, true
	case "CHANNEL(NAME)":
		return ch.name, true
	case "CHANNEL(UNIQUEID)", "UNIQUEID":
		return ch.id, true
	case "CHANNEL(LANGUAGE)":
		return "en", true
	case "CHANNEL(CONTEXT)":
		return ch.dp.Context, true
	case "CHANNEL(EXTEN)":
		return ch.dp.Exten, true
	}
	v, ok := ch.vars[name]
	return v, ok
}

// varChannel finds the channel and the "variable" parameter of GET and
// POST /channels/{id}/variable, or writes the error and returns nil. The
// caller holds s.mu.
func (s *Server) varChannel(w http.ResponseWriter, p params, id string) (*channel, string) {
	ch := s.findChannel(w, id, "Provided channel was not found")
	if ch == nil {
		return nil, ""
	}
	name := p.get("variable")
	if name == "" {
		writeError(w, http.StatusBadRequest, "Variable name is required")
		return nil, ""
	}
	return ch, name
}

func hVarGet(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, name := s.varChannel(w, p, vars[0])
	if ch == nil {
		return
	}
	v, ok := channelVar(ch, name)
	if !ok {
		writeError(w, http.StatusNotFound, "Provided variable was not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"value": v})
}

func hVarSet(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, name := s.varChannel(w, p, vars[0])
	if ch == nil {
		return
	}
	if !ch.inStasis {
		writeError(w, http.StatusConflict, msgNotInStasis)
		return
	}
	value := p.get("value")
	switch upper := strings.ToUpper(name); {
	case upper == "CALLERID(NAME)":
		ch.caller.Name = value
	case upper == "CALLERID(NUM)" || upper == "CALLERID(NUMBER)":
		ch.caller.Number = value
	case strings.Contains(name, "("):
		// Other functions (TALK_DETECT, ...) are accepted without effect:
		// they act on media, which is not simulated.
	default:
		ch.vars[name] = value
		s.varset(ch, name, value)
	}
	writeNoContent(w)
}

func hContinue(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.stasisChannel(w, vars[0])
	if ch == nil {
		return
	}
	s.stopPlaybacks(ch)
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	ch.inStasis = false
	s.chanEvent(ch, "StasisEnd")
	// The dialplan is not simulated: the channel stays where it is told to
	// go, up, until it is hung up.
	if ctx := p.get("context"); ctx != "" {
		ch.dp.Context = ctx
	}
	if ext := p.get("extension"); ext != "" {
		ch.dp.Exten = ext
	}
	if prio := p.intOr("priority", 0); prio > 0 {
		ch.dp.Priority = prio
	}
	ch.dp.AppName, ch.dp.AppData = "", ""
	s.mediaReached(ch)
	writeNoContent(w)
}

func hDial(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.stasisChannel(w, vars[0])
	if ch == nil {
		return
	}
	c := ch.call
	if ch.far || c.mode != modeCreate || c.dialed || ch.state != stateDown {
		writeError(w, http.StatusConflict, "Channel is not in the 'Down' state")
		return
	}
	if caller := p.get("caller"); caller != "" && s.lookupChannel(caller) == nil {
		writeError(w, http.StatusNotFound, "Caller channel not found")
		return
	}
	writeNoContent(w)
	if c.callee.invalid {
		c.dialed, c.over = true, true
		c.rec.Outcome = OutcomeFailed
		s.destroyFar(c, 16)
		s.destroyOurs(c, 16, HungUpByPBX)
		return
	}
	s.startDial(c, timeoutDuration(p.intOr("timeout", 0)))
}
