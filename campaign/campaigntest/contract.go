// Package campaigntest holds the contract suite that every campaign.Store
// implementation must pass:
//
//	func TestStore(t *testing.T) {
//		campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store {
//			return mystore.New(...) // empty, private to t
//		})
//	}
//
// Besides what store.go states, the suite pins down these readings of the
// contract:
//
//   - times: every time the suite hands over is on a whole millisecond, the
//     precision a store must keep at least;
//   - rank: a debt's rank (Rules.Rank, days past due included) is fixed
//     when it is imported, with the store's clock; Complete, Release and
//     lease expiry re-queue it with that rank at the new time;
//   - leases: a lease expires at ExpiresAt (a Claim at that instant may
//     take the debt back); Renew of an expired lease is ErrLeaseLost;
//   - Attempts: records come in the order they were recorded, afterID is
//     an attempt's ID (the next of the previous page), next is "" on the
//     last page;
//   - Counters: an attempt counts on the UTC day of its OriginatedAt and,
//     when AgentID is not "", for that agent; a disposition counts where
//     its attempt does;
//   - QueueStats: a lease counts as leased until it is completed, released
//     or claimed back, as the debt's State says;
//   - validation: a debt without ID, or of another campaign than the
//     rules', and an unknown AgentTimeState are ErrInvalid.
//
// CheckInvariants checks a store's invariants after any scenario.
package campaigntest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

