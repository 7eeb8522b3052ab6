package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/dialertest"
	"github.com/duecall/duecall/httpapi"
)

// TestUnroutedRequestsAnswerJSON: a request no route takes gets a JSON
// error like every other error of the API: 404 for an unknown path, 405
// for a known path with another method, keeping the Allow header and
// saying which methods the route takes.
func TestUnroutedRequestsAnswerJSON(t *testing.T) {
	s := httpapi.New(&fakeEngine{t: t}, nil, []string{"c1"}, nil)
	for _, tc := range []struct {
		method, path string
		code         int
		allow        string
		msg          string
	}{
		{"GET", "/api/v1/nothing", 404, "",
			"GET /api/v1/nothing: no such route (the routes are /healthz, /readyz and those under /api/v1/, listed in the httpapi package documentation)"},
		{"GET", "/", 404, "", "GET /: no such route"},
		{"POST", "/api/v1/stats", 405, "GET, HEAD", "POST /api/v1/stats: method not allowed; this route takes GET, HEAD"},
		{"GET", "/api/v1/agents/a-7/hangup", 405, "POST", "GET /api/v1/agents/a-7/hangup: method not allowed; this route takes POST"},
		{"DELETE", "/healthz", 405, "GET, HEAD", "DELETE /healthz: method not allowed; this route takes GET, HEAD"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.code {
				t.Errorf("status %d; want %d", w.Code, tc.code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q; want application/json", ct)
			}
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q; want %q", got, tc.allow)
			}
			if msg := errorOf(t, w.Body.Bytes()); !strings.HasPrefix(msg, tc.msg) {
				t.Errorf("error %q; want it to start with %q", msg, tc.msg)
			}
		})
	}
	// A HEAD of an unknown route is answered the same, without a body.
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("HEAD", "/nothing", nil))
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("HEAD /nothing = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}

// newEngine runs a dialer engine with agents a1 and a2 of campaign c1 on a
// scripted PBX and the given store.
func newEngine(t *testing.T, store campaign.Store) *dialer.Engine {
	t.Helper()
	e, err := dialer.New(dialer.Options{
		Telephony: dialertest.NewPBX(dialer.RealClock{}), Store: store, Owner: "httpapi-test", DrainTimeout: time.Second,
		Campaigns: []dialer.Campaign{{ID: "c1", DialTemplate: "PJSIP/{number}@trunk", MaxLines: 1}},
		Agents:    []dialer.Agent{{ID: "a1", Endpoint: "PJSIP/agent1", CampaignID: "c1"}, {ID: "a2", Endpoint: "PJSIP/agent2", CampaignID: "c1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine Run: %v", err)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); !e.Status(context.Background()).Running; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("engine not running")
		}
	}
	return e
}

// TestHangupWithoutCall: hanging up for an agent who has no call is a
// conflict that says so and names the agent's state.
func TestHangupWithoutCall(t *testing.T) {
	s := httpapi.New(newEngine(t, dialertest.NewStore()), nil, []string{"c1"}, nil)
	code, body := do(t, s, "POST", "/api/v1/agents/a1/hangup", "")
	if msg := errorOf(t, body); code != http.StatusConflict || !strings.Contains(msg, "agent a1 has no call to hang up") || !strings.Contains(msg, "logged_out") {
		t.Errorf("POST /agents/a1/hangup without a call = %d %s; want 409 saying a1 has no call and is logged_out", code, body)
	}
	if code, body := do(t, s, "POST", "/api/v1/agents/nobody/hangup", ""); code != http.StatusNotFound {
		t.Errorf("POST /agents/nobody/hangup = %d %s; want 404", code, body)
	}
}

// TestDispositionUnknownAttempt: a disposition on an attempt the campaign
// does not have is a 404 that tells the agent which attempt id to use,
// without the store's internals.
func TestDispositionUnknownAttempt(t *testing.T) {
	store := fixture(t)
	s := httpapi.New(newEngine(t, store), store, []string{"c1"}, nil)
	code, body := do(t, s, "POST", "/api/v1/agents/a1/disposition", `{"attempt_id": "att-404", "code": "paid"}`)
	want := "attempt att-404 is not known in campaign c1: use the attempt_id shown by GET /api/v1/agents/a1/call"
	if msg := errorOf(t, body); code != http.StatusNotFound || msg != want {
		t.Errorf("disposition of an unknown attempt = %d %s; want 404 %q", code, body, want)
	}
	// A known attempt that was not the agent's call (nobody took att-2, a
	// busy number) is refused.
	code, body = do(t, s, "POST", "/api/v1/agents/a1/disposition", `{"attempt_id": "att-2", "code": "paid"}`)
	want = "attempt att-2 of campaign c1 was not agent a1's call: agents record wrap-up codes only on calls they took"
	if msg := errorOf(t, body); code != http.StatusForbidden || msg != want {
		t.Errorf("disposition of att-2 = %d %s; want 403 %q", code, body, want)
	}
}

// TestActionErrorsWithoutInternals: not-found and invalid errors of the
// store reach the caller without package prefixes, whatever the action.
func TestActionErrorsWithoutInternals(t *testing.T) {
	var result error
	fail := func(string) error { return result }
	eng := &fakeEngine{t: t, login: func(a, _ string) error { return fail(a) }, logout: fail, pause: fail, ready: fail, endCall: fail,
		disposition: func(a, _, _ string) error { return fail(a) }}
	s := httpapi.New(eng, nil, []string{"c1"}, nil)
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{&dialer.AttemptError{CampaignID: "c1", AttemptID: "att-9", Err: fmt.Errorf("redisstore: disposition on attempt att-9 of campaign c1: %w", campaign.ErrNotFound)},
			404, "attempt att-9 is not known in campaign c1: use the attempt_id shown by GET /api/v1/agents/101/call"},
		{&dialer.AttemptError{CampaignID: "c1", AttemptID: "att-9", Err: fmt.Errorf("redisstore: disposition \"\" on attempt \"att-9\": %w", campaign.ErrInvalid)},
			400, `attempt att-9 of campaign c1: disposition "" on attempt "att-9": invalid`},
		{fmt.Errorf("login: redisstore: campaign c9: %w", campaign.ErrNotFound), 404, "login: campaign c9: not found"},
		{fmt.Errorf("redisstore: empty campaign id: %w", campaign.ErrInvalid), 400, "empty campaign id: invalid"},
		// Only package prefixes go, not the same words inside a message.
		{fmt.Errorf("disposition: agent 101 has no campaign: %w", dialer.ErrUnknownCampaign), 404, "disposition: agent 101 has no campaign: unknown campaign"},
		{fmt.Errorf("agent 101: ari: dialer: %w", dialer.ErrNotRunning), 503, "agent 101: dialer engine is not running"},
	} {
		result = tc.err
		for _, path := range []string{"login", "logout", "pause", "ready", "hangup", "disposition"} {
			reqBody := ""
			if path == "disposition" {
				reqBody = `{"attempt_id": "att-9", "code": "paid"}`
			}
			code, body := do(t, s, "POST", "/api/v1/agents/101/"+path, reqBody)
			msg := errorOf(t, body)
			if code != tc.code || strings.Contains(msg, "redisstore") {
				t.Errorf("POST %s with %v = %d %s; want %d without package names", path, tc.err, code, body, tc.code)
			}
			if path == "disposition" || !errors.As(tc.err, new(*dialer.AttemptError)) {
				if msg != tc.msg {
					t.Errorf("POST %s with %v: error %q; want %q", path, tc.err, msg, tc.msg)
				}
			}
		}
	}
}

// TestStoreErrorsWithoutInternals: the store's errors reach the callers of
// the read endpoints without package prefixes too.
func TestStoreErrorsWithoutInternals(t *testing.T) {
	store := fixture(t)
	s := httpapi.New(&fakeEngine{t: t, status: func() dialer.Status {
		return dialer.Status{Running: true, Agents: []dialer.AgentStatus{{ID: "101", State: dialer.AgentOnCall, CampaignID: "c1", DebtID: "d1"}}}
	}}, store, []string{"c1"}, nil)
	store.err = fmt.Errorf("redisstore: read attempts of campaign c1: %w", errors.New("dial tcp 10.0.0.1:6379: connection refused"))
	for _, path := range []string{"/api/v1/stats", "/api/v1/campaigns/c1/attempts", "/api/v1/agents/101/call"} {
		code, body := do(t, s, "GET", path, "")
		if msg := errorOf(t, body); code != http.StatusServiceUnavailable || strings.Contains(msg, "redisstore") || !strings.Contains(msg, "connection refused") {
			t.Errorf("GET %s with the store down = %d %s; want 503 with the cause and no package names", path, code, body)
		}
	}
}
