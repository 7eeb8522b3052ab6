package dialer

import (
	"context"
	"errors"
	"time"
)

// Telephony is what the dialer needs from a PBX. The ari package implements
// it over the Asterisk REST Interface; tests and simulations use fakes.
//
// All ids are chosen by the dialer (see NewID) so that no event can arrive
// for a call the dialer does not know.
type Telephony interface {
	// Originate places a call from endpoint into the dialer's application.
	// It returns once the PBX accepted the request; the call's progress
	// arrives as events. A rejected request returns an *OriginateError.
	Originate(ctx context.Context, req OriginateRequest) error
	// Hangup hangs up a channel. ErrNotFound when it is already gone.
	Hangup(ctx context.Context, channelID string) error
	// CreateBridge creates a mixing bridge with the given id.
	CreateBridge(ctx context.Context, bridgeID string) error
	// AddToBridge moves a channel (in the application) into a bridge.
	AddToBridge(ctx context.Context, bridgeID, channelID string) error
	// RemoveFromBridge takes a channel out of a bridge.
	RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error
	// DestroyBridge deletes a bridge. ErrNotFound when it is gone.
	DestroyBridge(ctx context.Context, bridgeID string) error
	// Play starts playing media ("sound:vm-goodbye") on a channel; a
	// PlaybackFinished event with the playback id follows.
	Play(ctx context.Context, channelID, playbackID, media string) error
	// Snapshot lists the live channels and bridges of the application (used
	// to resync after a reconnect).
	Snapshot(ctx context.Context) (Snapshot, error)
	// Events delivers every event, in order, until the Telephony is closed.
	// Events are never dropped: a slow reader slows the PBX connection down.
	Events() <-chan Event
	// Connected reports whether the event connection is up. The dialer
	// never originates while it is down.
	Connected() bool
}

// Sentinel errors of Telephony implementations.
var (
	ErrNotFound     = errors.New("not found in the PBX")
	ErrDisconnected = errors.New("not connected to the PBX")
	ErrConflict     = errors.New("id already in use")
)

// OriginateRequest describes one outgoing call.
type OriginateRequest struct {
	ChannelID string        // fixed length, from NewID
	Endpoint  string        // "PJSIP/0912345678@trunk", "Local/1001@duecall-test"
	CallerID  string        // "Acme Collections <1900123>"
	Timeout   time.Duration // ring time before no-answer
	// AppArgs are passed to the application (StasisStart args).
	AppArgs []string
	// Variables are set on the channel.
	Variables map[string]string
}

// OriginateError is returned when the PBX rejects an originate.
type OriginateError struct {
	Status int    // HTTP status (400 invalid endpoint, 500 allocation failed, 409 id in use)
	Reason string // the PBX's message
}

func (e *OriginateError) Error() string {
	return "originate rejected: " + e.Reason
}

// EventKind names the events the dialer acts on.
type EventKind int

const (
	// EventUnknown is never delivered; its presence is a bug.
	EventUnknown EventKind = iota
	// EventDialStatus: a Dial progress event for our channel; DialStatus
	// is "", "RINGING", "PROGRESS", "ANSWER", "BUSY", "CONGESTION",
	// "NOANSWER", "CHANUNAVAIL", "CANCEL".
	EventDialStatus
	// EventRinging: our channel is ringing.
	EventRinging
	// EventAnswered: our channel reached state Up (a person or machine
	// answered; early media does not count).
	EventAnswered
	// EventStasisStart: our channel entered the application; Args holds
	// the application arguments.
	EventStasisStart
	// EventStasisEnd: our channel left the application.
	EventStasisEnd
	// EventHangupRequest: someone asked to hang up the channel; Cause is
	// the Q.850 cause when Soft is false.
	EventHangupRequest
	// EventChannelDestroyed: the channel is gone; Cause is its Q.850 cause.
	EventChannelDestroyed
	// EventEnteredBridge / EventLeftBridge: a channel entered or left a bridge.
	EventEnteredBridge
	EventLeftBridge
	// EventBridgeDestroyed: a bridge is gone.
	EventBridgeDestroyed
	// EventPlaybackFinished: a playback ended (State "done" or "failed").
	EventPlaybackFinished
	// EventConnected: the event connection is (re)established and a
	// Snapshot of live channels and bridges was taken right after it.
	EventConnected
	// EventDisconnected: the event connection is lost; events may have
	// been missed until the next EventConnected.
	EventDisconnected
	// EventReplaced: another client took over the application's event
	// connection (ApplicationReplaced). No more events will arrive on it.
	EventReplaced
)

var eventKindNames = [...]string{
	"Unknown", "DialStatus", "Ringing", "Answered", "StasisStart", "StasisEnd",
	"HangupRequest", "ChannelDestroyed", "EnteredBridge", "LeftBridge",
	"BridgeDestroyed", "PlaybackFinished", "Connected", "Disconnected", "Replaced",
}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "EventKind(?)"
}

// Event is one telephony event, translated from the PBX's own.
type Event struct {
	Kind       EventKind
	Time       time.Time
	ChannelID  string
	BridgeID   string
	PlaybackID string
	DialStatus string
	// Cause is a Q.850 cause (ChannelDestroyed, non-soft HangupRequest).
	Cause     int
	CauseText string
	Soft      bool     // HangupRequest: requested through the API/dialplan
	State     string   // channel state, or playback state
	Args      []string // StasisStart arguments
	// Snapshot is set on EventConnected.
	Snapshot *Snapshot
}

// Snapshot is the set of live channels and bridges of the application.
type Snapshot struct {
	Channels []ChannelInfo
	Bridges  []BridgeInfo
}

// ChannelInfo describes a live channel.
type ChannelInfo struct {
	ID    string
	State string // "Down", "Ring", "Ringing", "Up", ...
}

// BridgeInfo describes a live bridge.
type BridgeInfo struct {
	ID       string
	Channels []string
}
