package pbxsim

import "time"

// Outcome is how an originated call ended up, as the simulator decided it.
type Outcome string

// Outcomes of a call. The empty outcome means the call is still being
// dialled.
const (
	OutcomeAnswered    Outcome = "answered"
	OutcomeBusy        Outcome = "busy"
	OutcomeNoAnswer    Outcome = "noanswer"
	OutcomeCongestion  Outcome = "congestion"
	OutcomeUnallocated Outcome = "unallocated"
	// OutcomeFailed: the call could not be placed (no such context or
	// extension) or the callee hung up before answering with another cause.
	OutcomeFailed Outcome = "failed"
	// OutcomeCancelled: we hung up before the callee answered.
	OutcomeCancelled Outcome = "cancelled"
)

// Who hung up a call (CallRecord.HungUpBy).
const (
	HungUpByAPI     = "api"     // DELETE /channels/{id} of our channel
	HungUpByCallee  = "callee"  // the callee, or DELETE of the callee half
	HungUpByTimeout = "timeout" // the originate or dial timeout
	HungUpByPBX     = "pbx"     // the simulator (no active application, bad context or extension)
)

// CallRecord describes one originated channel (POST /channels,
// /channels/{id} or /channels/create). Times are wall-clock times.
type CallRecord struct {
	ID       string // our channel's id
	OtherID  string // the callee half's id (Local channels), else ""
	Name     string // our channel's name
	Endpoint string
	// Number is the dialled number (Endpoint.Number).
	Number string
	Agent  bool
	// Callee names the simulated behaviour ("human", "busy", "agent", ...).
	Callee string
	App    string
	// Created is true for /channels/create (+ /dial).
	Created    bool
	Originated time.Time
	Answered   time.Time // zero if never answered
	Ended      time.Time // zero while our channel lives
	Outcome    Outcome
	// DialStatus is the last Dial status sent for the channel.
	DialStatus string
	// Cause and CauseText are those of our channel's ChannelDestroyed.
	Cause     int
	CauseText string
	HungUpBy  string
}

// BridgeRecord is one stay of a channel in a bridge.
type BridgeRecord struct {
	BridgeID  string
	ChannelID string
	Entered   time.Time
	Left      time.Time // zero while the channel is in the bridge
}
