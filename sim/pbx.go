package sim

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/duecall/duecall/dialer"
)

// PBX is a simulated PBX for a Synchronous dialer engine: every request
// completes inline, events are queued on a buffered channel (the engine's
// Pump reads them) in the order the ARI transcripts show, and calls evolve
// on the Clock according to the Population: the k-th debtor dial gets the
// k-th fate. It also records the ground truth of every debtor call
// (answer, connection to an agent, end) for the measurements.
type PBX struct {
	clock *Clock
	sc    *Scenario
	pop   *Population
	start time.Time
	end   time.Time

	// PlaybackDuration is the abandon message's length.
	PlaybackDuration time.Duration

	events   chan dialer.Event
	channels map[string]*channel
	bridges  map[string]map[string]bool
	agentBr  map[string]bool // bridges of agents
	calls    []CallRecord
	closed   bool
}

// CallRecord is the ground truth of one debtor dial.
type CallRecord struct {
	Debt       int
	Class      Class
	PlacedAt   time.Time
	AnsweredAt time.Time // zero unless answered (live or machine)
	BridgedAt  time.Time // first time in an agent's bridge
	EndedAt    time.Time // zero while the call lasts
}

type channel struct {
	id       string
	agent    bool
	rec      int // index in calls (debtor)
	args     []string
	state    string // Down, Ringing, Up
	inStasis bool
	bridge   string
	fate     Fate
	class    Class
	timers   []dialer.Timer
}

var _ dialer.Telephony = (*PBX)(nil)

// NewPBX returns a PBX for a day that starts at start.
func NewPBX(clock *Clock, sc *Scenario, pop *Population, start time.Time) *PBX {
	return &PBX{
		clock: clock, sc: sc, pop: pop, start: start, end: start.Add(sc.Duration),
		PlaybackDuration: 5 * time.Second,
		events:           make(chan dialer.Event, 1<<16),
		channels:         map[string]*channel{}, bridges: map[string]map[string]bool{}, agentBr: map[string]bool{},
	}
}

// Calls returns the records of every debtor dial so far, in dial order.
// Records of live calls have a zero EndedAt.
func (p *PBX) Calls() []CallRecord { return p.calls }

func (p *PBX) emit(ev dialer.Event) {
	if p.closed {
		return
	}
	ev.Time = p.clock.Now()
	select {
	case p.events <- ev:
	default:
		// The engine pumps after every input, so this is a bug: never drop
		// an event silently.
		panic("sim: PBX event queue full")
	}
}

// at runs f after d while the channel lives.
func (p *PBX) at(ch *channel, d time.Duration, f func()) {
	t := p.clock.AfterFunc(d, func() {
		if p.channels[ch.id] == ch {
			f()
		}
	})
	ch.timers = append(ch.timers, t)
}

// Originate implements dialer.Telephony.
func (p *PBX) Originate(_ context.Context, req dialer.OriginateRequest) error {
	if _, dup := p.channels[req.ChannelID]; dup {
		return &dialer.OriginateError{Status: 409, Reason: "Channel with given unique ID already exists"}
	}
	if len(req.AppArgs) == 0 {
		return &dialer.OriginateError{Status: 400, Reason: "no application arguments"}
	}
	ch := &channel{id: req.ChannelID, args: req.AppArgs, state: "Down", agent: req.AppArgs[0] == "agent"}
	if ch.agent {
		p.channels[ch.id] = ch
		p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id})
		p.answer(ch)
		return nil
	}
	k, err := strconv.Atoi(req.Variables["DUECALL_DEBT"])
	if err != nil || k < 0 {
		return &dialer.OriginateError{Status: 400, Reason: "unknown debt " + req.Variables["DUECALL_DEBT"]}
	}
	now := p.clock.Now()
	ch.fate = p.pop.Fate(k)
	ch.class = ch.fate.Class(p.sc, float64(now.Sub(p.start))/float64(p.sc.Duration))
	ch.rec = len(p.calls)
	p.calls = append(p.calls, CallRecord{Debt: k, Class: ch.class, PlacedAt: now})
	p.channels[ch.id] = ch
	p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id})
	ch.state = "Ringing"
	p.emit(dialer.Event{Kind: dialer.EventRinging, ChannelID: ch.id, State: "Ringing"})
	p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id, DialStatus: "RINGING"})
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = p.sc.OriginateTimeout
	}
	ringOut := func(d time.Duration) {
		// The far end never answered: Asterisk ends the dial at the timeout.
		p.at(ch, d, func() { p.destroy(ch, 19, "User alerting, no answer") })
	}
	switch ch.class {
	case ClassLive, ClassMachine:
		if ch.fate.Answer >= timeout {
			ringOut(timeout)
			break
		}
		p.at(ch, ch.fate.Answer, func() { p.answer(ch) })
	case ClassBusy:
		p.at(ch, min(ch.fate.BusyAfter, timeout), func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id, DialStatus: "BUSY"})
			p.destroy(ch, 17, "User busy")
		})
	case ClassInvalid:
		p.at(ch, min(ch.fate.InvalidAfter, timeout), func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id, DialStatus: "NOANSWER"})
			p.destroy(ch, 1, "Unallocated (unassigned) number")
		})
	default:
		if ch.fate.NoAnswer >= timeout {
			ringOut(timeout)
			break
		}
		p.at(ch, ch.fate.NoAnswer, func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id, DialStatus: "NOANSWER"})
			p.destroy(ch, 19, "User alerting, no answer")
		})
	}
	return nil
}

