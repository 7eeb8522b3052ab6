package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/httpapi"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// fakeEngine is an httpapi.Engine whose methods are function fields; a nil
// field fails the test if called.
type fakeEngine struct {
	t           *testing.T
	login       func(agentID, campaignID string) error
	logout      func(agentID string) error
	pause       func(agentID string) error
	ready       func(agentID string) error
	endCall     func(agentID string) error
	disposition func(agentID, attemptID, code string) error
	status      func() dialer.Status
}

var _ httpapi.Engine = (*fakeEngine)(nil)

func (f *fakeEngine) unexpected(name string) error {
	f.t.Helper()
	f.t.Errorf("unexpected call of Engine.%s", name)
	return errors.New("unexpected")
}

func (f *fakeEngine) Login(_ context.Context, agentID, campaignID string) error {
	if f.login == nil {
		return f.unexpected("Login")
	}
	return f.login(agentID, campaignID)
}

func (f *fakeEngine) Logout(_ context.Context, agentID string) error {
	if f.logout == nil {
		return f.unexpected("Logout")
	}
	return f.logout(agentID)
}

func (f *fakeEngine) Pause(_ context.Context, agentID string) error {
	if f.pause == nil {
		return f.unexpected("Pause")
	}
	return f.pause(agentID)
}

func (f *fakeEngine) Ready(_ context.Context, agentID string) error {
	if f.ready == nil {
		return f.unexpected("Ready")
	}
	return f.ready(agentID)
}

func (f *fakeEngine) EndCall(_ context.Context, agentID string) error {
	if f.endCall == nil {
		return f.unexpected("EndCall")
	}
	return f.endCall(agentID)
}

func (f *fakeEngine) Disposition(_ context.Context, agentID, attemptID, code string) error {
	if f.disposition == nil {
		return f.unexpected("Disposition")
	}
	return f.disposition(agentID, attemptID, code)
}

func (f *fakeEngine) Status(context.Context) dialer.Status {
	if f.status == nil {
		return dialer.Status{Running: true, PBXConnected: true, StoreHealthy: true}
	}
	return f.status()
}

// faultyStore is a real store whose reads can be made to fail.
type faultyStore struct {
	campaign.Store
	err error // returned by Counters, QueueStats, Attempts and Debt when set
}

func (s *faultyStore) Counters(ctx context.Context, id string) (campaign.Report, error) {
	if s.err != nil {
		return campaign.Report{}, s.err
	}
	return s.Store.Counters(ctx, id)
}

func (s *faultyStore) QueueStats(ctx context.Context, id string, now time.Time) (campaign.QueueStats, error) {
	if s.err != nil {
		return campaign.QueueStats{}, s.err
	}
	return s.Store.QueueStats(ctx, id, now)
}

func (s *faultyStore) Attempts(ctx context.Context, id, after string, n int) ([]campaign.Attempt, string, error) {
	if s.err != nil {
		return nil, "", s.err
	}
	return s.Store.Attempts(ctx, id, after, n)
}

func (s *faultyStore) Debt(ctx context.Context, campaignID, debtID string) (campaign.Debt, error) {
	if s.err != nil {
		return campaign.Debt{}, s.err
	}
	return s.Store.Debt(ctx, campaignID, debtID)
}

