package dialertest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/duecall/duecall/dialer"
)

// PBX is a scripted in-memory PBX implementing dialer.Telephony, driven by
// a dialer.Clock (use Clock for determinism). Events follow the order the
// ARI transcripts show (Asterisk 22, Local channels, originate into the
// application).
//
// A debtor call's behaviour is chosen by the last digit of the number in
// its endpoint ("PJSIP/84900000001@trunk" → 1):
//
//	0  bad extension: destroyed (cause 0) at once, no Dial status
//	1  rings, answers after AnswerAfter, stays up
//	2  rings, busy after 1 s (Dial BUSY, our leg destroyed with cause 0)
//	3  rings and never answers: destroyed with cause 19 at the originate timeout
//	4  congestion after 0.5 s (Dial CONGESTION, cause 0)
//	5  answers after 1 s of ringing, the callee hangs up 3.5 s later (cause 16)
//	6  answers after 1 s of ringing, the callee hangs up 20 s later
//	7  unallocated: Dial NOANSWER, destroyed with cause 1
//	8  channel unavailable: Dial CHANUNAVAIL, cause 0
//	9  rings 8 s, then like 1
//
// An endpoint containing "agent" answers at once and stays up (an agent's
// phone). Events are buffered (up to 1<<16) and delivered in order.
type PBX struct {
	clock  dialer.Clock
	events chan dialer.Event

	// Hooks run first when set; a non-nil error is returned as is and the
	// request has no effect. They must not call the PBX.
	OriginateHook   func(req dialer.OriginateRequest) error
	AddToBridgeHook func(bridgeID, channelID string) error
	PlayHook        func(channelID, playbackID, media string) error
	HangupHook      func(channelID string) error

	// Script timings (defaults: ring after 100 ms, answer 2 s after the
	// ringing starts, playbacks last 3 s).
	RingAfter        time.Duration
	AnswerAfter      time.Duration
	PlaybackDuration time.Duration

	mu         sync.Mutex
	connected  bool
	closed     bool
	channels   map[string]*Channel
	bridges    map[string][]string
	originates []dialer.OriginateRequest
	hangups    []string
	plays      []string
	peakDebtor int
}

// Channel is a channel of the fake PBX.
type Channel struct {
	ID       string
	Endpoint string
	Agent    bool
	State    string // Down, Ringing, Up
	InStasis bool
	Bridge   string
	Args     []string
	timers   []dialer.Timer
}

var _ dialer.Telephony = (*PBX)(nil)

// NewPBX returns a connected PBX on clock.
func NewPBX(clock dialer.Clock) *PBX {
	return &PBX{
		clock: clock, events: make(chan dialer.Event, 1<<16), connected: true,
		channels: map[string]*Channel{}, bridges: map[string][]string{},
		RingAfter: 100 * time.Millisecond, AnswerAfter: 2 * time.Second, PlaybackDuration: 3 * time.Second,
	}
}

// emit queues an event; p.mu is held.
func (p *PBX) emit(ev dialer.Event) {
	if p.closed {
		return
	}
	ev.Time = p.clock.Now()
	p.events <- ev
}

// at runs f (under p.mu) after d if the channel still exists.
func (p *PBX) at(ch *Channel, d time.Duration, f func()) {
	t := p.clock.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.channels[ch.ID] != ch {
			return
		}
		f()
	})
	ch.timers = append(ch.timers, t)
}

// number is the last digit of the number in an endpoint.
func lastDigit(endpoint string) byte {
	s := endpoint
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] >= '0' && s[i] <= '9' {
			return s[i]
		}
	}
	return '1'
}

