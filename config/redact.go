package config

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RedactedMark is what secrets are replaced with.
const RedactedMark = "******"

// isSecretKey reports whether the value at path is a secret.
func isSecretKey(path string) bool {
	return path == "redis.password" || path == "ari.password" || path == "alerts.webhook_url"
}

// isURLKey reports whether the value at path is a URL that may carry a
// password.
func isURLKey(path string) bool {
	return path == "redis.url" || path == "ari.url" || path == "ari.ws_url"
}

// redactURL replaces the password of a URL ("redis://user:pw@host") with
// RedactedMark. It works on the text, so it also redacts URLs that do not
// parse, and errs on the side of hiding: anything between "://" and the
// last "@" that contains a colon is treated as user:password.
func redactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return s
	}
	return s[:i+3] + user + ":" + RedactedMark + rest[at:]
}

// Redacted returns a copy of the configuration with every secret replaced
// by RedactedMark: redis.password, ari.password, passwords inside
// redis.url, ari.url and ari.ws_url, and the user part and query values of
// alerts.webhook_url. Empty secrets stay empty, so that a missing password
// shows.
func (c *Config) Redacted() *Config {
	r := c.clone()
	if r.Redis.Password != "" {
		r.Redis.Password = RedactedMark
	}
	if r.ARI.Password != "" {
		r.ARI.Password = RedactedMark
	}
	r.Redis.URL = redactURL(r.Redis.URL)
	r.ARI.URL = redactURL(r.ARI.URL)
	r.ARI.WSURL = redactURL(r.ARI.WSURL)
	r.Alerts.WebhookURL = redactWebhookURL(r.Alerts.WebhookURL)
	return r
}

// WriteYAML writes the configuration as YAML that Load reads back, with
// secrets redacted when redact is true (what `duecall config check`
// prints).
func (c *Config) WriteYAML(w io.Writer, redact bool) error {
	out := c
	if redact {
		out = c.Redacted()
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return nil
}

// RedactURL returns the URL with any password replaced by RedactedMark, for
// messages and logs.
func RedactURL(s string) string { return redactURL(s) }
