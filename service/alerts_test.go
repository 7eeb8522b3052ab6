package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/service"
)

// TestFraudAlertEndToEnd: in the running service, an agent's
// fraud_suspected disposition (recorded during the call, and again after
// it) puts the debt under investigation and raises one supervisor alert:
// listed by the API, counted in the stats, logged at WARN with the debtor
// masked, and POSTed once to the webhook, whose token the log never shows.
func TestFraudAlertEndToEnd(t *testing.T) {
	rs := redistest.New(t)
	_, ariURL := newSim(t, 0.05)
	var mu sync.Mutex
	var bodies []string
	got := make(chan struct{}, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		got <- struct{}{}
	}))
	defer hook.Close()
	const token = "hook-t0ken-5ecret"
	cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Alerts.WebhookURL = hook.URL + "/duecall?token=" + token
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: 0.05})
	debts := debtsEnding(1) // answers and stays up until hung up
	importDebts(t, cfg, r.svc.Store(), debts)
	addr := r.svc.Addr()

	var attemptID string
	waitFor(t, 30*time.Second, "the agent to talk to the debtor", func() bool {
		st := r.svc.Engine().Status(context.Background())
		if len(st.Campaigns) != 1 || st.Campaigns[0].AgentsConnecting != 0 {
			return false // a hangup is refused until the debtor is bridged
		}
		for _, a := range st.Agents {
			if a.State == dialer.AgentOnCall && a.AttemptID != "" {
				attemptID = a.AttemptID
				return true
			}
		}
		return false
	})
	post := func(path, body string) {
		t.Helper()
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
		}
	}
	disp := `{"attempt_id": "` + attemptID + `", "code": "fraud_suspected"}`
	post("/api/v1/agents/101/disposition", disp) // during the call: written after it
	post("/api/v1/agents/101/hangup", "")
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook received no alert")
	}
	post("/api/v1/agents/101/disposition", disp) // after the call: at once, no second alert

	var list struct {
		Alerts  []alerts.Alert `json:"alerts"`
		Unacked int64          `json:"unacked"`
	}
	if code := getJSON(t, addr, "/api/v1/alerts?unacked=1", &list); code != http.StatusOK || len(list.Alerts) != 1 || list.Unacked != 1 {
		t.Fatalf("GET /api/v1/alerts = %d %+v; want one unacknowledged alert", code, list)
	}
	a := list.Alerts[0]
	if a.Kind != alerts.KindFraudSuspected || a.AttemptID != attemptID || a.DebtID != debts[0].id || a.AgentID != "101" || a.CampaignID != "c1" {
		t.Errorf("alert %+v", a)
	}
	var stats struct {
		UnackedAlerts *int64 `json:"unacked_alerts"`
	}
	if getJSON(t, addr, "/api/v1/stats", &stats); stats.UnackedAlerts == nil || *stats.UnackedAlerts != 1 {
		t.Errorf("stats unacked_alerts = %v; want 1", stats.UnackedAlerts)
	}
	st, _, err := r.svc.Gate().DebtStatus(context.Background(), "c1", debts[0].id)
	if err != nil || st != compliance.DebtInvestigation {
		t.Errorf("debt status %s, %v; want investigation", st, err)
	}
	post("/api/v1/alerts/"+a.ID+"/ack", `{"by": "Supervisor Lan"}`)
	if n, _ := r.svc.Alerts().Unacked(context.Background()); n != 0 {
		t.Errorf("%d unacknowledged alerts after the acknowledgement", n)
	}
	r.shutdown(t) // waits for the webhook deliveries

	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("the webhook received %d alerts; want 1", len(bodies))
	}
	var p alerts.WebhookPayload
	if err := json.Unmarshal([]byte(bodies[0]), &p); err != nil || p.ID != a.ID || p.AttemptID != attemptID {
		t.Errorf("webhook body %s (%v); want alert %s", bodies[0], err, a.ID)
	}
	l := logs.String()
	if strings.Count(l, "SUPERVISOR ALERT") != 1 || !strings.Contains(l, `"level":"warn"`) {
		t.Errorf("the alert is not logged once at WARN level")
	}
	logs.assertNoSecrets(t, "phone number or debtor name", secretsOf(debts))
	logs.assertNoSecrets(t, "webhook token", []string{token})
	for _, s := range secretsOf(debts) {
		if strings.Contains(bodies[0], s) {
			t.Errorf("the webhook body holds %q: %s", s, bodies[0])
		}
	}
}
