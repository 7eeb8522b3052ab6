package redisstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Reschedule returns a leased debt to the queue at at, on the number
// phoneIndex, without recording an attempt: the call was not placed
// because a rule did not allow it. It returns campaign.ErrLeaseLost when
// the lease is no longer held.
func (s *Store) Reschedule(ctx context.Context, lease campaign.Lease, at time.Time, phoneIndex int) error {
	if err := checkCampaign(lease.CampaignID); err != nil {
		return err
	}
	if at.IsZero() || phoneIndex < 0 {
		return fmt.Errorf("redisstore: reschedule debt %s to %v on number %d: %w", lease.DebtID, at, phoneIndex, campaign.ErrInvalid)
	}
	k := s.keys(lease.CampaignID)
	ok, err := rescheduleScript.Run(ctx, s.rdb, []string{k.debt(lease.DebtID), k.leases(), k.queue()},
		lease.Token, s.now().UnixMilli(), lease.DebtID, at.UnixMilli(), phoneIndex).Int64()
	if err != nil {
		return fmt.Errorf("redisstore: reschedule debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, translate(err))
	}
	if ok != 1 {
		return fmt.Errorf("redisstore: reschedule debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, campaign.ErrLeaseLost)
	}
	return nil
}

// FinishLease finishes a leased debt with reason, without recording an
// attempt. It returns campaign.ErrLeaseLost when the lease is no longer
// held.
func (s *Store) FinishLease(ctx context.Context, lease campaign.Lease, reason string) error {
	if err := checkCampaign(lease.CampaignID); err != nil {
		return err
	}
	if reason == "" {
		reason = "finished"
	}
	k := s.keys(lease.CampaignID)
	ok, err := finishLeaseScript.Run(ctx, s.rdb, []string{k.debt(lease.DebtID), k.leases(), k.finished()},
		lease.Token, s.now().UnixMilli(), lease.DebtID, reason, max(lease.Debt.PhoneIndex, 0)).Int64()
	if err != nil {
		return fmt.Errorf("redisstore: finish debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, translate(err))
	}
	if ok != 1 {
		return fmt.Errorf("redisstore: finish debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, campaign.ErrLeaseLost)
	}
	return nil
}

// Reopen puts a finished debt back in the queue if its finish reason
// starts with reasonPrefix; it reports whether it did. The debt is due
// from its last next-attempt time (or now, if it has none), so it is due at
// once. A debt that is not finished, or finished for another reason, is
// left alone.
func (s *Store) Reopen(ctx context.Context, campaignID, debtID, reasonPrefix string, now time.Time) (bool, error) {
	if err := checkCampaign(campaignID); err != nil {
		return false, err
	}
	k := s.keys(campaignID)
	n, err := reopenScript.Run(ctx, s.rdb, []string{k.debt(debtID), k.finished(), k.queue()},
		now.UnixMilli(), debtID, reasonPrefix).Int64()
	if err != nil {
		return false, fmt.Errorf("redisstore: reopen debt %s of campaign %s: %w", debtID, campaignID, translate(err))
	}
	return n == 1, nil
}

// DebtAttempts returns every recorded attempt of one debt, oldest first,
// with the dispositions set since, or campaign.ErrNotFound for an unknown
// debt. It is DebtHistories for one debt: attempts are found through the
// per-debt index of the attempt log that Complete keeps, so the cost does
// not grow with the campaign; for a debt whose attempts were recorded
// before the index existed, the campaign's log is scanned.
func (s *Store) DebtAttempts(ctx context.Context, campaignID, debtID string) ([]campaign.Attempt, error) {
	hs, err := s.DebtHistories(ctx, campaignID, []string{debtID})
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, fmt.Errorf("redisstore: read attempts of debt %s of campaign %s: %w", debtID, campaignID, campaign.ErrNotFound)
	}
	return hs[0].Attempts, nil
}

// AttemptDebtID returns the id of the debt an attempt was made on, or
// campaign.ErrNotFound.
func (s *Store) AttemptDebtID(ctx context.Context, campaignID, attemptID string) (string, error) {
	if err := checkCampaign(campaignID); err != nil {
		return "", err
	}
	k := s.keys(campaignID)
	id, err := attemptDebtScript.Run(ctx, s.rdb, []string{k.attemptIndex(), k.attempts()}, attemptID).Text()
	if err != nil {
		return "", fmt.Errorf("redisstore: find the debt of attempt %s of campaign %s: %w", attemptID, campaignID, translate(err))
	}
	if strings.TrimSpace(id) == "" {
		return "", fmt.Errorf("redisstore: attempt %s of campaign %s: %w", attemptID, campaignID, campaign.ErrNotFound)
	}
	return id, nil
}