// answer: the channel is Up and enters the application.
func (p *PBX) answer(ch *channel) {
	ch.state = "Up"
	p.emit(dialer.Event{Kind: dialer.EventAnswered, ChannelID: ch.id, State: "Up"})
	p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.id, DialStatus: "ANSWER"})
	ch.inStasis = true
	p.emit(dialer.Event{Kind: dialer.EventStasisStart, ChannelID: ch.id, State: "Up", Args: ch.args})
	if ch.agent {
		return
	}
	p.calls[ch.rec].AnsweredAt = p.clock.Now()
	if ch.class == ClassLive {
		// The caller hangs up when no agent arrives within the patience
		// (just after the dialer's own abandon timer, armed at the answer).
		p.at(ch, p.sc.Patience+time.Millisecond, func() {
			if ch.bridge == "" {
				p.remoteHangup(ch, 16)
			}
		})
	}
}

// destroy ends a channel with its events.
func (p *PBX) destroy(ch *channel, cause int, text string) {
	for _, t := range ch.timers {
		t.Stop()
	}
	ch.timers = nil
	if ch.bridge != "" {
		p.leave(ch)
	}
	if ch.inStasis {
		ch.inStasis = false
		p.emit(dialer.Event{Kind: dialer.EventStasisEnd, ChannelID: ch.id})
	}
	delete(p.channels, ch.id)
	if !ch.agent {
		p.calls[ch.rec].EndedAt = p.clock.Now()
	}
	p.emit(dialer.Event{Kind: dialer.EventChannelDestroyed, ChannelID: ch.id, Cause: cause, CauseText: text, State: ch.state})
}

func (p *PBX) leave(ch *channel) {
	br := ch.bridge
	ch.bridge = ""
	delete(p.bridges[br], ch.id)
	p.emit(dialer.Event{Kind: dialer.EventLeftBridge, ChannelID: ch.id, BridgeID: br})
}

// remoteHangup: the far end hangs up.
func (p *PBX) remoteHangup(ch *channel, cause int) {
	p.emit(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: ch.id, Cause: cause})
	p.destroy(ch, cause, "Normal Clearing")
}

// Hangup implements dialer.Telephony.
func (p *PBX) Hangup(_ context.Context, id string) error {
	ch, ok := p.channels[id]
	if !ok {
		return fmt.Errorf("hangup %s: %w", id, dialer.ErrNotFound)
	}
	p.emit(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: id, Cause: 32, Soft: true})
	p.destroy(ch, 16, "Normal Clearing")
	return nil
}

// CreateBridge implements dialer.Telephony.
func (p *PBX) CreateBridge(_ context.Context, id string) error {
	if _, ok := p.bridges[id]; ok {
		return fmt.Errorf("create bridge %s: %w", id, dialer.ErrConflict)
	}
	p.bridges[id] = map[string]bool{}
	return nil
}

