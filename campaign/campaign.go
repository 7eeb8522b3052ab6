// Package campaign holds duecall's domain: debts, call attempts and their
// outcomes, retry rules, KPI counters, and the Store interface that the
// dialer uses to claim due debts and record what happened to each call.
//
// The package imports no Redis or telephony code; adapters such as
// redisstore implement Store, and campaigntest holds the contract suite that
// every implementation must pass.
package campaign

import (
	"errors"
	"time"
)

// Sentinel errors. Adapters translate their own errors into these.
var (
	// ErrNotFound is returned when a debt or campaign does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNoDebtDue is returned by Claim when no debt is due now.
	ErrNoDebtDue = errors.New("no debt due")
	// ErrLeaseLost is returned when a lease has expired or belongs to
	// someone else (the debt may have been claimed again).
	ErrLeaseLost = errors.New("lease lost")
	// ErrInvalid is wrapped by validation errors of domain values.
	ErrInvalid = errors.New("invalid")
	// ErrWrongAgent is returned when an agent records a wrap-up code on a
	// call that another agent (or no agent) took.
	ErrWrongAgent = errors.New("not the agent's call")
)

// DebtState says where a debt is. Every debt is at all times in exactly one
// of these states.
type DebtState string

const (
	// StateQueued: waiting in the campaign queue for its next attempt time.
	StateQueued DebtState = "queued"
	// StateLeased: claimed by a dialer for a call in progress.
	StateLeased DebtState = "leased"
	// StateFinished: no more calls; FinishReason says why.
	StateFinished DebtState = "finished"
)

// Debt is one debt of one debtor in one campaign.
type Debt struct {
	ID         string
	CampaignID string
	DebtorName string
	// Phones are E.164 numbers ("+84912345678"), the first is the main one.
	Phones []string
	// Amount in the currency's major unit, as a decimal string kept exactly
	// as imported after normalisation ("1500000", "12.50").
	Amount   string
	Currency string
	// DueDate is the day the debt falls due (midnight UTC of that date).
	DueDate  time.Time
	Timezone string // IANA zone of the debtor, "" if unknown
	Priority int    // explicit priority, higher is dialled first
	Notes    string
	// Profile holds every other CSV column, shown on the agent's screen.
	Profile map[string]string

	// Dialing state, maintained by the Store.
	State         DebtState
	Attempts      int       // attempts made so far
	PhoneIndex    int       // index into Phones of the number to dial next
	NextAttemptAt time.Time // when the debt is due for its next call
	LastOutcome   Outcome
	FinishReason  string // set when State is StateFinished
	UpdatedAt     time.Time
}

// Phone returns the number to dial next, or "" when none is left.
func (d Debt) Phone() string {
	if d.PhoneIndex < 0 || d.PhoneIndex >= len(d.Phones) {
		return ""
	}
	return d.Phones[d.PhoneIndex]
}

// Outcome is the result of one call attempt.
type Outcome string

const (
	// OutcomeBridged: a person answered and talked to an agent.
	OutcomeBridged Outcome = "bridged"
	// OutcomeAbandoned: a person answered but no agent was free in time;
	// the abandon message was played and the call hung up.
	OutcomeAbandoned Outcome = "abandoned"
	// OutcomeHungUpEarly: the debtor answered and hung up before an agent
	// could be connected and before abandon_after ran out. It counts as
	// answered, not abandoned.
	OutcomeHungUpEarly Outcome = "answered_hangup"
	OutcomeBusy        Outcome = "busy"
	OutcomeNoAnswer    Outcome = "no_answer"
	OutcomeCongestion  Outcome = "congestion"
	// OutcomeInvalidNumber: the network said the number does not exist.
	OutcomeInvalidNumber Outcome = "invalid_number"
	// OutcomeFailed: the call could not be placed (originate rejected,
	// channel failed before ringing, PBX unreachable during the call).
	OutcomeFailed Outcome = "failed"
)

// Outcomes lists every outcome, in report order.
var Outcomes = []Outcome{
	OutcomeBridged, OutcomeAbandoned, OutcomeHungUpEarly, OutcomeBusy,
	OutcomeNoAnswer, OutcomeCongestion, OutcomeInvalidNumber, OutcomeFailed,
}

// Answered reports whether a person (or machine) picked up the call.
func (o Outcome) Answered() bool {
	return o == OutcomeBridged || o == OutcomeAbandoned || o == OutcomeHungUpEarly
}

// Valid reports whether o is one of Outcomes.
func (o Outcome) Valid() bool {
	for _, v := range Outcomes {
		if v == o {
			return true
		}
	}
	return false
}

// Attempt is one call attempt: one record in the campaign's attempt log.
type Attempt struct {
	ID         string // also the debtor channel's id
	CampaignID string
	DebtID     string
	Phone      string // E.164 as dialled; mask it before logging
	AgentID    string // "" when no agent took the call
	Outcome    Outcome
	// HangupCause is Asterisk's Q.850 cause of our leg (0 when unknown).
	HangupCause int
	// Reason is free text: the dial status, or why the originate failed.
	Reason       string
	OriginatedAt time.Time
	AnsweredAt   time.Time // zero when not answered
	BridgedAt    time.Time // zero when never bridged
	EndedAt      time.Time
	// Disposition is the agent's wrap-up code (promise_to_pay, ...), if any.
	Disposition string
}

// TalkSeconds is the time the debtor spent with the agent.
func (a Attempt) TalkSeconds() float64 {
	if a.BridgedAt.IsZero() || a.EndedAt.Before(a.BridgedAt) {
		return 0
	}
	return a.EndedAt.Sub(a.BridgedAt).Seconds()
}

// Lease is a claim on one debt for one call. It must be completed (or it
// expires, and the debt returns to the queue).
type Lease struct {
	CampaignID string
	DebtID     string
	Token      string    // unique per claim; proves ownership
	Owner      string    // the dialer process that holds it
	ExpiresAt  time.Time // renew before this
	Debt       Debt      // the debt as it was at claim time
}

// Schedule is what happens to a debt after an attempt.
type Schedule struct {
	// Finish ends dialing for the debt; FinishReason says why.
	Finish       bool
	FinishReason string
	// NextAttemptAt and PhoneIndex apply when Finish is false.
	NextAttemptAt time.Time
	PhoneIndex    int
}

// QueueStats counts a campaign's debts by state.
type QueueStats struct {
	Due       int64 `json:"due"`       // queued and due now
	Scheduled int64 `json:"scheduled"` // queued for later
	Leased    int64 `json:"leased"`
	Finished  int64 `json:"finished"`
	// NextScheduledAt is when the first debt queued for later falls due,
	// to the second, in UTC (zero when none is): with nothing due, when
	// dialing resumes, for instance at the next opening of a calling
	// window that held the debts.
	NextScheduledAt time.Time `json:"next_scheduled_at,omitzero"`
}

// Counts is q without NextScheduledAt.
func (q QueueStats) Counts() QueueStats {
	q.NextScheduledAt = time.Time{}
	return q
}

// Total is the number of debts of the campaign.
func (q QueueStats) Total() int64 { return q.Due + q.Scheduled + q.Leased + q.Finished }

// UpsertResult counts what an import batch did.
type UpsertResult struct {
	Created int
	Updated int
}
