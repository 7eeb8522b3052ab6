package ari

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/duecall/duecall/dialer"
)

// decodeResult says what the decoder made of one WebSocket message.
type decodeResult int

const (
	// resultDeliver: the message is a dialer.Event to hand to the dialer.
	resultDeliver decodeResult = iota
	// resultIgnored: a well-formed event the dialer does not act on, or one
	// about a channel, bridge or playback that is not ours (filtering, not
	// loss: see the package documentation).
	resultIgnored
	// resultUnknown: an event type neither ari/v5 nor this package knows.
	resultUnknown
	// resultMalformed: not JSON, no type, or a known type lacking the id
	// it is about.
	resultMalformed
	// resultReplaced: ApplicationReplaced; the connection is dead to us.
	resultReplaced
)

func (r decodeResult) String() string {
	switch r {
	case resultDeliver:
		return "deliver"
	case resultIgnored:
		return "ignored"
	case resultUnknown:
		return "unknown"
	case resultMalformed:
		return "malformed"
	case resultReplaced:
		return "replaced"
	}
	return "decodeResult(?)"
}

// wireEvent is the subset of an ARI event that the dialer needs, decoded in
// one pass. It is deliberately smaller than ari/v5's event structs: their
// ChannelData requires "creationtime" in ari.DateFormat and fails the whole
// event otherwise, and a StasisEnd must not be lost over a field we never
// read. Bridge and playback objects use ari/v5's own types, which decode
// leniently.
type wireEvent struct {
	Type       string            `json:"type"`
	Timestamp  string            `json:"timestamp"`
	Channel    *wireChannel      `json:"channel"`
	Peer       *wireChannel      `json:"peer"`
	Bridge     *ari.BridgeData   `json:"bridge"`
	Playback   *ari.PlaybackData `json:"playback"`
	Dialstatus string            `json:"dialstatus"`
	Cause      int               `json:"cause"`
	CauseTxt   string            `json:"cause_txt"`
	Soft       bool              `json:"soft"`
	Args       []string          `json:"args"`
}

// wireChannel is the part of an ARI Channel object we use.
type wireChannel struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// knownEventTypes holds every event type name ari/v5 knows (ari.Events),
// plus newer Asterisk types that we know to be irrelevant to the dialer.
// A type outside this set counts as unknown (it may be worth a look after an
// Asterisk upgrade) but is skipped all the same.
var knownEventTypes = func() map[string]bool {
	m := map[string]bool{
		// Asterisk 16+ types that ari/v5 v5.3.1 does not list.
		"ApplicationRegistered":   true,
		"ApplicationUnregistered": true,
		"ChannelTransfer":         true,
	}
	v := reflect.ValueOf(ari.Events)
	for i := range v.NumField() {
		if s, ok := v.Field(i).Interface().(string); ok && s != "" && s != ari.Events.All {
			m[s] = true
		}
	}
	return m
}()

// errNoType is returned by decodeEvent for JSON without a "type".
var errNoType = errors.New("event has no type")

// unknownTypeError is returned by decodeEvent with resultUnknown: it names
// the type (at most 64 bytes of it), so the reader logs it without
// decoding the message a second time.
type unknownTypeError struct{ typ string }

func (e unknownTypeError) Error() string { return "unknown event type " + strconv.Quote(e.typ) }

