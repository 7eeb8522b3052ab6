package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

// fakeStore implements the Store methods GatedStore uses, logging calls.
type fakeStore struct {
	campaign.Store // nil: other methods panic
	due            []string
	calls          *[]string
	completeErr    error
}

func (s *fakeStore) Claim(_ context.Context, c, _ string, _ time.Time, _ time.Duration) (campaign.Lease, error) {
	if len(s.due) == 0 {
		return campaign.Lease{}, campaign.ErrNoDebtDue
	}
	id := s.due[0]
	s.due = s.due[1:]
	*s.calls = append(*s.calls, "claim "+id)
	return campaign.Lease{CampaignID: c, DebtID: id, Token: "t-" + id,
		Debt: campaign.Debt{ID: id, Phones: []string{"+84900000001", "+84900000002"}}}, nil
}

func (s *fakeStore) Release(_ context.Context, l campaign.Lease) error {
	*s.calls = append(*s.calls, "release "+l.DebtID)
	return nil
}

func (s *fakeStore) Complete(_ context.Context, l campaign.Lease, a campaign.Attempt, _ campaign.Schedule) error {
	*s.calls = append(*s.calls, "complete "+a.ID)
	return s.completeErr
}

func (s *fakeStore) SetDisposition(_ context.Context, _, attemptID, _, code string, _ time.Time) error {
	*s.calls = append(*s.calls, "disposition "+attemptID+" "+code)
	return nil
}

// fakeGate admits the debts listed in allow (on number 1) and fails for
// those in fail.
type fakeGate struct {
	allow, fail map[string]bool
	calls       *[]string
}

func (g *fakeGate) Admit(_ context.Context, l campaign.Lease, _ time.Time) (campaign.Admission, error) {
	*g.calls = append(*g.calls, "admit "+l.DebtID)
	switch {
	case g.fail[l.DebtID]:
		return campaign.Admission{}, errors.New("redis down")
	case g.allow[l.DebtID]:
		return campaign.Admission{Allowed: true, PhoneIndex: 1}, nil
	}
	return campaign.Admission{Rule: "window", NextEligible: time.Unix(100, 0)}, nil
}

func (g *fakeGate) Record(_ context.Context, a campaign.Attempt) error {
	*g.calls = append(*g.calls, "record "+a.ID+" "+a.CampaignID+"/"+a.DebtID)
	return nil
}

func (g *fakeGate) Dispose(_ context.Context, _, attemptID, _, code string, _ time.Time) error {
	*g.calls = append(*g.calls, "dispose "+attemptID+" "+code)
	return nil
}

func TestGatedStore(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(50, 0)
	cases := []struct {
		name     string
		due      []string
		allow    []string
		fail     []string
		maxSkips int
		want     string // debt claimed, or the error
		calls    []string
	}{
		{name: "first admitted", due: []string{"d1", "d2"}, allow: []string{"d1"}, want: "d1",
			calls: []string{"claim d1", "admit d1"}},
		{name: "refused debts are skipped", due: []string{"d1", "d2", "d3"}, allow: []string{"d3"}, want: "d3",
			calls: []string{"claim d1", "admit d1", "claim d2", "admit d2", "claim d3", "admit d3"}},
		{name: "nothing due", due: []string{"d1"}, want: "no debt due",
			calls: []string{"claim d1", "admit d1"}},
		{name: "skips are bounded", due: []string{"d1", "d2", "d3"}, allow: []string{"d3"}, maxSkips: 2, want: "no debt due",
			calls: []string{"claim d1", "admit d1", "claim d2", "admit d2"}},
		{name: "a gate error releases the lease", due: []string{"d1", "d2"}, allow: []string{"d2"}, fail: []string{"d1"},
			want: "redis down", calls: []string{"claim d1", "admit d1", "release d1"}},
	}
	set := func(ids []string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			s := campaign.NewGatedStore(&fakeStore{due: tc.due, calls: &calls},
				&fakeGate{allow: set(tc.allow), fail: set(tc.fail), calls: &calls}, tc.maxSkips)
			l, err := s.Claim(ctx, "c", "me", now, time.Minute)
			got := l.DebtID
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("Claim = %q, want %q", got, tc.want)
			}
			if err == nil && (l.Debt.PhoneIndex != 1 || l.Debt.Phone() != "+84900000002") {
				t.Errorf("lease dials number %d, want the gate's choice 1", l.Debt.PhoneIndex)
			}
			if err != nil && tc.want == "no debt due" && !errors.Is(err, campaign.ErrNoDebtDue) {
				t.Errorf("%v does not wrap ErrNoDebtDue", err)
			}
			if !slices.Equal(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
		})
	}
}

func TestGatedStoreFeedsTheGate(t *testing.T) {
	ctx := context.Background()
	var calls []string
	fs := &fakeStore{calls: &calls}
	s := campaign.NewGatedStore(fs, &fakeGate{calls: &calls}, 0)
	l := campaign.Lease{CampaignID: "c", DebtID: "d1", Token: "t"}
	if err := s.Complete(ctx, l, campaign.Attempt{ID: "a1"}, campaign.Schedule{Finish: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisposition(ctx, "c", "a1", "agent", "paid", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	// The outcome reaches the gate before the debt can be claimed again.
	want := []string{"record a1 c/d1", "complete a1", "disposition a1 paid", "dispose a1 paid"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	fs.completeErr = fmt.Errorf("store: %w", campaign.ErrLeaseLost)
	if err := s.Complete(ctx, l, campaign.Attempt{ID: "a2"}, campaign.Schedule{Finish: true}); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Complete = %v, want the store's error", err)
	}
	if s.Gate() == nil {
		t.Error("Gate() is nil")
	}
}
