package pbxsim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Channel states, as ARI spells them.
const (
	stateDown    = "Down"
	stateRing    = "Ring"
	stateRinging = "Ringing"
	stateUp      = "Up"
	stateBusy    = "Busy"
)

// channel is a live channel. All fields are guarded by Server.mu.
type channel struct {
	id, name  string
	seq       int // creation order
	state     string
	caller    CallerID
	connected CallerID
	dp        dialplanJSON
	// baseApp/baseData is the dialplan application shown outside Stasis
	// (AppDial2 "(Outgoing Line)" for originated channels).
	baseApp, baseData string
	created           time.Time
	vars              map[string]string
	// app receives the channel's events ("" when nobody subscribed).
	app        string
	inStasis   bool
	everStasis bool // STASISSTATUS=SUCCESS is still to be set at the end
	bridge     *bridge
	bridgePeer string
	call       *call
	far        bool // the callee half (";2") of a Local pair
	alive      bool
	playbacks  []*playback // the first one is playing
	dtmfTimers []*simTimer
	flags      map[string]string // moh, hold, silence, mute: informational
}

// callMode is how a call was placed.
type callMode int

const (
	modeOriginate callMode = iota // POST /channels: dialled at once, Stasis on answer
	modeCreate                    // POST /channels/create: Stasis at once, dialled by /dial
)

// call is an originated channel with its callee.
type call struct {
	mode     callMode
	ep       Endpoint
	ours     *channel
	far      *channel // Local only
	callee   callee
	pc       int
	timer    *simTimer // pending step of the callee script
	dialTmr  *simTimer // originate or dial timeout
	app      string
	appArgs  []string
	dialing  bool // the callee is being dialled (no final outcome yet)
	dialed   bool // dialling has started (create mode: /dial was called)
	answered bool
	over     bool // the callee side is finished (its script ended)
	// farPlaying: the callee half is inside a Playback step.
	farPlaying bool
	// answerPause: the callee answered and waits (Answer's delay) for
	// media before its next step.
	answerPause bool
	// gotoPending: the callee's last step was a Goto; its next step runs
	// at priority 1 of the new context.
	gotoPending bool
	dialEvents  int
	rec         *CallRecord
	log         *zap.Logger
}

// bridge is a live bridge.
type bridge struct {
	id, name   string
	typ        string // "mixing" or "holding"
	technology string
	created    time.Time
	channels   []*channel
	apps       map[string]bool // applications that receive its events
}

// playback is a playback of media on a channel.
type playback struct {
	id       string
	media    []string
	idx      int
	target   *channel
	language string
	state    string // queued, playing, done, failed
	timer    *simTimer
	vanished bool // unsupported scheme: started, never finishes
}

// app is a Stasis application known to the simulator.
type app struct {
	name   string
	active *wsConn          // the socket that receives events
	conns  map[*wsConn]bool // every open socket registered for it
}

// lookupChannel finds a live channel; ids match case-insensitively, as in
// Asterisk.
func (s *Server) lookupChannel(id string) *channel {
	return s.channels[strings.ToLower(id)]
}

// idInUse reports whether id is a case-insensitive prefix of a live
// channel's id (Asterisk's uniqueid check).
func (s *Server) idInUse(id string) bool {
	if id == "" {
		return false
	}
	low := strings.ToLower(id)
	for key := range s.channels {
		if strings.HasPrefix(key, low) {
			return true
		}
	}
	return false
}

// newChannelID returns an Asterisk-like generated id ("1796314212.36").
func (s *Server) newChannelID() string {
	for {
		s.idSeq++
		id := strconv.FormatInt(s.started.Unix(), 10) + "." + strconv.Itoa(s.idSeq)
		if !s.idInUse(id) {
			return id
		}
	}
}

func hex8(n int) string { return fmt.Sprintf("%08x", n) }

// addChannel registers a new live channel.
func (s *Server) addChannel(ch *channel) {
	s.chanSeq++
	ch.seq = s.chanSeq
	ch.alive = true
	s.channels[strings.ToLower(ch.id)] = ch
	if ch.app != "" {
		s.ensureApp(ch.app)
	}
}

// snapshot renders a channel as ARI does.
func (s *Server) snapshot(ch *channel) channelJSON {
	return channelJSON{
		ID:           ch.id,
		Name:         ch.name,
		State:        ch.state,
		Caller:       callerJSON{Name: ch.caller.Name, Number: ch.caller.Number},
		Connected:    callerJSON{Name: ch.connected.Name, Number: ch.connected.Number},
		Dialplan:     ch.dp,
		CreationTime: ariTime(ch.created),
		Language:     "en",
	}
}

// bridgeSnapshot renders a bridge.
func (s *Server) bridgeSnapshot(b *bridge) bridgeJSON {
	ids := make([]string, 0, len(b.channels))
	for _, ch := range b.channels {
		ids = append(ids, ch.id)
	}
	return bridgeJSON{
		ID:           b.id,
		Technology:   b.technology,
		BridgeType:   b.typ,
		BridgeClass:  "stasis",
		Creator:      "Stasis",
		Name:         b.name,
		Channels:     ids,
		CreationTime: ariTime(b.created),
		VideoMode:    "talker",
	}
}

// playbackSnapshot renders a playback.
func (s *Server) playbackSnapshot(pb *playback) playbackJSON {
	j := playbackJSON{
		ID:        pb.id,
		MediaURI:  pb.media[pb.idx],
		TargetURI: "channel:" + pb.target.id,
		Language:  pb.language,
		State:     pb.state,
	}
	if pb.idx+1 < len(pb.media) {
		j.NextMediaURI = pb.media[pb.idx+1]
	}
	return j
}

