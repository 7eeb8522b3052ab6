package demo_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/demo"
	"github.com/duecall/duecall/importer"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// checkSummary checks that a demo summary adds up.
func checkSummary(t *testing.T, s demo.Summary, debts, agents int) {
	t.Helper()
	outcomes := s.Bridged + s.Abandoned + s.AnsweredHangup + s.Busy + s.NoAnswer + s.Congestion + s.InvalidNumber + s.Failed
	if s.CallsPlaced == 0 || s.CallsPlaced != outcomes {
		t.Errorf("calls placed %d; the outcomes add up to %d: %+v", s.CallsPlaced, outcomes, s)
	}
	if s.Answered != s.Bridged+s.Abandoned+s.AnsweredHangup {
		t.Errorf("answered %d; bridged+abandoned+answered_hangup = %d", s.Answered, s.Bridged+s.Abandoned+s.AnsweredHangup)
	}
	if s.Bridged == 0 {
		t.Errorf("no call bridged: %+v", s)
	}
	if want := float64(s.Abandoned) / float64(max(s.Answered, 1)); math.Abs(s.AbandonRate-want) > 1e-9 {
		t.Errorf("abandon rate %v; abandoned ÷ answered = %v", s.AbandonRate, want)
	}
	if want := float64(s.Answered) / float64(s.CallsPlaced); math.Abs(s.ContactRate-want) > 1e-9 {
		t.Errorf("contact rate %v; answered ÷ placed = %v", s.ContactRate, want)
	}
	if s.Occupancy <= 0 || s.Occupancy > 1 {
		t.Errorf("occupancy %v; want within (0, 1] with calls bridged", s.Occupancy)
	}
	if s.PromiseToPay > s.Bridged {
		t.Errorf("%d promises to pay from %d bridged calls", s.PromiseToPay, s.Bridged)
	}
	if s.ConnectLatencyP50Ms <= 0 || s.ConnectLatencyP99Ms < s.ConnectLatencyP50Ms || s.ConnectLatencyMaxMs < s.ConnectLatencyP99Ms {
		t.Errorf("connect latency p50 %v p99 %v max %v", s.ConnectLatencyP50Ms, s.ConnectLatencyP99Ms, s.ConnectLatencyMaxMs)
	}
	if s.DebtsImported != debts || s.Queue.Total() != int64(debts) || s.Queue.Leased != 0 {
		t.Errorf("%d debts imported, queue %+v; want %d debts, none leased after the drain", s.DebtsImported, s.Queue, debts)
	}
	if s.Agents != agents || s.HTTPAddr == "" {
		t.Errorf("agents %d, http %q", s.Agents, s.HTTPAddr)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the demo for 6 s")
	}
	var mu sync.Mutex
	var lines []string
	sum, err := demo.Run(context.Background(), demo.Options{
		Debts: 60, Agents: 3, Duration: 6 * time.Second, Speed: 20, Seed: 3,
		Progress: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, sum, 60, 3)
	if sum.Speed != 20 || sum.SimulatedSeconds != 120 {
		t.Errorf("speed %v, simulated seconds %v; want 20 and 120", sum.Speed, sum.SimulatedSeconds)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 2 || lines[len(lines)-1] != "" || !strings.Contains(lines[0], "placed") {
		t.Errorf("progress lines %q; want live lines, then \"\" at the end", lines)
	}

	var js bytes.Buffer
	if err := sum.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatalf("WriteJSON wrote %s: %v", js.Bytes(), err)
	}
	for _, k := range []string{"calls_placed", "answered", "bridged", "abandoned", "busy", "no_answer", "failed",
		"abandon_rate", "occupancy", "connect_latency_ms_p50", "connect_latency_ms_p99"} {
		if _, ok := m[k]; !ok {
			t.Errorf("the JSON summary has no %q: %s", k, js.Bytes())
		}
	}
	if m["calls_placed"] != float64(sum.CallsPlaced) || m["bridged"] != float64(sum.Bridged) {
		t.Errorf("JSON %v disagrees with the summary %+v", m, sum)
	}

	var table bytes.Buffer
	if err := sum.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KPI summary (3 agents", "calls placed", "bridged to an agent", "abandon rate", "connect latency p99"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q:\n%s", want, table.String())
		}
	}
}

