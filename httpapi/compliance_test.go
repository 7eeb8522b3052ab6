package httpapi_test

import (
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

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/httpapi"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// cmpEngine is an Engine that is never called by the compliance endpoints.
type cmpEngine struct{ httpapi.Engine }

func (cmpEngine) Status(context.Context) dialer.Status { return dialer.Status{} }

func cmpRequest(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestComplianceEndpoints drives the compliance endpoints against a real
// gate on Redis.
func TestComplianceEndpoints(t *testing.T) {
	rs := redistest.New(t)
	ctx := context.Background()
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	vn, err := compliance.Preset(compliance.PresetVN)
	if err != nil {
		t.Fatal(err)
	}
	gate, err := redisstore.NewGate(store, redisstore.GateOptions{Policies: map[string]compliance.Policy{"c1": vn}})
	if err != nil {
		t.Fatal(err)
	}
	var _ httpapi.Compliance = gate
	due := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := store.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1"}, []campaign.Debt{
		{ID: "d1", CampaignID: "c1", DebtorName: "Phan Văn Đức", Phones: []string{"+84912000001"}, DueDate: due,
			Profile: map[string]string{"debtor_id": "K9"}},
	}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(cmpEngine{}, store, []string{"c1"}, nil)
	api.EnableCompliance(gate, "VN")

	steps := []struct {
		method, path, body string
		code               int
		want               []string // substrings of the body
		not                []string
	}{
		{"POST", "/api/v1/dnc", `{"numbers": ["0912 000 001", "+84912000002"], "source": "complaint 17"}`, 200,
			[]string{`"added": 2`, `"+849******01"`}, []string{"912000001"}},
		{"POST", "/api/v1/dnc", `{"numbers": ["+84912000002", "12345"]}`, 400, []string{"number #2", "invalid phone number"}, []string{"12345"}},
		{"POST", "/api/v1/dnc", `{"numbers": []}`, 400, []string{"must list 1 to"}, nil},
		{"POST", "/api/v1/dnc", `{"number": "x"}`, 400, []string{"unknown field"}, nil},
		{"GET", "/api/v1/dnc/0912000001", "", 200, []string{`"set": true`, `"source": "complaint 17"`, `"+849******01"`}, []string{"912000001"}},
		{"GET", "/api/v1/dnc/0912000009", "", 200, []string{`"set": false`}, nil},
		{"GET", "/api/v1/dnc/abc", "", 400, []string{"invalid phone number"}, nil},
		{"DELETE", "/api/v1/dnc/+84912000002", "", 200, []string{`"removed": true`}, nil},
		{"DELETE", "/api/v1/dnc/+84912000002", "", 200, []string{`"removed": false`}, nil},
		{"POST", "/api/v1/campaigns/c1/debts/d1/status", `{"status": "investigation", "source": "ticket 4"}`, 200,
			[]string{`"status": "investigation"`, `"reopened": false`}, nil},
		{"POST", "/api/v1/campaigns/c1/debts/d1/status", `{"status": "settled"}`, 400, []string{"must be active, paid, disputed or investigation"}, nil},
		{"POST", "/api/v1/campaigns/c1/debts/d1/status", `{}`, 400, []string{"must be active"}, nil},
		{"POST", "/api/v1/campaigns/c1/debts/nope/status", `{"status": "paid"}`, 404, []string{"not found"}, nil},
		{"POST", "/api/v1/campaigns/c9/debts/d1/status", `{"status": "paid"}`, 404, []string{"not configured"}, nil},
		{"POST", "/api/v1/campaigns/c1/debts/d1/cease", `{"source": "x"}`, 400, []string{"is required: true to stop"}, nil},
		{"POST", "/api/v1/campaigns/c1/debts/d1/cease", `{"cease": true, "source": "letter"}`, 200, []string{`"debtor_key": "id:K9"`, `"cease": true`}, nil},
		{"GET", "/api/v1/campaigns/c1/debts/d1/audit", "", 200, []string{
			`"status": "investigation"`, `"source": "ticket 4"`, `"debtor_key": "id:K9"`, `"do_not_call": [`, `"+849******01"`,
			`"cease_communication": {`, `"decisions": []`, `"history": []`}, []string{"912000001", "Phan"}},
		{"POST", "/api/v1/debtors/id:K9/cease", `{"cease": false}`, 200, []string{`"cease": false`, `"reopened": 0`}, nil},
		{"GET", "/api/v1/campaigns/c1/debts/nope/audit", "", 404, nil, nil},
	}
	for _, s := range steps {
		code, body := cmpRequest(t, api, s.method, s.path, s.body)
		if code != s.code {
			t.Errorf("%s %s %s: %d %s, want %d", s.method, s.path, s.body, code, body, s.code)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s: body lacks %q:\n%s", s.method, s.path, w, body)
			}
		}
		for _, n := range s.not {
			if strings.Contains(body, n) {
				t.Errorf("%s %s: body shows %q:\n%s", s.method, s.path, n, body)
			}
		}
	}

	// The gate refuses the debt now (under investigation); the audit shows
	// the decision with its rule.
	l, err := store.Claim(ctx, "c1", "t", time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if adm, err := gate.Admit(ctx, l, time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)); err != nil || adm.Rule != compliance.RuleDoNotCall {
		t.Fatalf("admit: %+v %v", adm, err)
	}
	code, body := cmpRequest(t, api, "GET", "/api/v1/campaigns/c1/debts/d1/audit", "")
	var a compliance.DebtAudit
	if err := json.Unmarshal([]byte(body), &a); code != 200 || err != nil {
		t.Fatalf("audit: %d %v", code, err)
	}
	if a.State != campaign.StateFinished || len(a.Decisions) != 1 || a.Decisions[0].Rule != compliance.RuleDoNotCall ||
		a.Decisions[0].Phone != "+849******01" || !a.Decisions[0].NextEligible.IsZero() {
		t.Errorf("audit after the refusal: %+v", a)
	}
	// Taking the number off the list puts the debt back in the queue.
	if code, body := cmpRequest(t, api, "DELETE", "/api/v1/dnc/0912000001", ""); code != 200 || !strings.Contains(body, `"reopened": 1`) {
		t.Errorf("remove: %d %s", code, body)
	}
}