// RunStoreContract runs the Store contract as subtests of t. newStore must
// return an empty store that no other subtest uses (for example a fresh key
// prefix on a shared Redis); it may register cleanups on t.
func RunStoreContract(t *testing.T, newStore func(t *testing.T) campaign.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s campaign.Store)
	}{
		{"UpsertCreates", testUpsertCreates},
		{"UpsertUpdatesWithoutDuplicating", testUpsertUpdates},
		{"UpsertReschedulesUnattemptedQueuedDebt", testUpsertReschedules},
		{"UpsertKeepsDialingState", testUpsertKeepsDialingState},
		{"UpsertRejectsInvalid", testUpsertInvalid},
		{"DebtNotFound", testDebtNotFound},
		{"ClaimNothingDue", testClaimNothingDue},
		{"ClaimReturnsLeaseAndDebt", testClaimReturnsLease},
		{"ClaimOrdersByTimeFirst", testClaimOrderTime},
		{"ClaimOrdersByRankWithinSecond", testClaimOrderRank},
		{"ClaimOrdersByRankAfterRetry", testClaimOrderRankAfterRetry},
		{"ClaimDueBoundary", testClaimBoundary},
		{"ClaimConcurrentExclusive", testClaimConcurrent},
		{"LeaseExpiryRequeues", testLeaseExpiry},
		{"Renew", testRenew},
		{"CompleteRetry", testCompleteRetry},
		{"CompleteFinish", testCompleteFinish},
		{"CompleteLostLease", testCompleteLostLease},
		{"Release", testRelease},
		{"SetDisposition", testSetDisposition},
		{"AddAgentTime", testAddAgentTime},
		{"AttemptsPaging", testAttemptsPaging},
		{"CountersEqualAttemptLog", testCountersEqualLog},
		{"QueueStatsAndStates", testQueueStats},
		{"CampaignIsolation", testIsolation},
		{"RandomOperationsKeepInvariants", testRandomOperations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

func testUpsertCreates(t *testing.T, s campaign.Store) {
	const camp = "c-create"
	rules := rulesFor(camp)
	rules.RemindBefore = 48 * time.Hour
	due := today().Add(10 * 24 * time.Hour)
	d1 := newDebt(camp, "d1", due)
	d2 := newDebt(camp, "d2", due.Add(24*time.Hour))
	d2.Profile = nil
	d2.Phones = []string{"+84911111111"}
	d2.Timezone = ""

	res := upsert(t, s, rules, d1, d2)
	if res != (campaign.UpsertResult{Created: 2}) {
		t.Fatalf("UpsertDebts = %+v, want 2 created", res)
	}
	for _, want := range []campaign.Debt{d1, d2} {
		got := getDebt(t, s, camp, want.ID)
		for _, d := range sameData(got, want) {
			t.Errorf("debt %s: %s", want.ID, d)
		}
		if got.State != campaign.StateQueued || got.Attempts != 0 || got.PhoneIndex != 0 ||
			got.LastOutcome != "" || got.FinishReason != "" {
			t.Errorf("new debt %s: state %q attempts %d phone %d last %q finish %q",
				want.ID, got.State, got.Attempts, got.PhoneIndex, got.LastOutcome, got.FinishReason)
		}
		if first := rules.FirstAttempt(want); !got.NextAttemptAt.Equal(first) {
			t.Errorf("debt %s NextAttemptAt = %v, want FirstAttempt %v", want.ID, got.NextAttemptAt, first)
		}
	}
	if res := upsert(t, s, rules); res != (campaign.UpsertResult{}) {
		t.Errorf("empty batch = %+v", res)
	}
	checkStates(t, s, camp, today())
}

func testUpsertUpdates(t *testing.T, s campaign.Store) {
	const camp = "c-update"
	rules := rulesFor(camp)
	var batch []campaign.Debt
	for i := 0; i < 30; i++ {
		batch = append(batch, newDebt(camp, fmt.Sprintf("d%02d", i), today().Add(-time.Duration(i)*24*time.Hour)))
	}
	if res := upsert(t, s, rules, batch...); res.Created != 30 || res.Updated != 0 {
		t.Fatalf("first import = %+v", res)
	}
	// Re-import every debt with changed data, plus 5 new ones.
	for i := range batch {
		batch[i].Amount = "2750000.50"
		batch[i].DebtorName = "Tran Thi " + batch[i].ID
		batch[i].Phones = []string{"+84900000001", "+84900000002", "+84900000003"}
		batch[i].Priority = 7
		batch[i].Notes = ""
		batch[i].Profile = map[string]string{"contract": "NEW"}
	}
	for i := 30; i < 35; i++ {
		batch = append(batch, newDebt(camp, fmt.Sprintf("d%02d", i), today()))
	}
	if res := upsert(t, s, rules, batch...); res.Created != 5 || res.Updated != 30 {
		t.Fatalf("re-import = %+v, want 5 created 30 updated", res)
	}
	ids, err := s.DebtIDs(testCtx(t), camp)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 35 {
		t.Fatalf("DebtIDs has %d ids after re-import, want 35", len(ids))
	}
	for _, want := range batch {
		for _, d := range sameData(getDebt(t, s, camp, want.ID), want) {
			t.Errorf("debt %s after re-import: %s", want.ID, d)
		}
	}
	// The same debt twice in one batch is one debt.
	dup := newDebt(camp, "dup", today())
	dup2 := dup
	dup2.Amount = "42"
	res := upsert(t, s, rules, dup, dup2)
	if res.Created+res.Updated != 2 || res.Created != 1 {
		t.Errorf("batch with a duplicate id = %+v, want 1 created 1 updated", res)
	}
	if got := getDebt(t, s, camp, "dup"); got.Amount != "42" {
		t.Errorf("duplicate in a batch: amount %q, want the later row's 42", got.Amount)
	}
	checkStates(t, s, camp, today())
}

func testUpsertReschedules(t *testing.T, s campaign.Store) {
	const camp = "c-resched"
	rules := rulesFor(camp)
	now := today()
	a := newDebt(camp, "a", now.Add(-5*24*time.Hour))
	b := newDebt(camp, "b", now.Add(-3*24*time.Hour))
	upsert(t, s, rules, a, b)

	// a's due date moves into the future: it is no longer due, b is.
	a.DueDate = now.Add(4 * 24 * time.Hour)
	upsert(t, s, rules, a)
	if got := getDebt(t, s, camp, "a"); !got.NextAttemptAt.Equal(a.DueDate) || got.State != campaign.StateQueued {
		t.Fatalf("rescheduled debt: next %v state %s, want %v queued", got.NextAttemptAt, got.State, a.DueDate)
	}
	l := claim(t, s, camp, "o", now, 2*time.Hour)
	if l.DebtID != "b" {
		t.Fatalf("claimed %s, want b (a was moved to the future)", l.DebtID)
	}
	claimNone(t, s, camp, now.Add(time.Hour))
	complete(t, s, l, newAttempt(l, "b-1", campaign.OutcomeBusy, "", now), campaign.Schedule{NextAttemptAt: a.DueDate.Add(time.Hour)})
	if got := claim(t, s, camp, "o", a.DueDate, time.Minute); got.DebtID != "a" {
		t.Fatalf("claimed %s at the new due date, want a", got.DebtID)
	}
	checkStates(t, s, camp, a.DueDate)
}

func testUpsertKeepsDialingState(t *testing.T, s campaign.Store) {
	const camp = "c-keep"
	rules := rulesFor(camp)
	now := today()
	retried := newDebt(camp, "retried", now.Add(-2*24*time.Hour))
	leased := newDebt(camp, "leased", now.Add(-1*24*time.Hour))
	finished := newDebt(camp, "finished", now)
	upsert(t, s, rules, retried, leased, finished)

	l1 := claim(t, s, camp, "o", now, time.Hour)
	retryAt := now.Add(2 * time.Hour)
	complete(t, s, l1, newAttempt(l1, "a1", campaign.OutcomeNoAnswer, "", now), campaign.Schedule{NextAttemptAt: retryAt, PhoneIndex: 1})
	l2 := claim(t, s, camp, "o", now, time.Hour)
	l3 := claim(t, s, camp, "o", now, time.Hour)
	if l1.DebtID != "retried" || l2.DebtID != "leased" || l3.DebtID != "finished" {
		t.Fatalf("claim order %s %s %s", l1.DebtID, l2.DebtID, l3.DebtID)
	}
	complete(t, s, l3, newAttempt(l3, "a3", campaign.OutcomeBridged, "agent1", now), campaign.Schedule{Finish: true, FinishReason: "paid"})
	before := map[string]campaign.Debt{}
	for _, id := range []string{"retried", "leased", "finished"} {
		before[id] = getDebt(t, s, camp, id)
	}

	// Re-import all three with new due dates and data.
	for _, d := range []*campaign.Debt{&retried, &leased, &finished} {
		d.DueDate = now.Add(-30 * 24 * time.Hour)
		d.Amount = "99"
	}
	if res := upsert(t, s, rules, retried, leased, finished); res.Updated != 3 || res.Created != 0 {
		t.Fatalf("re-import = %+v", res)
	}
	for _, id := range []string{"retried", "leased", "finished"} {
		got, old := getDebt(t, s, camp, id), before[id]
		if got.State != old.State || got.Attempts != old.Attempts || got.PhoneIndex != old.PhoneIndex ||
			!got.NextAttemptAt.Equal(old.NextAttemptAt) || got.LastOutcome != old.LastOutcome || got.FinishReason != old.FinishReason {
			t.Errorf("re-import changed the dialing state of %s:\n got %+v\nwant %+v", id, got, old)
		}
		if got.Amount != "99" {
			t.Errorf("re-import did not update the data of %s: amount %q", id, got.Amount)
		}
	}
	// The lease survives: nothing new to claim before the retry, and the
	// lease can still be completed.
	claimNone(t, s, camp, now.Add(time.Minute))
	complete(t, s, l2, newAttempt(l2, "a2", campaign.OutcomeBusy, "", now), campaign.Schedule{NextAttemptAt: now.Add(3 * time.Hour)})
	if got := claim(t, s, camp, "o", retryAt, time.Hour); got.DebtID != "retried" || got.Debt.PhoneIndex != 1 {
		t.Errorf("claim at retry time: %s phone %d, want retried phone 1", got.DebtID, got.Debt.PhoneIndex)
	}
	checkStates(t, s, camp, retryAt)
}

func testUpsertInvalid(t *testing.T, s campaign.Store) {
	const camp = "c-invalid"
	bad := newDebt(camp, "", today())
	if _, err := s.UpsertDebts(testCtx(t), rulesFor(camp), []campaign.Debt{bad}); !errors.Is(err, campaign.ErrInvalid) {
		t.Errorf("debt without ID: err %v, want ErrInvalid", err)
	}
	other := newDebt("another-campaign", "x", today())
	if _, err := s.UpsertDebts(testCtx(t), rulesFor(camp), []campaign.Debt{other}); !errors.Is(err, campaign.ErrInvalid) {
		t.Errorf("debt of another campaign than the rules': err %v, want ErrInvalid", err)
	}
}

func testDebtNotFound(t *testing.T, s campaign.Store) {
	const camp = "c-nf"
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today()))
	for _, tc := range []struct{ camp, id string }{{camp, "nope"}, {"no-such-campaign", "d1"}} {
		if _, err := s.Debt(testCtx(t), tc.camp, tc.id); !errors.Is(err, campaign.ErrNotFound) {
			t.Errorf("Debt(%s, %s): %v, want ErrNotFound", tc.camp, tc.id, err)
		}
	}
}