// Originate implements dialer.Telephony.
func (p *PBX) Originate(_ context.Context, req dialer.OriginateRequest) error {
	if p.OriginateHook != nil {
		if err := p.OriginateHook(req); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.connected {
		// Asterisk accepts it and drops the call; the fake refuses it.
		return dialer.ErrDisconnected
	}
	for id := range p.channels {
		if strings.HasPrefix(strings.ToLower(id), strings.ToLower(req.ChannelID)) ||
			strings.HasPrefix(strings.ToLower(req.ChannelID), strings.ToLower(id)) {
			return &dialer.OriginateError{Status: 409, Reason: "Channel with given unique ID already exists"}
		}
	}
	if req.Endpoint == "" || !strings.Contains(req.Endpoint, "/") {
		return &dialer.OriginateError{Status: 400, Reason: "Invalid endpoint specified"}
	}
	p.originates = append(p.originates, req)
	ch := &Channel{ID: req.ChannelID, Endpoint: req.Endpoint, State: "Down", Args: req.AppArgs,
		Agent: strings.Contains(req.Endpoint, "agent")}
	p.channels[ch.ID] = ch
	if !ch.Agent {
		n := 0
		for _, c := range p.channels {
			if !c.Agent {
				n++
			}
		}
		p.peakDebtor = max(p.peakDebtor, n)
	}
	p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID})
	if ch.Agent {
		p.answer(ch)
		return nil
	}
	ring := p.RingAfter
	answer := ring + p.AnswerAfter
	switch lastDigit(req.Endpoint) {
	case '0':
		p.at(ch, 10*time.Millisecond, func() { p.destroy(ch, 0, "Unknown") })
		return nil
	case '7':
		p.at(ch, 50*time.Millisecond, func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID, DialStatus: "NOANSWER"})
			p.destroy(ch, 1, "Unallocated (unassigned) number")
		})
		return nil
	case '8':
		p.at(ch, 50*time.Millisecond, func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID, DialStatus: "CHANUNAVAIL"})
			p.destroy(ch, 0, "Unknown")
		})
		return nil
	}
	p.at(ch, ring, func() {
		ch.State = "Ringing"
		p.emit(dialer.Event{Kind: dialer.EventRinging, ChannelID: ch.ID, State: "Ringing"})
		p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID, DialStatus: "RINGING"})
	})
	switch lastDigit(req.Endpoint) {
	case '1':
		p.at(ch, answer, func() { p.answer(ch) })
	case '9':
		p.at(ch, ring+8*time.Second, func() { p.answer(ch) })
	case '2':
		p.at(ch, ring+time.Second, func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID, DialStatus: "BUSY"})
			p.destroy(ch, 0, "Unknown")
		})
	case '3':
		if req.Timeout > 0 {
			p.at(ch, req.Timeout, func() { p.destroy(ch, 19, "User alerting, no answer") })
		}
	case '4':
		p.at(ch, 500*time.Millisecond, func() {
			p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID, DialStatus: "CONGESTION"})
			p.destroy(ch, 0, "Unknown")
		})
	case '5', '6':
		talk := 3500 * time.Millisecond
		if lastDigit(req.Endpoint) == '6' {
			talk = 20 * time.Second
		}
		p.at(ch, ring+time.Second, func() { p.answer(ch) })
		p.at(ch, ring+time.Second+talk, func() { p.remoteHangup(ch, 16) })
	}
	return nil
}

// answer: state Up, Dial ANSWER, StasisStart; p.mu is held.
func (p *PBX) answer(ch *Channel) {
	ch.State = "Up"
	p.emit(dialer.Event{Kind: dialer.EventAnswered, ChannelID: ch.ID, State: "Up"})
	p.emit(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: ch.ID, DialStatus: "ANSWER"})
	ch.InStasis = true
	p.emit(dialer.Event{Kind: dialer.EventStasisStart, ChannelID: ch.ID, State: "Up", Args: ch.Args})
}

// destroy removes a channel with its events; p.mu is held.
func (p *PBX) destroy(ch *Channel, cause int, text string) {
	for _, t := range ch.timers {
		t.Stop()
	}
	if ch.Bridge != "" {
		p.leave(ch)
	}
	if ch.InStasis {
		ch.InStasis = false
		p.emit(dialer.Event{Kind: dialer.EventStasisEnd, ChannelID: ch.ID})
	}
	delete(p.channels, ch.ID)
	p.emit(dialer.Event{Kind: dialer.EventChannelDestroyed, ChannelID: ch.ID, Cause: cause, CauseText: text, State: ch.State})
}

