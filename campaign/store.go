package campaign

import (
	"context"
	"time"
)

// Store keeps debts, their queue and leases, the attempt log and the KPI
// counters. Implementations must be safe for concurrent use by many
// goroutines and by many processes sharing one backend.
//
// Invariant: every debt is at all times exactly one of queued, leased or
// finished, and the KPI counters always equal what the attempt log holds.
type Store interface {
	// UpsertDebts creates or updates debts by ID. A debt that exists keeps
	// its dialing state (attempts, lease, finished); a queued debt that has
	// had no attempt yet is re-scheduled from its new due date. New debts are
	// queued at rules.FirstAttempt(debt).
	UpsertDebts(ctx context.Context, rules Rules, debts []Debt) (UpsertResult, error)

	// Debt returns one debt, or ErrNotFound.
	Debt(ctx context.Context, campaignID, debtID string) (Debt, error)

	// Claim atomically takes the first due debt (ordered by next attempt
	// time, then priority) and leases it to owner for ttl. Expired leases
	// are returned to the queue first. ErrNoDebtDue when nothing is due.
	Claim(ctx context.Context, campaignID, owner string, now time.Time, ttl time.Duration) (Lease, error)

	// Renew extends a lease to now+ttl, or returns ErrLeaseLost.
	Renew(ctx context.Context, lease Lease, now time.Time, ttl time.Duration) (Lease, error)

	// Complete atomically appends the attempt to the campaign's attempt log,
	// adds it to the KPI counters, and applies the schedule to the debt
	// (re-queue or finish), releasing the lease. If the lease was lost the
	// attempt is still recorded, the debt's state is left alone, and
	// ErrLeaseLost is returned.
	Complete(ctx context.Context, lease Lease, attempt Attempt, next Schedule) error

	// Release returns a leased debt to the queue at its current next attempt
	// time without recording an attempt (the call was never placed).
	Release(ctx context.Context, lease Lease) error

	// SetDisposition records the agent's wrap-up code on a recorded attempt
	// (ErrNotFound if there is none; ErrWrongAgent when agentID is not ""
	// and is not the agent who took the call)
	// and counts it (promise_to_pay etc.).
	SetDisposition(ctx context.Context, campaignID, attemptID, agentID, code string, at time.Time) error

	// AddAgentTime adds seconds an agent spent in a state (ready, wrapup,
	// paused) to the KPI counters of the campaign, agent and day.
	AddAgentTime(ctx context.Context, campaignID, agentID string, state AgentTimeState, at time.Time, seconds float64) error

	// Attempts reads the attempt log from the start (or after afterID),
	// at most count records; next is the ID to continue from ("" at end).
	Attempts(ctx context.Context, campaignID, afterID string, count int) (attempts []Attempt, next string, err error)

	// Counters returns KPI counters of a campaign: the campaign's total,
	// per day (key "2006-01-02" in UTC) and per agent (total across days).
	Counters(ctx context.Context, campaignID string) (Report, error)

	// QueueStats counts the campaign's debts by state at now.
	QueueStats(ctx context.Context, campaignID string, now time.Time) (QueueStats, error)

	// DebtIDs lists the IDs of every debt of the campaign (for audits and
	// tests); order unspecified.
	DebtIDs(ctx context.Context, campaignID string) ([]string, error)
}

// AgentTimeState names the agent states whose time is counted.
type AgentTimeState string

const (
	AgentTimeReady  AgentTimeState = "ready"
	AgentTimeWrapUp AgentTimeState = "wrapup"
	AgentTimePaused AgentTimeState = "paused"
	// Talk time is not added here: it comes from the attempts (bridge to
	// end), so that the counters always equal the attempt log.
)
