package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Gate decides, at the moment a debt is claimed for dialing, whether it may
// be called now under its campaign's compliance rules (calling window in
// the debtor's time, attempt caps, cool-offs, do-not-call, debt status).
// Implementations evaluate and count atomically, so that two dialers
// racing for the same debtor cannot both pass a cap.
type Gate interface {
	// Admit evaluates the leased debt at now.
	//
	// When the call is allowed, the attempt is already counted against
	// every cap (it counts even if it never connects), and PhoneIndex is
	// the number to dial; the caller places the call and completes the
	// lease as usual.
	//
	// When it is not, the gate has already given the lease back: the debt
	// is rescheduled to the first instant every rule allows the call
	// (NextEligible), or finished when no rule will ever pass by itself,
	// and the decision is in the audit trail. The caller must not use the
	// lease any more.
	//
	// An error means nothing is known: the caller must not dial, and should
	// release the lease.
	Admit(ctx context.Context, lease Lease, now time.Time) (Admission, error)

	// Record feeds the outcome of a placed attempt into the rules' state
	// (the end of a conversation starts a cool-off; an abandoned call stops
	// calls to its number for a while). It is idempotent per attempt ID, and
	// is called before the attempt is completed in the Store, so that the
	// debt is never claimed again before its cool-off is known.
	Record(ctx context.Context, a Attempt) error

	// Dispose feeds an agent's wrap-up code of an attempt to the gate: a
	// code that says the debt is paid or disputed, or that it must be
	// investigated (DispositionFraudSuspected), stops further calls.
	Dispose(ctx context.Context, campaignID, attemptID, agentID, code string, at time.Time) error
}

// Admission is the result of Gate.Admit.
type Admission struct {
	// Allowed: the call may be placed now, on Phones[PhoneIndex].
	Allowed bool
	// PhoneIndex is the number to dial when allowed (the gate may skip
	// numbers that may not be called, such as one on the do-not-call list),
	// or the number the debt was rescheduled to.
	PhoneIndex int
	// Rule is the id of the rule that blocked the call ("" when allowed).
	Rule string
	// Reason explains Rule in words; it holds no unmasked number or name.
	Reason string
	// NextEligible is when the debt was rescheduled to (zero when allowed
	// or finished).
	NextEligible time.Time
	// Finished: no rule will let the debt be called by the passing of
	// time, and the gate finished it; clearing the flag that blocks it
	// (status, do-not-call, cease-communication) puts it back in the queue.
	Finished bool
}

// DefaultMaxSkips is how many refused debts GatedStore.Claim skips in one
// call before it reports that nothing is due.
const DefaultMaxSkips = 100

// GatedStore is a Store whose Claim only returns debts that its Gate
// admits: every debt the gate refuses is rescheduled (or finished) by the
// gate and the next due debt is claimed. Complete and SetDisposition also
// feed the gate. Every other method is the wrapped Store's.
//
// Gating at Claim keeps the dialer unaware of compliance and makes every
// Store consumer (the dialer, simulations, tools) obey the same rules.
type GatedStore struct {
	Store
	gate     Gate
	maxSkips int
}

var _ Store = (*GatedStore)(nil)

// NewGatedStore wraps s with g. maxSkips bounds the refused debts one Claim
// skips (0: DefaultMaxSkips); when it is reached Claim returns ErrNoDebtDue
// and the caller tries again at its next poll.
func NewGatedStore(s Store, g Gate, maxSkips int) *GatedStore {
	if maxSkips <= 0 {
		maxSkips = DefaultMaxSkips
	}
	return &GatedStore{Store: s, gate: g, maxSkips: maxSkips}
}

// Gate returns the gate.
func (s *GatedStore) Gate() Gate { return s.gate }

// Claim claims the first due debt that the gate admits at now and sets the
// lease's Debt.PhoneIndex to the number the gate chose. Debts the gate
// refuses are rescheduled or finished by it. A gate error releases the
// lease and is returned (wrapped): the debt is not dialled.
func (s *GatedStore) Claim(ctx context.Context, campaignID, owner string, now time.Time, ttl time.Duration) (Lease, error) {
	for range s.maxSkips {
		lease, err := s.Store.Claim(ctx, campaignID, owner, now, ttl)
		if err != nil {
			return lease, err
		}
		adm, err := s.gate.Admit(ctx, lease, now)
		if err != nil {
			// Fail closed: never dial a debt whose rules could not be
			// checked. Release is best effort: the lease expires anyway.
			if rerr := s.Store.Release(ctx, lease); rerr != nil && !errors.Is(rerr, ErrLeaseLost) {
				err = errors.Join(err, rerr)
			}
			return Lease{}, fmt.Errorf("compliance check of debt %s in campaign %s: %w", lease.DebtID, campaignID, err)
		}
		if adm.Allowed {
			if adm.PhoneIndex >= 0 && adm.PhoneIndex < len(lease.Debt.Phones) {
				lease.Debt.PhoneIndex = adm.PhoneIndex
			}
			return lease, nil
		}
	}
	return Lease{}, fmt.Errorf("claim in campaign %s: %d due debts in a row may not be called now (rescheduled): %w",
		campaignID, s.maxSkips, ErrNoDebtDue)
}

// Complete records the attempt's outcome in the gate first (so that the
// debt's cool-off is known before it can be claimed again), then completes
// it in the Store. Both are idempotent per attempt ID, so a failed
// Complete can be retried as a whole.
func (s *GatedStore) Complete(ctx context.Context, lease Lease, a Attempt, next Schedule) error {
	if a.CampaignID == "" {
		a.CampaignID = lease.CampaignID
	}
	if a.DebtID == "" {
		a.DebtID = lease.DebtID
	}
	if err := s.gate.Record(ctx, a); err != nil {
		return fmt.Errorf("record attempt %s in the compliance state: %w", a.ID, err)
	}
	return s.Store.Complete(ctx, lease, a, next)
}

// SetDisposition records the wrap-up code in the Store, then gives it to
// the gate (a "paid", "disputed" or "fraud_suspected" code stops further
// calls).
func (s *GatedStore) SetDisposition(ctx context.Context, campaignID, attemptID, agentID, code string, at time.Time) error {
	if err := s.Store.SetDisposition(ctx, campaignID, attemptID, agentID, code, at); err != nil {
		return err
	}
	if err := s.gate.Dispose(ctx, campaignID, attemptID, agentID, code, at); err != nil {
		return fmt.Errorf("disposition %s of attempt %s: compliance: %w", code, attemptID, err)
	}
	return nil
}
