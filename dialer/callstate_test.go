package dialer

import (
	"errors"
	"slices"
	"testing"

	"github.com/duecall/duecall/campaign"
)

// want is the expected result of one next() call.
type want struct {
	phase   callPhase
	acts    []actionKind
	outcome campaign.Outcome
	err     bool
}

// noop is "state unchanged, no action".
var noop = want{phase: -1}

func w(p callPhase, o campaign.Outcome, a ...actionKind) want {
	return want{phase: p, acts: a, outcome: o}
}

var invalidInput = want{err: true}

// defaultInput is the input used for a kind in the exhaustive table.
func defaultInput(k inputKind) callInput {
	in := callInput{Kind: k}
	switch k {
	case inDialStatus:
		in.DialStatus = "BUSY"
	case inDestroyed, inHangupRequest:
		in.Cause = 16
	case inOriginateFailed:
		in.Rejected = true
		in.Reason = "originate rejected: Allocation failed"
	case inHangupDone:
		in.NotFound = true
	case inHangupNow:
		in.Reason = "shutdown"
	}
	return in
}

func basePhaseState(p callPhase) callState {
	switch p {
	case phDialing, phRinging:
		return callState{Phase: p}
	case phEnding:
		return callState{Phase: p, DialStatus: "NOANSWER"}
	case phEnded:
		return callState{Phase: p, Outcome: campaign.OutcomeBridged}
	default:
		return callState{Phase: p, Stasis: true}
	}
}

const (
	oFailed  = campaign.OutcomeFailed
	oBusy    = campaign.OutcomeBusy
	oNoAns   = campaign.OutcomeNoAnswer
	oEarly   = campaign.OutcomeHungUpEarly
	oAband   = campaign.OutcomeAbandoned
	oBridged = campaign.OutcomeBridged
)