func testClaimNothingDue(t *testing.T, s campaign.Store) {
	const camp = "c-none"
	now := today()
	if _, err := s.Claim(testCtx(t), camp, "o", now, time.Minute); !errors.Is(err, campaign.ErrNoDebtDue) && !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("Claim on an empty campaign: %v, want ErrNoDebtDue or ErrNotFound", err)
	}
	upsert(t, s, rulesFor(camp), newDebt(camp, "future", now.Add(3*24*time.Hour)))
	claimNone(t, s, camp, now)
}

func testClaimReturnsLease(t *testing.T, s campaign.Store) {
	const camp = "c-lease"
	now := today().Add(9*time.Hour + 123*time.Millisecond)
	d := newDebt(camp, "d1", today().Add(-24*time.Hour))
	upsert(t, s, rulesFor(camp), d)
	l := claim(t, s, camp, "dialer-1", now, 45*time.Second)
	if l.CampaignID != camp || l.DebtID != "d1" || l.Owner != "dialer-1" || l.Token == "" {
		t.Errorf("lease = %+v", l)
	}
	if want := now.Add(45 * time.Second); !l.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", l.ExpiresAt, want)
	}
	for _, diff := range sameData(l.Debt, d) {
		t.Errorf("Lease.Debt: %s", diff)
	}
	if l.Debt.State != campaign.StateLeased || !l.Debt.NextAttemptAt.Equal(d.DueDate) || l.Debt.Phone() != d.Phones[0] {
		t.Errorf("Lease.Debt state %s next %v phone %q", l.Debt.State, l.Debt.NextAttemptAt, l.Debt.Phone())
	}
	if got := getDebt(t, s, camp, "d1"); got.State != campaign.StateLeased {
		t.Errorf("Debt() after claim: state %s", got.State)
	}
	claimNone(t, s, camp, now)
	checkStates(t, s, camp, now)
}

func testClaimOrderTime(t *testing.T, s campaign.Store) {
	const camp = "c-time"
	now := today()
	// Time first: a low-priority old debt before a high-priority newer one.
	var debts []campaign.Debt
	for i, days := range []int{3, 9, 1, 5, 7} {
		d := newDebt(camp, fmt.Sprintf("d%d", i), now.Add(-time.Duration(days)*24*time.Hour))
		d.Priority = days // later due dates get lower priority... except:
		debts = append(debts, d)
	}
	debts[2].Priority = 15 // due 1 day ago, highest priority: still last
	debts[2].Amount = "900000000"
	upsert(t, s, rulesFor(camp), debts...)
	var got []string
	for range debts {
		got = append(got, claim(t, s, camp, "o", now, time.Minute).DebtID)
	}
	want := []string{"d1", "d4", "d3", "d0", "d2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("claim order %v, want %v (next attempt time first)", got, want)
	}
	claimNone(t, s, camp, now)
}

func testClaimOrderRank(t *testing.T, s campaign.Store) {
	const camp = "c-rank"
	now := today()
	due := now.Add(-4 * 24 * time.Hour)
	mk := func(id string, prio int, amount string) campaign.Debt {
		d := newDebt(camp, id, due)
		d.Priority, d.Amount = prio, amount
		return d
	}
	// Same due date, so the same next-attempt second: rank decides.
	debts := []campaign.Debt{
		mk("p1-small", 1, "200"),
		mk("p9-small", 9, "100"),
		mk("p1-big", 1, "25000000"),
		mk("p0-huge", 0, "900000000000"),
		mk("p9-mid", 9, "150000"),
	}
	upsert(t, s, rulesFor(camp), debts...)
	var got []string
	for range debts {
		got = append(got, claim(t, s, camp, "o", now, time.Minute).DebtID)
	}
	want := []string{"p9-mid", "p9-small", "p1-big", "p1-small", "p0-huge"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("claim order %v, want %v (priority, then amount)", got, want)
	}
}

