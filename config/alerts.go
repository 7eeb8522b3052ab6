package config

import (
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/duecall/duecall/alerts"
)

// Alerts configures supervisor alerts: an agent's fraud_suspected wrap-up
// code raises one (kept in Redis, logged at WARN level, and POSTed to
// WebhookURL when it is set).
type Alerts struct {
	// MaxEntries bounds the alert stream (approximately: Redis trims whole
	// stream nodes).
	MaxEntries int `yaml:"max_entries"`
	// WebhookURL receives every new alert as a JSON POST; "" sends none.
	// It may hold a token (user:password@ or a query value): `config
	// check` shows those redacted.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookRetryFor bounds how long a failed delivery is retried, in the
	// background.
	WebhookRetryFor time.Duration `yaml:"webhook_retry_for"`
}

// Alert defaults and limits.
const (
	DefaultAlertMaxEntries      = 10_000
	DefaultAlertWebhookRetryFor = alerts.DefaultWebhookRetryFor
	minAlertMaxEntries          = 100
	maxAlertMaxEntries          = 10_000_000
	minAlertWebhookRetryFor     = time.Second
	maxAlertWebhookRetryFor     = 24 * time.Hour
)

func (c *Config) checkAlerts(k *checker) {
	a := c.Alerts
	k.between("alerts.max_entries", a.MaxEntries, minAlertMaxEntries, maxAlertMaxEntries)
	if a.WebhookRetryFor < minAlertWebhookRetryFor || a.WebhookRetryFor > maxAlertWebhookRetryFor {
		k.fail("alerts.webhook_retry_for", "%s is out of range; expected %s to %s", a.WebhookRetryFor, minAlertWebhookRetryFor, maxAlertWebhookRetryFor)
	}
	if a.WebhookURL == "" {
		return
	}
	u, err := alerts.CheckWebhookURL(a.WebhookURL)
	if err != nil {
		k.fail("alerts.webhook_url", "%s: %v (or \"\" to send no webhook)", quote(redactWebhookURL(a.WebhookURL)), err)
		return
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		k.warn("alerts.webhook_url", "%s is plain http: alerts and any token in the URL cross the network unencrypted; use https",
			quote(redactWebhookURL(a.WebhookURL)))
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactWebhookURL hides what in a webhook URL is usually a secret: the
// whole user information (a token is often the user name alone), every
// query value, and the path after its first segment (chat services put
// their tokens there: https://hooks.slack.com/services/T…/B…/X…), or the
// whole path when its first segment is long enough to be a token. A URL
// that does not parse is hidden entirely but for its scheme.
func redactWebhookURL(s string) string {
	const webhookTokenLen = 16
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		if scheme, _, ok := strings.Cut(s, "://"); ok && !strings.ContainsAny(scheme, "@:/?#") {
			return scheme + "://" + RedactedMark
		}
		return RedactedMark
	}
	if u.User != nil {
		u.User = url.User(RedactedMark)
	}
	if p := strings.TrimPrefix(u.Path, "/"); p != "" {
		first, rest, more := strings.Cut(p, "/")
		switch {
		case len(first) >= webhookTokenLen:
			u.Path, u.RawPath = "/"+RedactedMark, ""
		case more && rest != "":
			u.Path, u.RawPath = "/"+first+"/"+RedactedMark, ""
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for i := range q[k] {
				q[k][i] = RedactedMark
			}
		}
		u.RawQuery = q.Encode()
	}
	// Encoding escapes the mark ("%2A%2A%2A"); keep it readable.
	return strings.ReplaceAll(u.String(), url.QueryEscape(RedactedMark), RedactedMark)
}
