package dialer

import (
	"fmt"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer/pacing"
)

// This file holds the debtor call's state machine as a pure function:
// next(state, input) returns the new state and the side effects (actions)
// the engine must run. It does no I/O and reads no clock, so every
// (phase, input) pair is table-tested.

// callPhase is where a debtor call is.
type callPhase int

const (
	// phDialing: originated (the request may still be in flight), no
	// ringing seen yet.
	phDialing callPhase = iota
	// phRinging: the debtor's phone rings.
	phRinging
	// phWaiting: answered (channel Up), waiting for a ready agent. The call
	// can be bridged once it is also in the application (Stasis).
	phWaiting
	// phBridging: an agent is reserved and the channel is being added to
	// the agent's bridge.
	phBridging
	// phBridged: the debtor is in the agent's bridge.
	phBridged
	// phAbandoning: no agent in time; the abandon message plays.
	phAbandoning
	// phEnding: the outcome is known (or will be, from the destroy cause);
	// waiting for the channel to go.
	phEnding
	// phEnded: the attempt is recorded; the call is forgotten.
	phEnded
	numPhases
)

var phaseNames = [...]string{"dialing", "ringing", "waiting", "bridging", "bridged", "abandoning", "ending", "ended"}

func (p callPhase) String() string {
	if p >= 0 && p < numPhases {
		return phaseNames[p]
	}
	return fmt.Sprintf("callPhase(%d)", int(p))
}

// pacingPhase maps a call phase to what pacing sees.
func (p callPhase) pacingPhase() pacing.CallPhase {
	switch p {
	case phDialing:
		return pacing.CallDialing
	case phRinging:
		return pacing.CallRinging
	case phWaiting:
		return pacing.CallWaiting
	case phBridging:
		return pacing.CallConnecting
	case phBridged:
		return pacing.CallTalking
	case phAbandoning:
		return pacing.CallAbandoning
	default:
		return pacing.CallEnding
	}
}

// callState is the state of one debtor call: the phase plus the facts the
// outcome is decided from.
type callState struct {
	Phase callPhase
	// Stasis: the channel is in the application, so it can be bridged and
	// played to.
	Stasis bool
	// Added: AddToBridge succeeded (the EnteredBridge event may still come).
	Added bool
	// DialStatus is the final Dial status seen (BUSY, NOANSWER, ...).
	DialStatus string
	// Outcome is decided on entering phEnding (or phEnded); "" in phEnding
	// means "decide from the destroy cause".
	Outcome campaign.Outcome
	// Cause is the Q.850 cause of our leg (destroy, or non-soft hangup
	// request when the destroy cause is 0).
	Cause  int
	Reason string
}

// inputKind names what happened to a call.
type inputKind int

const (
	inOriginated       inputKind = iota // Originate returned OK
	inOriginateFailed                   // Originate returned an error (see Rejected, Release)
	inDialStatus                        // Dial event (DialStatus)
	inRinging                           // channel state Ringing
	inAnswered                          // channel state Up
	inStasisStart                       // entered the application (Up: channel state Up)
	inStasisEnd                         // left the application
	inHangupRequest                     // someone asked to hang up (Cause, Soft)
	inDestroyed                         // channel destroyed (Cause)
	inAgentAssigned                     // the engine reserved an agent for the call
	inBridgeAdded                       // AddToBridge returned OK
	inBridgeFailed                      // AddToBridge returned an error
	inEnteredBridge                     // the channel entered the agent's bridge
	inLeftBridge                        // the channel left a bridge
	inAbandonTimeout                    // abandon_after ran out since the answer
	inPlayFailed                        // Play returned an error (or no sound is configured)
	inPlaybackFinished                  // the abandon message ended
	inPlaybackTimeout                   // the abandon message never ended
	inAgentGone                         // the reserved or bridged agent hung up / logged out
	inHangupNow                         // we want the call gone (agent EndCall, shutdown)
	inHangupDone                        // our Hangup returned (NotFound: the channel is gone)
	inGuardTimeout                      // a phase took too long (ring, bridge, or end guard)
	inResyncMissing                     // after a reconnect, the channel is not in the PBX
	numInputs
)

