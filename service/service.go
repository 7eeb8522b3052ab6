// Package service wires duecall's parts into the running daemon that
// `duecall serve` (and the demo) runs: the Redis store, the ARI client, the
// dialer engine and the HTTP API, each built from a config.Config.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/ari"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/httpapi"
	"github.com/duecall/duecall/redisstore"
)

// Options tune a Service beyond its configuration (used by the demo and
// tests).
type Options struct {
	Logger *zap.Logger
	// TimeScale multiplies the dialer's own campaign timers (abandon wait,
	// wrap-up) to match a sped-up PBX simulator. The originate timeout is
	// not scaled: the PBX applies it, and the simulator scales it itself.
	// 0 or 1 is real time.
	TimeScale float64
	// DrainTimeout bounds how long live calls may go on at shutdown
	// (default: the configuration's dialer.drain_timeout).
	DrainTimeout time.Duration
	// Clock for the engine (default the real clock).
	Clock dialer.Clock
}

// Service is a running duecall daemon.
type Service struct {
	cfg    *config.Config
	log    *zap.Logger
	rdb    redis.UniversalClient
	store  *redisstore.Store
	gate   *redisstore.Gate
	tel    *ari.Client
	engine *dialer.Engine
	// apiEngine is the engine as the HTTP API drives it (it remembers
	// deliberate logouts for auto-login).
	apiEngine *apiEngine
	api       *httpapi.Server
	reports   *reportWriter // nil when periodic reports are off
	alerts    *alerts.Raiser
	webhook   *alerts.Webhook // nil without alerts.webhook_url
	ln        net.Listener
	http      *http.Server
}

// New builds the service and opens its HTTP listener (so that Addr is known
// before Run). Nothing is dialled until Run.
func New(cfg *config.Config, opts Options) (_ *Service, err error) {
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = cfg.Dialer.DrainTimeout
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	// Close what was opened if a later step fails.
	var opened []io.Closer
	defer func() {
		if err != nil {
			for i := len(opened) - 1; i >= 0; i-- {
				opened[i].Close()
			}
		}
	}()
	// Nothing here talks to Redis yet: Run checks it.
	rdb, store, err := newStore(cfg, log)
	if err != nil {
		return nil, err
	}
	opened = append(opened, rdb)
	campaigns, err := Campaigns(cfg, opts.TimeScale)
	if err != nil {
		return nil, err
	}
	// Every claim goes through the compliance gate: a debt the rules do
	// not allow now is rescheduled (or finished) and never dialled.
	gate, err := NewGate(cfg, store, log.Named("compliance"))
	if err != nil {
		return nil, err
	}
	// A fraud_suspected disposition raises a supervisor alert at once
	// (the gate puts its debt under investigation).
	raiser, webhook, err := newAlerting(cfg, store, log.Named("alerts"))
	if err != nil {
		return nil, err
	}
	dialStore := alerts.NewEscalatingStore(campaign.NewGatedStore(store, gate, 0), store, raiser)
	tel, err := ari.New(ari.Options{
		URL: cfg.ARI.URL, WebsocketURL: cfg.ARI.WSURL, Username: cfg.ARI.Username, Password: cfg.ARI.Password,
		Application: cfg.ARI.Application, Formats: cfg.ARI.Formats, RequestTimeout: cfg.ARI.RequestTimeout,
		Logger: log.Named("ari"),
	})
	if err != nil {
		return nil, fmt.Errorf("ari: %w", err)
	}
	opened = append(opened, tel)
	engine, err := dialer.New(dialer.Options{
		Telephony: tel, Store: dialStore, Clock: opts.Clock, Logger: log.Named("dialer"),
		Owner: cfg.Dialer.OwnerID, LeaseTTL: cfg.Dialer.LeaseTTL, DrainTimeout: opts.DrainTimeout,
		Campaigns: campaigns, Agents: Agents(cfg),
	})
	if err != nil {
		return nil, fmt.Errorf("dialer: %w", err)
	}

	ids := make([]string, len(cfg.Campaigns))
	for i, c := range cfg.Campaigns {
		ids[i] = c.ID
	}
	apiEng := newAPIEngine(engine)
	api := httpapi.New(apiEng, store, ids, log.Named("http"))
	api.EnableCompliance(gate, cfg.Dialer.DefaultRegion)
	api.EnableAlerts(raiser)
	reporter, err := NewReporter(cfg, store, gate)
	if err != nil {
		return nil, err
	}
	api.EnableReports(reporter)
	reports, err := newReportWriter(cfg, reporter, log.Named("reports"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %q: %w (is another duecall running? choose another address with --http-listen)", cfg.HTTP.Listen, err)
	}
	return &Service{
		cfg: cfg, log: log, rdb: rdb, store: store, gate: gate, tel: tel, engine: engine, apiEngine: apiEng, api: api, ln: ln, reports: reports,
		alerts: raiser, webhook: webhook,
		http: &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second},
	}, nil
}