// ensureApp returns the application, creating it.
func (s *Server) ensureApp(name string) *app {
	a := s.apps[name]
	if a == nil {
		a = &app{name: name, conns: map[*wsConn]bool{}}
		s.apps[name] = a
	}
	return a
}

// gcApp forgets an application that has no socket, channel or bridge.
func (s *Server) gcApp(name string) {
	a := s.apps[name]
	if a == nil || len(a.conns) > 0 {
		return
	}
	for _, ch := range s.channels {
		if ch.app == name {
			return
		}
	}
	for _, b := range s.bridges {
		if b.apps[name] {
			return
		}
	}
	delete(s.apps, name)
}

// appActive reports whether Stasis(app) would succeed: the application
// has a socket that receives events.
func (s *Server) appActive(name string) bool {
	a := s.apps[name]
	return a != nil && a.active != nil
}

// appJSON renders an application.
func (s *Server) appJSON(a *app) applicationJSON {
	j := applicationJSON{
		Name:             a.name,
		ChannelIDs:       []string{},
		BridgeIDs:        []string{},
		EndpointIDs:      []string{},
		DeviceNames:      []string{},
		EventsAllowed:    []any{},
		EventsDisallowed: []any{},
	}
	for _, ch := range s.channels {
		if ch.app == a.name {
			j.ChannelIDs = append(j.ChannelIDs, ch.id)
		}
	}
	for _, b := range s.bridges {
		if b.apps[a.name] {
			j.BridgeIDs = append(j.BridgeIDs, b.id)
		}
	}
	sort.Strings(j.ChannelIDs)
	sort.Strings(j.BridgeIDs)
	return j
}

// liveChannels returns the live channels in creation order.
func (s *Server) liveChannels() []*channel {
	out := make([]*channel, 0, len(s.channels))
	for _, ch := range s.channels {
		out = append(out, ch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// ---- events ----

// event builds an event: pre members, type, timestamp, post members.
func (s *Server) event(pre []kv, typ string, post ...kv) object {
	ev := make(object, 0, len(pre)+len(post)+4)
	ev = append(ev, pre...)
	ev = append(ev, kv{"type", typ}, kv{"timestamp", ariTime(s.clock.Now())})
	return append(ev, post...)
}

// deliver sends an event to the socket of an application, or drops it.
func (s *Server) deliver(appName string, ev object) {
	if appName == "" {
		return
	}
	a := s.apps[appName]
	if a == nil || a.active == nil {
		s.dropped++
		return
	}
	ev = append(ev, kv{"asterisk_id", s.asteriskID}, kv{"application", appName})
	frame, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("marshal event", zap.Error(err))
		return
	}
	a.active.enqueue(frame)
}

// chanEvent sends an event about ch to its application: post members,
// then the channel snapshot.
func (s *Server) chanEvent(ch *channel, typ string, post ...kv) {
	if ch == nil || ch.app == "" {
		return
	}
	post = append(post, kv{"channel", s.snapshot(ch)})
	s.deliver(ch.app, s.event(nil, typ, post...))
}

func (s *Server) stateChange(ch *channel, state string) {
	if ch == nil || ch.state == state {
		return
	}
	ch.state = state
	s.chanEvent(ch, "ChannelStateChange")
}

func (s *Server) varset(ch *channel, name, value string) {
	if ch == nil {
		return
	}
	if ch.app == "" {
		return
	}
	pre := []kv{{"variable", name}, {"value", value}}
	s.deliver(ch.app, s.event(pre, "ChannelVarset", kv{"channel", s.snapshot(ch)}))
}

func (s *Server) hangupRequest(ch *channel, cause int, soft bool) {
	if ch == nil || ch.app == "" {
		return
	}
	pre := []kv{{"cause", cause}}
	if soft {
		pre = append(pre, kv{"soft", true})
	}
	s.deliver(ch.app, s.event(pre, "ChannelHangupRequest", kv{"channel", s.snapshot(ch)}))
}

func (s *Server) dialplanEvent(ch *channel, app, data string) {
	s.chanEvent(ch, "ChannelDialplan", kv{"dialplan_app", app}, kv{"dialplan_app_data", data})
}

// dialEvent sends a Dial event for our channel of c.
func (s *Server) dialEvent(c *call, status string) {
	dialstring := c.ep.Resource
	if c.mode == modeCreate && c.dialEvents > 0 {
		dialstring = ""
	}
	c.dialEvents++
	c.rec.DialStatus = status
	if c.ours.app == "" {
		return
	}
	s.deliver(c.ours.app, s.event(nil, "Dial",
		kv{"dialstatus", status}, kv{"forward", ""}, kv{"dialstring", dialstring},
		kv{"peer", s.snapshot(c.ours)}))
}

// bridgeEvent sends a bridge event to the bridge's applications and the
// channel's.
func (s *Server) bridgeEvent(b *bridge, ch *channel, typ string) {
	snap := s.bridgeSnapshot(b)
	targets := map[string]bool{}
	for a := range b.apps {
		targets[a] = true
	}
	if ch != nil && ch.app != "" {
		targets[ch.app] = true
	}
	for _, a := range sortedKeys(targets) {
		post := []kv{{"bridge", snap}}
		if ch != nil {
			post = append(post, kv{"channel", s.snapshot(ch)})
		}
		s.deliver(a, s.event(nil, typ, post...))
	}
}

// playbackEvent sends a playback event to the target channel's application.
func (s *Server) playbackEvent(pb *playback, typ string) {
	if pb.target.app == "" {
		return
	}
	s.deliver(pb.target.app, s.event(nil, typ, kv{"playback", s.playbackSnapshot(pb)}))
}
