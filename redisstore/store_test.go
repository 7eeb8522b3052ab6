package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/campaign/campaigntest"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var day0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

func debt(camp, id string, due time.Time) campaign.Debt {
	return campaign.Debt{
		ID: id, CampaignID: camp, DebtorName: "Pham Thi " + id,
		Phones: []string{"+84912345678", "+84987654321"}, Amount: "1200000", Currency: "VND",
		DueDate: due, Priority: 2, Profile: map[string]string{"contract": id},
	}
}

func attempt(l campaign.Lease, id string, o campaign.Outcome, at time.Time) campaign.Attempt {
	a := campaign.Attempt{ID: id, CampaignID: l.CampaignID, DebtID: l.DebtID, Phone: l.Debt.Phone(),
		Outcome: o, OriginatedAt: at, EndedAt: at.Add(30 * time.Second)}
	if o == campaign.OutcomeBridged {
		a.AgentID, a.AnsweredAt, a.BridgedAt = "agent-1", at.Add(5*time.Second), at.Add(6*time.Second)
	}
	return a
}

func mustUpsert(t testing.TB, s *redisstore.Store, rules campaign.Rules, debts ...campaign.Debt) {
	t.Helper()
	if _, err := s.UpsertDebts(ctxT(t), rules, debts); err != nil {
		t.Fatalf("UpsertDebts: %v", err)
	}
}