// testClaimOrderRankAfterRetry brings debts with different due dates to the
// same next-attempt second through Complete, so that days past due (which
// only shows within one second) decides, under both orders.
func testClaimOrderRankAfterRetry(t *testing.T, s campaign.Store) {
	for _, tc := range []struct {
		order campaign.Order
		want  []string
	}{
		// Priority, then the bigger amount, then more days past due.
		{campaign.OrderPriority, []string{"recent-p5", "old-p2-big", "older-p2", "old-p2"}},
		// Days past due, then priority, then amount.
		{campaign.OrderDueDate, []string{"older-p2", "old-p2-big", "old-p2", "recent-p5"}},
	} {
		t.Run(string(tc.order), func(t *testing.T) {
			camp := "c-retry-" + string(tc.order)
			rules := rulesFor(camp)
			rules.Order = tc.order
			now := today()
			mk := func(id string, daysAgo, prio int, amount string) campaign.Debt {
				d := newDebt(camp, id, now.Add(-time.Duration(daysAgo)*24*time.Hour))
				d.Priority, d.Amount = prio, amount
				return d
			}
			debts := []campaign.Debt{
				mk("recent-p5", 2, 5, "1000"),
				mk("old-p2", 20, 2, "1000"),
				mk("old-p2-big", 20, 2, "5000000"),
				mk("older-p2", 40, 2, "1000"),
			}
			upsert(t, s, rules, debts...)
			retryAt := now.Add(90 * time.Minute)
			for i := range debts {
				l := claim(t, s, camp, "o", now, time.Minute)
				complete(t, s, l, newAttempt(l, fmt.Sprintf("a%d", i), campaign.OutcomeNoAnswer, "", now),
					campaign.Schedule{NextAttemptAt: retryAt})
			}
			var got []string
			for range debts {
				got = append(got, claim(t, s, camp, "o", retryAt, time.Minute).DebtID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("order %s: claim order %v, want %v", tc.order, got, tc.want)
			}
		})
	}
}

func testClaimBoundary(t *testing.T, s campaign.Store) {
	const camp = "c-boundary"
	rules := rulesFor(camp)
	rules.RemindBefore = 3 * 24 * time.Hour
	d := newDebt(camp, "d1", today().Add(5*24*time.Hour))
	upsert(t, s, rules, d)
	first := rules.FirstAttempt(d)
	claimNone(t, s, camp, first.Add(-time.Second))
	claimNone(t, s, camp, first.Add(-time.Millisecond))
	if l := claim(t, s, camp, "o", first, time.Minute); l.DebtID != "d1" {
		t.Fatalf("claimed %s", l.DebtID)
	}

	// The lowest rank there is (rank 0) scores exactly DueScore at its
	// second: still due.
	for _, order := range []campaign.Order{campaign.OrderFIFO, campaign.OrderPriority} {
		camp := "c-boundary-rank0-" + string(order)
		rules := rulesFor(camp)
		rules.Order = order
		d := newDebt(camp, "d0", today().Add(5*24*time.Hour+7*time.Second))
		d.Priority, d.Amount = 0, "0"
		if rules.Rank(d, time.Now()) != 0 {
			t.Fatalf("test debt has rank %d", rules.Rank(d, time.Now()))
		}
		upsert(t, s, rules, d)
		claimNone(t, s, camp, d.DueDate.Add(-time.Millisecond))
		if l := claim(t, s, camp, "o", d.DueDate, time.Minute); l.DebtID != "d0" {
			t.Fatalf("%s: claimed %s", order, l.DebtID)
		}
	}
}

func testClaimConcurrent(t *testing.T, s campaign.Store) {
	const (
		camp    = "c-conc"
		debts   = 200
		workers = 8
	)
	rules := rulesFor(camp)
	now := today()
	var batch []campaign.Debt
	for i := 0; i < debts; i++ {
		d := newDebt(camp, fmt.Sprintf("d%03d", i), now.Add(-time.Duration(i%17)*24*time.Hour))
		d.Priority = i % 4
		batch = append(batch, d)
	}
	upsert(t, s, rules, batch...)

	claimAll := func(at time.Time) ([]campaign.Lease, []error) {
		var (
			mu     sync.Mutex
			leases []campaign.Lease
			errs   []error
			wg     sync.WaitGroup
		)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				ctx := testCtx(t)
				for {
					l, err := s.Claim(ctx, camp, fmt.Sprintf("worker-%d", w), at, time.Hour)
					if errors.Is(err, campaign.ErrNoDebtDue) {
						return
					}
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					leases = append(leases, l)
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		return leases, errs
	}

	leases, errs := claimAll(now)
	if len(errs) > 0 {
		t.Fatalf("concurrent claims: %v", errs)
	}
	seen := map[string]bool{}
	tokens := map[string]bool{}
	for _, l := range leases {
		if seen[l.DebtID] {
			t.Errorf("debt %s claimed twice while leased", l.DebtID)
		}
		if tokens[l.Token] {
			t.Errorf("token %s issued twice", l.Token)
		}
		seen[l.DebtID], tokens[l.Token] = true, true
	}
	if len(seen) != debts {
		t.Fatalf("claimed %d distinct debts, want %d", len(seen), debts)
	}
	if st := checkStates(t, s, camp, now); st.Leased != debts {
		t.Fatalf("leased %d, want %d", st.Leased, debts)
	}

	// Concurrently release even debts and finish odd ones, then claim
	// again: exactly the released ones come back.
	var wg sync.WaitGroup
	errCh := make(chan error, len(leases))
	for i, l := range leases {
		wg.Add(1)
		go func(i int, l campaign.Lease) {
			defer wg.Done()
			ctx := testCtx(t)
			if i%2 == 0 {
				errCh <- s.Release(ctx, l)
				return
			}
			errCh <- s.Complete(ctx, l, newAttempt(l, "a-"+l.DebtID, campaign.OutcomeBridged, fmt.Sprintf("agent%d", i%5), now),
				campaign.Schedule{Finish: true, FinishReason: "outcome bridged"})
		}(i, l)
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		if err != nil {
			t.Fatalf("concurrent release/complete: %v", err)
		}
	}
	released := map[string]bool{}
	for i, l := range leases {
		if i%2 == 0 {
			released[l.DebtID] = true
		}
	}
	again, errs := claimAll(now)
	if len(errs) > 0 {
		t.Fatalf("second round of claims: %v", errs)
	}
	if len(again) != len(released) {
		t.Errorf("second round claimed %d debts, want %d", len(again), len(released))
	}
	for _, l := range again {
		if !released[l.DebtID] {
			t.Errorf("second round claimed %s, which was not released", l.DebtID)
		}
		delete(released, l.DebtID)
	}
	checkStates(t, s, camp, now)
	checkCounters(t, s, camp, nil)
}

func testLeaseExpiry(t *testing.T, s campaign.Store) {
	const camp = "c-expiry"
	now := today().Add(10 * time.Hour)
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today().Add(-24*time.Hour)))
	l1 := claim(t, s, camp, "dialer-a", now, 30*time.Second)
	claimNone(t, s, camp, now.Add(29*time.Second))

	l2 := claim(t, s, camp, "dialer-b", now.Add(31*time.Second), 30*time.Second)
	if l2.DebtID != "d1" || l2.Token == l1.Token || l2.Owner != "dialer-b" {
		t.Fatalf("re-claim after expiry: %+v", l2)
	}
	if l2.Debt.Attempts != 0 || !l2.Debt.NextAttemptAt.Equal(l1.Debt.NextAttemptAt) {
		t.Errorf("expired lease changed the debt: attempts %d next %v", l2.Debt.Attempts, l2.Debt.NextAttemptAt)
	}
	ctx := testCtx(t)
	if _, err := s.Renew(ctx, l1, now.Add(32*time.Second), time.Minute); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Renew of the expired lease: %v, want ErrLeaseLost", err)
	}
	if err := s.Release(ctx, l1); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Release of the expired lease: %v, want ErrLeaseLost", err)
	}
	if got := getDebt(t, s, camp, "d1"); got.State != campaign.StateLeased {
		t.Errorf("old lease's Release touched the new lease: state %s", got.State)
	}
	// The new holder's lease is intact.
	if _, err := s.Renew(ctx, l2, now.Add(40*time.Second), time.Minute); err != nil {
		t.Errorf("Renew of the new lease: %v", err)
	}
	checkStates(t, s, camp, now.Add(40*time.Second))
}