// table lists the expected result of every (phase, input) pair with the
// default inputs and base states above.
var table = map[callPhase]map[inputKind]want{
	phDialing: dialingTable(phDialing),
	phRinging: dialingTable(phRinging),
	phWaiting: {
		inOriginated: noop, inOriginateFailed: noop, inDialStatus: noop, inRinging: noop, inAnswered: noop,
		inStasisStart:   noop,
		inStasisEnd:     w(phEnding, oEarly, actDisarm, actArmEndGuard),
		inHangupRequest: noop,
		inDestroyed:     w(phEnded, oEarly, actDisarm, actFinish),
		inAgentAssigned: w(phBridging, "", actAddToBridge, actArmBridgeGuard),
		inBridgeAdded:   invalidInput, inBridgeFailed: invalidInput, inEnteredBridge: invalidInput,
		inLeftBridge:       noop,
		inAbandonTimeout:   w(phAbandoning, "", actPlayAbandon, actArmPlayback),
		inPlayFailed:       invalidInput,
		inPlaybackFinished: noop, inPlaybackTimeout: noop, inAgentGone: noop,
		inHangupNow:     w(phEnding, oAband, actHangup, actArmEndGuard),
		inHangupDone:    noop,
		inGuardTimeout:  noop,
		inResyncMissing: w(phEnded, oEarly, actDisarm, actFinish),
	},
	phBridging: {
		inOriginated: noop, inOriginateFailed: noop, inDialStatus: noop, inRinging: noop, inAnswered: noop,
		inStasisStart:      noop,
		inStasisEnd:        w(phEnding, oEarly, actReleaseAgent, actArmEndGuard),
		inHangupRequest:    noop,
		inDestroyed:        w(phEnded, oEarly, actDisarm, actReleaseAgent, actFinish),
		inAgentAssigned:    invalidInput,
		inBridgeAdded:      w(phBridging, ""),
		inBridgeFailed:     w(phAbandoning, "", actReleaseAgent, actPlayAbandon, actArmPlayback),
		inEnteredBridge:    w(phBridged, "", actDisarm, actMarkBridged),
		inLeftBridge:       noop,
		inAbandonTimeout:   noop,
		inPlayFailed:       invalidInput,
		inPlaybackFinished: noop, inPlaybackTimeout: noop,
		inAgentGone:     w(phAbandoning, "", actReleaseAgent, actPlayAbandon, actArmPlayback),
		inHangupNow:     w(phEnding, oAband, actReleaseAgent, actHangup, actArmEndGuard),
		inHangupDone:    noop,
		inGuardTimeout:  w(phAbandoning, "", actReleaseAgent, actPlayAbandon, actArmPlayback),
		inResyncMissing: w(phEnded, oEarly, actDisarm, actReleaseAgent, actFinish),
	},
	phBridged: {
		inOriginated: noop, inOriginateFailed: noop, inDialStatus: noop, inRinging: noop, inAnswered: noop,
		inStasisStart:   noop,
		inStasisEnd:     w(phEnding, oBridged, actArmEndGuard),
		inHangupRequest: noop,
		inDestroyed:     w(phEnded, oBridged, actDisarm, actFinish),
		inAgentAssigned: invalidInput,
		inBridgeAdded:   noop, inBridgeFailed: invalidInput, inEnteredBridge: noop, inLeftBridge: noop,
		inAbandonTimeout: noop, inPlayFailed: invalidInput, inPlaybackFinished: noop, inPlaybackTimeout: noop,
		inAgentGone:     w(phEnding, oBridged, actHangup, actArmEndGuard),
		inHangupNow:     w(phEnding, oBridged, actHangup, actArmEndGuard),
		inHangupDone:    noop,
		inGuardTimeout:  noop,
		inResyncMissing: w(phEnded, oBridged, actDisarm, actFinish),
	},
	phAbandoning: {
		inOriginated: noop, inOriginateFailed: noop, inDialStatus: noop, inRinging: noop, inAnswered: noop,
		inStasisStart:   noop,
		inStasisEnd:     w(phEnding, oAband, actArmEndGuard),
		inHangupRequest: noop,
		inDestroyed:     w(phEnded, oAband, actDisarm, actFinish),
		inAgentAssigned: invalidInput,
		inBridgeAdded:   noop, inBridgeFailed: noop, inEnteredBridge: noop, inLeftBridge: noop,
		inAbandonTimeout:   noop,
		inPlayFailed:       w(phEnding, oAband, actHangup, actArmEndGuard),
		inPlaybackFinished: w(phEnding, oAband, actHangup, actArmEndGuard),
		inPlaybackTimeout:  w(phEnding, oAband, actHangup, actArmEndGuard),
		inAgentGone:        noop,
		inHangupNow:        w(phEnding, oAband, actHangup, actArmEndGuard),
		inHangupDone:       noop,
		inGuardTimeout:     noop,
		inResyncMissing:    w(phEnded, oAband, actDisarm, actFinish),
	},
	phEnding: {
		inOriginated: noop, inOriginateFailed: noop, inDialStatus: noop, inRinging: noop, inAnswered: noop,
		inStasisStart: noop, inStasisEnd: noop, inHangupRequest: noop,
		inDestroyed:     w(phEnded, oNoAns, actDisarm, actFinish),
		inAgentAssigned: invalidInput,
		inBridgeAdded:   noop, inBridgeFailed: noop, inEnteredBridge: noop, inLeftBridge: noop,
		inAbandonTimeout: noop, inPlayFailed: noop, inPlaybackFinished: noop, inPlaybackTimeout: noop,
		inAgentGone:     noop,
		inHangupNow:     w(phEnding, "", actHangup),
		inHangupDone:    w(phEnded, oNoAns, actDisarm, actFinish),
		inGuardTimeout:  w(phEnded, oNoAns, actDisarm, actHangup, actFinish),
		inResyncMissing: w(phEnded, oNoAns, actDisarm, actFinish),
	},
	phEnded: func() map[inputKind]want {
		m := map[inputKind]want{}
		for k := inputKind(0); k < numInputs; k++ {
			m[k] = noop
		}
		return m
	}(),
}