// slot is the Redis Cluster slot of a key (CRC16/XMODEM of its hash tag).
func slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for _, b := range []byte(key) {
		crc ^= uint16(b) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

func TestSlotFunction(t *testing.T) {
	// Known values from the Redis Cluster specification and CLUSTER KEYSLOT.
	for key, want := range map[string]int{"123456789": 0x31C3, "foo": 12182, "{user1000}.following": slot("user1000")} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}

// TestKeyLayout drives one campaign through every write and checks that
// all its keys carry the campaign's hash tag (one slot) under the prefix,
// and that the queue score the scripts compute equals campaign.Rules.Score.
func TestKeyLayout(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.New(t)
	importedAt := day0.Add(-2 * time.Hour)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix(), Now: func() time.Time { return importedAt }})
	const camp = "camp:2025/03 vn"
	rules := campaign.Rules{CampaignID: camp, RemindBefore: 24 * time.Hour}
	var debts []campaign.Debt
	for i := 0; i < 20; i++ {
		d := debt(camp, fmt.Sprintf("debt %d:x", i), day0.Add(-time.Duration(i)*24*time.Hour))
		d.Priority = i % 16
		d.Amount = strconv.Itoa(1000 * (i + 1) * (i + 1))
		debts = append(debts, d)
	}
	mustUpsert(t, s, rules, debts...)

	// Scores: every queued debt's score is rules.Score at its first attempt,
	// ranked with the store's clock.
	for _, d := range debts {
		got, err := r.Client().ZScore(ctx, r.Prefix()+":{"+camp+"}:queue", d.ID).Result()
		if err != nil {
			t.Fatalf("ZSCORE %s: %v", d.ID, err)
		}
		if want := rules.Score(d, rules.FirstAttempt(d), importedAt); got != want {
			t.Errorf("score of %s = %.0f, want %.0f", d.ID, got, want)
		}
	}

	l, err := s.Claim(ctx, camp, "dialer", day0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a := attempt(l, "call-1", campaign.OutcomeBridged, day0)
	retry := day0.Add(90 * time.Minute)
	if err := s.Complete(ctx, l, a, campaign.Schedule{NextAttemptAt: retry, PhoneIndex: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Client().ZScore(ctx, r.Prefix()+":{"+camp+"}:queue", l.DebtID).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := rules.Score(l.Debt, retry, importedAt); got != want {
		t.Errorf("score after Complete = %.0f, want %.0f", got, want)
	}
	if err := s.SetDisposition(ctx, camp, "call-1", "agent-1", campaign.DispositionPromiseToPay, day0); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAgentTime(ctx, camp, "agent-1", campaign.AgentTimeReady, day0, 60); err != nil {
		t.Fatal(err)
	}
	l2, err := s.Claim(ctx, camp, "dialer", day0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, l2, attempt(l2, "call-2", campaign.OutcomeBusy, day0), campaign.Schedule{Finish: true, FinishReason: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, camp, "dialer", day0, time.Minute); err != nil {
		t.Fatal(err)
	}

	var keys []string
	iter := r.Client().Scan(ctx, 0, r.Prefix()+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	want := slot("{" + camp + "}")
	tag := r.Prefix() + ":{" + camp + "}:"
	kinds := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, tag) {
			t.Errorf("key %q does not start with %q", k, tag)
		}
		if got := slot(k); got != want {
			t.Errorf("key %q in slot %d, want %d", k, got, want)
		}
		kind := strings.TrimPrefix(k, tag)
		for _, family := range []string{"debt:", "data:", "kpi:day:", "kpi:agent:"} {
			if strings.HasPrefix(kind, family) {
				kind = strings.TrimSuffix(family, ":")
			}
		}
		kinds[kind] = true
	}
	for _, k := range []string{"debt", "data", "debts", "queue", "leases", "finished", "attempts", "attempt_index",
		"dispositions", "disposition_by", "kpi:total", "kpi:day", "kpi:agent", "kpi:days", "kpi:agents"} {
		if !kinds[k] {
			t.Errorf("no %s key among %v", k, kinds)
		}
	}
}

func TestDefaultPrefix(t *testing.T) {
	r := redistest.NewMiniredis(t)
	s := redisstore.New(r.Client(), redisstore.Options{})
	mustUpsert(t, s, campaign.Rules{CampaignID: "c"}, debt("c", "d", day0))
	if !r.Miniredis().Exists("duecall:{c}:debt:d") {
		t.Fatalf("keys: %v", r.Miniredis().Keys())
	}
}

// TestScriptCacheFlush flushes the server's script cache between calls:
// single scripts fall back to EVAL, pipelined ones are sent again.
func TestScriptCacheFlush(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.NewPrivate(t)
	s := redisstore.New(r.Client(), redisstore.Options{})
	rules := campaign.Rules{CampaignID: "c"}
	var debts []campaign.Debt
	for i := 0; i < 600; i++ { // three chunks: one pipeline of three scripts
		debts = append(debts, debt("c", fmt.Sprintf("d%03d", i), day0))
	}
	mustUpsert(t, s, rules, debts[:10]...)
	flush := func() {
		if err := r.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	res, err := s.UpsertDebts(ctx, rules, debts)
	if err != nil {
		t.Fatalf("pipelined upsert after SCRIPT FLUSH: %v", err)
	}
	if res.Created != 590 || res.Updated != 10 {
		t.Fatalf("upsert = %+v", res)
	}
	flush()
	l, err := s.Claim(ctx, "c", "o", day0, time.Minute)
	if err != nil {
		t.Fatalf("claim after SCRIPT FLUSH: %v", err)
	}
	flush()
	if err := s.Complete(ctx, l, attempt(l, "a1", campaign.OutcomeNoAnswer, day0), campaign.Schedule{NextAttemptAt: day0.Add(time.Hour)}); err != nil {
		t.Fatalf("complete after SCRIPT FLUSH: %v", err)
	}
	flush()
	if _, err := s.Counters(ctx, "c"); err != nil {
		t.Fatalf("counters after SCRIPT FLUSH: %v", err)
	}
	campaigntest.CheckInvariants(t, s, "c", day0)
}

// TestRedisDown cuts the connection to Redis: every call fails with an
// error that wraps the cause and is none of the domain's sentinels, and
// once Redis is back a retried Complete records the attempt exactly once
// and nothing written before the outage is lost.
func TestRedisDown(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.NewPrivate(t)
	proxy := redistest.NewProxy(t, r.Addr())
	client := redis.NewClient(&redis.Options{Addr: proxy.Addr(), MaxRetries: 1,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	s := redisstore.New(client, redisstore.Options{})
	const camp = "c"
	rules := campaign.Rules{CampaignID: camp}
	var debts []campaign.Debt
	for i := 0; i < 50; i++ {
		debts = append(debts, debt(camp, fmt.Sprintf("d%02d", i), day0))
	}
	mustUpsert(t, s, rules, debts...)
	l, err := s.Claim(ctx, camp, "o", day0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a := attempt(l, "call-1", campaign.OutcomeBridged, day0)
	next := campaign.Schedule{Finish: true, FinishReason: "bridged"}

	proxy.Down()
	calls := map[string]func() error{
		"UpsertDebts": func() error { _, err := s.UpsertDebts(ctx, rules, debts[:5]); return err },
		"Debt":        func() error { _, err := s.Debt(ctx, camp, "d01"); return err },
		"Claim":       func() error { _, err := s.Claim(ctx, camp, "o", day0, time.Hour); return err },
		"Renew":       func() error { _, err := s.Renew(ctx, l, day0, time.Hour); return err },
		"Complete":    func() error { return s.Complete(ctx, l, a, next) },
		"Release":     func() error { return s.Release(ctx, l) },
		"Disposition": func() error {
			return s.SetDisposition(ctx, camp, "call-1", "agent-1", campaign.DispositionPromiseToPay, day0)
		},
		"AddAgentTime": func() error { return s.AddAgentTime(ctx, camp, "agent-1", campaign.AgentTimeReady, day0, 5) },
		"Attempts":     func() error { _, _, err := s.Attempts(ctx, camp, "", 10); return err },
		"Counters":     func() error { _, err := s.Counters(ctx, camp); return err },
		"QueueStats":   func() error { _, err := s.QueueStats(ctx, camp, day0); return err },
		"DebtIDs":      func() error { _, err := s.DebtIDs(ctx, camp); return err },
	}
	for name, call := range calls {
		err := call()
		switch {
		case err == nil:
			t.Errorf("%s succeeded while Redis was unreachable", name)
		case errors.Is(err, campaign.ErrNotFound), errors.Is(err, campaign.ErrNoDebtDue),
			errors.Is(err, campaign.ErrLeaseLost), errors.Is(err, campaign.ErrInvalid):
			t.Errorf("%s: an outage reported as a domain error: %v", name, err)
		case errors.Unwrap(err) == nil || !strings.HasPrefix(err.Error(), "redisstore: "):
			t.Errorf("%s: error does not wrap its cause with context: %v", name, err)
		}
	}
	proxy.Up()

	// The dialer retries Complete; a retry of a Complete that did reach
	// Redis before the cut records nothing twice.
	if err := s.Complete(ctx, l, a, next); err != nil {
		t.Fatalf("Complete after the outage: %v", err)
	}
	if err := s.Complete(ctx, l, a, next); err != nil {
		t.Fatalf("repeated Complete: %v", err)
	}
	ids, err := s.DebtIDs(ctx, camp)
	if err != nil || len(ids) != 50 {
		t.Fatalf("after the outage: %d debts, %v", len(ids), err)
	}
	log, _, err := s.Attempts(ctx, camp, "", 100)
	if err != nil || len(log) != 1 {
		t.Fatalf("attempt log: %d records, %v", len(log), err)
	}
	d, err := s.Debt(ctx, camp, l.DebtID)
	if err != nil || d.State != campaign.StateFinished || d.Attempts != 1 {
		t.Fatalf("completed debt: %+v, %v", d, err)
	}
	campaigntest.CheckInvariants(t, s, camp, day0)
}

// TestCompleteIsIdempotent: a Complete repeated with the same attempt ID
// (a retry after a lost reply) returns what the first returned and counts
// the attempt once.
func TestCompleteIsIdempotent(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.New(t)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	const camp = "c"
	mustUpsert(t, s, campaign.Rules{CampaignID: camp}, debt(camp, "d1", day0), debt(camp, "d2", day0))
	l1, _ := s.Claim(ctx, camp, "o", day0, time.Minute)
	a := attempt(l1, "call-1", campaign.OutcomeNoAnswer, day0)
	sched := campaign.Schedule{NextAttemptAt: day0.Add(time.Hour)}
	for i := 0; i < 3; i++ {
		if err := s.Complete(ctx, l1, a, sched); err != nil {
			t.Fatalf("Complete #%d: %v", i+1, err)
		}
	}
	// A lost lease stays lost on retry.
	l2, _ := s.Claim(ctx, camp, "o", day0, time.Minute)
	stolen, err := s.Claim(ctx, camp, "other", day0.Add(2*time.Minute), time.Minute)
	if err != nil || stolen.DebtID != l2.DebtID {
		t.Fatalf("steal: %+v, %v", stolen, err)
	}
	b := attempt(l2, "call-2", campaign.OutcomeBusy, day0)
	for i := 0; i < 2; i++ {
		if err := s.Complete(ctx, l2, b, sched); !errors.Is(err, campaign.ErrLeaseLost) {
			t.Fatalf("Complete #%d with a lost lease: %v", i+1, err)
		}
	}
	rep, err := s.Counters(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Placed != 2 || rep.Total.NoAnswer != 1 || rep.Total.Busy != 1 {
		t.Errorf("counters after repeated Completes: %+v", rep.Total)
	}
	if d, _ := s.Debt(ctx, camp, l1.DebtID); d.Attempts != 1 {
		t.Errorf("debt attempts %d after repeated Completes", d.Attempts)
	}
	campaigntest.CheckInvariants(t, s, camp, day0)
}

func TestValidation(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.NewMiniredis(t)
	s := redisstore.New(r.Client(), redisstore.Options{})
	const camp = "c"
	mustUpsert(t, s, campaign.Rules{CampaignID: camp}, debt(camp, "d1", day0))
	l, err := s.Claim(ctx, camp, "o", day0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	good := attempt(l, "call-1", campaign.OutcomeBusy, day0)
	retry := campaign.Schedule{NextAttemptAt: day0.Add(time.Hour)}
	mod := func(f func(*campaign.Attempt)) campaign.Attempt { a := good; f(&a); return a }
	invalid := map[string]func() error{
		"braces in campaign id": func() error { _, err := s.Debt(ctx, "a{b}", "d1"); return err },
		"empty campaign id":     func() error { _, err := s.QueueStats(ctx, "", day0); return err },
		"upsert braces": func() error {
			_, err := s.UpsertDebts(ctx, campaign.Rules{CampaignID: "x}"}, []campaign.Debt{debt("x}", "d", day0)})
			return err
		},
		"claim without owner": func() error { _, err := s.Claim(ctx, camp, "", day0, time.Minute); return err },
		"claim with ttl 0":    func() error { _, err := s.Claim(ctx, camp, "o", day0, 0); return err },
		"renew with ttl 0":    func() error { _, err := s.Renew(ctx, l, day0, 0); return err },
		"attempt without id": func() error {
			return s.Complete(ctx, l, mod(func(a *campaign.Attempt) { a.ID = "" }), retry)
		},
		"unknown outcome": func() error {
			return s.Complete(ctx, l, mod(func(a *campaign.Attempt) { a.Outcome = "voicemail" }), retry)
		},
		"attempt of another debt": func() error {
			return s.Complete(ctx, l, mod(func(a *campaign.Attempt) { a.DebtID = "d2" }), retry)
		},
		"attempt without OriginatedAt": func() error {
			return s.Complete(ctx, l, mod(func(a *campaign.Attempt) { a.OriginatedAt = time.Time{} }), retry)
		},
		"schedule without time": func() error { return s.Complete(ctx, l, good, campaign.Schedule{}) },
		"empty disposition": func() error {
			return s.SetDisposition(ctx, camp, "call-1", "agent", "", day0)
		},
		"negative agent time": func() error {
			return s.AddAgentTime(ctx, camp, "agent", campaign.AgentTimeReady, day0, -1)
		},
		"agent time without agent": func() error {
			return s.AddAgentTime(ctx, camp, "", campaign.AgentTimeReady, day0, 1)
		},
		"attempts count 0": func() error { _, _, err := s.Attempts(ctx, camp, "", 0); return err },
	}
	for name, call := range invalid {
		if err := call(); !errors.Is(err, campaign.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Nothing was recorded by the rejected calls, and the lease still works.
	if log, _, _ := s.Attempts(ctx, camp, "", 10); len(log) != 0 {
		t.Errorf("rejected Completes recorded %d attempts", len(log))
	}
	if _, _, err := s.Attempts(ctx, camp, "no-such-call", 10); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("Attempts after an unknown id: %v, want ErrNotFound", err)
	}
	if err := s.Complete(ctx, l, good, retry); err != nil {
		t.Fatal(err)
	}
	// A finish without a reason gets one, so a finished debt always says why.
	l, _ = s.Claim(ctx, camp, "o", day0.Add(time.Hour), time.Minute)
	if err := s.Complete(ctx, l, attempt(l, "call-2", campaign.OutcomeBridged, day0), campaign.Schedule{Finish: true}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Debt(ctx, camp, "d1"); d.State != campaign.StateFinished || d.FinishReason == "" {
		t.Errorf("finished debt %+v", d)
	}
}

// TestClaimBoundsExpiredLeases: one Claim returns at most 100 expired
// leases to the queue; the rest follow on later claims.
func TestClaimBoundsExpiredLeases(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.New(t)
	core, logs := observer.New(zapcore.InfoLevel)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix(), Logger: zap.New(core)})
	const camp = "c"
	var debts []campaign.Debt
	for i := 0; i < 250; i++ {
		debts = append(debts, debt(camp, fmt.Sprintf("d%03d", i), day0))
	}
	mustUpsert(t, s, campaign.Rules{CampaignID: camp}, debts...)
	for range debts {
		if _, err := s.Claim(ctx, camp, "crashed-dialer", day0, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	leases := r.Prefix() + ":{" + camp + "}:leases"
	later := day0.Add(time.Minute)
	if _, err := s.Claim(ctx, camp, "o", later, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := r.Client().ZCard(ctx, leases).Val(); n != 250-100+1 {
		t.Errorf("after one claim %d leases, want %d", n, 151)
	}
	if n := logs.FilterMessage("lease expired; debt returned to the queue").Len(); n != 100 {
		t.Errorf("%d expiry log lines, want 100", n)
	}
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if strings.Contains(fmt.Sprint(f.Interface, f.String), "+849") {
				t.Errorf("log line leaks a phone number: %v", e.Context)
			}
		}
		if e.ContextMap()["campaign_id"] != camp {
			t.Errorf("log line without campaign_id: %v", e.ContextMap())
		}
	}
	for i := 0; i < 249; i++ {
		if _, err := s.Claim(ctx, camp, "o", later, time.Hour); err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	campaigntest.CheckInvariants(t, s, camp, later)
}

// TestDebtStateStaysCompact guards the memory of a million-debt campaign:
// a debt's state hash must stay in Redis's compact encoding (every value
// short) through its whole life, whatever the size of its profile.
func TestDebtStateStaysCompact(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.New(t)
	if r.Kind() == redistest.KindMiniredis {
		t.Skip("miniredis has no OBJECT ENCODING")
	}
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	const camp = "c"
	d := debt(camp, "d1", day0)
	d.Notes = strings.Repeat("long note ", 50)
	d.Profile = map[string]string{"address": strings.Repeat("12 Nguyen Hue, District 1, ", 10), "employer": "ACME Trading JSC"}
	mustUpsert(t, s, campaign.Rules{CampaignID: camp}, d)
	key := r.Prefix() + ":{" + camp + "}:debt:d1"
	check := func(stage string) {
		t.Helper()
		enc, err := r.Client().ObjectEncoding(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if enc != "listpack" && enc != "ziplist" {
			t.Errorf("after %s the debt hash is %s-encoded", stage, enc)
		}
	}
	check("import")
	l, err := s.Claim(ctx, camp, "dialer-with-a-long-owner-name-01", day0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	check("claim")
	if err := s.Complete(ctx, l, attempt(l, "call-1", campaign.OutcomeNoAnswer, day0), campaign.Schedule{NextAttemptAt: day0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	check("complete")
	got, err := s.Debt(ctx, camp, "d1")
	if err != nil || got.Notes != d.Notes || got.Profile["address"] != d.Profile["address"] {
		t.Fatalf("long data did not round-trip: %v", err)
	}
}

// TestOddIDs: IDs are key suffixes and hash fields, never parsed, so any
// characters but braces in a campaign ID work.
func TestOddIDs(t *testing.T) {
	ctx := ctxT(t)
	r := redistest.New(t)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	const camp = "Chiến dịch: T3|2025 / HCM"
	ids := []string{"a:b|c d/é", "debt:x", "data:y", "*?[glob]"}
	var debts []campaign.Debt
	for _, id := range ids {
		debts = append(debts, debt(camp, id, day0))
	}
	mustUpsert(t, s, campaign.Rules{CampaignID: camp}, debts...)
	var attemptIDs []string
	for i := range ids {
		l, err := s.Claim(ctx, camp, "o|x", day0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		a := attempt(l, fmt.Sprintf("ch|%d:2 x", i), campaign.OutcomeBridged, day0)
		a.AgentID = "agent|x:y"
		if err := s.Complete(ctx, l, a, campaign.Schedule{Finish: true, FinishReason: "bridged"}); err != nil {
			t.Fatal(err)
		}
		attemptIDs = append(attemptIDs, a.ID)
	}
	for _, id := range ids {
		if d, err := s.Debt(ctx, camp, id); err != nil || d.ID != id || d.State != campaign.StateFinished {
			t.Errorf("Debt(%q) = %+v, %v", id, d, err)
		}
	}
	if err := s.SetDisposition(ctx, camp, attemptIDs[1], "agent|x:y", campaign.DispositionPromiseToPay, day0); err != nil {
		t.Fatal(err)
	}
	rest, _, err := s.Attempts(ctx, camp, attemptIDs[0], 10)
	if err != nil || len(rest) != 3 || rest[0].ID != attemptIDs[1] || rest[0].Disposition != campaign.DispositionPromiseToPay {
		t.Fatalf("Attempts after %q: %+v, %v", attemptIDs[0], rest, err)
	}
	rep, err := s.Counters(ctx, camp)
	if err != nil || rep.Agents["agent|x:y"].PromiseToPay != 1 || rep.Agents["agent|x:y"].Bridged != 4 {
		t.Fatalf("counters %+v, %v", rep.Agents, err)
	}
	campaigntest.CheckInvariants(t, s, camp, day0)
}