// agentJSON and agentCallJSON are the wire forms of dialer.AgentStatus and
// httpapi.AgentCall as a client decodes them (dialer's AgentState marshals
// to its name but has no UnmarshalText).
type agentJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CampaignID string    `json:"campaign_id"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	AttemptID  string    `json:"attempt_id"`
	DebtID     string    `json:"debt_id"`
}

type agentCallJSON struct {
	Agent agentJSON         `json:"agent"`
	Debt  *httpapi.DebtView `json:"debt"`
}

var day1 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// phones of the fixture's debts, by debt id.
var phones = map[string]string{"d1": "+84912345671", "d2": "+84912345672", "d3": "+84912345673", "d4": "+84987654321"}

// fixture is a store with campaign c1 holding four debts and four attempts
// on two days by two agents (one promise to pay, agent time) and an empty
// campaign c2.
func fixture(t *testing.T) *faultyStore {
	t.Helper()
	rs := redistest.New(t)
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	ctx := context.Background()
	rules := campaign.Rules{CampaignID: "c1", MaxAttempts: 3}
	var debts []campaign.Debt
	for _, id := range []string{"d1", "d2", "d3", "d4"} {
		debts = append(debts, campaign.Debt{ID: id, CampaignID: "c1", DebtorName: "Lê Văn " + id, Phones: []string{phones[id]},
			Amount: "1500000", Currency: "VND", DueDate: day1.Truncate(24*time.Hour).AddDate(0, 0, -5),
			Notes: "note " + id, Profile: map[string]string{"product": "loan"}})
	}
	if _, err := store.UpsertDebts(ctx, rules, debts); err != nil {
		t.Fatal(err)
	}
	type rec struct {
		outcome campaign.Outcome
		agent   string
		at      time.Time
	}
	recs := []rec{
		{campaign.OutcomeBridged, "101", day1},
		{campaign.OutcomeBusy, "", day1.Add(time.Minute)},
		{campaign.OutcomeAbandoned, "", day1.Add(2 * time.Minute)},
		{campaign.OutcomeBridged, "102", day1.AddDate(0, 0, 1)},
	}
	for i, r := range recs {
		lease, err := store.Claim(ctx, "c1", "test", r.at.AddDate(0, 0, 30), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		a := campaign.Attempt{ID: fmt.Sprintf("att-%d", i+1), CampaignID: "c1", DebtID: lease.DebtID, Phone: lease.Debt.Phone(),
			AgentID: r.agent, Outcome: r.outcome, OriginatedAt: r.at, EndedAt: r.at.Add(90 * time.Second)}
		if r.outcome.Answered() {
			a.AnsweredAt = r.at.Add(10 * time.Second)
		}
		if r.outcome == campaign.OutcomeBridged {
			a.BridgedAt = r.at.Add(11 * time.Second)
		}
		if err := store.Complete(ctx, lease, a, campaign.Schedule{Finish: true, FinishReason: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.SetDisposition(ctx, "c1", "att-1", "101", campaign.DispositionPromiseToPay, day1.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := store.AddAgentTime(ctx, "c1", "101", campaign.AgentTimeReady, day1, 237); err != nil {
		t.Fatal(err)
	}
	if err := store.AddAgentTime(ctx, "c1", "101", campaign.AgentTimeWrapUp, day1, 21); err != nil {
		t.Fatal(err)
	}
	return &faultyStore{Store: store}
}

// do sends a request to the handler and returns the status and body.
func do(t *testing.T, h http.Handler, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return w.Code, w.Body.Bytes()
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func errorOf(t *testing.T, b []byte) string {
	t.Helper()
	m := decode[map[string]any](t, b)
	s, _ := m["error"].(string)
	if s == "" {
		t.Errorf("error body without an error message: %s", b)
	}
	return s
}

func TestHealthz(t *testing.T) {
	s := httpapi.New(&fakeEngine{t: t, status: func() dialer.Status { return dialer.Status{} }}, nil, nil, nil)
	code, body := do(t, s, "GET", "/healthz", "")
	if code != 200 || decode[map[string]string](t, body)["status"] != "ok" {
		t.Errorf("GET /healthz = %d %s", code, body)
	}
	if code, _ := do(t, s, "POST", "/healthz", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d; want 405", code)
	}
	if code, _ := do(t, s, "GET", "/api/v1/nothing", ""); code != http.StatusNotFound {
		t.Errorf("GET of an unknown route = %d; want 404", code)
	}
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name     string
		st       dialer.Status
		code     int
		problems []string
	}{
		{"ready", dialer.Status{Running: true, PBXConnected: true, StoreHealthy: true}, 200, nil},
		{"engine stopped", dialer.Status{}, 503, []string{"dialer engine is not running"}},
		{"pbx down", dialer.Status{Running: true, StoreHealthy: true}, 503, []string{"not connected to the PBX (Asterisk ARI)"}},
		{"redis down", dialer.Status{Running: true, PBXConnected: true}, 503, []string{"store (Redis) unreachable"}},
		{"both down", dialer.Status{Running: true}, 503, []string{"not connected to the PBX (Asterisk ARI)", "store (Redis) unreachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httpapi.New(&fakeEngine{t: t, status: func() dialer.Status { return tc.st }}, nil, nil, nil)
			code, body := do(t, s, "GET", "/readyz", "")
			got := decode[struct {
				Status   string   `json:"status"`
				Problems []string `json:"problems"`
			}](t, body)
			if code != tc.code || fmt.Sprint(got.Problems) != fmt.Sprint(tc.problems) {
				t.Errorf("GET /readyz = %d %s; want %d %q", code, body, tc.code, tc.problems)
			}
			if want := map[int]string{200: "ready", 503: "not ready"}[tc.code]; got.Status != want {
				t.Errorf("status %q; want %q", got.Status, want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	store := fixture(t)
	live := dialer.Status{Running: true, PBXConnected: true, StoreHealthy: true,
		Latency:   dialer.LatencyStatus{Count: 2, P50Ms: 12, P99Ms: 40},
		Campaigns: []dialer.CampaignStatus{{ID: "c1", Name: "Reminders", Placed: 4, MaxLines: 10}}}
	s := httpapi.New(&fakeEngine{t: t, status: func() dialer.Status { return live }}, store, []string{"c1", "c2"}, nil)

	code, body := do(t, s, "GET", "/api/v1/stats", "")
	if code != 200 {
		t.Fatalf("GET /api/v1/stats = %d %s", code, body)
	}
	// The JSON shape, as a dashboard reads it.
	raw := decode[map[string]any](t, body)
	for _, k := range []string{"generated_at", "pbx_connected", "store_healthy", "connect_latency", "campaigns"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats without %q: %s", k, body)
		}
	}
	camps, _ := raw["campaigns"].([]any)
	if len(camps) != 2 {
		t.Fatalf("stats has %d campaigns; want 2: %s", len(camps), body)
	}
	c1, _ := camps[0].(map[string]any)
	for _, k := range []string{"id", "name", "total", "days", "agents", "queue", "live"} {
		if _, ok := c1[k]; !ok {
			t.Errorf("campaign without %q", k)
		}
	}
	total, _ := c1["total"].(map[string]any)
	for _, k := range []string{"calls_placed", "answered", "bridged", "abandoned", "busy", "no_answer", "failed",
		"talk_seconds", "ready_seconds", "promise_to_pay", "contact_rate", "abandon_rate", "occupancy", "calls_per_agent_hour"} {
		if _, ok := total[k]; !ok {
			t.Errorf("total without %q: %v", k, total)
		}
	}
	queue, _ := c1["queue"].(map[string]any)
	for _, k := range []string{"due", "scheduled", "leased", "finished"} {
		if _, ok := queue[k]; !ok {
			t.Errorf("queue without %q: %v", k, queue)
		}
	}

	st := decode[httpapi.Stats](t, body)
	if !st.PBXConnected || !st.StoreHealthy || st.ConnectLatency.Count != 2 || st.GeneratedAt.IsZero() {
		t.Errorf("stats header %+v", st)
	}
	got := st.Campaigns[0]
	if got.ID != "c1" || got.Name != "Reminders" || got.Live == nil || got.Live.Placed != 4 {
		t.Errorf("campaign c1: id %q name %q live %+v", got.ID, got.Name, got.Live)
	}
	tot := got.Total
	if tot.Placed != 4 || tot.Answered != 3 || tot.Bridged != 2 || tot.Abandoned != 1 || tot.Busy != 1 || tot.PromiseToPay != 1 {
		t.Errorf("total counters %+v", tot.Counters)
	}
	// Derived rates: answered ÷ placed, abandoned ÷ answered, promises ÷
	// bridged, (talk + wrap-up) ÷ (talk + wrap-up + ready).
	talk := 2 * 79.0
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	if !near(tot.ContactRate, 0.75) || !near(tot.AbandonRate, 1.0/3) || !near(tot.PromiseToPayRate, 0.5) ||
		!near(tot.TalkSeconds, talk) || !near(tot.Occupancy, (talk+21)/(talk+21+237)) {
		t.Errorf("total rates %+v (talk %v)", tot.KPIs, tot.TalkSeconds)
	}
	d1, d2 := got.Days["2026-03-02"], got.Days["2026-03-03"]
	if len(got.Days) != 2 || d1.Placed != 3 || d2.Placed != 1 || d2.Bridged != 1 || !near(d1.ContactRate, 2.0/3) {
		t.Errorf("days %+v", got.Days)
	}
	a1, a2 := got.Agents["101"], got.Agents["102"]
	if len(got.Agents) != 2 || a1.Bridged != 1 || a1.PromiseToPay != 1 || a1.ReadySeconds != 237 || a2.Bridged != 1 || a2.ReadySeconds != 0 {
		t.Errorf("agents %+v", got.Agents)
	}
	if a1.Occupancy <= 0 || a1.Occupancy >= 1 {
		t.Errorf("agent 101 occupancy %v; want between 0 and 1", a1.Occupancy)
	}
	if got.Queue.Finished != 4 || got.Queue.Total() != 4 {
		t.Errorf("queue %+v; want 4 finished", got.Queue)
	}
	c2 := st.Campaigns[1]
	if c2.ID != "c2" || c2.Total.Placed != 0 || c2.Live != nil || c2.Days == nil || c2.Agents == nil {
		t.Errorf("empty campaign c2: %+v", c2)
	}

	t.Run("one campaign", func(t *testing.T) {
		code, body := do(t, s, "GET", "/api/v1/stats?campaign=c2", "")
		st := decode[httpapi.Stats](t, body)
		if code != 200 || len(st.Campaigns) != 1 || st.Campaigns[0].ID != "c2" {
			t.Errorf("GET ?campaign=c2 = %d %s", code, body)
		}
	})
	t.Run("unknown campaign", func(t *testing.T) {
		code, body := do(t, s, "GET", "/api/v1/stats?campaign=nope", "")
		if code != 404 || !strings.Contains(errorOf(t, body), `"nope"`) {
			t.Errorf("GET ?campaign=nope = %d %s; want 404 naming it", code, body)
		}
	})
	t.Run("store down", func(t *testing.T) {
		store.err = errors.New("dial tcp: connection refused")
		defer func() { store.err = nil }()
		code, body := do(t, s, "GET", "/api/v1/stats", "")
		if code != 503 || !strings.Contains(errorOf(t, body), "connection refused") {
			t.Errorf("GET /api/v1/stats with the store down = %d %s; want 503", code, body)
		}
	})
}

func TestStatusAndAgents(t *testing.T) {
	since := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st := dialer.Status{Running: true, PBXConnected: true, StoreHealthy: true,
		Agents: []dialer.AgentStatus{{ID: "101", Name: "An", State: dialer.AgentReady, Since: since}}}
	running := true
	s := httpapi.New(&fakeEngine{t: t, status: func() dialer.Status {
		if !running {
			return dialer.Status{}
		}
		return st
	}}, nil, nil, nil)
	code, body := do(t, s, "GET", "/api/v1/status", "")
	got := decode[struct {
		Running bool        `json:"running"`
		Agents  []agentJSON `json:"agents"`
	}](t, body)
	if code != 200 || !got.Running || len(got.Agents) != 1 || got.Agents[0].State != "ready" {
		t.Errorf("GET /api/v1/status = %d %s", code, body)
	}
	code, body = do(t, s, "GET", "/api/v1/agents", "")
	if got := decode[[]agentJSON](t, body); code != 200 || len(got) != 1 || got[0].ID != "101" || got[0].State != "ready" || !got[0].Since.Equal(since) {
		t.Errorf("GET /api/v1/agents = %d %s", code, body)
	}
	running = false
	code, body = do(t, s, "GET", "/api/v1/agents", "")
	if code != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET /api/v1/agents with the engine stopped = %d %s; want an empty list", code, body)
	}
}

func TestAgentCall(t *testing.T) {
	store := fixture(t)
	agents := []dialer.AgentStatus{
		{ID: "101", State: dialer.AgentOnCall, CampaignID: "c1", AttemptID: "att-9", DebtID: "d2"},
		{ID: "102", State: dialer.AgentReady, CampaignID: "c1"},
		{ID: "103", State: dialer.AgentOnCall, CampaignID: "c1", AttemptID: "att-8", DebtID: "gone"},
		// Wrap-up: the call just ended; the screen still shows its debt.
		{ID: "104", State: dialer.AgentWrapUp, CampaignID: "c1", LastAttemptID: "att-7", LastDebtID: "d2"},
		// Ready again: the last call is history, no debt on screen.
		{ID: "105", State: dialer.AgentReady, CampaignID: "c1", LastAttemptID: "att-6", LastDebtID: "d2"},
	}
	s := httpapi.New(&fakeEngine{t: t, status: func() dialer.Status {
		return dialer.Status{Running: true, Agents: agents}
	}}, store, []string{"c1"}, nil)

	code, body := do(t, s, "GET", "/api/v1/agents/101/call", "")
	got := decode[agentCallJSON](t, body)
	if code != 200 || got.Agent.AttemptID != "att-9" || got.Debt == nil {
		t.Fatalf("GET /agents/101/call = %d %s", code, body)
	}
	d := got.Debt
	if d.ID != "d2" || d.DebtorName != "Lê Văn d2" || d.Phone != phones["d2"] || d.Amount != "1500000" || d.Currency != "VND" ||
		d.DueDate != "2026-02-25" || d.Notes != "note d2" || d.Profile["product"] != "loan" || d.Attempts != 1 {
		t.Errorf("the agent's screen shows %+v", d)
	}

	for _, tc := range []struct {
		agent   string
		code    int
		hasDebt bool
	}{
		{"102", 200, false}, // ready: no call
		{"103", 200, false}, // the debt is gone from the store
		{"104", 200, true},  // wrap-up shows the call that just ended
		{"105", 200, false},
		{"999", 404, false},
	} {
		code, body := do(t, s, "GET", "/api/v1/agents/"+tc.agent+"/call", "")
		if code != tc.code || (code == 200 && (decode[agentCallJSON](t, body).Debt != nil) != tc.hasDebt) {
			t.Errorf("GET /agents/%s/call = %d %s; want %d", tc.agent, code, body, tc.code)
		}
	}
	store.err = errors.New("i/o timeout")
	code, body = do(t, s, "GET", "/api/v1/agents/101/call", "")
	if code != 503 {
		t.Errorf("GET /agents/101/call with the store down = %d %s; want 503", code, body)
	}
}

// errorClasses are the engine's errors and the status each must give.
var errorClasses = []struct {
	err  error
	code int
}{
	{nil, 200},
	{fmt.Errorf("agent x: %w", dialer.ErrUnknownAgent), 404},
	{fmt.Errorf("campaign y: %w", dialer.ErrUnknownCampaign), 404},
	{fmt.Errorf("attempt z: %w", campaign.ErrNotFound), 404},
	{fmt.Errorf("disposition: %w: code", campaign.ErrInvalid), 400},
	{fmt.Errorf("agent 101 is paused: %w", dialer.ErrAgentState), 409},
	{fmt.Errorf("agent 101: %w", dialer.ErrNotOnCall), 409},
	{dialer.ErrNotRunning, 503},
	{dialer.ErrShuttingDown, 503},
	{fmt.Errorf("login: %w", dialer.ErrDisconnected), 503},
	{context.DeadlineExceeded, 504},
	{errors.New("something broke"), 500},
}

func TestAgentActions(t *testing.T) {
	var gotAgent, gotCampaign string
	var result error
	record := func(agentID string) error { gotAgent = agentID; return result }
	eng := &fakeEngine{t: t,
		login:   func(a, c string) error { gotCampaign = c; return record(a) },
		logout:  record,
		pause:   record,
		ready:   record,
		endCall: record,
	}
	s := httpapi.New(eng, nil, []string{"c1"}, nil)
	for _, action := range []string{"login", "logout", "pause", "ready", "hangup"} {
		for _, ec := range errorClasses {
			gotAgent, result = "", ec.err
			code, body := do(t, s, "POST", "/api/v1/agents/a-7/"+action, "")
			if code != ec.code || gotAgent != "a-7" {
				t.Errorf("POST %s with engine error %v = %d %s (agent %q); want %d", action, ec.err, code, body, gotAgent, ec.code)
			}
			if ec.err != nil && !strings.Contains(errorOf(t, body), ec.err.Error()) {
				t.Errorf("POST %s: error body %s does not say %q", action, body, ec.err)
			}
			if ec.err == nil && decode[map[string]string](t, body)["status"] != "ok" {
				t.Errorf("POST %s: body %s", action, body)
			}
		}
		if code, _ := do(t, s, "GET", "/api/v1/agents/a-7/"+action, ""); code != http.StatusMethodNotAllowed {
			t.Errorf("GET of the POST route %s = %d; want 405", action, code)
		}
	}

	t.Run("login body", func(t *testing.T) {
		result = nil
		for _, tc := range []struct {
			body     string
			code     int
			campaign string
		}{
			{"", 200, ""},
			{`{}`, 200, ""},
			{`{"campaign_id": "c1"}`, 200, "c1"},
			{`{"campaign": "c1"}`, 400, ""},             // unknown field: a typo
			{`{"campaign_id": 7}`, 400, ""},             // wrong type
			{`{"campaign_id": "c1"} {"x": 1}`, 400, ""}, // trailing data
			{`{"campaign_id": "c1"`, 400, ""},           // truncated
			{`{"campaign_id": "` + strings.Repeat("x", 70000) + `"}`, 413, ""},
		} {
			gotCampaign = ""
			code, body := do(t, s, "POST", "/api/v1/agents/101/login", tc.body)
			if code != tc.code || gotCampaign != tc.campaign {
				t.Errorf("login with body %.40q = %d %s (campaign %q); want %d (%q)", tc.body, code, body, gotCampaign, tc.code, tc.campaign)
			}
		}
	})
}

func TestDisposition(t *testing.T) {
	var got [3]string
	var result error
	eng := &fakeEngine{t: t, disposition: func(a, att, code string) error { got = [3]string{a, att, code}; return result }}
	s := httpapi.New(eng, nil, []string{"c1"}, nil)
	for _, code := range httpapi.Dispositions {
		got = [3]string{}
		status, body := do(t, s, "POST", "/api/v1/agents/101/disposition", `{"attempt_id": "att-1", "code": "`+code+`"}`)
		if status != 200 || got != [3]string{"101", "att-1", code} {
			t.Errorf("disposition %s = %d %s (engine got %q)", code, status, body, got)
		}
	}
	for _, tc := range []struct {
		body, want string
	}{
		{``, "attempt_id"},
		{`{"code": "paid"}`, "attempt_id"},
		{`{"attempt_id": "att-1"}`, "not known"},
		{`{"attempt_id": "att-1", "code": "PAID"}`, "not known"},
		{`{"attempt_id": "att-1", "code": "will_pay_someday"}`, "promise_to_pay"},
		{`{"attempt_id": "att-1", "code": "paid", "note": "x"}`, "unknown field"},
		{`[1, 2]`, "request body"},
	} {
		got = [3]string{}
		status, body := do(t, s, "POST", "/api/v1/agents/101/disposition", tc.body)
		if status != 400 || !strings.Contains(errorOf(t, body), tc.want) || got != [3]string{} {
			t.Errorf("disposition %q = %d %s; want 400 mentioning %q, engine not called", tc.body, status, body, tc.want)
		}
	}
	for _, ec := range errorClasses {
		result = ec.err
		status, body := do(t, s, "POST", "/api/v1/agents/101/disposition", `{"attempt_id": "att-1", "code": "paid"}`)
		if status != ec.code {
			t.Errorf("disposition with engine error %v = %d %s; want %d", ec.err, status, body, ec.code)
		}
	}
}

func TestAttempts(t *testing.T) {
	store := fixture(t)
	s := httpapi.New(&fakeEngine{t: t}, store, []string{"c1", "c2"}, nil)
	type page struct {
		Attempts []campaign.Attempt `json:"attempts"`
		Next     string             `json:"next"`
	}

	// Paging through the whole log, two at a time.
	var all []campaign.Attempt
	after := ""
	for range 10 {
		code, body := do(t, s, "GET", "/api/v1/campaigns/c1/attempts?count=2&after="+after, "")
		if code != 200 {
			t.Fatalf("GET attempts after %q = %d %s", after, code, body)
		}
		for _, p := range phones {
			if bytes.Contains(body, []byte(p)) || bytes.Contains(body, []byte(p[1:])) {
				t.Errorf("the attempt log shows a phone number unmasked: %s", body)
			}
		}
		p := decode[page](t, body)
		if len(p.Attempts) > 2 {
			t.Errorf("count=2 gave %d attempts", len(p.Attempts))
		}
		all = append(all, p.Attempts...)
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if len(all) != 4 {
		t.Fatalf("paging gave %d attempts; want 4", len(all))
	}
	for i, a := range all {
		if a.ID != fmt.Sprintf("att-%d", i+1) {
			t.Errorf("attempt %d is %s; want the log order", i, a.ID)
		}
		if want := dialer.MaskPhone(phones[a.DebtID]); a.Phone != want || !strings.Contains(a.Phone, "*") {
			t.Errorf("attempt %s phone %q; want masked %q", a.ID, a.Phone, want)
		}
	}
	if all[0].Disposition != campaign.DispositionPromiseToPay || all[0].AgentID != "101" || all[0].Outcome != campaign.OutcomeBridged {
		t.Errorf("first attempt %+v", all[0])
	}

	code, body := do(t, s, "GET", "/api/v1/campaigns/c1/attempts", "")
	if p := decode[page](t, body); code != 200 || len(p.Attempts) != 4 || p.Next != "" {
		t.Errorf("default page = %d, %d attempts, next %q; want all 4", code, len(p.Attempts), p.Next)
	}
	code, body = do(t, s, "GET", "/api/v1/campaigns/c2/attempts", "")
	if code != 200 || !bytes.Contains(body, []byte(`"attempts": []`)) {
		t.Errorf("empty campaign = %d %s; want an empty list", code, body)
	}

	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/v1/campaigns/nope/attempts", 404},
		{"/api/v1/campaigns/c1/attempts?count=0", 400},
		{"/api/v1/campaigns/c1/attempts?count=-1", 400},
		{"/api/v1/campaigns/c1/attempts?count=ten", 400},
		{"/api/v1/campaigns/c1/attempts?count=10001", 400},
		{"/api/v1/campaigns/c1/attempts?count=10000", 200},
		{"/api/v1/campaigns/c1/attempts?after=no-such-attempt", 404},
	} {
		code, body := do(t, s, "GET", tc.path, "")
		if code != tc.code {
			t.Errorf("GET %s = %d %s; want %d", tc.path, code, body, tc.code)
		}
	}
	store.err = errors.New("connection refused")
	if code, body := do(t, s, "GET", "/api/v1/campaigns/c1/attempts", ""); code != 503 {
		t.Errorf("attempts with the store down = %d %s; want 503", code, body)
	}
}

// TestBuildStatsErrors: a store error names the campaign.
func TestBuildStatsErrors(t *testing.T) {
	store := fixture(t)
	store.err = errors.New("boom")
	_, err := httpapi.BuildStats(context.Background(), &fakeEngine{t: t}, store, []string{"c1"}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "campaign c1") || !errors.Is(err, store.err) {
		t.Errorf("BuildStats with a failing store: %v; want an error wrapping it and naming the campaign", err)
	}
}

// completingStore finishes one more debt (recording its attempt) right
// after the first of BuildStats' two reads, as a dialer does between them.
type completingStore struct {
	campaign.Store
	t    *testing.T
	done bool
}

func (s *completingStore) afterRead() {
	if s.done {
		return
	}
	s.done = true
	ctx := context.Background()
	lease, err := s.Store.Claim(ctx, "c1", "racer", day1.AddDate(0, 0, 60), time.Minute)
	if err != nil {
		s.t.Fatalf("claim: %v", err)
	}
	a := campaign.Attempt{ID: "att-race", CampaignID: "c1", DebtID: lease.DebtID, Phone: lease.Debt.Phone(),
		Outcome: campaign.OutcomeBusy, OriginatedAt: day1, EndedAt: day1.Add(20 * time.Second)}
	if err := s.Store.Complete(ctx, lease, a, campaign.Schedule{Finish: true, FinishReason: "test"}); err != nil {
		s.t.Fatalf("complete: %v", err)
	}
}

func (s *completingStore) Counters(ctx context.Context, id string) (campaign.Report, error) {
	defer s.afterRead()
	return s.Store.Counters(ctx, id)
}

func (s *completingStore) QueueStats(ctx context.Context, id string, now time.Time) (campaign.QueueStats, error) {
	defer s.afterRead()
	return s.Store.QueueStats(ctx, id, now)
}

// TestBuildStatsCountersNotBehindQueue: a report whose queue counts a debt
// as finished also counts that debt's last call, even when the call is
// recorded while the report is being read: a supervisor (or a script that
// waits for the queue to drain) never reads totals that miss calls.
func TestBuildStatsCountersNotBehindQueue(t *testing.T) {
	fx := fixture(t)
	// fixture finished d1–d4 with one attempt each; put d5 in the queue.
	ctx := context.Background()
	d5 := campaign.Debt{ID: "d5", CampaignID: "c1", DebtorName: "Lê Văn d5", Phones: []string{"+84912345675"},
		Amount: "1", Currency: "VND", DueDate: day1.Truncate(24 * time.Hour)}
	if _, err := fx.Store.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1", MaxAttempts: 3}, []campaign.Debt{d5}); err != nil {
		t.Fatal(err)
	}
	store := &completingStore{Store: fx.Store, t: t}
	st, err := httpapi.BuildStats(ctx, &fakeEngine{t: t}, store, []string{"c1"}, day1.AddDate(0, 0, 60))
	if err != nil {
		t.Fatal(err)
	}
	if !store.done {
		t.Fatal("the store was not read")
	}
	c := st.Campaigns[0]
	if c.Total.Placed < c.Queue.Finished {
		t.Errorf("report counts %d finished debts (one call each) but only %d calls placed: counters read before the queue", c.Queue.Finished, c.Total.Placed)
	}
}