var inputNames = [...]string{
	"originated", "originate_failed", "dial_status", "ringing", "answered", "stasis_start", "stasis_end",
	"hangup_request", "destroyed", "agent_assigned", "bridge_added", "bridge_failed", "entered_bridge",
	"left_bridge", "abandon_timeout", "play_failed", "playback_finished", "playback_timeout", "agent_gone",
	"hangup_now", "hangup_done", "guard_timeout", "resync_missing",
}

func (k inputKind) String() string {
	if k >= 0 && k < numInputs {
		return inputNames[k]
	}
	return fmt.Sprintf("inputKind(%d)", int(k))
}

// callInput is one input of the call state machine.
type callInput struct {
	Kind       inputKind
	DialStatus string
	Cause      int
	Soft       bool
	Up         bool   // inStasisStart: the channel was Up
	Rejected   bool   // inOriginateFailed: the PBX rejected it (*OriginateError)
	Release    bool   // inOriginateFailed: certainly not placed (disconnected): release the lease
	NotFound   bool   // inHangupDone: the channel was already gone
	Reason     string // inOriginateFailed, inHangupNow, inBridgeFailed
}

// actionKind names a side effect; next returns them in the order the
// engine must run them.
type actionKind int

const (
	actHangup         actionKind = iota // hang up the debtor channel
	actAddToBridge                      // add the channel to the reserved agent's bridge
	actPlayAbandon                      // play the abandon message
	actRoute                            // the call can be bridged: look for a ready agent
	actReleaseAgent                     // the reserved agent goes back to ready (never talked)
	actArmAbandon                       // arm the call's timer: abandon_after since the answer
	actArmPlayback                      // arm the call's timer: playback safety timeout
	actArmBridgeGuard                   // arm the call's timer: bridge guard
	actArmEndGuard                      // arm the call's timer: end guard
	actDisarm                           // stop the call's timer
	actMarkRinging                      // note the ringing time
	actMarkAnswered                     // note the answer time
	actMarkBridged                      // note the bridge time (and the connect latency)
	actFinish                           // record the attempt (Complete) and forget the call
	actRelease                          // the call was never placed: release the lease, forget the call
	numActions
)

var actionNames = [...]string{
	"hangup", "add_to_bridge", "play_abandon", "route", "release_agent", "arm_abandon", "arm_playback",
	"arm_bridge_guard", "arm_end_guard", "disarm", "mark_ringing", "mark_answered",
	"mark_bridged", "finish", "release",
}

func (k actionKind) String() string {
	if k >= 0 && k < numActions {
		return actionNames[k]
	}
	return fmt.Sprintf("actionKind(%d)", int(k))
}

// errInvalidInput is returned by next for inputs that cannot happen in a
// phase; the state is unchanged and no action is taken.
type errInvalidInput struct {
	Phase callPhase
	Input inputKind
}

func (e errInvalidInput) Error() string {
	return fmt.Sprintf("call state machine: input %s is invalid in phase %s", e.Input, e.Phase)
}

// Causes (Q.850).
const (
	causeUnallocated     = 1
	causeNoRoute         = 3
	causeNormalClearing  = 16
	causeUserBusy        = 17
	causeNoUserResponse  = 18
	causeNoAnswer        = 19
	causeCallRejected    = 21
	causeNumberChanged   = 22
	causeInvalidFormat   = 28
	causeNoCircuit       = 34
	causeNetworkOutOfOrd = 38
	causeTempFailure     = 41
	causeSwitchCongested = 42
	causeChanNotAvail    = 44
	causeResourceUnavail = 47
)