// AddToBridge implements dialer.Telephony. A debtor entering an agent's
// bridge starts the conversation: the debtor hangs up after the fate's
// talk time (a machine after its machine time).
func (p *PBX) AddToBridge(_ context.Context, bridgeID, channelID string) error {
	members, ok := p.bridges[bridgeID]
	if !ok {
		return fmt.Errorf("add to bridge %s: %w", bridgeID, dialer.ErrNotFound)
	}
	ch, ok := p.channels[channelID]
	if !ok {
		return fmt.Errorf("add %s to bridge: %w", channelID, dialer.ErrNotFound)
	}
	if !ch.inStasis {
		return errors.New("add to bridge: 422 channel not in Stasis application")
	}
	if ch.bridge == bridgeID {
		return nil
	}
	if ch.bridge != "" {
		p.leave(ch)
	}
	ch.bridge = bridgeID
	members[channelID] = true
	if ch.agent {
		p.agentBr[bridgeID] = true
	}
	p.emit(dialer.Event{Kind: dialer.EventEnteredBridge, ChannelID: channelID, BridgeID: bridgeID})
	if !ch.agent && p.agentBr[bridgeID] && p.calls[ch.rec].BridgedAt.IsZero() {
		p.calls[ch.rec].BridgedAt = p.clock.Now()
		talk := ch.fate.Talk
		if ch.class == ClassMachine {
			talk = ch.fate.MachineTalk
		}
		p.at(ch, talk, func() { p.remoteHangup(ch, 16) })
	}
	return nil
}

// RemoveFromBridge implements dialer.Telephony.
func (p *PBX) RemoveFromBridge(_ context.Context, bridgeID, channelID string) error {
	ch, ok := p.channels[channelID]
	if !ok || ch.bridge != bridgeID {
		return fmt.Errorf("remove %s from %s: %w", channelID, bridgeID, dialer.ErrNotFound)
	}
	p.leave(ch)
	return nil
}

// DestroyBridge implements dialer.Telephony.
func (p *PBX) DestroyBridge(_ context.Context, id string) error {
	members, ok := p.bridges[id]
	if !ok {
		return fmt.Errorf("destroy bridge %s: %w", id, dialer.ErrNotFound)
	}
	ids := make([]string, 0, len(members))
	for m := range members {
		ids = append(ids, m)
	}
	for _, m := range sortedStrings(ids) {
		if ch := p.channels[m]; ch != nil {
			p.leave(ch)
		}
	}
	delete(p.bridges, id)
	delete(p.agentBr, id)
	p.emit(dialer.Event{Kind: dialer.EventBridgeDestroyed, BridgeID: id})
	return nil
}

// Play implements dialer.Telephony: the media plays for PlaybackDuration.
func (p *PBX) Play(_ context.Context, channelID, playbackID, media string) error {
	ch, ok := p.channels[channelID]
	if !ok {
		return fmt.Errorf("play on %s: %w", channelID, dialer.ErrNotFound)
	}
	if !ch.inStasis {
		return errors.New("play: 409 channel not in Stasis application")
	}
	if !strings.Contains(media, ":") {
		return errors.New("play: 400 media must have a scheme")
	}
	p.at(ch, p.PlaybackDuration, func() {
		p.emit(dialer.Event{Kind: dialer.EventPlaybackFinished, PlaybackID: playbackID, ChannelID: channelID, State: "done"})
	})
	return nil
}

// Snapshot implements dialer.Telephony.
func (p *PBX) Snapshot(context.Context) (dialer.Snapshot, error) {
	var s dialer.Snapshot
	ids := make([]string, 0, len(p.channels))
	for id := range p.channels {
		ids = append(ids, id)
	}
	for _, id := range sortedStrings(ids) {
		s.Channels = append(s.Channels, dialer.ChannelInfo{ID: id, State: p.channels[id].state})
	}
	bids := make([]string, 0, len(p.bridges))
	for id := range p.bridges {
		bids = append(bids, id)
	}
	for _, id := range sortedStrings(bids) {
		var m []string
		for c := range p.bridges[id] {
			m = append(m, c)
		}
		s.Bridges = append(s.Bridges, dialer.BridgeInfo{ID: id, Channels: sortedStrings(m)})
	}
	return s, nil
}

// Events implements dialer.Telephony.
func (p *PBX) Events() <-chan dialer.Event { return p.events }

// Connected implements dialer.Telephony: always.
func (p *PBX) Connected() bool { return true }

// Close closes the event channel.
func (p *PBX) Close() {
	if !p.closed {
		p.closed = true
		close(p.events)
	}
}
