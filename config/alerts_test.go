package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAlertsDefaultsAndLoad(t *testing.T) {
	def := Default().Alerts
	if def.MaxEntries != 10_000 || def.WebhookURL != "" || def.WebhookRetryFor != 15*time.Minute {
		t.Errorf("default alerts = %+v", def)
	}
	cfg := mustLoad(t, minimal+`
alerts:
  max_entries: 500
  webhook_url: https://hooks.example.com/duecall?token=abc
  webhook_retry_for: 2m
`)
	if a := cfg.Alerts; a.MaxEntries != 500 || a.WebhookURL != "https://hooks.example.com/duecall?token=abc" || a.WebhookRetryFor != 2*time.Minute {
		t.Errorf("alerts = %+v", a)
	}
	cfg = mustLoad(t, minimal, "DUECALL_ALERTS_WEBHOOK_URL=https://hooks.example.com/x", "DUECALL_ALERTS_MAX_ENTRIES=2000")
	if a := cfg.Alerts; a.WebhookURL != "https://hooks.example.com/x" || a.MaxEntries != 2000 {
		t.Errorf("alerts from the environment = %+v", a)
	}
}

func TestAlertsBadValues(t *testing.T) {
	for _, tt := range []struct {
		yaml, key, msg string
	}{
		{"max_entries: 5", "alerts.max_entries", "out of range"},
		{"max_entries: 20000000", "alerts.max_entries", "out of range"},
		{"webhook_retry_for: 0s", "alerts.webhook_retry_for", "out of range"},
		{"webhook_retry_for: 48h", "alerts.webhook_retry_for", "out of range"},
		{"webhook_url: ftp://u:topsecret@h/x?token=topsecret", "alerts.webhook_url", "expected http or https"},
		{"webhook_url: https://", "alerts.webhook_url", "no host"},
		{"webhook_url: hooks.example.com/x?token=topsecret", "alerts.webhook_url", "scheme"},
		{"webhook_url: 'https://h:bad port/?token=topsecret'", "alerts.webhook_url", "not a URL"},
		{"webhook_url: [https://u:topsecret@h]", "alerts.webhook_url", "string"},
	} {
		_, _, err := load(t, minimal+"alerts:\n  "+tt.yaml+"\n")
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v; want %s: ...%s...", tt.yaml, err, tt.key, tt.msg)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: the error shows the secret: %v", tt.yaml, err)
		}
	}
}

func TestAlertsWebhookWarnings(t *testing.T) {
	for _, tt := range []struct {
		url  string
		warn bool
	}{
		{"http://hooks.example.com/x?token=topsecret", true},
		{"http://127.0.0.1:9000/x", false},
		{"http://localhost:9000/x", false},
		{"http://[::1]:9000/x", false},
		{"https://hooks.example.com/x", false},
	} {
		_, warns, err := load(t, minimal+"alerts:\n  webhook_url: '"+tt.url+"'\n")
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		found := false
		for _, w := range warns {
			if w.Key == "alerts.webhook_url" {
				found = true
				if strings.Contains(w.String(), "topsecret") {
					t.Errorf("warning shows the token: %s", w)
				}
			}
		}
		if found != tt.warn {
			t.Errorf("%s: warned %v; want %v (%v)", tt.url, found, tt.warn, warns)
		}
	}
}

func TestRedactWebhookURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"https://hooks.example.com/duecall", "https://hooks.example.com/duecall"},
		{"https://user:pw@hooks.example.com/duecall", "https://******@hooks.example.com/duecall"},
		{"https://tokenonly@hooks.example.com/x", "https://******@hooks.example.com/x"},
		{"https://h/x?token=abc&team=ops", "https://h/x?team=******&token=******"},
		{"https://h/x?token=a&token=b", "https://h/x?token=******&token=******"},
		{"https://u:p@h:8443/x?k=v", "https://******@h:8443/x?k=******"},
		{"https://h:bad port/?token=abc", "https://******"},
		{"%%%token", "******"},
		{"https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXX", "https://hooks.slack.com/services/******"},
		{"https://h/hooks/duecall", "https://h/hooks/******"},
		{"https://h/3f9a8c7d6e5b4a3f2e1d", "https://h/******"},
		{"https://h/", "https://h/"},
	} {
		if got := redactWebhookURL(tt.in); got != tt.want {
			t.Errorf("redactWebhookURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestAlertsWebhookRedacted: `config check` prints the webhook URL without
// its credentials, query values and path after its first segment, and
// what it prints loads back.
func TestAlertsWebhookRedacted(t *testing.T) {
	cfg := mustLoad(t, minimal+`
alerts:
  webhook_url: https://hookuser:hookpass@hooks.example.com/duecall/alerts?token=s3cr3t&channel=fraud
`)
	var out bytes.Buffer
	if err := cfg.WriteYAML(&out, true); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hookuser", "hookpass", "s3cr3t", "fraud"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("config check shows %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "https://******@hooks.example.com/duecall/******?channel=******&token=******") {
		t.Errorf("config check does not show the redacted webhook URL:\n%s", out.String())
	}
	if cfg.Alerts.WebhookURL != "https://hookuser:hookpass@hooks.example.com/duecall/alerts?token=s3cr3t&channel=fraud" {
		t.Errorf("Redacted modified the original: %q", cfg.Alerts.WebhookURL)
	}
	if _, _, err := Load(LoadOptions{Data: out.Bytes(), File: "written.yaml", Env: []string{}}); err != nil {
		t.Errorf("the redacted configuration does not load: %v", err)
	}
}