// Campaigns converts the configured campaigns to the dialer's, with the
// dialer's own timers (abandon wait, wrap-up) multiplied by timeScale (0 or
// 1: unchanged).
func Campaigns(cfg *config.Config, timeScale float64) ([]dialer.Campaign, error) {
	scale := func(d time.Duration) time.Duration {
		if timeScale <= 0 || timeScale == 1 {
			return d
		}
		return time.Duration(float64(d) * timeScale)
	}
	out := make([]dialer.Campaign, 0, len(cfg.Campaigns))
	for _, c := range cfg.Campaigns {
		out = append(out, dialer.Campaign{
			ID: c.ID, Name: c.Name, DialTemplate: c.DialTemplate, CallerID: c.CallerID,
			OriginateTimeout: c.OriginateTimeout, MaxLines: c.MaxLines,
			AbandonAfter: scale(c.AbandonAfter), AbandonSound: c.AbandonSound, WrapUp: scale(c.Wrapup()),
			// The engine builds one pacer per campaign from these settings
			// (adaptive and predictive keep state).
			Rules: c.Rules(), Pacing: c.Pacing.PacingConfig(),
		})
		policy, err := c.Compliance.Policy()
		if err != nil {
			return nil, fmt.Errorf("campaigns[%s]: %w", c.ID, err)
		}
		ApplyCompliancePacing(&out[len(out)-1], policy)
	}
	return out, nil
}

// Agents converts the configured agents to the dialer's.
func Agents(cfg *config.Config) []dialer.Agent {
	out := make([]dialer.Agent, 0, len(cfg.Agents))
	for _, a := range cfg.Agents {
		out = append(out, dialer.Agent{ID: a.ID, Name: a.Name, Endpoint: a.Endpoint, CampaignID: a.Campaign})
	}
	return out
}

// Addr is the HTTP API's address ("127.0.0.1:8080").
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Engine is the dialer engine (for the demo's simulated agents and tests).
func (s *Service) Engine() *dialer.Engine { return s.engine }

// Store is the campaign store.
func (s *Service) Store() *redisstore.Store { return s.store }

// Gate is the compliance gate every claim of the dialer goes through.
func (s *Service) Gate() *redisstore.Gate { return s.gate }

// Alerts raises, lists and acknowledges the supervisor alerts.
func (s *Service) Alerts() *alerts.Raiser { return s.alerts }

// Telephony is the ARI client.
func (s *Service) Telephony() *ari.Client { return s.tel }

// Run runs the ARI connection, the dialer and the HTTP API until ctx is
// cancelled (then the dialer drains its calls) or one of them fails.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("duecall starting",
		zap.String("ari_url", s.cfg.ARI.URL), zap.String("ari_application", s.cfg.ARI.Application),
		zap.String("http", s.Addr()), zap.Int("campaigns", len(s.cfg.Campaigns)), zap.Int("agents", len(s.cfg.Agents)))
	if err := s.checkRedisAtStart(ctx); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	// The ARI client outlives the engine: the engine reads its events
	// while draining calls after ctx is cancelled.
	ariCtx, stopARI := context.WithCancel(context.Background())
	defer stopARI()
	ariDone := make(chan error, 1)
	go func() { ariDone <- s.tel.Run(ariCtx) }()
	g.Go(func() error {
		select {
		case err := <-ariDone:
			if err != nil {
				return fmt.Errorf("ari: %w", err)
			}
			return nil
		case <-gctx.Done():
			return nil
		}
	})
	// The HTTP API stays up while the engine drains its calls after ctx
	// is cancelled: agents end calls and record dispositions through it,
	// supervisors watch the drain.
	engineDone := make(chan struct{})
	g.Go(func() error {
		err := s.engine.Run(gctx)
		close(engineDone)
		stopARI()
		if err != nil {
			return fmt.Errorf("dialer: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		err := s.http.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("http: %w", err)
	})
	g.Go(func() error {
		<-engineDone
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.http.Shutdown(sctx)
	})
	g.Go(func() error { s.autoLogin(gctx); return nil })
	g.Go(func() error { s.reports.run(gctx); return nil })
	err := g.Wait()
	stopARI()
	<-ariDone
	return err
}

// Close releases the connections. Call it after Run returned.
func (s *Service) Close() error {
	closeWebhook(s.webhook) // lets deliveries in flight finish, briefly
	s.ln.Close()
	s.tel.Close()
	return s.rdb.Close()
}