func (p *PBX) leave(ch *Channel) {
	br := ch.Bridge
	ch.Bridge = ""
	members := p.bridges[br]
	for i, id := range members {
		if id == ch.ID {
			p.bridges[br] = append(members[:i], members[i+1:]...)
			break
		}
	}
	p.emit(dialer.Event{Kind: dialer.EventLeftBridge, ChannelID: ch.ID, BridgeID: br})
}

// remoteHangup: the far end hangs up; p.mu is held.
func (p *PBX) remoteHangup(ch *Channel, cause int) {
	p.emit(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: ch.ID, Cause: cause})
	p.destroy(ch, cause, "Normal Clearing")
}

// Hangup implements dialer.Telephony.
func (p *PBX) Hangup(_ context.Context, id string) error {
	if p.HangupHook != nil {
		if err := p.HangupHook(id); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hangups = append(p.hangups, id)
	ch, ok := p.channels[id]
	if !ok {
		return fmt.Errorf("hangup %s: %w", id, dialer.ErrNotFound)
	}
	p.emit(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: id, Cause: 32, Soft: true})
	cause := 16
	p.destroy(ch, cause, "Normal Clearing")
	return nil
}

// CreateBridge implements dialer.Telephony.
func (p *PBX) CreateBridge(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.bridges[id]; ok {
		return fmt.Errorf("create bridge %s: %w", id, dialer.ErrConflict)
	}
	p.bridges[id] = []string{}
	return nil
}

// AddToBridge implements dialer.Telephony.
func (p *PBX) AddToBridge(_ context.Context, bridgeID, channelID string) error {
	if p.AddToBridgeHook != nil {
		if err := p.AddToBridgeHook(bridgeID, channelID); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.bridges[bridgeID]; !ok {
		return fmt.Errorf("add to bridge %s: %w", bridgeID, dialer.ErrNotFound)
	}
	ch, ok := p.channels[channelID]
	if !ok {
		return fmt.Errorf("add %s to bridge: %w", channelID, dialer.ErrNotFound)
	}
	if !ch.InStasis {
		return errors.New("add to bridge: 422 channel not in Stasis application")
	}
	if ch.Bridge == bridgeID {
		return nil
	}
	if ch.Bridge != "" {
		p.leave(ch)
	}
	ch.Bridge = bridgeID
	p.bridges[bridgeID] = append(p.bridges[bridgeID], channelID)
	p.emit(dialer.Event{Kind: dialer.EventEnteredBridge, ChannelID: channelID, BridgeID: bridgeID})
	return nil
}

// RemoveFromBridge implements dialer.Telephony.
func (p *PBX) RemoveFromBridge(_ context.Context, bridgeID, channelID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.channels[channelID]
	if !ok || ch.Bridge != bridgeID {
		return fmt.Errorf("remove %s from %s: %w", channelID, bridgeID, dialer.ErrNotFound)
	}
	p.leave(ch)
	return nil
}

// DestroyBridge implements dialer.Telephony.
func (p *PBX) DestroyBridge(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	members, ok := p.bridges[id]
	if !ok {
		return fmt.Errorf("destroy bridge %s: %w", id, dialer.ErrNotFound)
	}
	for _, m := range append([]string(nil), members...) {
		if ch := p.channels[m]; ch != nil {
			p.leave(ch)
		}
	}
	delete(p.bridges, id)
	p.emit(dialer.Event{Kind: dialer.EventBridgeDestroyed, BridgeID: id})
	return nil
}

// Play implements dialer.Telephony. Media "sound:missing" finishes at once
// with state failed; a "bogus:" scheme never finishes.
func (p *PBX) Play(_ context.Context, channelID, playbackID, media string) error {
	if p.PlayHook != nil {
		if err := p.PlayHook(channelID, playbackID, media); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.channels[channelID]
	if !ok {
		return fmt.Errorf("play on %s: %w", channelID, dialer.ErrNotFound)
	}
	if !ch.InStasis {
		return errors.New("play: 409 channel not in Stasis application")
	}
	p.plays = append(p.plays, channelID+" "+media)
	switch {
	case media == "sound:missing":
		p.at(ch, 0, func() {
			p.emit(dialer.Event{Kind: dialer.EventPlaybackFinished, PlaybackID: playbackID, ChannelID: channelID, State: "failed"})
		})
	case strings.HasPrefix(media, "bogus:"):
	default:
		p.at(ch, p.PlaybackDuration, func() {
			p.emit(dialer.Event{Kind: dialer.EventPlaybackFinished, PlaybackID: playbackID, ChannelID: channelID, State: "done"})
		})
	}
	return nil
}

// Snapshot implements dialer.Telephony.
func (p *PBX) Snapshot(context.Context) (dialer.Snapshot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snapshot(), nil
}

func (p *PBX) snapshot() dialer.Snapshot {
	var s dialer.Snapshot
	for _, ch := range p.channels {
		s.Channels = append(s.Channels, dialer.ChannelInfo{ID: ch.ID, State: ch.State})
	}
	for id, m := range p.bridges {
		s.Bridges = append(s.Bridges, dialer.BridgeInfo{ID: id, Channels: append([]string(nil), m...)})
	}
	sort.Slice(s.Channels, func(i, j int) bool { return s.Channels[i].ID < s.Channels[j].ID })
	sort.Slice(s.Bridges, func(i, j int) bool { return s.Bridges[i].ID < s.Bridges[j].ID })
	return s
}

// Events implements dialer.Telephony.
func (p *PBX) Events() <-chan dialer.Event { return p.events }

// Connected implements dialer.Telephony.
func (p *PBX) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connected
}

// Disconnect drops the event connection (EventDisconnected); events are
// lost until Reconnect, as with a real WebSocket drop.
func (p *PBX) Disconnect() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(dialer.Event{Kind: dialer.EventDisconnected})
	p.connected = false
}