func dialingTable(p callPhase) map[inputKind]want {
	m := map[inputKind]want{
		inOriginated:       noop,
		inOriginateFailed:  w(phEnded, oFailed, actDisarm, actFinish),
		inDialStatus:       w(phEnding, oBusy, actArmEndGuard),
		inRinging:          w(phRinging, "", actMarkRinging),
		inAnswered:         w(phWaiting, "", actMarkAnswered, actArmAbandon),
		inStasisStart:      w(p, ""),
		inStasisEnd:        w(p, ""),
		inHangupRequest:    noop,
		inDestroyed:        w(phEnded, oFailed, actDisarm, actFinish),
		inAgentAssigned:    invalidInput,
		inBridgeAdded:      invalidInput,
		inBridgeFailed:     invalidInput,
		inEnteredBridge:    invalidInput,
		inLeftBridge:       noop,
		inAbandonTimeout:   noop,
		inPlayFailed:       invalidInput,
		inPlaybackFinished: noop,
		inPlaybackTimeout:  noop,
		inAgentGone:        noop,
		inHangupNow:        w(phEnding, oFailed, actHangup, actArmEndGuard),
		inHangupDone:       noop,
		inGuardTimeout:     w(phEnding, oFailed, actHangup, actArmEndGuard),
		inResyncMissing:    w(phEnded, oFailed, actDisarm, actFinish),
	}
	if p == phRinging {
		m[inRinging] = noop
		m[inGuardTimeout] = w(phEnding, oNoAns, actHangup, actArmEndGuard)
	}
	return m
}

func check(t *testing.T, s callState, in callInput, wt want) callState {
	t.Helper()
	got, as, err := next(s, in)
	if wt.err {
		var inv errInvalidInput
		if !errors.As(err, &inv) {
			t.Fatalf("%s + %s: err = %v, want errInvalidInput", s.Phase, in.Kind, err)
		}
		if got != s || len(as) != 0 {
			t.Fatalf("%s + %s: invalid input changed state or acted: %+v %v", s.Phase, in.Kind, got, as)
		}
		return got
	}
	if err != nil {
		t.Fatalf("%s + %s: unexpected error %v", s.Phase, in.Kind, err)
	}
	wantPhase := wt.phase
	if wantPhase == -1 {
		wantPhase = s.Phase
		if len(as) != 0 {
			t.Fatalf("%s + %s: want no-op, got actions %v", s.Phase, in.Kind, as)
		}
	}
	if got.Phase != wantPhase {
		t.Fatalf("%s + %s: phase %s, want %s", s.Phase, in.Kind, got.Phase, wantPhase)
	}
	if !slices.Equal(as, wt.acts) {
		t.Fatalf("%s + %s: actions %v, want %v", s.Phase, in.Kind, as, wt.acts)
	}
	if wt.phase != -1 && got.Outcome != wt.outcome {
		t.Fatalf("%s + %s: outcome %q, want %q", s.Phase, in.Kind, got.Outcome, wt.outcome)
	}
	return got
}

// TestNextEveryPair checks every (phase, input) pair; a missing table entry
// fails the test, so a new phase or input must be classified.
func TestNextEveryPair(t *testing.T) {
	for p := callPhase(0); p < numPhases; p++ {
		row, ok := table[p]
		if !ok {
			t.Errorf("phase %s missing from the table", p)
			continue
		}
		for k := inputKind(0); k < numInputs; k++ {
			wt, ok := row[k]
			if !ok {
				t.Errorf("pair (%s, %s) missing from the table", p, k)
				continue
			}
			t.Run(p.String()+"/"+k.String(), func(t *testing.T) {
				check(t, basePhaseState(p), defaultInput(k), wt)
			})
		}
	}
}

