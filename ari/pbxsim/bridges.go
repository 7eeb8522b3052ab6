package pbxsim

import (
	"fmt"
	"net/http"
	"strings"
)

// bridgeTypes are the attributes POST /bridges accepts in "type".
var bridgeTypes = map[string]bool{
	"mixing": true, "holding": true, "dtmf_events": true, "proxy_media": true,
	"video_sfu": true, "video_single": true, "sdp_label": true,
}

// newUUID returns a generated id for a bridge or a playback: a UUID from
// the seeded generator, as Asterisk generates UUIDs.
func (s *Server) newUUID() string {
	for {
		a, b := s.rng.Uint64(), s.rng.Uint64()
		id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
			a>>32, (a>>16)&0xffff, (a&0x0fff)|0x4000, (b>>48)&0x3fff|0x8000, b&0xffffffffffff)
		if s.bridges[id] == nil && s.playbacks[id] == nil {
			return id
		}
	}
}

// createBridge creates a bridge (POST /bridges, /bridges/{id}). withID is
// the id of the path form, which updates an existing bridge instead of
// failing.
func (s *Server) createBridge(p params, withID string) (bridgeJSON, *apiError) {
	id := p.get("bridgeId")
	if withID != "" {
		id = withID
	}
	typ := p.get("type")
	if id != "" {
		if b := s.bridges[id]; b != nil {
			if withID == "" {
				return bridgeJSON{}, errMsg(http.StatusConflict, "Bridge with id '"+id+"' already exists")
			}
			if name := p.get("name"); name != "" && name != b.name {
				return bridgeJSON{}, errMsg(http.StatusInternalServerError, "Changing bridge name is not implemented")
			}
			if typ != "" {
				return bridgeJSON{}, errMsg(http.StatusInternalServerError, "Supplying a bridge type when updating a bridge is not allowed.")
			}
			return s.bridgeSnapshot(b), nil
		}
	}
	kind, tech := "mixing", "simple_bridge"
	for _, t := range strings.Split(typ, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !bridgeTypes[t] {
			return bridgeJSON{}, errMsg(http.StatusInternalServerError,
				"Unable to create bridge. Possible duplicate bridge id '"+id+"'")
		}
		if t == "holding" {
			kind, tech = "holding", "holding_bridge"
		}
	}
	if id == "" {
		id = s.newUUID()
	}
	b := &bridge{id: id, name: p.get("name"), typ: kind, technology: tech, created: s.clock.Now(), apps: map[string]bool{}}
	s.bridges[id] = b
	return s.bridgeSnapshot(b), nil
}

// bridgeMembership resolves the bridge and the "channel" parameter of
// addChannel and removeChannel: the bridge must exist (else 404), every
// channel must exist (else 400) and be in the application (else 422). It
// writes the error and returns a nil bridge otherwise. The caller holds
// s.mu.
func (s *Server) bridgeMembership(w http.ResponseWriter, p params, bridgeID string) (*bridge, []*channel) {
	b := s.findBridge(w, bridgeID)
	if b == nil {
		return nil, nil
	}
	ids := p.list("channel")
	if len(ids) == 0 {
		writeError(w, http.StatusBadRequest, "Missing parameter channel")
		return nil, nil
	}
	out := make([]*channel, 0, len(ids))
	for _, id := range ids {
		ch := s.lookupChannel(id)
		if ch == nil {
			writeError(w, http.StatusBadRequest, msgChannelNotFound)
			return nil, nil
		}
		if !ch.inStasis {
			writeError(w, http.StatusUnprocessableEntity, msgNotInStasis)
			return nil, nil
		}
		out = append(out, ch)
	}
	return b, out
}

// enterBridge puts ch into b, moving it out of another bridge first.
func (s *Server) enterBridge(b *bridge, ch *channel) {
	if ch.bridge == b {
		return
	}
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	ch.bridge = b
	b.channels = append(b.channels, ch)
	if ch.app != "" {
		b.apps[ch.app] = true
	}
	s.bridgeEvent(b, ch, "ChannelEnteredBridge")
	s.bridgeLog = append(s.bridgeLog, BridgeRecord{BridgeID: b.id, ChannelID: ch.id, Entered: s.clock.Now()})
}