func testRenew(t *testing.T, s campaign.Store) {
	const camp = "c-renew"
	now := today().Add(11 * time.Hour)
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today()))
	l := claim(t, s, camp, "o", now, 30*time.Second)
	ctx := testCtx(t)

	r, err := s.Renew(ctx, l, now.Add(20*time.Second), 30*time.Second)
	if err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if want := now.Add(50 * time.Second); !r.ExpiresAt.Equal(want) || r.Token != l.Token || r.DebtID != l.DebtID {
		t.Errorf("renewed lease %+v, want expiry %v and the same token", r, want)
	}
	claimNone(t, s, camp, now.Add(45*time.Second)) // past the old expiry, not the new one

	forged := l
	forged.Token = "not-the-token"
	if _, err := s.Renew(ctx, forged, now.Add(46*time.Second), time.Minute); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Renew with a wrong token: %v, want ErrLeaseLost", err)
	}
	if err := s.Release(ctx, forged); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Release with a wrong token: %v, want ErrLeaseLost", err)
	}
	if _, err := s.Renew(ctx, r, now.Add(51*time.Second), time.Minute); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Renew after expiry: %v, want ErrLeaseLost", err)
	}
	if got := claim(t, s, camp, "o2", now.Add(52*time.Second), time.Minute); got.DebtID != "d1" {
		t.Errorf("after the lease ran out, claimed %s", got.DebtID)
	}
}

func testCompleteRetry(t *testing.T, s campaign.Store) {
	const camp = "c-retry"
	now := today().Add(8 * time.Hour)
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today().Add(-3*24*time.Hour)))
	l := claim(t, s, camp, "o", now, time.Minute)
	a := newAttempt(l, "att-1", campaign.OutcomeInvalidNumber, "", now)
	next := campaign.Schedule{NextAttemptAt: now.Add(10 * time.Minute), PhoneIndex: 1}
	complete(t, s, l, a, next)

	d := getDebt(t, s, camp, "d1")
	if d.State != campaign.StateQueued || d.Attempts != 1 || d.PhoneIndex != 1 ||
		!d.NextAttemptAt.Equal(next.NextAttemptAt) || d.LastOutcome != campaign.OutcomeInvalidNumber {
		t.Errorf("debt after Complete: %+v", d)
	}
	log := allAttempts(t, s, camp)
	if len(log) != 1 {
		t.Fatalf("attempt log has %d records", len(log))
	}
	if diff := diffAttempt(log[0], a); diff != "" {
		t.Errorf("recorded attempt differs:%s", diff)
	}
	checkCounters(t, s, camp, nil)

	ctx := testCtx(t)
	if _, err := s.Renew(ctx, l, now, time.Minute); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Renew after Complete: %v, want ErrLeaseLost", err)
	}
	if err := s.Release(ctx, l); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Release after Complete: %v, want ErrLeaseLost", err)
	}
	claimNone(t, s, camp, now.Add(9*time.Minute))
	l2 := claim(t, s, camp, "o", next.NextAttemptAt, time.Minute)
	if l2.Debt.Phone() != "+84987654321" || l2.Debt.Attempts != 1 {
		t.Errorf("second claim: phone %q attempts %d", l2.Debt.Phone(), l2.Debt.Attempts)
	}
	checkStates(t, s, camp, next.NextAttemptAt)
}

func testCompleteFinish(t *testing.T, s campaign.Store) {
	const camp = "c-finish"
	now := today().Add(8 * time.Hour)
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today()), newDebt(camp, "d2", today().Add(time.Hour)))
	l := claim(t, s, camp, "o", now, time.Minute)
	complete(t, s, l, newAttempt(l, "att-1", campaign.OutcomeBridged, "agent-7", now),
		campaign.Schedule{Finish: true, FinishReason: "outcome bridged"})
	d := getDebt(t, s, camp, l.DebtID)
	if d.State != campaign.StateFinished || d.FinishReason != "outcome bridged" || d.Attempts != 1 || d.LastOutcome != campaign.OutcomeBridged {
		t.Errorf("finished debt: %+v", d)
	}
	l2 := claim(t, s, camp, "o", now.Add(48*time.Hour), 48*time.Hour)
	if l2.DebtID == l.DebtID {
		t.Fatal("a finished debt was claimed again")
	}
	claimNone(t, s, camp, now.Add(72*time.Hour))
	st := checkStates(t, s, camp, now)
	if st.Finished != 1 || st.Leased != 1 {
		t.Errorf("stats %+v", st)
	}
	checkCounters(t, s, camp, nil)
}

func testCompleteLostLease(t *testing.T, s campaign.Store) {
	const camp = "c-lost"
	now := today().Add(14 * time.Hour)
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today()))
	l1 := claim(t, s, camp, "slow", now, 30*time.Second)
	l2 := claim(t, s, camp, "fast", now.Add(time.Minute), time.Minute)

	late := newAttempt(l1, "late", campaign.OutcomeBridged, "agent-1", now)
	err := s.Complete(testCtx(t), l1, late, campaign.Schedule{Finish: true, FinishReason: "outcome bridged"})
	if !errors.Is(err, campaign.ErrLeaseLost) {
		t.Fatalf("Complete with a lost lease: %v, want ErrLeaseLost", err)
	}
	d := getDebt(t, s, camp, "d1")
	if d.State != campaign.StateLeased || d.Attempts != 0 || d.FinishReason != "" || d.LastOutcome != "" {
		t.Errorf("lost-lease Complete changed the debt: %+v", d)
	}
	log := checkCounters(t, s, camp, nil)
	if len(log) != 1 || diffAttempt(log[0], late) != "" {
		t.Fatalf("lost-lease attempt not recorded as given: %+v", log)
	}
	// The new holder completes normally.
	complete(t, s, l2, newAttempt(l2, "on-time", campaign.OutcomeBusy, "", now.Add(time.Minute)),
		campaign.Schedule{NextAttemptAt: now.Add(time.Hour)})
	if d := getDebt(t, s, camp, "d1"); d.State != campaign.StateQueued || d.Attempts != 1 || d.LastOutcome != campaign.OutcomeBusy {
		t.Errorf("after the holder's Complete: %+v", d)
	}
	if log := checkCounters(t, s, camp, nil); len(log) != 2 {
		t.Errorf("log has %d attempts, want 2", len(log))
	}
	checkStates(t, s, camp, now)
}