func TestNextVariants(t *testing.T) {
	type row struct {
		name string
		s    callState
		in   callInput
		want want
	}
	dial := callState{Phase: phDialing}
	ring := callState{Phase: phRinging}
	rows := []row{
		{"empty dial status", dial, callInput{Kind: inDialStatus}, noop},
		{"unknown dial status", dial, callInput{Kind: inDialStatus, DialStatus: "FOO"}, noop},
		{"RINGING", dial, callInput{Kind: inDialStatus, DialStatus: "RINGING"}, w(phRinging, "", actMarkRinging)},
		{"PROGRESS", dial, callInput{Kind: inDialStatus, DialStatus: "PROGRESS"}, w(phRinging, "", actMarkRinging)},
		{"RINGING twice", ring, callInput{Kind: inDialStatus, DialStatus: "RINGING"}, noop},
		{"ANSWER without state change", ring, callInput{Kind: inDialStatus, DialStatus: "ANSWER"}, w(phWaiting, "", actMarkAnswered, actArmAbandon)},
		{"CONGESTION", ring, callInput{Kind: inDialStatus, DialStatus: "CONGESTION"}, w(phEnding, campaign.OutcomeCongestion, actArmEndGuard)},
		{"CHANUNAVAIL", ring, callInput{Kind: inDialStatus, DialStatus: "CHANUNAVAIL"}, w(phEnding, oFailed, actArmEndGuard)},
		{"CANCEL", ring, callInput{Kind: inDialStatus, DialStatus: "CANCEL"}, w(phEnding, oFailed, actArmEndGuard)},
		{"NOANSWER waits for the cause", ring, callInput{Kind: inDialStatus, DialStatus: "NOANSWER"}, w(phEnding, "", actArmEndGuard)},
		{"answered in stasis routes", callState{Phase: phRinging, Stasis: true}, callInput{Kind: inAnswered}, w(phWaiting, "", actMarkAnswered, actArmAbandon, actRoute)},
		{"stasis start when up answers", ring, callInput{Kind: inStasisStart, Up: true}, w(phWaiting, "", actMarkAnswered, actArmAbandon, actRoute)},
		{"originate not placed releases", dial, callInput{Kind: inOriginateFailed, Release: true}, w(phEnded, "", actDisarm, actRelease)},
		{"originate uncertain hangs up", dial, callInput{Kind: inOriginateFailed}, w(phEnded, oFailed, actDisarm, actHangup, actFinish)},
		{"no answer timeout", ring, callInput{Kind: inDestroyed, Cause: 19}, w(phEnded, oNoAns, actDisarm, actFinish)},
		{"cause 18", ring, callInput{Kind: inDestroyed, Cause: 18}, w(phEnded, oNoAns, actDisarm, actFinish)},
		{"cause 17", ring, callInput{Kind: inDestroyed, Cause: 17}, w(phEnded, oBusy, actDisarm, actFinish)},
		{"cause 34", ring, callInput{Kind: inDestroyed, Cause: 34}, w(phEnded, campaign.OutcomeCongestion, actDisarm, actFinish)},
		{"cause 38", ring, callInput{Kind: inDestroyed, Cause: 38}, w(phEnded, campaign.OutcomeCongestion, actDisarm, actFinish)},
		{"cause 1", dial, callInput{Kind: inDestroyed, Cause: 1}, w(phEnded, campaign.OutcomeInvalidNumber, actDisarm, actFinish)},
		{"cause 0 bad extension", dial, callInput{Kind: inDestroyed}, w(phEnded, oFailed, actDisarm, actFinish)},
		{"cause 0 after busy hangup request", callState{Phase: phRinging, Cause: 17}, callInput{Kind: inDestroyed}, w(phEnded, oBusy, actDisarm, actFinish)},
		{"waiting not in stasis: stasis start routes", callState{Phase: phWaiting}, callInput{Kind: inStasisStart}, w(phWaiting, "", actRoute)},
		{"waiting not in stasis: agent assignment invalid", callState{Phase: phWaiting}, callInput{Kind: inAgentAssigned}, invalidInput},
		{"abandon without stasis hangs up", callState{Phase: phWaiting}, callInput{Kind: inAbandonTimeout}, w(phEnding, oAband, actHangup, actArmEndGuard)},
		{"bridge guard after add: bridged", callState{Phase: phBridging, Stasis: true, Added: true}, callInput{Kind: inGuardTimeout}, w(phBridged, "", actDisarm, actMarkBridged)},
		{"ending busy keeps busy on cause 0", callState{Phase: phEnding, Outcome: oBusy, DialStatus: "BUSY"}, callInput{Kind: inDestroyed}, w(phEnded, oBusy, actDisarm, actFinish)},
		{"NOANSWER then cause 1: invalid", callState{Phase: phEnding, DialStatus: "NOANSWER"}, callInput{Kind: inDestroyed, Cause: 1}, w(phEnded, campaign.OutcomeInvalidNumber, actDisarm, actFinish)},
		{"NOANSWER then cause 28: invalid", callState{Phase: phEnding, DialStatus: "NOANSWER"}, callInput{Kind: inDestroyed, Cause: 28}, w(phEnded, campaign.OutcomeInvalidNumber, actDisarm, actFinish)},
		{"hangup done but channel still there", callState{Phase: phEnding, Outcome: oBridged}, callInput{Kind: inHangupDone}, noop},
		{"ending bridged guard", callState{Phase: phEnding, Outcome: oBridged}, callInput{Kind: inGuardTimeout}, w(phEnded, oBridged, actDisarm, actHangup, actFinish)},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) { check(t, r.s, r.in, r.want) })
	}
}

