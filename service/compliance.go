package service

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/pacing"
	"github.com/duecall/duecall/redisstore"
)

// Policies resolves the compliance policy of every configured campaign.
func Policies(cfg *config.Config) (map[string]compliance.Policy, error) {
	out := make(map[string]compliance.Policy, len(cfg.Campaigns))
	for i, c := range cfg.Campaigns {
		p, err := c.Compliance.Policy()
		if err != nil {
			return nil, fmt.Errorf("campaigns[%d] (%s): %w", i, c.ID, err)
		}
		out[c.ID] = p
	}
	return out, nil
}

// NewGate builds the compliance gate of the configured campaigns on the
// store's Redis: the dialer claims through it (campaign.NewGatedStore), and
// the commands and the HTTP API manage its lists and read its audit.
func NewGate(cfg *config.Config, store *redisstore.Store, log *zap.Logger) (*redisstore.Gate, error) {
	pols, err := Policies(cfg)
	if err != nil {
		return nil, err
	}
	g, err := redisstore.NewGate(store, redisstore.GateOptions{
		Policies:    pols,
		AuditMaxLen: int64(cfg.Compliance.Audit.MaxEntries),
		AuditMaxAge: cfg.Compliance.Audit.MaxAge,
		Logger:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("compliance: %w", err)
	}
	return g, nil
}

// ApplyCompliancePacing holds the campaign's pacing to its compliance
// policy: when the policy has an abandon-rate ceiling (the uk preset's 3%
// per 24 h), the pacing target (dialer.Campaign.Pacing.MaxAbandonRate,
// which predictive pacers aim at) is lowered to it if it is higher, and
// the abandon window becomes the policy's. The campaign's abandon rate over
// that window is then what Status reports and pacers see
// (pacing.State.Window); redisstore.Gate.MayRiskAbandon gives the same
// rate counted across every duecall process.
func ApplyCompliancePacing(dc *dialer.Campaign, p compliance.Policy) {
	if p.MaxAbandonRate <= 0 {
		return
	}
	target := dc.Pacing.MaxAbandonRate
	if target == 0 {
		target = pacing.DefaultMaxAbandonRate
	}
	dc.Pacing.MaxAbandonRate = min(target, p.MaxAbandonRate)
	if w := p.AbandonWindow; w >= minPacingWindow && w <= maxPacingWindow {
		dc.Pacing.AbandonWindow = w
	}
}

// The range of abandon windows pacing accepts.
const (
	minPacingWindow = time.Minute
	maxPacingWindow = 31 * 24 * time.Hour
)