func testRelease(t *testing.T, s campaign.Store) {
	const camp = "c-release"
	now := today().Add(9 * time.Hour)
	d := newDebt(camp, "d1", today().Add(-24*time.Hour))
	upsert(t, s, rulesFor(camp), d)
	l := claim(t, s, camp, "o", now, time.Minute)
	ctx := testCtx(t)
	if err := s.Release(ctx, l); err != nil {
		t.Fatalf("Release: %v", err)
	}
	got := getDebt(t, s, camp, "d1")
	if got.State != campaign.StateQueued || got.Attempts != 0 || !got.NextAttemptAt.Equal(d.DueDate) {
		t.Errorf("released debt: %+v", got)
	}
	if log := allAttempts(t, s, camp); len(log) != 0 {
		t.Errorf("Release recorded %d attempts", len(log))
	}
	l2 := claim(t, s, camp, "o", now, time.Minute)
	if l2.DebtID != "d1" || l2.Token == l.Token {
		t.Errorf("re-claim after release: %+v", l2)
	}
	if err := s.Release(ctx, l); !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("second Release of the old lease: %v, want ErrLeaseLost", err)
	}
	err := s.Complete(ctx, l, newAttempt(l, "stale", campaign.OutcomeFailed, "", now), campaign.Schedule{Finish: true, FinishReason: "x"})
	if !errors.Is(err, campaign.ErrLeaseLost) {
		t.Errorf("Complete with a released lease: %v, want ErrLeaseLost", err)
	}
	if got := getDebt(t, s, camp, "d1"); got.State != campaign.StateLeased {
		t.Errorf("stale Complete changed the state to %s", got.State)
	}
	checkStates(t, s, camp, now)
	checkCounters(t, s, camp, nil)
}

func testSetDisposition(t *testing.T, s campaign.Store) {
	const camp = "c-dispo"
	start := today().Add(-24*time.Hour + 23*time.Hour + 59*time.Minute) // ends after midnight: counted on the start day
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today().Add(-48*time.Hour)), newDebt(camp, "d2", today().Add(-48*time.Hour)))
	l := claim(t, s, camp, "o", start, time.Hour)
	a := newAttempt(l, "call-1", campaign.OutcomeBridged, "agent-9", start)
	complete(t, s, l, a, campaign.Schedule{Finish: true, FinishReason: "bridged"})
	l2 := claim(t, s, camp, "o", start, time.Hour)
	complete(t, s, l2, newAttempt(l2, "call-2", campaign.OutcomeNoAnswer, "", start), campaign.Schedule{NextAttemptAt: start.Add(time.Hour)})

	ctx := testCtx(t)
	if err := s.SetDisposition(ctx, camp, "call-1", "agent-9", campaign.DispositionPromiseToPay, start.Add(2*time.Minute)); err != nil {
		t.Fatalf("SetDisposition: %v", err)
	}
	log := checkCounters(t, s, camp, nil)
	if log[0].Disposition != campaign.DispositionPromiseToPay {
		t.Errorf("attempt disposition %q", log[0].Disposition)
	}
	rep, err := s.Counters(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	day := start.UTC().Format("2006-01-02")
	if rep.Total.PromiseToPay != 1 || rep.Days[day].PromiseToPay != 1 || rep.Agents["agent-9"].PromiseToPay != 1 {
		t.Errorf("promise not counted in total/day/agent: %+v", rep)
	}
	// Setting it again is not a second promise; changing it takes it back.
	if err := s.SetDisposition(ctx, camp, "call-1", "agent-9", campaign.DispositionPromiseToPay, start.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, s, camp, nil)
	if err := s.SetDisposition(ctx, camp, "call-1", "agent-9", "callback", start.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	log = checkCounters(t, s, camp, nil)
	if log[0].Disposition != "callback" {
		t.Errorf("disposition after change %q", log[0].Disposition)
	}
	if rep, _ := s.Counters(ctx, camp); rep.Total.PromiseToPay != 0 {
		t.Errorf("promise still counted after change: %d", rep.Total.PromiseToPay)
	}
	if err := s.SetDisposition(ctx, camp, "no-such-call", "agent-9", campaign.DispositionPromiseToPay, start); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("unknown attempt: %v, want ErrNotFound", err)
	}
	if err := s.SetDisposition(ctx, "other-campaign", "call-1", "agent-9", campaign.DispositionPromiseToPay, start); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("attempt of another campaign: %v, want ErrNotFound", err)
	}
	// Only the agent who took the call codes it: not another agent, and no
	// agent codes a call that nobody took.
	if err := s.SetDisposition(ctx, camp, "call-1", "agent-8", "fraud_suspected", start); !errors.Is(err, campaign.ErrWrongAgent) {
		t.Errorf("another agent's call: %v, want ErrWrongAgent", err)
	}
	if err := s.SetDisposition(ctx, camp, "call-2", "agent-9", "paid", start); !errors.Is(err, campaign.ErrWrongAgent) {
		t.Errorf("a call no agent took: %v, want ErrWrongAgent", err)
	}
	if log := checkCounters(t, s, camp, nil); log[0].Disposition != "callback" || log[1].Disposition != "" {
		t.Errorf("dispositions after refused changes: %q, %q", log[0].Disposition, log[1].Disposition)
	}
}

