package redisstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// BenchmarkUpsert imports debts in batches of 500, as the CSV importer
// does; one op is one debt.
func BenchmarkUpsert(b *testing.B) {
	r := redistest.NewPrivate(b)
	b.Logf("redis: %s", r.Kind())
	s := redisstore.New(r.Client(), redisstore.Options{})
	rules := campaign.Rules{CampaignID: "bench"}
	const batch = 500
	debts := make([]campaign.Debt, batch)
	ctx := ctxT(b)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		for i := 0; i < n; i++ {
			d := debt("bench", fmt.Sprintf("debt-%09d", done+i), day0.Add(-time.Duration((done+i)%90)*24*time.Hour))
			d.Profile = map[string]string{"contract": "HD-2025-000123", "branch": "Ha Noi", "product": "consumer loan"}
			debts[i] = d
		}
		if _, err := s.UpsertDebts(ctx, rules, debts[:n]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimComplete is the dialer's hot path: claim the next due debt
// and complete the attempt (re-queued for later), on a queue of 10,000.
func BenchmarkClaimComplete(b *testing.B) {
	r := redistest.NewPrivate(b)
	b.Logf("redis: %s", r.Kind())
	s := redisstore.New(r.Client(), redisstore.Options{})
	rules := campaign.Rules{CampaignID: "bench"}
	ctx := ctxT(b)
	var debts []campaign.Debt
	for i := 0; i < 10000; i++ {
		debts = append(debts, debt("bench", fmt.Sprintf("debt-%06d", i), day0.Add(-time.Duration(i%90)*24*time.Hour)))
	}
	if _, err := s.UpsertDebts(ctx, rules, debts); err != nil {
		b.Fatal(err)
	}
	now := day0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := s.Claim(ctx, "bench", "dialer", now, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		a := attempt(l, fmt.Sprintf("call-%d", i), campaign.OutcomeNoAnswer, now)
		if err := s.Complete(ctx, l, a, campaign.Schedule{NextAttemptAt: now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		if i%5000 == 4999 {
			now = now.Add(2 * time.Hour) // everything is due again
		}
	}
}

// BenchmarkClaimCompleteParallel runs the hot path from many goroutines,
// as several dialer workers do.
func BenchmarkClaimCompleteParallel(b *testing.B) {
	r := redistest.NewPrivate(b)
	s := redisstore.New(r.Client(), redisstore.Options{})
	ctx := ctxT(b)
	var debts []campaign.Debt
	for i := 0; i < 10000; i++ {
		debts = append(debts, debt("bench", fmt.Sprintf("debt-%06d", i), day0))
	}
	if _, err := s.UpsertDebts(ctx, campaign.Rules{CampaignID: "bench"}, debts); err != nil {
		b.Fatal(err)
	}
	var seq int64
	var mu = make(chan struct{}, 1)
	next := func() int64 { mu <- struct{}{}; seq++; v := seq; <-mu; return v }
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l, err := s.Claim(ctx, "bench", "dialer", day0, time.Minute)
			if err != nil {
				b.Error(err)
				return
			}
			// Re-queued at day0 so the queue never runs dry.
			a := attempt(l, fmt.Sprintf("call-%d", next()), campaign.OutcomeBusy, day0)
			if err := s.Complete(ctx, l, a, campaign.Schedule{NextAttemptAt: day0}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
