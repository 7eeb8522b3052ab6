// Package pacing decides how many calls a dialer places at a time.
//
// A Pacer looks at a snapshot of one campaign (its agents, its calls in
// progress and recent results) and returns how many new calls to place now.
// Four pacers are provided, built from a Config by New:
//
//   - Progressive: one call per ready agent who has no call on the way.
//   - Power: a fixed number of calls per ready agent (Config.Ratio).
//   - Adaptive: a port of VICIdial's adaptive predictive controller
//     (AST_VDadapt.pl): a dial level steered by the difference between idle
//     agents and waiting callers, cut back by its drop-rate rules.
//   - Predictive: duecall's own; it models when each busy agent will be
//     free and when each ringing call will be answered, and places a call
//     only while the chance that it finds no agent stays under a threshold
//     that a controller keeps at the campaign's abandon target over the
//     rolling window (Config.MaxAbandonRate, Config.AbandonWindow).
//
// A pacer may want more than State snapshots: the optional interfaces
// Cadenced (call Lines only on the pacer's own dial loop), Sampler (a
// periodic sample of the State), Recorder (every finished attempt) and
// Reporter (dial level and state for dashboards) let the dialer feed it.
// The dialer calls a pacer only from its event loop, one campaign per pacer
// instance, so pacers keep state without locks; never share one instance
// between campaigns or engines.
package pacing

import (
	"fmt"
	"time"

	"github.com/duecall/duecall/campaign"
)

// AgentState is where an agent is.
type AgentState int

const (
	// AgentLoggedOut: not logged in, takes no calls.
	AgentLoggedOut AgentState = iota
	// AgentConnecting: logging in; the agent's phone is being called.
	AgentConnecting
	// AgentReady: waiting for a call.
	AgentReady
	// AgentOnCall: being connected to or talking with a debtor.
	AgentOnCall
	// AgentWrapUp: after a call, for the campaign's wrap-up time.
	AgentWrapUp
	// AgentPaused: logged in but takes no calls.
	AgentPaused
)

var agentStateNames = [...]string{"logged_out", "connecting", "ready", "on_call", "wrap_up", "paused"}

// String returns the state's name ("ready", "on_call", ...).
func (s AgentState) String() string {
	if s >= 0 && int(s) < len(agentStateNames) {
		return agentStateNames[s]
	}
	return fmt.Sprintf("AgentState(%d)", int(s))
}