// Reconnect restores the connection and sends EventConnected with a
// Snapshot.
func (p *PBX) Reconnect() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.connected = true
	s := p.snapshot()
	p.emit(dialer.Event{Kind: dialer.EventConnected, Snapshot: &s})
}

// Replace sends EventReplaced (another client took the application).
func (p *PBX) Replace() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(dialer.Event{Kind: dialer.EventReplaced})
	p.connected = false
}

// Vanish removes a channel without any event (its events were lost).
func (p *PBX) Vanish(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.channels[id]
	if !ok {
		return false
	}
	for _, t := range ch.timers {
		t.Stop()
	}
	if ch.Bridge != "" {
		br := ch.Bridge
		m := p.bridges[br]
		for i, x := range m {
			if x == id {
				p.bridges[br] = append(m[:i], m[i+1:]...)
				break
			}
		}
	}
	delete(p.channels, id)
	return true
}

// RemoteHangup makes the far end of a channel hang up with a Q.850 cause
// (a debtor or an agent putting the phone down).
func (p *PBX) RemoteHangup(id string, cause int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.channels[id]
	if !ok {
		return false
	}
	p.remoteHangup(ch, cause)
	return true
}

// Close closes the event channel.
func (p *PBX) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.events)
	}
}

// Originates returns the originate requests accepted so far.
func (p *PBX) Originates() []dialer.OriginateRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]dialer.OriginateRequest(nil), p.originates...)
}

// Hangups returns the channel ids Hangup was called with.
func (p *PBX) Hangups() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.hangups...)
}

// Plays returns "channel media" for each Play.
func (p *PBX) Plays() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.plays...)
}

// Channel returns a copy of a live channel.
func (p *PBX) Channel(id string) (Channel, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.channels[id]
	if !ok {
		return Channel{}, false
	}
	c := *ch
	c.timers = nil
	return c, true
}

// Channels returns copies of the live channels, sorted by id.
func (p *PBX) Channels() []Channel {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Channel, 0, len(p.channels))
	for _, ch := range p.channels {
		c := *ch
		c.timers = nil
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DebtorChannels counts the live debtor (non-agent) channels.
func (p *PBX) DebtorChannels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ch := range p.channels {
		if !ch.Agent {
			n++
		}
	}
	return n
}

// PeakDebtorChannels is the most debtor channels alive at once.
func (p *PBX) PeakDebtorChannels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peakDebtor
}

// Bridges returns the live bridges and their channels.
func (p *PBX) Bridges() map[string][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]string{}
	for id, m := range p.bridges {
		out[id] = append([]string(nil), m...)
	}
	return out
}
