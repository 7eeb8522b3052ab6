package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/httpapi"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// dispEngine records dispositions straight into a store, as the dialer
// does for an attempt already written.
type dispEngine struct {
	httpapi.Engine
	store campaign.Store
	now   time.Time
}

func (e dispEngine) Status(context.Context) dialer.Status { return dialer.Status{} }

func (e dispEngine) Disposition(ctx context.Context, agentID, attemptID, code string) error {
	return e.store.SetDisposition(ctx, "c1", attemptID, agentID, code, e.now)
}

// TestAlertEndpoints: a fraud_suspected disposition through the API shows
// up in GET /api/v1/alerts (once) and in the stats, and a supervisor
// acknowledges it.
func TestAlertEndpoints(t *testing.T) {
	rs := redistest.New(t)
	ctx := context.Background()
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	none, err := compliance.Preset(compliance.PresetNone)
	if err != nil {
		t.Fatal(err)
	}
	gate, err := redisstore.NewGate(store, redisstore.GateOptions{Default: &none})
	if err != nil {
		t.Fatal(err)
	}
	x, err := redisstore.NewAlerts(store, redisstore.AlertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raiser := alerts.NewRaiser(x, nil)
	es := alerts.NewEscalatingStore(campaign.NewGatedStore(store, gate, 0), store, raiser)
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	for _, id := range []string{"d1", "d2"} {
		d := campaign.Debt{ID: id, CampaignID: "c1", DebtorName: "Phan Văn Đức", Phones: []string{"+84912000001"}, DueDate: now}
		if _, err := es.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1"}, []campaign.Debt{d}); err != nil {
			t.Fatal(err)
		}
		l, err := es.Claim(ctx, "c1", "test", now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		a := campaign.Attempt{ID: "att-" + id, Phone: "+84912000001", AgentID: "101", Outcome: campaign.OutcomeBridged,
			OriginatedAt: now, AnsweredAt: now, BridgedAt: now, EndedAt: now.Add(time.Minute)}
		if err := es.Complete(ctx, l, a, campaign.Schedule{Finish: true, FinishReason: "bridged"}); err != nil {
			t.Fatal(err)
		}
	}
	api := httpapi.New(dispEngine{store: es, now: now}, store, []string{"c1"}, nil)
	api.EnableAlerts(raiser)

	var alertID string
	steps := []struct {
		method, path, body string
		code               int
		want               []string
		not                []string
	}{
		{"GET", "/api/v1/alerts", "", 200, []string{`"alerts": []`, `"unacked": 0`}, nil},
		{"POST", "/api/v1/agents/101/disposition", `{"attempt_id": "att-d1", "code": "fraud_suspected"}`, 200, nil, nil},
		{"POST", "/api/v1/agents/101/disposition", `{"attempt_id": "att-d1", "code": "fraud_suspected"}`, 200, nil, nil},
		{"POST", "/api/v1/agents/102/disposition", `{"attempt_id": "att-d2", "code": "fraud_suspected"}`, 403, []string{"not the agent's call"}, nil},
		{"POST", "/api/v1/agents/101/disposition", `{"attempt_id": "att-d2", "code": "fraud_suspected"}`, 200, nil, nil},
		{"POST", "/api/v1/agents/101/disposition", `{"attempt_id": "att-d2", "code": "callback"}`, 200, nil, nil},
		{"GET", "/api/v1/alerts", "", 200, []string{`"unacked": 2`, `"attempt_id": "att-d2"`, `"attempt_id": "att-d1"`,
			`"kind": "fraud_suspected"`, `"agent_id": "101"`}, []string{"Phan", "912000001", "acked_by", "acked_at"}},
		{"GET", "/api/v1/stats", "", 200, []string{`"unacked_alerts": 2`}, nil},
		{"POST", "/api/v1/alerts/{first}/ack", `{"by": "Supervisor Lan"}`, 200, []string{`"acked_by": "Supervisor Lan"`, `"acked_at": "20`, `"attempt_id": "att-d1"`}, nil},
		{"POST", "/api/v1/alerts/{first}/ack", `{"by": "Someone Else"}`, 200, []string{`"acked_by": "Supervisor Lan"`}, []string{"Someone"}},
		{"GET", "/api/v1/alerts?unacked=1", "", 200, []string{`"unacked": 1`, `"attempt_id": "att-d2"`}, []string{"att-d1"}},
		{"GET", "/api/v1/alerts?unacked=0&count=1", "", 200, []string{`"attempt_id": "att-d2"`}, []string{"att-d1"}},
		{"GET", "/api/v1/stats", "", 200, []string{`"unacked_alerts": 1`}, nil},
		{"POST", "/api/v1/alerts/1767225600000-0/ack", `{"by": "Lan"}`, 404, []string{"not found"}, nil},
		{"POST", "/api/v1/alerts/nonsense/ack", `{"by": "Lan"}`, 404, []string{"not found", "look like"}, nil},
		{"POST", "/api/v1/alerts/{first}/ack", ``, 400, []string{`by\" is empty`, "supervisor name"}, nil},
		{"POST", "/api/v1/alerts/{first}/ack", `{"by": " "}`, 400, []string{`by\" is empty`}, nil},
		{"POST", "/api/v1/alerts/{first}/ack", `{"who": "Lan"}`, 400, []string{"unknown field"}, nil},
		{"GET", "/api/v1/alerts?unacked=yes", "", 400, []string{"unacked="}, nil},
		{"GET", "/api/v1/alerts?count=0", "", 400, []string{"count="}, nil},
		{"GET", "/api/v1/alerts?count=10001", "", 400, []string{"count="}, nil},
	}
	for i, st := range steps {
		path := strings.ReplaceAll(st.path, "{first}", alertID)
		code, body := cmpRequest(t, api, st.method, path, st.body)
		if code != st.code {
			t.Fatalf("step %d %s %s: %d %s; want %d", i, st.method, path, code, body, st.code)
		}
		for _, w := range st.want {
			if !strings.Contains(body, w) {
				t.Errorf("step %d %s %s: body lacks %q:\n%s", i, st.method, path, w, body)
			}
		}
		for _, n := range st.not {
			if strings.Contains(body, n) {
				t.Errorf("step %d %s %s: body has %q:\n%s", i, st.method, path, n, body)
			}
		}
		if st.method == "GET" && path == "/api/v1/alerts" && alertID == "" && code == 200 {
			var l httpapi.AlertList
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatal(err)
			}
			if len(l.Alerts) == 2 {
				if l.Alerts[1].AttemptID != "att-d1" || l.Alerts[0].AttemptID != "att-d2" {
					t.Fatalf("alerts not newest first: %+v", l.Alerts)
				}
				alertID = l.Alerts[1].ID
			}
		}
	}
	if st, _, _ := gate.DebtStatus(ctx, "c1", "d1"); st != compliance.DebtInvestigation {
		t.Errorf("debt d1 status %s; want investigation", st)
	}
}

