package alerts_test

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
)

// hook is a webhook receiver answering the statuses in order (the last one
// from then on) and keeping every request.
type hook struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	reqs     []hookRequest
	got      chan hookRequest
}

type hookRequest struct {
	status  int
	body    string
	header  http.Header
	rawPath string
	query   string
	user    string
}

func newHook(t *testing.T, statuses ...int) *hook {
	t.Helper()
	h := &hook{statuses: statuses, got: make(chan hookRequest, 100)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := h.statuses[min(len(h.reqs), len(h.statuses)-1)]
		user, _, _ := r.BasicAuth()
		req := hookRequest{status: status, body: string(body), header: r.Header.Clone(), rawPath: r.URL.Path, query: r.URL.RawQuery, user: user}
		h.reqs = append(h.reqs, req)
		h.mu.Unlock()
		w.WriteHeader(status)
		h.got <- req
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait returns the next request (failing after a generous bound: the
// receiver is local).
func (h *hook) wait(t *testing.T) hookRequest {
	t.Helper()
	select {
	case r := <-h.got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook received nothing")
		return hookRequest{}
	}
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// secretURL is the receiver's URL with a user, password and token in it.
func (h *hook) secretURL() string {
	return strings.Replace(h.srv.URL, "http://", "http://hookuser:hookpass@", 1) + "/duecall/alerts?token=s3cr3t-t0ken"
}

var testAlert = alerts.Alert{ID: "1773111660000-0", Kind: alerts.KindFraudSuspected, CampaignID: "c1", DebtID: "d1",
	AttemptID: "att-1", AgentID: "101", At: time.Date(2026, 3, 10, 3, 1, 0, 0, time.UTC),
	Note: alerts.Note(alerts.KindFraudSuspected, "101")}

func newWebhook(t *testing.T, url string, logs *logBuffer, mod func(*alerts.WebhookOptions)) *alerts.Webhook {
	t.Helper()
	opts := alerts.WebhookOptions{URL: url, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		RetryFor: time.Minute, Logger: logs.logger()}
	if mod != nil {
		mod(&opts)
	}
	w, err := alerts.NewWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// TestWebhookDelivers: the alert is POSTed as JSON with its ids and no
// personal data, to the URL as configured (path, query, credentials).
func TestWebhookDelivers(t *testing.T) {
	h := newHook(t, http.StatusNoContent)
	logs := &logBuffer{}
	w := newWebhook(t, h.secretURL(), logs, nil)
	w.Notify(testAlert)
	r := h.wait(t)
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("Idempotency-Key") != testAlert.ID {
		t.Errorf("headers %v", r.header)
	}
	if r.rawPath != "/duecall/alerts" || r.query != "token=s3cr3t-t0ken" || r.user != "hookuser" {
		t.Errorf("request to %s?%s as %q; want the configured URL", r.rawPath, r.query, r.user)
	}
	var p alerts.WebhookPayload
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	want := alerts.Payload(testAlert)
	if p != want || p.Event != alerts.WebhookEvent {
		t.Errorf("payload %+v; want %+v", p, want)
	}
	var fields map[string]any
	_ = json.Unmarshal([]byte(r.body), &fields)
	for _, k := range []string{"debtor_name", "phone", "phones", "name"} {
		if _, ok := fields[k]; ok {
			t.Errorf("payload has %q: %s", k, r.body)
		}
	}
	w.Close(context.Background())
	if h.count() != 1 {
		t.Errorf("%d requests; want 1", h.count())
	}
	if !strings.Contains(logs.String(), "alert sent to the webhook") {
		t.Errorf("delivery not logged:\n%s", logs)
	}
	assertNoURLSecrets(t, logs.String())
}

// TestWebhookRetries: a 5xx (or 429) is retried with backoff until the
// receiver accepts the alert; the failure never logs the URL's secrets.
func TestWebhookRetries(t *testing.T) {
	h := newHook(t, http.StatusInternalServerError, http.StatusTooManyRequests, http.StatusOK)
	logs := &logBuffer{}
	w := newWebhook(t, h.secretURL(), logs, nil)
	w.Notify(testAlert)
	for i, want := range []int{500, 429, 200} {
		if r := h.wait(t); r.status != want || r.header.Get("Idempotency-Key") != testAlert.ID {
			t.Fatalf("request %d answered %d; want %d", i+1, r.status, want)
		}
	}
	w.Close(context.Background())
	if h.count() != 3 {
		t.Errorf("%d requests; want 3 (stop once accepted)", h.count())
	}
	l := logs.String()
	if !strings.Contains(l, "retrying with backoff") || !strings.Contains(l, "after retries") || !strings.Contains(l, `"tries":3`) {
		t.Errorf("retries not logged:\n%s", l)
	}
	assertNoURLSecrets(t, l)
}

// TestWebhookGivesUp: a receiver that keeps failing is retried for
// RetryFor only; one that refuses (4xx) is not retried.
func TestWebhookGivesUp(t *testing.T) {
	t.Run("5xx for longer than retry_for", func(t *testing.T) {
		h := newHook(t, http.StatusBadGateway)
		logs := &logBuffer{}
		// RetryFor leaves room for a retry however slow the first try on
		// a busy machine (with 50ms, the first try could use it up).
		w := newWebhook(t, h.secretURL(), logs, func(o *alerts.WebhookOptions) {
			o.RetryFor, o.MaxBackoff = time.Second, 100*time.Millisecond
		})
		w.Notify(testAlert)
		h.wait(t)
		h.wait(t) // retried at least once
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs.String(), "gave up") {
			if time.Now().After(deadline) {
				t.Fatalf("no give-up logged:\n%s", logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		n := h.count()
		w.Close(context.Background())
		if h.count() != n {
			t.Errorf("requests after giving up")
		}
		assertNoURLSecrets(t, logs.String())
	})
	t.Run("4xx", func(t *testing.T) {
		h := newHook(t, http.StatusUnauthorized, http.StatusOK)
		logs := &logBuffer{}
		w := newWebhook(t, h.secretURL(), logs, nil)
		w.Notify(testAlert)
		h.wait(t)
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs.String(), "refused the alert") {
			if time.Now().After(deadline) {
				t.Fatalf("refusal not logged:\n%s", logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		w.Close(context.Background())
		if h.count() != 1 {
			t.Errorf("%d requests; a 401 must not be retried", h.count())
		}
		assertNoURLSecrets(t, logs.String())
	})
	t.Run("unreachable", func(t *testing.T) {
		h := newHook(t, http.StatusOK)
		url := h.secretURL()
		h.srv.Close() // nothing listens any more
		logs := &logBuffer{}
		w := newWebhook(t, url, logs, func(o *alerts.WebhookOptions) { o.RetryFor = 30 * time.Millisecond })
		w.Notify(testAlert)
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs.String(), "gave up") {
			if time.Now().After(deadline) {
				t.Fatalf("no give-up logged:\n%s", logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		assertNoURLSecrets(t, logs.String())
	})
}

// TestWebhookNeverBlocks: Notify returns while the receiver hangs, and
// Close ends the delivery.
func TestWebhookNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	got := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- struct{}{}
		<-release
	}))
	defer srv.Close()
	defer close(release)
	logs := &logBuffer{}
	w := newWebhook(t, srv.URL, logs, func(o *alerts.WebhookOptions) { o.MaxPending = 1 })
	done := make(chan struct{})
	go func() {
		w.Notify(testAlert)
		second := testAlert
		second.ID = "1773111660000-1"
		w.Notify(second) // over MaxPending: dropped, not queued
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Notify blocked on a hanging receiver")
	}
	<-got
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w.Close(ctx) // cancels the hanging request
	l := logs.String()
	if !strings.Contains(l, "too many deliveries in progress") || !strings.Contains(l, "1773111660000-1") {
		t.Errorf("the dropped alert is not logged:\n%s", l)
	}
	if !strings.Contains(l, "duecall stopped while retrying") {
		t.Errorf("the abandoned delivery is not logged:\n%s", l)
	}
	w.Notify(testAlert) // after Close: logged, not sent
	if n := len(got); n != 0 {
		t.Errorf("%d requests after Close", n)
	}
}

func TestNewWebhookChecksURL(t *testing.T) {
	for _, u := range []string{"", "ftp://h/x", "https://", "http://a b/", "hooks.example.com/x?token=s3cr3t-t0ken"} {
		_, err := alerts.NewWebhook(alerts.WebhookOptions{URL: u})
		if err == nil {
			t.Errorf("NewWebhook(%q): no error", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func assertNoURLSecrets(t *testing.T, logs string) {
	t.Helper()
	for _, s := range []string{"hookpass", "s3cr3t-t0ken", "hookuser", "/duecall/alerts"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows %q of the webhook URL:\n%s", s, logs)
		}
	}
}