func TestNextFacts(t *testing.T) {
	// A non-soft hangup request records its cause; a soft one (a flag
	// value, not Q.850) does not.
	s, _, _ := next(callState{Phase: phRinging}, callInput{Kind: inHangupRequest, Cause: 17})
	if s.Cause != 17 {
		t.Fatalf("cause %d", s.Cause)
	}
	s, _, _ = next(callState{Phase: phRinging}, callInput{Kind: inHangupRequest, Cause: 32, Soft: true})
	if s.Cause != 0 {
		t.Fatalf("soft cause recorded: %d", s.Cause)
	}
	// The destroy cause is kept.
	s, _, _ = next(callState{Phase: phBridged, Stasis: true}, callInput{Kind: inDestroyed, Cause: 16})
	if s.Cause != 16 || s.Outcome != oBridged {
		t.Fatalf("%+v", s)
	}
	// StasisStart sets and StasisEnd clears the flag while dialing.
	s, _, _ = next(callState{Phase: phDialing}, callInput{Kind: inStasisStart})
	if !s.Stasis {
		t.Fatal("stasis not set")
	}
	s, _, _ = next(s, callInput{Kind: inStasisEnd})
	if s.Stasis {
		t.Fatal("stasis not cleared")
	}
	// A rejected originate keeps the reason.
	s, _, _ = next(callState{Phase: phDialing}, callInput{Kind: inOriginateFailed, Rejected: true, Reason: "Allocation failed"})
	if s.Reason != "Allocation failed" {
		t.Fatalf("reason %q", s.Reason)
	}
}

// TestNextWalks runs whole calls through the machine.
func TestNextWalks(t *testing.T) {
	walks := []struct {
		name    string
		inputs  []callInput
		outcome campaign.Outcome
		cause   int
	}{
		{"answered and bridged", []callInput{
			{Kind: inDialStatus}, {Kind: inRinging}, {Kind: inDialStatus, DialStatus: "RINGING"},
			{Kind: inOriginated}, {Kind: inAnswered}, {Kind: inDialStatus, DialStatus: "ANSWER"},
			{Kind: inStasisStart, Up: true}, {Kind: inAgentAssigned}, {Kind: inBridgeAdded},
			{Kind: inEnteredBridge}, {Kind: inHangupRequest, Cause: 16}, {Kind: inLeftBridge},
			{Kind: inStasisEnd}, {Kind: inDestroyed, Cause: 16},
		}, oBridged, 16},
		{"busy through Local", []callInput{
			{Kind: inOriginated}, {Kind: inDialStatus}, {Kind: inRinging}, {Kind: inDialStatus, DialStatus: "RINGING"},
			{Kind: inDialStatus, DialStatus: "BUSY"}, {Kind: inDestroyed, Cause: 0},
		}, oBusy, 0},
		{"unallocated", []callInput{
			{Kind: inOriginated}, {Kind: inDialStatus}, {Kind: inDialStatus, DialStatus: "NOANSWER"}, {Kind: inDestroyed, Cause: 1},
		}, campaign.OutcomeInvalidNumber, 1},
		{"no answer", []callInput{
			{Kind: inOriginated}, {Kind: inRinging}, {Kind: inDestroyed, Cause: 19},
		}, oNoAns, 19},
		{"abandoned", []callInput{
			{Kind: inOriginated}, {Kind: inRinging}, {Kind: inAnswered}, {Kind: inStasisStart, Up: true},
			{Kind: inAbandonTimeout}, {Kind: inPlaybackFinished}, {Kind: inHangupDone},
			{Kind: inHangupRequest, Cause: 32, Soft: true}, {Kind: inStasisEnd}, {Kind: inDestroyed, Cause: 16},
		}, oAband, 16},
		{"debtor hangs up while waiting", []callInput{
			{Kind: inOriginated}, {Kind: inAnswered}, {Kind: inStasisStart, Up: true},
			{Kind: inHangupRequest, Cause: 16}, {Kind: inStasisEnd}, {Kind: inDestroyed, Cause: 16},
		}, oEarly, 16},
		{"agent hangs up mid-call", []callInput{
			{Kind: inOriginated}, {Kind: inAnswered}, {Kind: inStasisStart, Up: true}, {Kind: inAgentAssigned},
			{Kind: inEnteredBridge}, {Kind: inAgentGone}, {Kind: inStasisEnd}, {Kind: inDestroyed, Cause: 16},
		}, oBridged, 16},
	}
	for _, wk := range walks {
		t.Run(wk.name, func(t *testing.T) {
			s := callState{Phase: phDialing}
			finished := 0
			for _, in := range wk.inputs {
				var as []actionKind
				var err error
				s, as, err = next(s, in)
				if err != nil {
					t.Fatalf("input %s: %v", in.Kind, err)
				}
				for _, a := range as {
					if a == actFinish {
						finished++
					}
				}
			}
			if s.Phase != phEnded || s.Outcome != wk.outcome || s.Cause != wk.cause || finished != 1 {
				t.Fatalf("end state %+v, finishes %d; want outcome %s cause %d", s, finished, wk.outcome, wk.cause)
			}
		})
	}
}