// brokenAlerts fails every call.
type brokenAlerts struct{ err error }

func (b brokenAlerts) List(context.Context, alerts.ListOptions) ([]alerts.Alert, error) {
	return nil, b.err
}
func (b brokenAlerts) Ack(context.Context, string, string, time.Time) (alerts.Alert, error) {
	return alerts.Alert{}, b.err
}
func (b brokenAlerts) Unacked(context.Context) (int64, error) { return 0, b.err }

// TestAlertEndpointsStoreDown: an unreachable alert store is 503 (504 on a
// timeout), never an empty list.
func TestAlertEndpointsStoreDown(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code int
	}{
		{errors.New("redis: connection refused"), http.StatusServiceUnavailable},
		{context.DeadlineExceeded, http.StatusGatewayTimeout},
	} {
		api := httpapi.New(cmpEngine{}, nil, nil, nil)
		api.EnableAlerts(brokenAlerts{tt.err})
		if code, body := cmpRequest(t, api, "GET", "/api/v1/alerts", ""); code != tt.code || !strings.Contains(body, "list alerts") {
			t.Errorf("GET /api/v1/alerts with %v = %d %s; want %d", tt.err, code, body, tt.code)
		}
		if code, body := cmpRequest(t, api, "POST", "/api/v1/alerts/1-0/ack", `{"by":"x"}`); code != tt.code || !strings.Contains(body, "acknowledge alert") {
			t.Errorf("POST ack with %v = %d %s; want %d", tt.err, code, body, tt.code)
		}
	}
}
