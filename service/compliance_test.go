package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/pacing"
	"github.com/duecall/duecall/service"
)

func TestApplyCompliancePacing(t *testing.T) {
	uk, _ := compliance.Preset(compliance.PresetUK)
	vn, _ := compliance.Preset(compliance.PresetVN)
	longUK := uk
	longUK.AbandonWindow = 60 * 24 * time.Hour // beyond what pacing measures
	tests := []struct {
		name       string
		pacing     pacing.Config
		policy     compliance.Policy
		wantRate   float64
		wantWindow time.Duration
	}{
		{"no ceiling leaves pacing alone", pacing.Config{MaxAbandonRate: 0.05}, vn, 0.05, 0},
		{"uk lowers the default target", pacing.Config{}, uk, 0.03, 24 * time.Hour},
		{"uk lowers a higher target", pacing.Config{MaxAbandonRate: 0.05, AbandonWindow: time.Hour}, uk, 0.03, 24 * time.Hour},
		{"a stricter target stays", pacing.Config{MaxAbandonRate: 0.01}, uk, 0.01, 24 * time.Hour},
		{"a window pacing cannot measure is left", pacing.Config{AbandonWindow: 12 * time.Hour}, longUK, 0.03, 12 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc := dialer.Campaign{Pacing: tt.pacing}
			service.ApplyCompliancePacing(&dc, tt.policy)
			if dc.Pacing.MaxAbandonRate != tt.wantRate || dc.Pacing.AbandonWindow != tt.wantWindow {
				t.Errorf("pacing %+v, want rate %v window %v", dc.Pacing, tt.wantRate, tt.wantWindow)
			}
			if _, err := dc.Pacing.Validate(); err != nil {
				t.Errorf("pacing no longer valid: %v", err)
			}
		})
	}
}

func TestCampaignsCarryComplianceToPacing(t *testing.T) {
	cfg := config.Default()
	c := config.DefaultCampaign()
	c.ID, c.DialTemplate = "uk1", "PJSIP/{number}@trunk"
	c.Compliance = config.CampaignCompliance{Preset: compliance.PresetUK, MaxAbandonRate: "2%"}
	cfg.Campaigns = []config.Campaign{c}
	camps, err := service.Campaigns(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p := camps[0].Pacing; p.MaxAbandonRate != 0.02 || p.AbandonWindow != 24*time.Hour {
		t.Errorf("pacing of a uk campaign with a 2%% ceiling: %+v", p)
	}
	pols, err := service.Policies(cfg)
	if err != nil || pols["uk1"].AbandonNoRecall != 72*time.Hour {
		t.Errorf("Policies = %+v, %v", pols, err)
	}
	cfg.Campaigns[0].Compliance.Window = "22:00-08:00"
	if _, err := service.Policies(cfg); err == nil || !strings.Contains(err.Error(), "compliance.window") {
		t.Errorf("Policies with a bad window: %v", err)
	}
	if _, err := service.Campaigns(cfg, 1); err == nil {
		t.Error("Campaigns accepted a bad compliance section")
	}
}