func testAddAgentTime(t *testing.T, s campaign.Store) {
	const camp = "c-agent-time"
	d1 := today().Add(-24*time.Hour + 9*time.Hour)
	d2 := today().Add(10 * time.Hour)
	times := []agentTime{
		{"agent-1", campaign.AgentTimeReady, d1, 120.5},
		{"agent-1", campaign.AgentTimeWrapUp, d1, 30},
		{"agent-1", campaign.AgentTimePaused, d2, 600},
		{"agent-2", campaign.AgentTimeReady, d2, 45.25},
		{"agent-1", campaign.AgentTimeReady, d2, 10},
	}
	ctx := testCtx(t)
	for _, at := range times {
		if err := s.AddAgentTime(ctx, camp, at.agent, at.state, at.at, at.seconds); err != nil {
			t.Fatalf("AddAgentTime(%+v): %v", at, err)
		}
	}
	// An attempt too, so talk time and agent time mix in one report.
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today()))
	l := claim(t, s, camp, "o", d2, time.Minute)
	complete(t, s, l, newAttempt(l, "call", campaign.OutcomeBridged, "agent-1", d2), campaign.Schedule{Finish: true, FinishReason: "bridged"})
	checkCounters(t, s, camp, times)

	rep, err := s.Counters(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Agents["agent-1"].ReadySeconds; got != 130.5 {
		t.Errorf("agent-1 ready %v, want 130.5", got)
	}
	if got := rep.Days[d1.Format("2006-01-02")].WrapUpSeconds; got != 30 {
		t.Errorf("day 1 wrap-up %v, want 30", got)
	}
	if k := rep.Agents["agent-1"].KPIs(); k.Occupancy <= 0 || k.Occupancy >= 1 {
		t.Errorf("agent-1 occupancy %v", k.Occupancy)
	}
	if err := s.AddAgentTime(ctx, camp, "agent-1", "lunch", d2, 10); !errors.Is(err, campaign.ErrInvalid) {
		t.Errorf("unknown agent state: %v, want ErrInvalid", err)
	}
}

