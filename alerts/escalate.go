package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/duecall/duecall/campaign"
)

// AttemptDebts finds the debt an attempt was made on
// (redisstore.Store implements it).
type AttemptDebts interface {
	AttemptDebtID(ctx context.Context, campaignID, attemptID string) (string, error)
}

// EscalatingStore is a campaign.Store whose SetDisposition also raises the
// supervisor alert of a wrap-up code that needs one (KindOf): the dialer,
// which records every disposition through its Store, then escalates
// without knowing about alerts. Every other method is the wrapped Store's.
type EscalatingStore struct {
	campaign.Store
	attempts AttemptDebts
	raiser   *Raiser
}

var _ campaign.Store = (*EscalatingStore)(nil)

// NewEscalatingStore wraps s: dispositions are recorded in s, then the
// alert (if any) is raised with r; attempts finds the alert's debt.
func NewEscalatingStore(s campaign.Store, attempts AttemptDebts, r *Raiser) *EscalatingStore {
	return &EscalatingStore{Store: s, attempts: attempts, raiser: r}
}

// SetDisposition records the wrap-up code in the wrapped Store (where a
// campaign.GatedStore also sets the debt's status), then raises the alert
// of the code, if it has one. Both steps are idempotent per attempt, so a
// failed call can be retried as a whole: the alert is raised once.
func (s *EscalatingStore) SetDisposition(ctx context.Context, campaignID, attemptID, agentID, code string, at time.Time) error {
	if err := s.Store.SetDisposition(ctx, campaignID, attemptID, agentID, code, at); err != nil {
		return err
	}
	kind, ok := KindOf(code)
	if !ok {
		return nil
	}
	debtID, err := s.attempts.AttemptDebtID(ctx, campaignID, attemptID)
	if err != nil {
		return fmt.Errorf("disposition %s of attempt %s: find its debt for the supervisor alert: %w", code, attemptID, err)
	}
	a := Alert{Kind: kind, CampaignID: campaignID, DebtID: debtID, AttemptID: attemptID, AgentID: agentID, At: at,
		Note: Note(kind, agentID)}
	debt := func(ctx context.Context) (campaign.Debt, error) { return s.Store.Debt(ctx, campaignID, debtID) }
	if _, _, err := s.raiser.Raise(ctx, a, debt); err != nil {
		return fmt.Errorf("disposition %s of attempt %s: %w", code, attemptID, err)
	}
	return nil
}
