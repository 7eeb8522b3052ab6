package sim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Store is a campaign.Store for one simulated campaign with an endless
// queue: the k-th debt claimed is debt k (its id is k), whose dial gets the
// population's k-th fate; a released debt is claimed again first. Writes
// are counted, not kept. It is not safe for concurrent use (the engine is
// Synchronous).
type Store struct {
	campaignID string
	next       int
	released   []int
	report     campaign.Report
	attempts   int64
}

var _ campaign.Store = (*Store)(nil)

// NewStore returns a Store for a campaign.
func NewStore(campaignID string) *Store {
	return &Store{campaignID: campaignID, report: campaign.Report{CampaignID: campaignID,
		Days: map[string]campaign.Counters{}, Agents: map[string]campaign.Counters{}}}
}

// Attempted is the number of attempts recorded.
func (s *Store) Attempted() int64 { return s.attempts }

func (s *Store) debt(k int) campaign.Debt {
	return campaign.Debt{ID: strconv.Itoa(k), CampaignID: s.campaignID, DebtorName: "Debtor",
		Phones: []string{fmt.Sprintf("+1555%07d", k%10_000_000)}, Amount: "100", Currency: "USD",
		State: campaign.StateLeased}
}

// UpsertDebts implements campaign.Store (the queue is endless already).
func (s *Store) UpsertDebts(context.Context, campaign.Rules, []campaign.Debt) (campaign.UpsertResult, error) {
	return campaign.UpsertResult{}, nil
}

// Debt implements campaign.Store.
func (s *Store) Debt(_ context.Context, campaignID, debtID string) (campaign.Debt, error) {
	k, err := strconv.Atoi(debtID)
	if err != nil || campaignID != s.campaignID || k < 0 || k >= s.next {
		return campaign.Debt{}, fmt.Errorf("debt %s/%s: %w", campaignID, debtID, campaign.ErrNotFound)
	}
	return s.debt(k), nil
}

// Claim implements campaign.Store.
func (s *Store) Claim(_ context.Context, campaignID, owner string, now time.Time, ttl time.Duration) (campaign.Lease, error) {
	if campaignID != s.campaignID {
		return campaign.Lease{}, campaign.ErrNoDebtDue
	}
	var k int
	if n := len(s.released); n > 0 {
		k = s.released[n-1]
		s.released = s.released[:n-1]
	} else {
		k = s.next
		s.next++
	}
	return campaign.Lease{CampaignID: campaignID, DebtID: strconv.Itoa(k), Token: strconv.Itoa(k), Owner: owner,
		ExpiresAt: now.Add(ttl), Debt: s.debt(k)}, nil
}

// Renew implements campaign.Store.
func (s *Store) Renew(_ context.Context, l campaign.Lease, now time.Time, ttl time.Duration) (campaign.Lease, error) {
	l.ExpiresAt = now.Add(ttl)
	return l, nil
}

// Complete implements campaign.Store.
func (s *Store) Complete(_ context.Context, _ campaign.Lease, a campaign.Attempt, _ campaign.Schedule) error {
	if a.ID == "" || !a.Outcome.Valid() {
		return fmt.Errorf("complete: %w: attempt %q outcome %q", campaign.ErrInvalid, a.ID, a.Outcome)
	}
	s.attempts++
	s.report.Total.Count(a)
	return nil
}

// Release implements campaign.Store.
func (s *Store) Release(_ context.Context, l campaign.Lease) error {
	k, err := strconv.Atoi(l.DebtID)
	if err != nil {
		return fmt.Errorf("release %s: %w", l.DebtID, campaign.ErrLeaseLost)
	}
	s.released = append(s.released, k)
	return nil
}

// SetDisposition implements campaign.Store.
func (s *Store) SetDisposition(context.Context, string, string, string, string, time.Time) error {
	return nil
}

// AddAgentTime implements campaign.Store.
func (s *Store) AddAgentTime(_ context.Context, _, _ string, state campaign.AgentTimeState, _ time.Time, secs float64) error {
	switch state {
	case campaign.AgentTimeReady:
		s.report.Total.ReadySeconds += secs
	case campaign.AgentTimeWrapUp:
		s.report.Total.WrapUpSeconds += secs
	case campaign.AgentTimePaused:
		s.report.Total.PausedSeconds += secs
	}
	return nil
}

// Attempts implements campaign.Store (attempts are not kept).
func (s *Store) Attempts(context.Context, string, string, int) ([]campaign.Attempt, string, error) {
	return nil, "", nil
}

// Counters implements campaign.Store: the campaign's totals.
func (s *Store) Counters(_ context.Context, campaignID string) (campaign.Report, error) {
	r := campaign.Report{CampaignID: campaignID, Days: map[string]campaign.Counters{}, Agents: map[string]campaign.Counters{}}
	if campaignID == s.campaignID {
		r.Total = s.report.Total
	}
	return r, nil
}

// QueueStats implements campaign.Store: always one debt due.
func (s *Store) QueueStats(context.Context, string, time.Time) (campaign.QueueStats, error) {
	return campaign.QueueStats{Due: 1}, nil
}

// DebtIDs implements campaign.Store: the debts claimed so far.
func (s *Store) DebtIDs(context.Context, string) ([]string, error) {
	ids := make([]string, s.next)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids, nil
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
