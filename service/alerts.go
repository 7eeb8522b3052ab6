package service

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/redisstore"
)

// NewAlertStore returns the supervisor alert store of the configuration on
// the store's Redis (the service raises alerts in it; the commands list and
// acknowledge them).
func NewAlertStore(cfg *config.Config, store *redisstore.Store) (*redisstore.Alerts, error) {
	x, err := redisstore.NewAlerts(store, redisstore.AlertOptions{MaxLen: int64(cfg.Alerts.MaxEntries)})
	if err != nil {
		return nil, fmt.Errorf("alerts.max_entries: %w", err)
	}
	return x, nil
}

// newAlerting builds what raises supervisor alerts: the store, the WARN
// log line and, when alerts.webhook_url is set, the webhook (returned so
// that the service closes it; nil without one).
func newAlerting(cfg *config.Config, store *redisstore.Store, log *zap.Logger) (*alerts.Raiser, *alerts.Webhook, error) {
	x, err := NewAlertStore(cfg, store)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Alerts.WebhookURL == "" {
		return alerts.NewRaiser(x, log), nil, nil
	}
	hook, err := alerts.NewWebhook(alerts.WebhookOptions{URL: cfg.Alerts.WebhookURL, RetryFor: cfg.Alerts.WebhookRetryFor,
		Logger: log.Named("webhook")})
	if err != nil {
		// Config.Validate checks the URL; the error never repeats it.
		return nil, nil, fmt.Errorf("alerts.webhook_url: %w", err)
	}
	return alerts.NewRaiser(x, log, hook), hook, nil
}

// webhookCloseGrace is how long alert deliveries in flight may finish when
// the service closes.
const webhookCloseGrace = 5 * time.Second

func closeWebhook(h *alerts.Webhook) {
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookCloseGrace)
	defer cancel()
	h.Close(ctx)
}