// updateBridgePeers sets BRIDGEPEER on every channel of b to the names of
// the others, when there are at least two.
func (s *Server) updateBridgePeers(b *bridge) {
	if len(b.channels) < 2 {
		return
	}
	for _, ch := range b.channels {
		var names []string
		for _, other := range b.channels {
			if other != ch {
				names = append(names, other.name)
			}
		}
		peer := strings.Join(names, ",")
		if peer != ch.bridgePeer {
			ch.bridgePeer = peer
			ch.vars["BRIDGEPEER"] = peer
			s.varset(ch, "BRIDGEPEER", peer)
		}
	}
}

// leaveBridge takes ch out of its bridge.
func (s *Server) leaveBridge(ch *channel) {
	b := ch.bridge
	if b == nil {
		return
	}
	for i, other := range b.channels {
		if other == ch {
			b.channels = append(b.channels[:i:i], b.channels[i+1:]...)
			break
		}
	}
	ch.bridge = nil
	if ch.bridgePeer != "" {
		ch.bridgePeer = ""
		delete(ch.vars, "BRIDGEPEER")
		s.varset(ch, "BRIDGEPEER", "")
	}
	s.bridgeEvent(b, ch, "ChannelLeftBridge")
	for i := len(s.bridgeLog) - 1; i >= 0; i-- {
		r := &s.bridgeLog[i]
		if r.BridgeID == b.id && r.ChannelID == ch.id && r.Left.IsZero() {
			r.Left = s.clock.Now()
			break
		}
	}
}

// destroyBridge removes a bridge: its channels leave (and stay in the
// application), then BridgeDestroyed.
func (s *Server) destroyBridge(b *bridge) {
	for len(b.channels) > 0 {
		s.leaveBridge(b.channels[0])
	}
	delete(s.bridges, b.id)
	s.bridgeEvent(b, nil, "BridgeDestroyed")
	for a := range b.apps {
		s.gcApp(a)
	}
}

func hBridgeList(s *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	s.mu.Lock()
	out := make([]bridgeJSON, 0, len(s.bridges))
	for _, id := range sortedKeys(s.bridges) {
		out = append(out, s.bridgeSnapshot(s.bridges[id]))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func hBridgeCreate(s *Server, w http.ResponseWriter, _ *http.Request, p params, _ []string) {
	s.mu.Lock()
	b, aerr := s.createBridge(p, "")
	s.mu.Unlock()
	writeResult(w, http.StatusOK, b, aerr)
}

func hBridgeCreateWithID(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	b, aerr := s.createBridge(p, vars[0])
	s.mu.Unlock()
	writeResult(w, http.StatusOK, b, aerr)
}

func hBridgeGet(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.findBridge(w, vars[0])
	if b == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.bridgeSnapshot(b))
}

func hBridgeDelete(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.findBridge(w, vars[0])
	if b == nil {
		return
	}
	s.destroyBridge(b)
	writeNoContent(w)
}

func hAddChannel(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, chans := s.bridgeMembership(w, p, vars[0])
	if b == nil {
		return
	}
	for _, ch := range chans {
		s.enterBridge(b, ch)
	}
	s.updateBridgePeers(b)
	if len(b.channels) >= 2 {
		for _, ch := range b.channels {
			s.mediaReached(ch)
		}
	}
	writeNoContent(w)
}

func hRemoveChannel(s *Server, w http.ResponseWriter, _ *http.Request, p params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, chans := s.bridgeMembership(w, p, vars[0])
	if b == nil {
		return
	}
	for _, ch := range chans {
		if ch.bridge != b {
			writeError(w, http.StatusUnprocessableEntity, "Channel not in this bridge")
			return
		}
	}
	for _, ch := range chans {
		s.leaveBridge(ch)
	}
	writeNoContent(w)
}

// findBridge finds a bridge, or writes 404 and returns nil. The caller
// holds s.mu.
func (s *Server) findBridge(w http.ResponseWriter, id string) *bridge {
	b := s.bridges[id]
	if b == nil {
		writeError(w, http.StatusNotFound, "Bridge not found")
	}
	return b
}

// writeResult writes v with status ok, or the error.
func writeResult(w http.ResponseWriter, ok int, v any, aerr *apiError) {
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	writeJSON(w, ok, v)
}

// writeAPIError writes the error of an operation.
func writeAPIError(w http.ResponseWriter, aerr *apiError) {
	writeJSON(w, aerr.status, aerr.body)
}