// brokenCompliance is a compliance gate whose Redis is down; DoNotCall
// answers nothing at all.
type brokenCompliance struct {
	httpapi.Compliance
	err error
}

func (b brokenCompliance) AddDoNotCall(context.Context, []string, string) (int, error) {
	return 0, b.err
}
func (b brokenCompliance) DoNotCall(context.Context, []string) ([]compliance.Flag, error) {
	return nil, nil
}

// TestComplianceEndpointsStoreDown: a gate that fails is 503 with a
// message and a WARN line in the log, like the other endpoints' failures,
// with the number masked in both; a gate that answers nothing for a
// number is 503 too, with a message that says so.
func TestComplianceEndpointsStoreDown(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	api := httpapi.New(cmpEngine{}, nil, []string{"c1"}, zap.New(core))
	api.EnableCompliance(brokenCompliance{err: errors.New("redis: connection refused")}, "VN")

	code, body := cmpRequest(t, api, "POST", "/api/v1/dnc", `{"numbers": ["+84912000001"]}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "add to the do-not-call list: redis: connection refused") {
		t.Errorf("POST /api/v1/dnc with Redis down = %d %s; want 503 saying why", code, body)
	}
	if warns := logs.FilterLevelExact(zapcore.WarnLevel).All(); len(warns) != 1 || !strings.Contains(fmt.Sprint(warns[0].ContextMap()), "connection refused") {
		t.Errorf("logged %+v; want one WARN with the error", logs.All())
	}

	code, body = cmpRequest(t, api, "GET", "/api/v1/dnc/0912000001", "")
	if code != http.StatusServiceUnavailable || strings.Contains(body, "%!") || !strings.Contains(body, "read the do-not-call list") ||
		strings.Contains(body, "912000001") {
		t.Errorf("GET /api/v1/dnc/{number} with no answer from the gate = %d %s; want 503 saying so, number masked", code, body)
	}
	for _, e := range logs.All() {
		if s := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(s, "912000001") {
			t.Errorf("the log shows the number: %s", s)
		}
	}
}
