package config

import (
	"errors"
	"fmt"
	"github.com/duecall/duecall/dialer/pacing"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/campaign"
)

// Limits of checked values.
const (
	maxIDLength        = 64
	maxMaxLines        = 10_000
	maxRemindDays      = 365
	maxWrapupSeconds   = 3600
	maxMaxAttempts     = 1000
	minLeaseTTL        = time.Second
	maxTextLength      = 128
	validLogLevels     = "debug, info, warn, error"
	validLogFormats    = "console, json"
	validOrders        = "priority, due_date, fifo"
	validRetryActions  = "retry, next_phone, stop"
	validMediaSchemes  = "sound, recording, tone, number, digits, characters"
	defaultARIPathHint = "/ari"
)

// Validate checks every value and the references between them. It returns
// nil or the joined *FieldErrors (see FieldErrors); warnings are returned
// by Load only.
func (c *Config) Validate() error {
	errs, _ := c.check()
	return joinErrors(errs)
}

// checker collects problems.
type checker struct {
	errs  []*FieldError
	warns []Warning
}

func (k *checker) fail(key, format string, args ...any) {
	k.errs = append(k.errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...), Err: ErrInvalidValue})
}

func (k *checker) warn(key, format string, args ...any) {
	k.warns = append(k.warns, Warning{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// check returns the configuration's errors and warnings.
func (c *Config) check() ([]*FieldError, []Warning) {
	k := &checker{}
	c.checkRedis(k)
	c.checkARI(k)
	k.hostPort("http.listen", c.HTTP.Listen, true)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		k.fail("log.level", "%s is not a log level; expected one of %s", quote(c.Log.Level), validLogLevels)
	}
	if !slices.Contains([]string{"console", "json"}, c.Log.Format) {
		k.fail("log.format", "%s is not a log format; expected one of %s", quote(c.Log.Format), validLogFormats)
	}
	c.checkDialer(k)
	c.checkCampaigns(k)
	c.checkComplianceAudit(k)
	c.checkAlerts(k)
	c.checkReports(k)
	c.checkAgents(k)
	return k.errs, k.warns
}

func (c *Config) checkRedis(k *checker) {
	r := c.Redis
	if len(r.Addresses) == 0 {
		if r.MasterName != "" {
			k.fail("redis.master_name", "needs redis.addresses (the Sentinel addresses)")
		}
		o, err := redis.ParseURL(r.URL)
		switch {
		case r.URL == "":
			k.fail("redis.url", "is required (or set redis.addresses)")
		case err != nil:
			k.fail("redis.url", "%s is not a Redis URL (%v); expected e.g. redis://127.0.0.1:6379/0", quote(redactURL(r.URL)), urlErrorText(err))
		case r.DB != 0 && o.DB != 0 && r.DB != o.DB:
			k.fail("redis.db", "%d conflicts with database %d in redis.url; set one of them", r.DB, o.DB)
		}
	} else {
		if r.URL != DefaultRedisURL {
			k.warn("redis.url", "ignored because redis.addresses is set")
		}
		seen := map[string]bool{}
		for i, a := range r.Addresses {
			key := fmt.Sprintf("redis.addresses[%d]", i)
			k.hostPort(key, a, false)
			if seen[a] {
				k.fail(key, "%s is listed twice", quote(a))
			}
			seen[a] = true
		}
		if r.MasterName == "" && len(r.Addresses) > 1 && r.DB != 0 {
			k.fail("redis.db", "Redis Cluster has only database 0")
		}
	}
	if r.DB < 0 {
		k.fail("redis.db", "%d is negative", r.DB)
	}
	if !validName(r.KeyPrefix, ":.") {
		k.fail("redis.key_prefix", "%s is not a valid key prefix; expected 1 to %d letters, digits, '_', '-', ':' or '.'", quote(r.KeyPrefix), maxIDLength)
	}
}

// urlErrorText describes a URL error without repeating the URL (which may
// hold a password).
func urlErrorText(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "redis: ")
}

func (c *Config) checkARI(k *checker) {
	a := c.ARI
	u, ok := k.url("ari.url", a.URL, "http", "https")
	if ok && !strings.HasSuffix(u.Path, defaultARIPathHint) {
		k.warn("ari.url", "%s does not end in %s, where Asterisk serves ARI", quote(redactURL(a.URL)), defaultARIPathHint)
	}
	if ok || a.WSURL != "" { // else it derives from the bad ari.url
		if ws, wsOK := k.url("ari.ws_url", a.WSURL, "ws", "wss"); ok && wsOK && ws.Host != u.Host {
			k.warn("ari.ws_url", "points to %s but ari.url to %s; both must reach the same Asterisk", ws.Host, u.Host)
		}
	}
	if a.Username == "" {
		k.fail("ari.username", "is required (a user of Asterisk's ari.conf)")
	}
	switch a.Password {
	case "":
		k.warn("ari.password", "is empty; Asterisk will refuse the connection")
	case ExamplePassword:
		k.warn("ari.password", "is the example password %q; change it here and in Asterisk's ari.conf", ExamplePassword)
	}
	if !validName(a.Application, ".") {
		k.fail("ari.application", "%s is not a valid application name; expected 1 to %d letters, digits, '_', '-' or '.'", quote(a.Application), maxIDLength)
	}
	formats := a.FormatList()
	if len(formats) == 0 {
		k.fail("ari.formats", "is required; e.g. ulaw (without it Local channels run at slin192 and load Asterisk heavily)")
	}
	for _, f := range formats {
		if !validName(f, "") || strings.ContainsAny(f, "-") {
			k.fail("ari.formats", "%s is not a codec name; expected e.g. ulaw or ulaw,alaw", quote(f))
			break
		}
	}
	if a.RequestTimeout <= 0 {
		k.fail("ari.request_timeout", "%s must be positive", a.RequestTimeout)
	}
}

// url checks that s is an absolute URL with one of the schemes.
func (k *checker) url(key, s string, schemes ...string) (*url.URL, bool) {
	if s == "" {
		k.fail(key, "is required")
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil {
		k.fail(key, "%s is not a URL (%v)", quote(redactURL(s)), urlErrorText(err))
		return nil, false
	}
	if !slices.Contains(schemes, u.Scheme) {
		k.fail(key, "%s has scheme %s; expected %s", quote(redactURL(s)), quote(u.Scheme), strings.Join(schemes, " or "))
		return nil, false
	}
	if u.Host == "" {
		k.fail(key, "%s has no host", quote(redactURL(s)))
		return nil, false
	}
	return u, true
}

// hostPort checks "host:port"; with emptyHost the host may be empty
// (":8080", all interfaces).
func (k *checker) hostPort(key, s string, emptyHost bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		k.fail(key, "%s is not host:port; expected e.g. 127.0.0.1:8080", quote(s))
		return
	}
	if host == "" && !emptyHost {
		k.fail(key, "%s has no host", quote(s))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		k.fail(key, "%s has an invalid port; expected 0 to 65535", quote(s))
	}
}

func (c *Config) checkDialer(k *checker) {
	d := c.Dialer
	if d.OwnerID == "" || len(d.OwnerID) > maxTextLength || strings.ContainsFunc(d.OwnerID, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) {
		k.fail("dialer.owner_id", "%s is not valid; expected 1 to %d printable ASCII characters without spaces", quote(d.OwnerID), maxTextLength)
	}
	if d.DrainTimeout < time.Second || d.DrainTimeout > time.Hour {
		k.fail("dialer.drain_timeout", "%s is out of range; expected 1s to 1h", d.DrainTimeout)
	}
	if d.LeaseTTL < minLeaseTTL {
		k.fail("dialer.lease_ttl", "%s is too short; expected at least %s", d.LeaseTTL, minLeaseTTL)
	}
	if !phonenumbers.GetSupportedRegions()[d.DefaultRegion] {
		k.fail("dialer.default_region", "%s is not a known region; expected an ISO 3166-1 code such as VN", quote(d.DefaultRegion))
	}
}

func (c *Config) checkCampaigns(k *checker) {
	if len(c.Campaigns) == 0 {
		k.warn("campaigns", "no campaigns are configured; duecall will not dial")
	}
	ids := map[string]int{}
	for i, cp := range c.Campaigns {
		p := fmt.Sprintf("campaigns[%d]", i)
		k.id(p+".id", cp.ID)
		if first, dup := ids[cp.ID]; dup && cp.ID != "" {
			k.fail(p+".id", "%s is already the id of campaigns[%d]", quote(cp.ID), first)
		} else {
			ids[cp.ID] = i
		}
		k.text(p+".name", cp.Name)
		if _, err := checkDialTemplate(cp.DialTemplate); err != nil {
			k.fail(p+".dial_template", "%s", err.Error())
		}
		k.text(p+".caller_id", cp.CallerID)
		if cp.CallerID == "" {
			k.warn(p+".caller_id", "is empty; debtors will see the trunk's default caller ID")
		}
		switch {
		case cp.OriginateTimeout < MinOriginateTimeout:
			k.fail(p+".originate_timeout", "%s is too short; expected at least %s (regulators expect at least %s of ringing)", cp.OriginateTimeout, MinOriginateTimeout, RecommendedOriginateTimeout)
		case cp.OriginateTimeout > MaxOriginateTimeout:
			k.fail(p+".originate_timeout", "%s is too long; expected at most %s", cp.OriginateTimeout, MaxOriginateTimeout)
		case cp.OriginateTimeout < RecommendedOriginateTimeout:
			k.warn(p+".originate_timeout", "%s is shorter than %s; regulators expect a phone to ring at least %s before the dialer gives up", cp.OriginateTimeout, RecommendedOriginateTimeout, RecommendedOriginateTimeout)
		}
		k.between(p+".max_lines", cp.MaxLines, 1, maxMaxLines)
		k.between(p+".max_attempts", cp.MaxAttempts, 0, maxMaxAttempts)
		k.between(p+".remind_before_days", cp.RemindBeforeDays, 0, maxRemindDays)
		k.between(p+".wrapup_seconds", cp.WrapupSeconds, 0, maxWrapupSeconds)
		switch {
		case cp.AbandonAfter <= 0:
			k.fail(p+".abandon_after", "%s must be positive", cp.AbandonAfter)
		case cp.AbandonAfter > MaxAbandonAfter:
			k.fail(p+".abandon_after", "%s is above the 2-second rule; an answered debtor must hear an agent or the abandon message within %s", cp.AbandonAfter, MaxAbandonAfter)
		}
		checkMedia(k, p+".abandon_sound", cp.AbandonSound)
		switch cp.Order {
		case campaign.OrderPriority, campaign.OrderDueDate, campaign.OrderFIFO:
		default:
			k.fail(p+".order", "%s is not an order; expected one of %s", quote(string(cp.Order)), validOrders)
		}
		outcomes := make([]campaign.Outcome, 0, len(cp.Retry))
		for o := range cp.Retry {
			outcomes = append(outcomes, o)
		}
		slices.Sort(outcomes)
		for _, o := range outcomes {
			checkRetry(k, fmt.Sprintf("%s.retry.%s", p, o), o, cp.Retry[o])
		}
		if _, err := cp.Pacing.PacingConfig().Validate(); err != nil {
			var ce *pacing.ConfigError
			if errors.As(err, &ce) {
				k.fail(p+".pacing."+ce.Field, "%s", ce.Msg)
			} else {
				k.fail(p+".pacing", "%v", err)
			}
		}
		checkCompliance(k, p+".compliance", cp.Compliance)
	}
}

func checkRetry(k *checker, key string, o campaign.Outcome, r RetryRule) {
	if !o.Valid() {
		k.fail(key, "%s is not an outcome", quote(string(o)))
		return
	}
	switch r.Action {
	case campaign.RetryLater:
		if r.Delay <= 0 {
			k.fail(key+".delay", "%s: action retry needs a positive delay, e.g. 30m", r.Delay)
		}
	case campaign.RetryNextPhone, campaign.RetryStop:
		if r.Delay < 0 {
			k.fail(key+".delay", "%s is negative", r.Delay)
		}
	default:
		k.fail(key+".action", "%s is not an action; expected one of %s", quote(string(r.Action)), validRetryActions)
	}
}

// checkMedia checks an ARI media URI ("sound:vm-goodbye"): Asterisk
// accepts an unknown scheme and then never finishes the playback.
func checkMedia(k *checker, key, s string) {
	scheme, rest, ok := strings.Cut(s, ":")
	valid := strings.Split(validMediaSchemes, ", ")
	if !ok || rest == "" || !slices.Contains(valid, scheme) {
		k.fail(key, "%s is not ARI media; expected scheme:name with a scheme of %s, e.g. sound:vm-goodbye", quote(s), validMediaSchemes)
		return
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		k.fail(key, "%s contains whitespace or control characters", quote(s))
	}
}

func (c *Config) checkAgents(k *checker) {
	if len(c.Agents) == 0 {
		k.warn("agents", "no agents are configured; answered calls will be abandoned")
	}
	ids := map[string]int{}
	endpoints := map[string]int{}
	for i, a := range c.Agents {
		p := fmt.Sprintf("agents[%d]", i)
		k.id(p+".id", a.ID)
		if first, dup := ids[a.ID]; dup && a.ID != "" {
			k.fail(p+".id", "%s is already the id of agents[%d]", quote(a.ID), first)
		} else {
			ids[a.ID] = i
		}
		k.text(p+".name", a.Name)
		if !validEndpoint(a.Endpoint) {
			k.fail(p+".endpoint", "%s is not an endpoint; expected Tech/resource, e.g. PJSIP/agent101", quote(a.Endpoint))
		} else if first, dup := endpoints[strings.ToLower(a.Endpoint)]; dup {
			k.fail(p+".endpoint", "%s is already the endpoint of agents[%d]", quote(a.Endpoint), first)
		} else {
			endpoints[strings.ToLower(a.Endpoint)] = i
		}
		switch {
		case len(c.Campaigns) == 0:
			k.fail(p+".campaign", "no campaigns are configured for the agent to work on")
		default:
			if _, ok := c.Campaign(a.Campaign); !ok {
				known := make([]string, len(c.Campaigns))
				for j, cp := range c.Campaigns {
					known[j] = cp.ID
				}
				k.fail(p+".campaign", "%s is not the id of a campaign%s", quote(a.Campaign), suggest(a.Campaign, known))
			}
		}
	}
}

func validEndpoint(s string) bool {
	tech, res, ok := strings.Cut(s, "/")
	if !ok || res == "" || !validTech(tech) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '{' || r == '}' })
}

// id checks an identifier: 1 to 64 of [A-Za-z0-9_-].
func (k *checker) id(key, s string) {
	if s == "" {
		k.fail(key, "is required")
		return
	}
	if !validName(s, "") {
		k.fail(key, "%s is not a valid id; expected 1 to %d letters, digits, '_' or '-'", quote(s), maxIDLength)
	}
}

// text checks free text shown to people or sent in signalling (names,
// caller ID): no control characters, which could inject SIP headers.
func (k *checker) text(key, s string) {
	if len(s) > maxTextLength {
		k.fail(key, "is longer than %d bytes", maxTextLength)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		k.fail(key, "%s contains control characters", quote(s))
	}
}

func (k *checker) between(key string, v, lo, hi int) {
	if v < lo || v > hi {
		k.fail(key, "%d is out of range; expected %d to %d", v, lo, hi)
	}
}

// validName reports whether s is 1 to 64 of [A-Za-z0-9_-] and extra.
func validName(s, extra string) bool {
	if s == "" || len(s) > maxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !isAlnum(b) && b != '_' && b != '-' && !strings.ContainsRune(extra, rune(b)) {
			return false
		}
	}
	return true
}
