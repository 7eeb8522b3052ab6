package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Webhook defaults.
const (
	// DefaultWebhookRetryFor bounds how long one alert's delivery is
	// retried.
	DefaultWebhookRetryFor = 15 * time.Minute
	// DefaultWebhookTimeout bounds one request.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultWebhookMinBackoff is the wait before the first retry; it
	// doubles after each failure up to DefaultWebhookMaxBackoff.
	DefaultWebhookMinBackoff = time.Second
	DefaultWebhookMaxBackoff = time.Minute
	// DefaultWebhookMaxPending bounds the deliveries in progress at once.
	DefaultWebhookMaxPending = 256
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// URL receives a POST of WebhookPayload as JSON for every new alert
	// (http or https).
	URL string
	// RetryFor bounds how long a failed delivery is retried (default
	// DefaultWebhookRetryFor).
	RetryFor time.Duration
	// Timeout bounds one request (default DefaultWebhookTimeout).
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between tries (defaults
	// DefaultWebhookMinBackoff, DefaultWebhookMaxBackoff).
	MinBackoff, MaxBackoff time.Duration
	// MaxPending bounds the deliveries in progress; an alert beyond it is
	// not sent (it stays in the Store, and the drop is logged). Default
	// DefaultWebhookMaxPending.
	MaxPending int
	// Client sends the requests (default: a client of its own).
	Client *http.Client
	// Logger receives deliveries (info) and failures (error); it never
	// sees the URL's path, query or credentials, only its host.
	Logger *zap.Logger
}

// WebhookPayload is the JSON body of a webhook request: the alert's ids,
// kind, time and note. It never holds the debtor's name or numbers.
type WebhookPayload struct {
	Event      string    `json:"event"` // always "duecall.alert"
	ID         string    `json:"id"`
	Kind       Kind      `json:"kind"`
	CampaignID string    `json:"campaign_id"`
	DebtID     string    `json:"debt_id"`
	AttemptID  string    `json:"attempt_id"`
	AgentID    string    `json:"agent_id"`
	At         time.Time `json:"at"`
	Note       string    `json:"note,omitempty"`
}

// WebhookEvent is WebhookPayload.Event.
const WebhookEvent = "duecall.alert"

// Payload is the webhook body of an alert.
func Payload(a Alert) WebhookPayload {
	return WebhookPayload{Event: WebhookEvent, ID: a.ID, Kind: a.Kind, CampaignID: a.CampaignID, DebtID: a.DebtID,
		AttemptID: a.AttemptID, AgentID: a.AgentID, At: a.At.UTC(), Note: a.Note}
}

// Webhook POSTs every new alert to a URL, in the background: Notify never
// blocks. A delivery is retried with exponential backoff after a network
// error, a timeout, a 5xx, 408 or 429, for at most RetryFor; another 4xx
// ends it (retrying would not help). Each request carries the alert id in
// an Idempotency-Key header, so that a receiver can drop the duplicate of
// a retried delivery that in fact arrived.
type Webhook struct {
	opts WebhookOptions
	url  string
	host string
	log  *zap.Logger
	// stop ends the waits between tries; ctx (cancelled by cancel) the
	// requests in flight.
	stop   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	wg      sync.WaitGroup
	pending int
	closed  bool
}

var _ Notifier = (*Webhook)(nil)

// CheckWebhookURL checks that s is an absolute http(s) URL with a host.
// Its errors never repeat the URL, which may hold a token.
func CheckWebhookURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL (%v)", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme %q; expected http or https", u.Scheme)
	case u.Host == "":
		return nil, errors.New("no host; expected e.g. https://alerts.example.com/duecall")
	}
	return u, nil
}

// NewWebhook returns a Webhook for opts.URL.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	u, err := CheckWebhookURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("alerts webhook URL: %w", err)
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = DefaultWebhookRetryFor
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultWebhookTimeout
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultWebhookMinBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(DefaultWebhookMaxBackoff, opts.MinBackoff)
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultWebhookMaxPending
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Webhook{opts: opts, url: opts.URL, host: u.Host, log: log.With(zap.String("webhook_host", u.Host)),
		stop: make(chan struct{}), ctx: ctx, cancel: cancel}, nil
}

// Notify starts delivering the alert in the background.
func (w *Webhook) Notify(a Alert) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		w.log.Error("alert not sent to the webhook: duecall is shutting down; it is listed by GET /api/v1/alerts",
			zap.String("alert_id", a.ID))
		return
	case w.pending >= w.opts.MaxPending:
		w.log.Error("alert not sent to the webhook: too many deliveries in progress (is the webhook down?); it is listed by GET /api/v1/alerts",
			zap.String("alert_id", a.ID), zap.Int("pending", w.pending))
		return
	}
	w.pending++
	w.wg.Add(1)
	go func() {
		defer func() {
			w.mu.Lock()
			w.pending--
			w.mu.Unlock()
			w.wg.Done()
		}()
		w.deliver(a)
	}()
}

// Close ends the deliveries: no delivery is tried again, requests in
// flight may finish until ctx is done (then they are cancelled), and each
// alert not delivered is logged. It returns when every delivery has
// returned. Notify sends nothing after Close; Close may be called again.
func (w *Webhook) Close(ctx context.Context) {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		w.cancel()
		<-done
	}
	w.cancel()
}

// deliver sends one alert, retrying until it is accepted, refused, the
// retry time is up or the webhook is closed.
func (w *Webhook) deliver(a Alert) {
	log := w.log.With(zap.String("alert_id", a.ID))
	body, err := json.Marshal(Payload(a))
	if err != nil {
		log.Error("alert not sent to the webhook: encode", zap.Error(err))
		return
	}
	deadline := time.Now().Add(w.opts.RetryFor)
	delay := w.opts.MinBackoff
	for try := 1; ; try++ {
		status, err := w.post(a.ID, body)
		if err == nil {
			if try > 1 {
				log.Info("alert sent to the webhook after retries", zap.Int("tries", try), zap.Int("status", status))
			} else {
				log.Info("alert sent to the webhook", zap.Int("status", status))
			}
			return
		}
		if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			log.Error("the webhook refused the alert; not retried (check alerts.webhook_url and the receiver); it is listed by GET /api/v1/alerts",
				zap.Int("status", status), zap.Int("tries", try))
			return
		}
		if time.Now().Add(delay).After(deadline) {
			log.Error("alert not sent to the webhook: gave up after alerts.webhook_retry_for; it is listed by GET /api/v1/alerts",
				zap.Error(err), zap.Int("tries", try), zap.Duration("retried_for", w.opts.RetryFor))
			return
		}
		if try == 1 {
			log.Warn("sending the alert to the webhook failed; retrying with backoff", zap.Error(err),
				zap.Duration("retry_in", delay))
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-w.stop:
			t.Stop()
			log.Error("alert not sent to the webhook: duecall stopped while retrying; it is listed by GET /api/v1/alerts",
				zap.Int("tries", try))
			return
		}
		delay = min(2*delay, w.opts.MaxBackoff)
	}
}

// post sends the body once. It returns the status (0 when no response came)
// and an error unless the status is 2xx; errors never hold the URL.
func (w *Webhook) post(id string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(w.ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("build the request: invalid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "duecall-alerts")
	req.Header.Set("Idempotency-Key", id)
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error repeats the URL, query and all
		}
		return 0, fmt.Errorf("POST to %s: %w", w.host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("POST to %s: %s", w.host, strings.TrimSpace(resp.Status))
	}
	return resp.StatusCode, nil
}