// MarshalText makes AgentState a JSON string.
func (s AgentState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// CallPhase is where a call in progress is, as pacing sees it.
type CallPhase int

const (
	// CallClaiming: a debt is being claimed from the store; no channel yet.
	CallClaiming CallPhase = iota
	// CallDialing: originated, not ringing yet.
	CallDialing
	// CallRinging: the debtor's phone rings.
	CallRinging
	// CallWaiting: answered, waiting for a free agent.
	CallWaiting
	// CallConnecting: answered, being bridged to an agent.
	CallConnecting
	// CallTalking: bridged with an agent.
	CallTalking
	// CallAbandoning: answered, no agent in time; the abandon message plays.
	CallAbandoning
	// CallEnding: being hung up.
	CallEnding
)

var callPhaseNames = [...]string{"claiming", "dialing", "ringing", "waiting", "connecting", "talking", "abandoning", "ending"}

// String returns the phase's name ("ringing", ...).
func (p CallPhase) String() string {
	if p >= 0 && int(p) < len(callPhaseNames) {
		return callPhaseNames[p]
	}
	return fmt.Sprintf("CallPhase(%d)", int(p))
}

// MarshalText makes CallPhase a JSON string.
func (p CallPhase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Agent is one agent logged in to the campaign.
type Agent struct {
	ID    string
	State AgentState
	Since time.Time // when the agent entered State
}

// Call is one call of the campaign that uses (or is about to use) a line.
type Call struct {
	Phase      CallPhase
	PlacedAt   time.Time // when the claim or originate started
	RingingAt  time.Time // zero until it rings
	AnsweredAt time.Time // zero until answered
}

// Stats are the campaign's results in this process.
type Stats struct {
	// Totals since the process started.
	Placed    int64
	Answered  int64
	Abandoned int64
	// Recent counts the last RecentAttempts completed attempts (a sliding
	// window of fixed size, see the dialer).
	RecentAttempts  int
	RecentAnswered  int
	RecentAbandoned int
	// MeanTalk is the mean talk time of the recent bridged calls (0 if none).
	MeanTalk time.Duration
	// Window counts the answered and abandoned calls of the campaign's
	// rolling abandon window (Config.AbandonWindow, 24 h by default).
	Window WindowCounts
}

// WindowCounts are the answered and abandoned calls over a rolling window.
type WindowCounts struct {
	Span      time.Duration // the window's length
	Answered  int64
	Abandoned int64
}

// Rate is abandoned ÷ answered (0 when nothing was answered).
func (w WindowCounts) Rate() float64 {
	if w.Answered == 0 {
		return 0
	}
	return float64(w.Abandoned) / float64(w.Answered)
}

// AnswerRate is the recent share of attempts that were answered (0 if none).
func (s Stats) AnswerRate() float64 {
	if s.RecentAttempts == 0 {
		return 0
	}
	return float64(s.RecentAnswered) / float64(s.RecentAttempts)
}

// AbandonRate is the share of answered calls abandoned since the start (0 if
// none answered).
func (s Stats) AbandonRate() float64 {
	if s.Answered == 0 {
		return 0
	}
	return float64(s.Abandoned) / float64(s.Answered)
}

// State is a snapshot of one campaign, given to a Pacer.
type State struct {
	Now          time.Time
	CampaignID   string
	MaxLines     int           // cap on calls using a line
	AbandonAfter time.Duration // how long an answered call waits for an agent
	WrapUp       time.Duration
	Agents       []Agent // logged-in agents (never AgentLoggedOut)
	Calls        []Call  // calls in progress, claims included
	Stats        Stats
	// Counts, when set, are the agents in each state and the calls in each
	// phase of Agents and Calls (the dialer keeps them up to date as things
	// change); AgentsIn, CallsIn and Pending read them instead of scanning.
	Counts *Counts
}

// Counts are the agents per state and the calls per phase of a State.
type Counts struct {
	Agents [int(AgentPaused) + 1]int // by AgentState
	Calls  [int(CallEnding) + 1]int  // by CallPhase
}

// AgentsIn counts the agents in state s.
func (st State) AgentsIn(s AgentState) int {
	if st.Counts != nil && s >= 0 && int(s) < len(st.Counts.Agents) {
		return st.Counts.Agents[s]
	}
	n := 0
	for _, a := range st.Agents {
		if a.State == s {
			n++
		}
	}
	return n
}

// CallsIn counts the calls in phase p.
func (st State) CallsIn(p CallPhase) int {
	if st.Counts != nil && p >= 0 && int(p) < len(st.Counts.Calls) {
		return st.Counts.Calls[p]
	}
	n := 0
	for _, c := range st.Calls {
		if c.Phase == p {
			n++
		}
	}
	return n
}

// Pending counts the calls that will want an agent if answered and have
// none yet: claiming, dialing, ringing, or answered and waiting.
func (st State) Pending() int {
	if c := st.Counts; c != nil {
		return c.Calls[CallClaiming] + c.Calls[CallDialing] + c.Calls[CallRinging] + c.Calls[CallWaiting]
	}
	n := 0
	for _, c := range st.Calls {
		switch c.Phase {
		case CallClaiming, CallDialing, CallRinging, CallWaiting:
			n++
		}
	}
	return n
}

// LinesInUse counts every call in progress (each uses a trunk line, or is
// about to).
func (st State) LinesInUse() int { return len(st.Calls) }

// FreeLines is MaxLines less the lines in use, never negative.
func (st State) FreeLines() int {
	return max(st.MaxLines-st.LinesInUse(), 0)
}

// Pacer decides how many new calls to place now. The dialer calls it from
// its event loop whenever something changes (and at least every poll
// interval), or only on the pacer's own dial loop when it implements
// Cadenced. The State's slices belong to the dialer and are reused: a Pacer
// must not keep them after Lines returns. Whatever a Pacer returns, the
// dialer never uses more than the campaign's free lines.
type Pacer interface {
	Lines(st State) int
}

// Cadenced is implemented by pacers that place calls on a dial loop of
// their own (VICIdial dials every 2.5 s) rather than on every change.
type Cadenced interface {
	Pacer
	// DialEvery is the dial loop's period: Lines is called once per period.
	// 0 means on every change, like a plain Pacer.
	DialEvery() time.Duration
}

// Sampler is implemented by pacers that sample the campaign on a clock of
// their own (VICIdial samples agents and waiting calls every second).
type Sampler interface {
	Pacer
	// SampleEvery is the sampling period (> 0).
	SampleEvery() time.Duration
	// Sample is called every SampleEvery with a snapshot of the campaign.
	Sample(st State)
}

// Recorder is implemented by pacers that learn from finished attempts.
type Recorder interface {
	Pacer
	// Record is called once for each attempt the campaign records.
	Record(r Result)
}

// Reporter is implemented by pacers that describe their current decision,
// for the dialer's status and dashboards.
type Reporter interface {
	Pacer
	Report() Report
}

// Report is a pacer's current state, for dashboards.
type Report struct {
	Mode Mode `json:"mode"`
	// DialLevel is the lines the pacer keeps per agent: the ratio (power),
	// the controller's level (adaptive), or the lines in use per working
	// agent at the last decision (progressive, predictive).
	DialLevel float64 `json:"dial_level"`
	// Note says what the pacer is doing when it is not its normal work
	// ("warming up", "backed off to progressive: ...").
	Note string `json:"note,omitempty"`
}

// Result is one finished attempt, as the dialer reports it to a Recorder.
type Result struct {
	Outcome campaign.Outcome
	// Dialed is false when no call reached the network (no number left,
	// number not dialable); such results say nothing about the network.
	Dialed     bool
	PlacedAt   time.Time // when the call was originated
	AnsweredAt time.Time // zero unless answered
	BridgedAt  time.Time // zero unless connected to an agent
	EndedAt    time.Time
}

// Answered reports whether a person (or machine) picked up.
func (r Result) Answered() bool { return r.Outcome.Answered() }

// Abandoned reports whether the call was answered and no agent came in time.
func (r Result) Abandoned() bool { return r.Outcome == campaign.OutcomeAbandoned }

// Bridged reports whether the call reached an agent.
func (r Result) Bridged() bool { return r.Outcome == campaign.OutcomeBridged && !r.BridgedAt.IsZero() }

// Failed reports whether the call failed on our side (originate rejected,
// PBX trouble): it says nothing about the debtor.
func (r Result) Failed() bool { return !r.Dialed || r.Outcome == campaign.OutcomeFailed }

// Progressive places one call per ready agent who has no call on the way:
// ready agents minus calls claiming, dialing, ringing or answered and
// waiting, never more than the free lines. It never abandons a call while
// agents are ready and nothing else is pending.
type Progressive struct{}

// Lines implements Pacer.
func (Progressive) Lines(st State) int {
	n := st.AgentsIn(AgentReady) - st.Pending()
	return max(min(n, st.FreeLines()), 0)
}

// Report implements Reporter: the dial level is 1.
func (Progressive) Report() Report { return Report{Mode: ModeProgressive, DialLevel: 1} }

// Func adapts a function to Pacer.
type Func func(State) int

// Lines implements Pacer.
func (f Func) Lines(st State) int { return f(st) }