// outcomeFromCause classifies a call that ended before it was answered.
// A final Dial status wins over the cause: through Local channels our leg's
// cause is 0 for busy and congestion. CHANUNAVAIL (the endpoint or trunk
// could not be reached) counts as failed, a fault on our side, not the
// debtor's.
func outcomeFromCause(dialStatus string, cause int) campaign.Outcome {
	switch dialStatus {
	case "BUSY":
		return campaign.OutcomeBusy
	case "CONGESTION":
		return campaign.OutcomeCongestion
	case "CHANUNAVAIL":
		return campaign.OutcomeFailed
	case "NOANSWER":
		switch cause {
		case causeUnallocated, causeNoRoute, causeNumberChanged, causeInvalidFormat:
			return campaign.OutcomeInvalidNumber
		}
		return campaign.OutcomeNoAnswer
	}
	switch cause {
	case causeNoUserResponse, causeNoAnswer:
		return campaign.OutcomeNoAnswer
	case causeUserBusy, causeCallRejected:
		return campaign.OutcomeBusy
	case causeNoCircuit, causeNetworkOutOfOrd, causeTempFailure, causeSwitchCongested,
		causeChanNotAvail, causeResourceUnavail:
		return campaign.OutcomeCongestion
	case causeUnallocated, causeNoRoute, causeNumberChanged, causeInvalidFormat:
		return campaign.OutcomeInvalidNumber
	}
	return campaign.OutcomeFailed
}

// finalDialStatus reports whether a Dial status ends an unanswered call.
func finalDialStatus(s string) bool {
	switch s {
	case "BUSY", "CONGESTION", "NOANSWER", "CHANUNAVAIL", "CANCEL":
		return true
	}
	return false
}