func testAttemptsPaging(t *testing.T, s campaign.Store) {
	const camp = "c-paging"
	ctx := testCtx(t)
	got, next, err := s.Attempts(ctx, camp, "", 10)
	if err != nil || len(got) != 0 || next != "" {
		t.Fatalf("Attempts of an empty log: %d records, next %q, err %v", len(got), next, err)
	}
	now := today().Add(7 * time.Hour)
	upsert(t, s, rulesFor(camp), newDebt(camp, "d1", today()))
	var want []campaign.Attempt
	outcomes := campaign.Outcomes
	for i := 0; i < 23; i++ {
		at := now.Add(time.Duration(i) * time.Minute)
		l := claim(t, s, camp, "o", at, time.Minute)
		a := newAttempt(l, fmt.Sprintf("call-%02d", i), outcomes[i%len(outcomes)], fmt.Sprintf("agent-%d", i%3), at)
		complete(t, s, l, a, campaign.Schedule{NextAttemptAt: at, PhoneIndex: i % 2})
		want = append(want, a)
	}
	for _, size := range []int{1, 5, 10, 23, 50} {
		var all []campaign.Attempt
		after := ""
		for pages := 0; ; pages++ {
			if pages > 30 {
				t.Fatalf("page size %d: paging does not end", size)
			}
			page, next, err := s.Attempts(ctx, camp, after, size)
			if err != nil {
				t.Fatalf("page size %d after %q: %v", size, after, err)
			}
			if len(page) > size {
				t.Fatalf("page size %d: got %d records", size, len(page))
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			if len(page) == 0 {
				t.Fatalf("page size %d: empty page with next %q", size, next)
			}
			after = next
		}
		if len(all) != len(want) {
			t.Fatalf("page size %d: read %d attempts, want %d", size, len(all), len(want))
		}
		for i := range want {
			if diff := diffAttempt(all[i], want[i]); diff != "" {
				t.Errorf("page size %d, record %d:%s", size, i, diff)
			}
		}
	}
	// Continuing from the middle.
	page, _, err := s.Attempts(ctx, camp, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	rest, next, err := s.Attempts(ctx, camp, page[9].ID, 100)
	if err != nil || next != "" || len(rest) != 13 || rest[0].ID != "call-10" {
		t.Errorf("after %s: %d records from %v, next %q, err %v", page[9].ID, len(rest), firstID(rest), next, err)
	}
}

func firstID(a []campaign.Attempt) string {
	if len(a) == 0 {
		return ""
	}
	return a[0].ID
}

func testCountersEqualLog(t *testing.T, s campaign.Store) {
	const camp = "c-counters"
	rules := rulesFor(camp)
	var debts []campaign.Debt
	for i := 0; i < 12; i++ {
		debts = append(debts, newDebt(camp, fmt.Sprintf("d%02d", i), today().Add(-72*time.Hour)))
	}
	upsert(t, s, rules, debts...)
	agents := []string{"agent-a", "agent-b", "agent-c"}
	ctx := testCtx(t)
	n := 0
	// Three days of calls, every outcome, some promises, some lost leases.
	for day := 0; day < 3; day++ {
		base := today().Add(time.Duration(day-3)*24*time.Hour + 8*time.Hour)
		for i := 0; i < 12; i++ {
			now := base.Add(time.Duration(i) * 7 * time.Minute)
			l := claim(t, s, camp, "o", now, time.Minute)
			o := campaign.Outcomes[(i+day)%len(campaign.Outcomes)]
			a := newAttempt(l, fmt.Sprintf("call-%d-%d", day, i), o, agents[(i+day)%3], now)
			if i%5 == 0 && o == campaign.OutcomeBridged {
				a.Disposition = campaign.DispositionPromiseToPay
			}
			if i%7 == 3 {
				// Let the lease run out and be taken by another dialer first.
				stolen := claim(t, s, camp, "other", now.Add(2*time.Minute), time.Minute)
				if stolen.DebtID != l.DebtID {
					t.Fatalf("expected the expired debt back, got %s", stolen.DebtID)
				}
				if err := s.Complete(ctx, l, a, rules.Next(l.Debt, l.Debt.Attempts+1, o, a.EndedAt)); !errors.Is(err, campaign.ErrLeaseLost) {
					t.Fatalf("Complete with a stolen lease: %v", err)
				}
				l = stolen
				a = newAttempt(l, a.ID+"-b", campaign.OutcomeNoAnswer, "", now.Add(2*time.Minute))
			}
			next := rules.Next(l.Debt, l.Debt.Attempts+1, a.Outcome, a.EndedAt)
			if next.Finish {
				// keep the debts callable for the next day
				next = campaign.Schedule{NextAttemptAt: a.EndedAt, PhoneIndex: l.Debt.PhoneIndex}
			}
			next.NextAttemptAt = today().Add(time.Duration(day-2) * 24 * time.Hour)
			complete(t, s, l, a, next)
			n++
		}
	}
	log := allAttempts(t, s, camp)
	for _, a := range log[:10] {
		if a.Outcome == campaign.OutcomeBridged {
			if err := s.SetDisposition(ctx, camp, a.ID, a.AgentID, campaign.DispositionPromiseToPay, a.EndedAt); err != nil {
				t.Fatal(err)
			}
		}
	}
	log = checkCounters(t, s, camp, nil)
	if len(log) < n {
		t.Fatalf("log has %d attempts, made at least %d", len(log), n)
	}
	rep, err := s.Counters(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Days) != 3 || rep.Total.Placed != int64(len(log)) || rep.Total.PromiseToPay == 0 || rep.Total.TalkSeconds == 0 {
		t.Errorf("report: %d days, total %+v", len(rep.Days), rep.Total)
	}
	if _, ok := rep.Agents[""]; ok {
		t.Error("attempts without an agent counted under agent \"\"")
	}
	// An unknown campaign has an empty report.
	empty, err := s.Counters(ctx, "no-such-campaign")
	if err != nil {
		t.Fatal(err)
	}
	if empty.Total != (campaign.Counters{}) || len(empty.Days) != 0 || len(empty.Agents) != 0 {
		t.Errorf("empty campaign report %+v", empty)
	}
}

func testQueueStats(t *testing.T, s campaign.Store) {
	const camp = "c-stats"
	now := today().Add(12 * time.Hour)
	var debts []campaign.Debt
	for i := 0; i < 5; i++ {
		debts = append(debts, newDebt(camp, fmt.Sprintf("due%d", i), today().Add(-time.Duration(i+1)*24*time.Hour)))
	}
	for i := 0; i < 3; i++ {
		debts = append(debts, newDebt(camp, fmt.Sprintf("later%d", i), today().Add(time.Duration(i+1)*24*time.Hour)))
	}
	upsert(t, s, rulesFor(camp), debts...)
	if st := checkStates(t, s, camp, now); st.Counts() != (campaign.QueueStats{Due: 5, Scheduled: 3}) {
		t.Errorf("stats %+v", st)
	}
	l1 := claim(t, s, camp, "o", now, time.Minute)
	l2 := claim(t, s, camp, "o", now, time.Minute)
	complete(t, s, l1, newAttempt(l1, "c1", campaign.OutcomeBridged, "a", now), campaign.Schedule{Finish: true, FinishReason: "bridged"})
	complete(t, s, l2, newAttempt(l2, "c2", campaign.OutcomeBusy, "", now), campaign.Schedule{NextAttemptAt: now.Add(time.Hour)})
	claim(t, s, camp, "o", now, time.Minute)
	if st := checkStates(t, s, camp, now); st.Counts() != (campaign.QueueStats{Due: 2, Scheduled: 4, Leased: 1, Finished: 1}) {
		t.Errorf("stats %+v", st)
	}
	if st := checkStates(t, s, camp, now.Add(25*time.Hour)); st.Due != 4 || st.Scheduled != 2 {
		t.Errorf("stats a day later %+v", st)
	}
	empty, err := s.QueueStats(testCtx(t), "no-such-campaign", now)
	if err != nil || empty != (campaign.QueueStats{}) {
		t.Errorf("stats of an unknown campaign %+v, %v", empty, err)
	}
}

func testIsolation(t *testing.T, s campaign.Store) {
	const ca, cb = "c-iso-a", "c-iso-b"
	now := today().Add(9 * time.Hour)
	a1, a2 := newDebt(ca, "d1", today()), newDebt(ca, "d2", today())
	b1 := newDebt(cb, "d1", today().Add(48*time.Hour))
	b1.Amount, b1.DebtorName = "7", "Le Van B"
	upsert(t, s, rulesFor(ca), a1, a2)
	upsert(t, s, rulesFor(cb), b1)

	if got := getDebt(t, s, cb, "d1"); got.Amount != "7" || got.CampaignID != cb {
		t.Errorf("campaign B's d1 = %+v", got)
	}
	if _, err := s.Debt(testCtx(t), cb, "d2"); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("campaign A's d2 visible in B: %v", err)
	}
	claimNone(t, s, cb, now)
	l := claim(t, s, ca, "o", now, time.Minute)
	complete(t, s, l, newAttempt(l, "shared-call-id", campaign.OutcomeBridged, "agent", now), campaign.Schedule{Finish: true, FinishReason: "x"})
	if got := getDebt(t, s, cb, "d1"); got.State != campaign.StateQueued || got.Attempts != 0 {
		t.Errorf("campaign B's d1 changed by A: %+v", got)
	}
	if log := allAttempts(t, s, cb); len(log) != 0 {
		t.Errorf("B's attempt log has %d records", len(log))
	}
	if err := s.SetDisposition(testCtx(t), cb, "shared-call-id", "agent", campaign.DispositionPromiseToPay, now); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("A's attempt found in B: %v", err)
	}
	if rep, err := s.Counters(testCtx(t), cb); err != nil || rep.Total.Placed != 0 {
		t.Errorf("B's counters %+v, %v", rep.Total, err)
	}
	if rep, err := s.Counters(testCtx(t), ca); err != nil || rep.Total.Placed != 1 {
		t.Errorf("A's counters %+v, %v", rep.Total, err)
	}
	ids, err := s.DebtIDs(testCtx(t), cb)
	if err != nil || len(ids) != 1 {
		t.Errorf("B's DebtIDs %v, %v", ids, err)
	}
	if st := checkStates(t, s, ca, now); st.Total() != 2 || st.Finished != 1 {
		t.Errorf("A stats %+v", st)
	}
	if st := checkStates(t, s, cb, now); st.Counts() != (campaign.QueueStats{Scheduled: 1}) {
		t.Errorf("B stats %+v", st)
	}
}
