package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// roundTrips counts the commands and pipelines a client sends.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestScanDebtHistories reads a campaign of 2,450 debts, some called, some
// with dispositions, one with attempts from before the per-debt attempt
// index, and checks every debt against Debt and DebtAttempts, and that the
// reads take a few round trips rather than one per debt.
func TestScanDebtHistories(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.New(t)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix(), Now: func() time.Time { return day0 }})
	rules := campaign.Rules{CampaignID: "c"}
	const n = 2450 // three SSCAN pages or more, several scripts per page, a partial last batch
	var debts []campaign.Debt
	for i := range n {
		d := debt("c", fmt.Sprintf("d%04d", i), day0.AddDate(0, 0, -i%200))
		d.Amount = fmt.Sprintf("%d", 1_000_000+i)
		debts = append(debts, d)
	}
	mustUpsert(t, s, rules, debts...)
	mustUpsert(t, s, campaign.Rules{CampaignID: "other"}, debt("other", "x1", day0))

	// Call 30 debts: no answer (the debt is requeued ahead of every other
	// debt), then a conversation with a disposition set after the call on
	// every third.
	called := map[string]bool{}
	for i := range 30 {
		now := day0.Add(time.Duration(i) * time.Minute)
		l, err := s.Claim(ctx, "c", "o", now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		called[l.DebtID] = true
		if err := s.Complete(ctx, l, attempt(l, fmt.Sprintf("a%d-1", i), campaign.OutcomeNoAnswer, now),
			campaign.Schedule{NextAttemptAt: day0.AddDate(-1, 0, 0), PhoneIndex: 0}); err != nil {
			t.Fatal(err)
		}
		again, err := s.Claim(ctx, "c", "o", now.Add(time.Second), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if again.DebtID != l.DebtID {
			t.Fatalf("claimed %s after the no answer on %s", again.DebtID, l.DebtID)
		}
		l = again
		if err := s.Complete(ctx, l, attempt(l, fmt.Sprintf("a%d-2", i), campaign.OutcomeBridged, now.Add(time.Second)),
			campaign.Schedule{Finish: true, FinishReason: "bridged"}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := s.SetDisposition(ctx, "c", fmt.Sprintf("a%d-2", i), "agent-1", campaign.DispositionPromiseToPay, now.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(called) != 30 {
		t.Fatalf("called %d debts, want 30 (each twice)", len(called))
	}
	// A debt called before the per-debt index existed: its index is gone.
	var legacy string
	for id := range called {
		legacy = id
		break
	}
	if err := r.Client().Del(ctx, r.Prefix()+":{c}:debt_attempts:"+legacy).Err(); err != nil {
		t.Fatal(err)
	}

	counted := redis.NewClient(r.Options())
	defer counted.Close()
	trips := &roundTrips{}
	counted.AddHook(trips)
	cs := redisstore.New(counted, redisstore.Options{Prefix: r.Prefix()})
	got := map[string]redisstore.DebtHistory{}
	pages := 0
	err := cs.ScanDebtHistories(ctx, "c", func(page []redisstore.DebtHistory) error {
		pages++
		if len(page) > 1000 {
			t.Errorf("page of %d debts", len(page))
		}
		for _, h := range page {
			if _, dup := got[h.Debt.ID]; dup {
				t.Errorf("debt %s passed twice", h.Debt.ID)
			}
			got[h.Debt.ID] = h
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("read %d debts, want %d", len(got), n)
	}
	// Per page of about 1000 debts: an SSCAN and one pipeline; then one
	// read of the log for the legacy debt, and the scripts' first loads.
	// One round trip per debt would be 2,450.
	t.Logf("%d round trips for %d debts in %d pages", trips.n.Load(), n, pages)
	if max := int64(n / 50); trips.n.Load() > max {
		t.Errorf("%d round trips for %d debts; want at most %d", trips.n.Load(), n, max)
	}

	promises := 0
	for _, id := range []string{legacy, "d0000", "d1234", "d2449"} {
		want, err := s.Debt(ctx, "c", id)
		if err != nil {
			t.Fatal(err)
		}
		if h := got[id]; !reflect.DeepEqual(h.Debt, want) {
			t.Errorf("debt %s:\n got %+v\nwant %+v", id, h.Debt, want)
		}
	}
	// DebtAttempts reads through the same script as the scan; the
	// campaign's attempt log, read with Attempts, is the independent record.
	fromLog := map[string][]campaign.Attempt{}
	for after := ""; ; {
		page, next, err := s.Attempts(ctx, "c", after, 25)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			fromLog[a.DebtID] = append(fromLog[a.DebtID], a)
		}
		if next == "" {
			break
		}
		after = next
	}
	for id := range called {
		want, err := s.DebtAttempts(ctx, "c", id)
		if err != nil {
			t.Fatal(err)
		}
		h := got[id]
		if len(want) != 2 || !reflect.DeepEqual(h.Attempts, want) {
			t.Errorf("attempts of %s:\n got %+v\nwant %+v", id, h.Attempts, want)
		}
		if !reflect.DeepEqual(h.Attempts, fromLog[id]) {
			t.Errorf("attempts of %s:\n got %+v\nthe log has %+v", id, h.Attempts, fromLog[id])
		}
		if h.Debt.State != campaign.StateFinished || h.Debt.Attempts != 2 {
			t.Errorf("debt %s: state %s, %d attempts", id, h.Debt.State, h.Debt.Attempts)
		}
		if len(h.Attempts) == 2 && h.Attempts[1].Disposition == campaign.DispositionPromiseToPay {
			promises++
		}
	}
	if _, err := s.DebtAttempts(ctx, "c", "nope"); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("DebtAttempts of an unknown debt: %v, want ErrNotFound", err)
	}
	if promises != 10 {
		t.Errorf("%d promises to pay read, want 10", promises)
	}
	for id, h := range got {
		if !called[id] && len(h.Attempts) != 0 {
			t.Errorf("debt %s was never called but has attempts %+v", id, h.Attempts)
		}
	}

	// The same debts by id, in the order given; unknown ids left out.
	ids := []string{"d2449", "nope", legacy, "d0001", "x1"}
	hs, err := s.DebtHistories(ctx, "c", ids)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, h := range hs {
		order = append(order, h.Debt.ID)
		if !reflect.DeepEqual(h, got[h.Debt.ID]) {
			t.Errorf("DebtHistories(%s) = %+v, ScanDebtHistories read %+v", h.Debt.ID, h, got[h.Debt.ID])
		}
	}
	if want := []string{"d2449", legacy, "d0001"}; !reflect.DeepEqual(order, want) {
		t.Errorf("DebtHistories order %v, want %v", order, want)
	}

	// An error from fn stops the scan.
	stop := fmt.Errorf("stop")
	if err := s.ScanDebtHistories(ctx, "c", func([]redisstore.DebtHistory) error { return stop }); err != stop {
		t.Errorf("ScanDebtHistories returned %v, want fn's error", err)
	}
	if err := s.ScanDebtHistories(ctx, "a{b", func([]redisstore.DebtHistory) error { return nil }); err == nil {
		t.Error("a campaign id with a brace was accepted")
	}
}

func TestScanDebtHistoriesEmptyCampaign(t *testing.T) {
	r := redistest.New(t)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	calls := 0
	if err := s.ScanDebtHistories(ctxT(t), "empty", func([]redisstore.DebtHistory) error { calls++; return nil }); err != nil || calls != 0 {
		t.Errorf("empty campaign: %d calls, %v", calls, err)
	}
}

func TestDebtStatuses(t *testing.T) {
	r := redistest.New(t)
	ctx := ctxT(t)
	e := newGateEnv(t, r, map[string]compliance.Policy{"c": vnPolicy(t, nil)})
	var ids []string
	for i := range 2500 { // three HMGETs
		ids = append(ids, fmt.Sprintf("d%04d", i))
	}
	var debts []campaign.Debt
	for _, id := range []string{"d0000", "d1500", "d2499"} {
		debts = append(debts, gdebt("c", id, "", "+84912000001"))
	}
	e.upsert(debts...)
	e.setStatus("c", "d1500", compliance.DebtPaid)
	e.setStatus("c", "d2499", compliance.DebtDisputed)
	e.setStatus("c", "d0000", compliance.DebtDisputed)
	e.setStatus("c", "d0000", compliance.DebtActive)
	got, err := e.g.DebtStatuses(ctx, "c", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d statuses for %d debts", len(got), len(ids))
	}
	want := map[string]compliance.DebtStatus{"d1500": compliance.DebtPaid, "d2499": compliance.DebtDisputed}
	var wrong []string
	for i, id := range ids {
		w := want[id]
		if w == "" {
			w = compliance.DebtActive
		}
		if got[i] != w {
			wrong = append(wrong, fmt.Sprintf("%s=%s (want %s)", id, got[i], w))
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("statuses: %v", wrong)
	}
	if got, err := e.g.DebtStatuses(ctx, "c", nil); err != nil || len(got) != 0 {
		t.Errorf("no ids: %v, %v", got, err)
	}
}

// TestScanDebtHistoriesOnOtherServers reads histories and statuses on a
// Redis Cluster (the campaign's keys and the compliance keys live on
// different nodes) and on miniredis, which the demo embeds.
func TestScanDebtHistoriesOnOtherServers(t *testing.T) {
	servers := map[string]func(t *testing.T) (redis.UniversalClient, string){
		"miniredis": func(t *testing.T) (redis.UniversalClient, string) {
			r := redistest.NewMiniredis(t)
			return r.Client(), r.Prefix()
		},
		"cluster": func(t *testing.T) (redis.UniversalClient, string) {
			if testing.Short() {
				t.Skip("cluster formation takes a few seconds")
			}
			c := redistest.NewCluster(t, 3)
			return c.Client(), redistest.UniquePrefix()
		},
	}
	for name, open := range servers {
		t.Run(name, func(t *testing.T) {
			ctx := ctxT(t)
			client, prefix := open(t)
			s := redisstore.New(client, redisstore.Options{Prefix: prefix, Now: func() time.Time { return day0 }})
			g, err := redisstore.NewGate(s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"c": vnPolicy(t, nil)}})
			if err != nil {
				t.Fatal(err)
			}
			var debts []campaign.Debt
			for i := range 450 {
				debts = append(debts, debt("c", fmt.Sprintf("d%03d", i), day0))
			}
			mustUpsert(t, s, campaign.Rules{CampaignID: "c"}, debts...)
			l, err := s.Claim(ctx, "c", "o", day0, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Complete(ctx, l, attempt(l, "a1", campaign.OutcomeBridged, day0), campaign.Schedule{Finish: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := g.SetDebtStatus(ctx, "c", l.DebtID, compliance.DebtDisputed, "test"); err != nil {
				t.Fatal(err)
			}
			n, withAttempts, disputed := 0, 0, 0
			err = s.ScanDebtHistories(ctx, "c", func(page []redisstore.DebtHistory) error {
				ids := make([]string, len(page))
				for i, h := range page {
					ids[i] = h.Debt.ID
					if len(h.Attempts) > 0 {
						withAttempts++
					}
				}
				st, err := g.DebtStatuses(ctx, "c", ids)
				if err != nil {
					return err
				}
				for _, x := range st {
					if x == compliance.DebtDisputed {
						disputed++
					}
				}
				n += len(page)
				return nil
			})
			if err != nil || n != 450 || withAttempts != 1 || disputed != 1 {
				t.Errorf("scan: %d debts, %d with attempts, %d disputed, %v; want 450, 1, 1", n, withAttempts, disputed, err)
			}
		})
	}
}