// decodeEvent turns one raw ARI event into a dialer.Event. It never panics;
// what it cannot use it classifies (see decodeResult). recv is the time the
// message was read, used when the event's own timestamp is missing or odd.
//
// The translation:
//
//	Dial (peer = our channel)               → EventDialStatus{DialStatus: dialstatus}
//	ChannelStateChange, state Ringing       → EventRinging
//	ChannelStateChange, state Up            → EventAnswered
//	ChannelStateChange, other states        → ignored (Down, Ring, Busy, …)
//	StasisStart                             → EventStasisStart{Args}
//	StasisEnd                               → EventStasisEnd
//	ChannelHangupRequest                    → EventHangupRequest{Soft, Cause (0 when soft)}
//	ChannelDestroyed                        → EventChannelDestroyed{Cause, CauseText}
//	ChannelEnteredBridge / ChannelLeftBridge→ EventEnteredBridge / EventLeftBridge{BridgeID}
//	BridgeDestroyed                         → EventBridgeDestroyed{BridgeID}
//	PlaybackFinished                        → EventPlaybackFinished{PlaybackID, State, ChannelID or BridgeID from target_uri}
//	ApplicationReplaced                     → resultReplaced (the caller emits EventReplaced)
//	anything else                           → ignored, or unknown with an unknownTypeError
//
// Only events about our ids (see isOurID) are delivered.
func decodeEvent(data []byte, recv time.Time) (dialer.Event, decodeResult, error) {
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return dialer.Event{}, resultMalformed, err
	}
	if w.Type == "" {
		return dialer.Event{}, resultMalformed, errNoType
	}
	ev := dialer.Event{Time: eventTime(w.Timestamp, recv)}

	// channel returns the id and state of the event's channel, or a
	// malformed result when it has none.
	channel := func(c *wireChannel) (ok bool) {
		if c == nil || c.ID == "" {
			return false
		}
		ev.ChannelID = c.ID
		ev.State = c.State
		return true
	}

	switch w.Type {
	case ari.Events.ApplicationReplaced:
		ev.Kind = dialer.EventReplaced
		return ev, resultReplaced, nil

	case ari.Events.Dial:
		if !channel(w.Peer) {
			return dialer.Event{}, resultMalformed, errors.New("Dial without peer id")
		}
		ev.Kind = dialer.EventDialStatus
		ev.DialStatus = w.Dialstatus

	case ari.Events.ChannelStateChange:
		if !channel(w.Channel) {
			return dialer.Event{}, resultMalformed, errors.New("ChannelStateChange without channel id")
		}
		switch ev.State {
		case "Ringing":
			ev.Kind = dialer.EventRinging
		case "Up":
			ev.Kind = dialer.EventAnswered
		default:
			return dialer.Event{}, resultIgnored, nil
		}

	case ari.Events.StasisStart:
		if !channel(w.Channel) {
			return dialer.Event{}, resultMalformed, errors.New("StasisStart without channel id")
		}
		ev.Kind = dialer.EventStasisStart
		ev.Args = w.Args
		if ev.Args == nil {
			ev.Args = []string{}
		}

	case ari.Events.StasisEnd:
		if !channel(w.Channel) {
			return dialer.Event{}, resultMalformed, errors.New("StasisEnd without channel id")
		}
		ev.Kind = dialer.EventStasisEnd

	case ari.Events.ChannelHangupRequest:
		if !channel(w.Channel) {
			return dialer.Event{}, resultMalformed, errors.New("ChannelHangupRequest without channel id")
		}
		ev.Kind = dialer.EventHangupRequest
		ev.Soft = w.Soft
		// In a soft request "cause" is a flag (32: through ARI, 16: the
		// dialplan ended), not a Q.850 cause.
		if !w.Soft {
			ev.Cause = w.Cause
		}

	case ari.Events.ChannelDestroyed:
		if !channel(w.Channel) {
			return dialer.Event{}, resultMalformed, errors.New("ChannelDestroyed without channel id")
		}
		ev.Kind = dialer.EventChannelDestroyed
		ev.Cause = w.Cause
		ev.CauseText = w.CauseTxt

	case ari.Events.ChannelEnteredBridge, ari.Events.ChannelLeftBridge:
		if !channel(w.Channel) || w.Bridge == nil || w.Bridge.ID == "" {
			return dialer.Event{}, resultMalformed, errors.New(w.Type + " without channel or bridge id")
		}
		ev.Kind = dialer.EventEnteredBridge
		if w.Type == ari.Events.ChannelLeftBridge {
			ev.Kind = dialer.EventLeftBridge
		}
		ev.BridgeID = w.Bridge.ID

	case ari.Events.BridgeDestroyed:
		if w.Bridge == nil || w.Bridge.ID == "" {
			return dialer.Event{}, resultMalformed, errors.New("BridgeDestroyed without bridge id")
		}
		ev.Kind = dialer.EventBridgeDestroyed
		ev.BridgeID = w.Bridge.ID
		if !isOurID(ev.BridgeID) {
			return dialer.Event{}, resultIgnored, nil
		}
		return ev, resultDeliver, nil

	case ari.Events.PlaybackFinished:
		if w.Playback == nil || w.Playback.ID == "" {
			return dialer.Event{}, resultMalformed, errors.New("PlaybackFinished without playback id")
		}
		ev.Kind = dialer.EventPlaybackFinished
		ev.PlaybackID = w.Playback.ID
		ev.State = w.Playback.State
		kind, id, _ := strings.Cut(w.Playback.TargetURI, ":")
		switch kind {
		case "channel":
			ev.ChannelID = id
		case "bridge":
			ev.BridgeID = id
		}
		if !isOurID(ev.PlaybackID) && !isOurID(ev.ChannelID) && !isOurID(ev.BridgeID) {
			return dialer.Event{}, resultIgnored, nil
		}
		return ev, resultDeliver, nil

	default:
		if knownEventTypes[w.Type] {
			return dialer.Event{}, resultIgnored, nil
		}
		typ := w.Type
		if len(typ) > 64 {
			typ = typ[:64]
		}
		return dialer.Event{}, resultUnknown, unknownTypeError{typ}
	}

	// Every remaining case is about a channel.
	if !isOurID(ev.ChannelID) {
		return dialer.Event{}, resultIgnored, nil
	}
	return ev, resultDeliver, nil
}

// isOurID reports whether id has the shape of a dialer id (dialer.NewID):
// dialer.IDLength long and starting with "dc". The callee half of a Local
// channel ("<id>;2"), channels of other applications and Asterisk-generated
// ids ("1796314212.36") never match.
func isOurID(id string) bool {
	return len(id) == dialer.IDLength && strings.HasPrefix(id, "dc")
}

// eventTime parses an ARI timestamp ("2026-12-03T16:10:01.100+0000"),
// falling back to RFC 3339 and then to the receive time.
func eventTime(s string, recv time.Time) time.Time {
	if s != "" {
		if t, err := time.Parse(ari.DateFormat, s); err == nil {
			return t
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return recv
}