// TestRunOnRealRedis runs the demo against a given Redis (--redis-url).
func TestRunOnRealRedis(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the demo for 3 s")
	}
	rs := redistest.New(t)
	sum, err := demo.Run(context.Background(), demo.Options{Debts: 30, Agents: 2, Duration: 2 * time.Second, Speed: 20, Seed: 9, RedisURL: rs.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.CallsPlaced == 0 || sum.DebtsImported != 30 {
		t.Errorf("summary %+v", sum)
	}
	// The demo cleans up after itself on a Redis it was given.
	keys, err := rs.Client().Keys(context.Background(), "duecall-demo-*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("the demo left %d keys in the Redis it was given (%q...)", len(keys), keys[0])
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := demo.Run(ctx, demo.Options{Debts: 20, Agents: 2, Duration: time.Minute, Speed: 20})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run with its context ending = %v; want the context's error", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Run took %v to stop after its context ended", d)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		o    demo.Options
		want string
	}{
		{demo.Options{Debts: -1}, "--debts"},
		{demo.Options{Debts: 1_000_001}, "--debts"},
		{demo.Options{Agents: 501}, "--agents"},
		{demo.Options{Duration: 500 * time.Millisecond}, "--duration"},
		{demo.Options{Speed: 0.5}, "--speed"},
		{demo.Options{Speed: 101}, "--speed"},
		{demo.Options{Speed: math.NaN()}, "--speed"},
		{demo.Options{AgentTemplate: "PJSIP/agent"}, "--agent-template"},
	} {
		_, err := demo.Run(context.Background(), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v; want an error naming %s", tc.o, err, tc.want)
		}
	}
}

func TestWritePortfolio(t *testing.T) {
	now := time.Date(2026, 5, 20, 15, 4, 5, 0, time.UTC)
	rs := redistest.New(t)
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	rules := config.DefaultCampaign().Rules()
	for seed := uint64(1); seed <= 5; seed++ {
		var buf bytes.Buffer
		if err := demo.WritePortfolio(&buf, 400, seed, now); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("seed %d: not CSV: %v", seed, err)
		}
		if len(rows) != 401 || strings.Join(rows[0], ",") != strings.Join(demo.PortfolioHeader, ",") {
			t.Fatalf("seed %d: %d rows, header %q", seed, len(rows), rows[0])
		}
		for _, r := range rows[1:] {
			due, err := time.Parse("2006-01-02", r[6])
			if err != nil || due.Before(now.AddDate(0, 0, -31)) || due.After(now.AddDate(0, 0, 4)) || !strings.HasPrefix(r[2], "+84") || r[5] != "VND" {
				t.Errorf("seed %d: row %q", seed, r)
				break
			}
		}
		id := "p" + string(rune('0'+seed))
		rules.CampaignID = id
		sum, err := importer.Import(context.Background(), bytes.NewReader(buf.Bytes()), store,
			importer.Options{CampaignID: id, Rules: rules, DefaultRegion: "VN"})
		if err != nil || sum.Failed != 0 || sum.Imported != 400 || sum.Created != 400 {
			t.Errorf("seed %d: import %+v, %v; want 400 debts created, none failed (%v)", seed, sum, err, sum.Errors)
		}
		d, err := store.Debt(context.Background(), id, "D0000001")
		if err != nil || len(d.Phones) == 0 || d.Profile["product"] == "" || d.Profile["contract_no"] == "" || d.Timezone != "Asia/Ho_Chi_Minh" {
			t.Errorf("seed %d: first debt %+v, %v", seed, d, err)
		}
		q, err := store.QueueStats(context.Background(), id, now)
		if err != nil || q.Due+q.Scheduled != 400 {
			t.Errorf("seed %d: queue %+v, %v", seed, q, err)
		}
	}

	var a, b, c bytes.Buffer
	_ = demo.WritePortfolio(&a, 50, 7, now)
	_ = demo.WritePortfolio(&b, 50, 7, now)
	_ = demo.WritePortfolio(&c, 50, 8, now)
	if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Errorf("the same seed must give the same portfolio, another seed another one")
	}
}
