package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/internal/syncbuf"
	"github.com/duecall/duecall/redisstore"
	"github.com/duecall/duecall/service"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// logSink collects everything a service logs, as JSON lines, so a test can
// scan it for phone numbers, names and passwords that must never appear.
type logSink struct{ syncbuf.Buffer }

// logger returns a debug-level JSON logger writing to the sink, built by
// service.NewLogger like `duecall serve` builds its own.
func (s *logSink) logger(t testing.TB) *zap.Logger {
	t.Helper()
	log, err := service.NewLogger(config.Log{Level: "debug", Format: "json"}, s)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// assertNoSecrets fails the test if the log holds any of the secrets, in
// any of their spellings; what is a secret is named by kind in the error.
func (s *logSink) assertNoSecrets(t testing.TB, kind string, secrets []string) {
	t.Helper()
	logs := s.String()
	if logs == "" {
		t.Fatalf("nothing was logged: the %s check would prove nothing", kind)
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		if i := strings.Index(logs, secret); i >= 0 {
			start := strings.LastIndexByte(logs[:i], '\n') + 1
			end := strings.IndexByte(logs[i:], '\n')
			if end < 0 {
				end = len(logs) - i
			}
			t.Errorf("the log holds a %s unmasked (%q):\n%s", kind, secret, logs[start:i+end])
		}
	}
}

// phoneSpellings returns the ways an E.164 number could leak into a log:
// with "+", without it, and in the Vietnamese national form.
func phoneSpellings(e164 string) []string {
	digits := strings.TrimPrefix(e164, "+")
	out := []string{e164, digits}
	if strings.HasPrefix(digits, "84") {
		out = append(out, "0"+digits[2:])
	}
	return out
}

// baseConfig is a valid configuration on the test's Redis with one
// campaign and n auto-login agents; the ARI part is the caller's.
func baseConfig(t testing.TB, rs *redistest.Server, ariURL, user, password, app, dialTmpl, agentTmpl string, agents int) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Redis.URL = rs.URL()
	cfg.Redis.KeyPrefix = rs.Prefix()
	cfg.ARI.URL = ariURL
	cfg.ARI.WSURL = ""
	cfg.ARI.Username, cfg.ARI.Password = user, password
	cfg.ARI.Application = app
	cfg.ARI.RequestTimeout = 3 * time.Second
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Dialer.OwnerID = "test-" + app
	camp := config.DefaultCampaign()
	camp.ID = "c1"
	camp.Name = "Test campaign"
	camp.DialTemplate = dialTmpl
	camp.CallerID = "Duecall Test <19001234>"
	camp.OriginateTimeout = 15 * time.Second
	camp.MaxLines = 2 * agents
	camp.MaxAttempts = 3
	camp.WrapupSeconds = 1
	camp.AbandonSound = "sound:vm-goodbye"
	// The tests run at any hour: no calling window, no daily caps (the
	// compliance gate itself is tested in its own packages).
	camp.Compliance = config.CampaignCompliance{Preset: "none"}
	camp.Retry = map[campaign.Outcome]config.RetryRule{}
	for _, o := range []campaign.Outcome{campaign.OutcomeBusy, campaign.OutcomeNoAnswer, campaign.OutcomeCongestion,
		campaign.OutcomeAbandoned, campaign.OutcomeHungUpEarly, campaign.OutcomeFailed} {
		camp.Retry[o] = config.RetryRule{Action: campaign.RetryLater, Delay: time.Second}
	}
	camp.Retry[campaign.OutcomeInvalidNumber] = config.RetryRule{Action: campaign.RetryNextPhone}
	camp.Retry[campaign.OutcomeBridged] = config.RetryRule{Action: campaign.RetryStop}
	cfg.Campaigns = []config.Campaign{camp}
	for i := range agents {
		id := fmt.Sprint(101 + i)
		cfg.Agents = append(cfg.Agents, config.Agent{ID: id, Name: "Agent " + id,
			Endpoint: strings.ReplaceAll(agentTmpl, "{id}", id), Campaign: camp.ID, AutoLogin: true})
	}
	if err := cfg.Finalize(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	return cfg
}

// running is a service started by start.
type running struct {
	svc  *service.Service
	stop context.CancelFunc
	done chan error
}

// start builds and runs the service; it is stopped (and must stop cleanly)
// when the test ends, unless the test stops it first with shutdown.
func start(t testing.TB, cfg *config.Config, opts service.Options) *running {
	t.Helper()
	svc, err := service.New(cfg, opts)
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown stops the service and waits for Run (bounded), then closes it.
// It may be called more than once.
func (r *running) shutdown(t testing.TB) {
	t.Helper()
	if r.done == nil {
		return
	}
	r.stop()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run returned %v after a clean stop", err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("Run did not return within 60 s of its context being cancelled")
	}
	r.done = nil
	if err := r.svc.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// waitFor polls cond every 20 ms until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// getJSON GETs a path of the service's HTTP API and decodes the body.
func getJSON(t testing.TB, addr, path string, out any) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return resp.StatusCode
}

// newStore is a store on the test's Redis client with the test's prefix,
// the one the service writes under.
func newStore(rs *redistest.Server) *redisstore.Store {
	return redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
}

// envOr returns the environment variable or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
