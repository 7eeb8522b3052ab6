package importer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/duecall/duecall/campaign"
)

// fakeStore implements only UpsertDebts, in memory; the other methods of
// campaign.Store panic (nil embedded interface), so a test that reaches
// them fails loudly.
type fakeStore struct {
	campaign.Store

	mu      sync.Mutex
	debts   map[string]campaign.Debt // by campaign ID + "/" + debt ID
	batches []int                    // size of every UpsertDebts call
	// fail, if set, is asked before every call (numbered from 0).
	fail func(call int) error
}

func newFakeStore() *fakeStore {
	return &fakeStore{debts: make(map[string]campaign.Debt)}
}

func (s *fakeStore) UpsertDebts(ctx context.Context, rules campaign.Rules, debts []campaign.Debt) (campaign.UpsertResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return campaign.UpsertResult{}, err
	}
	if s.fail != nil {
		if err := s.fail(len(s.batches)); err != nil {
			return campaign.UpsertResult{}, err
		}
	}
	var res campaign.UpsertResult
	seen := make(map[string]bool, len(debts))
	for _, d := range debts {
		if d.CampaignID != rules.CampaignID {
			return res, fmt.Errorf("debt %s of campaign %q upserted with rules of %q", d.ID, d.CampaignID, rules.CampaignID)
		}
		if seen[d.ID] {
			return res, fmt.Errorf("debt %s twice in one batch", d.ID)
		}
		seen[d.ID] = true
		key := d.CampaignID + "/" + d.ID
		// Copy what the importer could alias.
		d.Phones = slices.Clone(d.Phones)
		d.Profile = maps.Clone(d.Profile)
		if _, ok := s.debts[key]; ok {
			res.Updated++
		} else {
			res.Created++
		}
		s.debts[key] = d
	}
	s.batches = append(s.batches, len(debts))
	return res, nil
}

func (s *fakeStore) debt(campaignID, id string) (campaign.Debt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.debts[campaignID+"/"+id]
	return d, ok
}

func (s *fakeStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.debts)
}

// countingStore keeps nothing: for memory tests and benchmarks.
type countingStore struct {
	campaign.Store
	debts int
}

func (s *countingStore) UpsertDebts(_ context.Context, _ campaign.Rules, debts []campaign.Debt) (campaign.UpsertResult, error) {
	s.debts += len(debts)
	return campaign.UpsertResult{Created: len(debts)}, nil
}