// next is the call state machine. It never fails for inputs that can
// legitimately arrive late or twice (stale timers, duplicate events): those
// are no-ops. Inputs that cannot happen in a phase return errInvalidInput
// with the state unchanged and no action.
func next(s callState, in callInput) (callState, []actionKind, error) {
	invalid := func() (callState, []actionKind, error) {
		return s, nil, errInvalidInput{Phase: s.Phase, Input: in.Kind}
	}
	noop := func() (callState, []actionKind, error) { return s, nil, nil }
	if s.Phase == phEnded {
		return noop()
	}
	if in.Kind == inHangupRequest {
		if !in.Soft && in.Cause != 0 {
			s.Cause = in.Cause
		}
		return s, nil, nil
	}
	// finish moves to phEnded with the given outcome.
	finish := func(o campaign.Outcome, extra ...actionKind) (callState, []actionKind, error) {
		s.Phase = phEnded
		if s.Outcome == "" {
			s.Outcome = o
		}
		return s, append(append([]actionKind{actDisarm}, extra...), actFinish), nil
	}
	// ending moves to phEnding with the outcome, running the actions.
	ending := func(o campaign.Outcome, kinds ...actionKind) (callState, []actionKind, error) {
		s.Phase = phEnding
		s.Outcome = o
		return s, kinds, nil
	}
	destroyedCause := func() int {
		if in.Cause != 0 {
			return in.Cause
		}
		return s.Cause
	}

	switch s.Phase {
	case phDialing, phRinging:
		switch in.Kind {
		case inOriginated:
			return noop()
		case inOriginateFailed:
			s.Reason = in.Reason
			if in.Release {
				s.Phase = phEnded
				return s, []actionKind{actDisarm, actRelease}, nil
			}
			if in.Rejected {
				return finish(campaign.OutcomeFailed)
			}
			// The PBX may have placed the call after all: hang it up.
			return finish(campaign.OutcomeFailed, actHangup)
		case inDialStatus:
			switch {
			case in.DialStatus == "ANSWER":
				return answer(s)
			case in.DialStatus == "RINGING" || in.DialStatus == "PROGRESS":
				if s.Phase == phRinging {
					return noop()
				}
				s.Phase = phRinging
				return s, []actionKind{actMarkRinging}, nil
			case finalDialStatus(in.DialStatus):
				s.DialStatus = in.DialStatus
				s.Reason = "dial status " + in.DialStatus
				var o campaign.Outcome
				if in.DialStatus != "NOANSWER" { // NOANSWER waits for the cause
					o = outcomeFromCause(in.DialStatus, 0)
				}
				return ending(o, actArmEndGuard)
			}
			return noop() // "" and unknown statuses carry no news
		case inRinging:
			if s.Phase == phRinging {
				return noop()
			}
			s.Phase = phRinging
			return s, []actionKind{actMarkRinging}, nil
		case inAnswered:
			return answer(s)
		case inStasisStart:
			// create+dial channels enter the application before the
			// answer; originate-to-app channels only after it.
			s.Stasis = true
			if in.Up {
				return answer(s)
			}
			return s, nil, nil
		case inStasisEnd:
			s.Stasis = false
			return s, nil, nil
		case inDestroyed:
			s.Cause = destroyedCause()
			if s.Reason == "" {
				s.Reason = "destroyed before answer"
			}
			return finish(outcomeFromCause("", s.Cause))
		case inLeftBridge, inAbandonTimeout, inPlaybackFinished, inPlaybackTimeout, inAgentGone, inHangupDone:
			return noop()
		case inHangupNow:
			s.Reason = in.Reason
			return ending(campaign.OutcomeFailed, actHangup, actArmEndGuard)
		case inGuardTimeout:
			if s.Phase == phDialing {
				s.Reason = "no progress from the PBX"
				return ending(campaign.OutcomeFailed, actHangup, actArmEndGuard)
			}
			s.Reason = "rang past the originate timeout"
			return ending(campaign.OutcomeNoAnswer, actHangup, actArmEndGuard)
		case inResyncMissing:
			s.Reason = "channel lost while the PBX connection was down"
			return finish(campaign.OutcomeFailed)
		}
		return invalid()

	case phWaiting:
		switch in.Kind {
		case inOriginated, inOriginateFailed, inDialStatus, inRinging, inAnswered, inLeftBridge,
			inPlaybackFinished, inPlaybackTimeout, inAgentGone, inHangupDone, inGuardTimeout:
			return noop()
		case inStasisStart:
			if s.Stasis {
				return noop()
			}
			s.Stasis = true
			return s, []actionKind{actRoute}, nil
		case inStasisEnd:
			s.Stasis = false
			return ending(campaign.OutcomeHungUpEarly, actDisarm, actArmEndGuard)
		case inDestroyed:
			s.Cause = destroyedCause()
			return finish(campaign.OutcomeHungUpEarly)
		case inAgentAssigned:
			if !s.Stasis {
				return invalid()
			}
			s.Phase = phBridging
			s.Added = false
			return s, []actionKind{actAddToBridge, actArmBridgeGuard}, nil
		case inAbandonTimeout:
			return abandon(s)
		case inHangupNow:
			s.Reason = in.Reason
			return ending(campaign.OutcomeAbandoned, actHangup, actArmEndGuard)
		case inResyncMissing:
			return finish(campaign.OutcomeHungUpEarly)
		}
		return invalid()

	case phBridging:
		switch in.Kind {
		case inOriginated, inOriginateFailed, inDialStatus, inRinging, inAnswered, inStasisStart,
			inLeftBridge, inAbandonTimeout, inPlaybackFinished, inPlaybackTimeout, inHangupDone:
			return noop()
		case inStasisEnd:
			s.Stasis = false
			return ending(campaign.OutcomeHungUpEarly, actReleaseAgent, actArmEndGuard)
		case inDestroyed:
			s.Cause = destroyedCause()
			return finish(campaign.OutcomeHungUpEarly, actReleaseAgent)
		case inBridgeAdded:
			s.Added = true
			return s, nil, nil
		case inEnteredBridge:
			s.Phase = phBridged
			return s, []actionKind{actDisarm, actMarkBridged}, nil
		case inGuardTimeout:
			if s.Added {
				// The EnteredBridge event was lost; the bridge took it.
				s.Phase = phBridged
				return s, []actionKind{actDisarm, actMarkBridged}, nil
			}
			return bridgingAbandoned(s, "bridge timed out")
		case inBridgeFailed, inAgentGone:
			return bridgingAbandoned(s, in.Reason)
		case inHangupNow:
			s.Reason = in.Reason
			return ending(campaign.OutcomeAbandoned, actReleaseAgent, actHangup, actArmEndGuard)
		case inResyncMissing:
			return finish(campaign.OutcomeHungUpEarly, actReleaseAgent)
		}
		return invalid()

	case phBridged:
		switch in.Kind {
		case inOriginated, inOriginateFailed, inDialStatus, inRinging, inAnswered, inStasisStart,
			inBridgeAdded, inEnteredBridge, inLeftBridge, inAbandonTimeout, inPlaybackFinished,
			inPlaybackTimeout, inHangupDone, inGuardTimeout:
			return noop()
		case inStasisEnd:
			s.Stasis = false
			return ending(campaign.OutcomeBridged, actArmEndGuard)
		case inDestroyed:
			s.Cause = destroyedCause()
			return finish(campaign.OutcomeBridged)
		case inAgentGone:
			s.Reason = "agent hung up"
			return ending(campaign.OutcomeBridged, actHangup, actArmEndGuard)
		case inHangupNow:
			s.Reason = in.Reason
			return ending(campaign.OutcomeBridged, actHangup, actArmEndGuard)
		case inResyncMissing:
			return finish(campaign.OutcomeBridged)
		}
		return invalid()

	case phAbandoning:
		switch in.Kind {
		case inOriginated, inOriginateFailed, inDialStatus, inRinging, inAnswered, inStasisStart,
			inBridgeAdded, inBridgeFailed, inEnteredBridge, inLeftBridge, inAbandonTimeout,
			inAgentGone, inHangupDone, inGuardTimeout:
			return noop()
		case inPlaybackFinished, inPlaybackTimeout, inPlayFailed, inHangupNow:
			return ending(campaign.OutcomeAbandoned, actHangup, actArmEndGuard)
		case inStasisEnd:
			s.Stasis = false
			return ending(campaign.OutcomeAbandoned, actArmEndGuard)
		case inDestroyed:
			s.Cause = destroyedCause()
			return finish(campaign.OutcomeAbandoned)
		case inResyncMissing:
			return finish(campaign.OutcomeAbandoned)
		}
		return invalid()

	case phEnding:
		switch in.Kind {
		case inOriginated, inOriginateFailed, inDialStatus, inRinging, inAnswered, inStasisStart,
			inBridgeAdded, inBridgeFailed, inEnteredBridge, inLeftBridge, inAbandonTimeout,
			inPlayFailed, inPlaybackFinished, inPlaybackTimeout, inAgentGone:
			return noop()
		case inStasisEnd:
			s.Stasis = false
			return s, nil, nil
		case inHangupNow:
			return s, []actionKind{actHangup}, nil
		case inDestroyed:
			s.Cause = destroyedCause()
			return finish(outcomeFromCause(s.DialStatus, s.Cause))
		case inHangupDone:
			if !in.NotFound {
				return noop()
			}
			return finish(outcomeFromCause(s.DialStatus, s.Cause))
		case inGuardTimeout:
			return finish(outcomeFromCause(s.DialStatus, s.Cause), actHangup)
		case inResyncMissing:
			return finish(outcomeFromCause(s.DialStatus, s.Cause))
		}
		return invalid()
	}
	return invalid()
}

// answer moves an unanswered call to phWaiting.
func answer(s callState) (callState, []actionKind, error) {
	s.Phase = phWaiting
	k := []actionKind{actMarkAnswered, actArmAbandon}
	if s.Stasis {
		k = append(k, actRoute)
	}
	return s, k, nil
}

// bridgingAbandoned gives up a bridge in progress: the agent is released
// and the debtor hears the abandon message.
func bridgingAbandoned(s callState, reason string) (callState, []actionKind, error) {
	s.Reason = reason
	s.Phase = phAbandoning
	return s, []actionKind{actReleaseAgent, actPlayAbandon, actArmPlayback}, nil
}

// abandon starts the abandon message, or hangs up when the channel is not in
// the application (nothing can be played to it).
func abandon(s callState) (callState, []actionKind, error) {
	s.Reason = "no agent within abandon_after"
	if !s.Stasis {
		s.Phase = phEnding
		s.Outcome = campaign.OutcomeAbandoned
		return s, []actionKind{actHangup, actArmEndGuard}, nil
	}
	s.Phase = phAbandoning
	return s, []actionKind{actPlayAbandon, actArmPlayback}, nil
}