func TestOutcomeFromCause(t *testing.T) {
	tests := []struct {
		status string
		cause  int
		want   campaign.Outcome
	}{
		{"BUSY", 0, oBusy}, {"CONGESTION", 0, campaign.OutcomeCongestion}, {"CHANUNAVAIL", 0, oFailed},
		{"NOANSWER", 1, campaign.OutcomeInvalidNumber}, {"NOANSWER", 3, campaign.OutcomeInvalidNumber},
		{"NOANSWER", 28, campaign.OutcomeInvalidNumber}, {"NOANSWER", 19, oNoAns}, {"NOANSWER", 0, oNoAns},
		{"", 19, oNoAns}, {"", 18, oNoAns}, {"", 17, oBusy}, {"", 21, oBusy}, {"", 34, campaign.OutcomeCongestion},
		{"", 38, campaign.OutcomeCongestion}, {"", 42, campaign.OutcomeCongestion}, {"", 1, campaign.OutcomeInvalidNumber},
		{"", 0, oFailed}, {"", 16, oFailed}, {"", 127, oFailed}, {"CANCEL", 16, oFailed},
	}
	for _, tt := range tests {
		if got := outcomeFromCause(tt.status, tt.cause); got != tt.want {
			t.Errorf("outcomeFromCause(%q, %d) = %s, want %s", tt.status, tt.cause, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for p := callPhase(0); p < numPhases; p++ {
		if p.String() == "" {
			t.Errorf("phase %d unnamed", p)
		}
	}
	if len(phaseNames) != int(numPhases) || len(inputNames) != int(numInputs) || len(actionNames) != int(numActions) {
		t.Fatal("name tables out of step with the constants")
	}
	if callPhase(99).String() != "callPhase(99)" || inputKind(-1).String() != "inputKind(-1)" {
		t.Fatal("out-of-range names")
	}
}

func BenchmarkNext(b *testing.B) {
	inputs := []callInput{
		{Kind: inDialStatus}, {Kind: inRinging}, {Kind: inDialStatus, DialStatus: "RINGING"}, {Kind: inAnswered},
		{Kind: inStasisStart, Up: true}, {Kind: inAgentAssigned}, {Kind: inBridgeAdded}, {Kind: inEnteredBridge},
		{Kind: inHangupRequest, Cause: 16}, {Kind: inStasisEnd}, {Kind: inDestroyed, Cause: 16},
	}
	for b.Loop() {
		s := callState{Phase: phDialing}
		for _, in := range inputs {
			s, _, _ = next(s, in)
		}
	}
}
