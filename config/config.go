// Package config loads duecall's configuration and turns it into plain
// structs that the other packages' constructors take.
//
// Values come from four layers, each overriding the one before:
//
//  1. defaults in code (Default),
//  2. a YAML file (LoadOptions.File, the --config flag or $DUECALL_CONFIG),
//  3. DUECALL_* environment variables (DUECALL_REDIS_URL sets redis.url,
//     DUECALL_ARI_REQUEST_TIMEOUT sets ari.request_timeout),
//  4. command-line flags bound to keys with BindFlags or RegisterFlags.
//
// The file is strict: an unknown key anywhere, a value of the wrong type or
// out of range, and a broken cross-reference are all errors that name the
// full key path and, for the file, its line. Load collects every error, not
// only the first. Viper is used here and in cmd only; nothing else imports
// it.
package config

import (
	"fmt"
	"github.com/duecall/duecall/dialer/pacing"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Config is duecall's whole configuration.
type Config struct {
	Redis     Redis      `yaml:"redis"`
	ARI       ARI        `yaml:"ari"`
	HTTP      HTTP       `yaml:"http"`
	Log       Log        `yaml:"log"`
	Dialer    Dialer     `yaml:"dialer"`
	Agents    []Agent    `yaml:"agents"`
	Campaigns []Campaign `yaml:"campaigns"`
	// Compliance configures the compliance audit trail; each campaign has
	// its own rules (Campaign.Compliance).
	Compliance Compliance `yaml:"compliance"`
	// Reports configures the reports `duecall serve` writes periodically.
	Reports Reports `yaml:"reports"`
	// Alerts configures supervisor alerts (fraud_suspected dispositions).
	Alerts Alerts `yaml:"alerts"`
}

// Redis says how to reach the Redis server that holds the campaign queues.
type Redis struct {
	// URL of a single Redis server (redis://, rediss:// or unix://), used
	// when Addresses is empty.
	URL string `yaml:"url"`
	// Addresses of Sentinel nodes (with MasterName) or Cluster nodes
	// (several addresses, no MasterName). When set, URL is ignored.
	Addresses []string `yaml:"addresses"`
	// MasterName is the Sentinel master name.
	MasterName string `yaml:"master_name"`
	// Username and Password override the ones in URL when set.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DB overrides the database number of URL when not 0.
	DB int `yaml:"db"`
	// KeyPrefix starts every key duecall writes.
	KeyPrefix string `yaml:"key_prefix"`
}

// ARI says how to reach Asterisk's REST Interface.
type ARI struct {
	URL string `yaml:"url"` // http(s)://host:8088/ari
	// WSURL is the events WebSocket; derived from URL when empty
	// (http→ws, https→wss, path + "/events").
	WSURL    string `yaml:"ws_url"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Application is the Stasis application name.
	Application string `yaml:"application"`
	// Formats are the codecs offered when originating ("ulaw" or
	// "ulaw,alaw"); without them Local channels run at slin192.
	Formats        string        `yaml:"formats"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// HTTP configures duecall's own HTTP API.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // console or json
}

// Dialer configures the dialing process itself.
type Dialer struct {
	// OwnerID identifies this process in leases; defaults to
	// "<hostname>-<pid>".
	OwnerID string `yaml:"owner_id"`
	// LeaseTTL is how long a claim on a debt lasts without renewal.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// DrainTimeout is how long live calls may go on after a stop signal
	// before they are hung up.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// DefaultRegion is the ISO 3166-1 region used to read numbers written
	// without a country code.
	DefaultRegion string `yaml:"default_region"`
}

// Agent is one call-centre agent and the phone duecall calls them on.
type Agent struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"` // defaults to ID
	// Endpoint is the agent's phone as an Asterisk dial string
	// ("PJSIP/agent101").
	Endpoint string `yaml:"endpoint"`
	// Campaign is the id of the campaign the agent works by default;
	// defaults to the first campaign.
	Campaign string `yaml:"campaign"`
	// AutoLogin logs the agent in (and calls their phone) when duecall
	// starts.
	AutoLogin bool `yaml:"auto_login"`
}

// Campaign is the configuration of one dialing campaign.
type Campaign struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"` // defaults to ID
	// DialTemplate builds the endpoint to dial from a debtor's E.164
	// number: "PJSIP/{number}@trunk". Placeholders: {number} (E.164 without
	// "+"), {e164} (with "+"), {national} (as dialled inside the number's
	// country, "0912345678"); the dialer expands them.
	DialTemplate string `yaml:"dial_template"`
	// CallerID presented to debtors (`"Acme" <1900123>` or `1900123`).
	CallerID string `yaml:"caller_id"`
	// OriginateTimeout is how long a debtor's phone rings before the call
	// counts as no answer.
	OriginateTimeout time.Duration `yaml:"originate_timeout"`
	// MaxLines caps the calls of the campaign in progress at once.
	MaxLines int `yaml:"max_lines"`
	// MaxAttempts ends dialing a debt after this many attempts (0: no cap).
	MaxAttempts int `yaml:"max_attempts"`
	// RemindBeforeDays: a debt is first called this many days before it
	// falls due.
	RemindBeforeDays int `yaml:"remind_before_days"`
	// WrapupSeconds is the time an agent gets after a call before the next.
	WrapupSeconds int `yaml:"wrapup_seconds"`
	// AbandonAfter is how long an answered debtor may wait for an agent
	// before the abandon message plays; at most 2 s.
	AbandonAfter time.Duration `yaml:"abandon_after"`
	// AbandonSound is the ARI media played to an abandoned debtor.
	AbandonSound string `yaml:"abandon_sound"`
	// Order of debts due at the same time.
	Order campaign.Order `yaml:"order"`
	// Retry says what happens after each outcome; outcomes not configured
	// keep campaign.DefaultRetry.
	Retry  map[campaign.Outcome]RetryRule `yaml:"retry"`
	Pacing Pacing                         `yaml:"pacing"`
	// Compliance are the debt-collection rules checked when a debt is
	// claimed: a preset (default vn) and overrides.
	Compliance CampaignCompliance `yaml:"compliance"`
}

// RetryRule is what happens to a debt after one outcome.
type RetryRule struct {
	Action campaign.RetryAction `yaml:"action"`
	// Delay before the next attempt (retry, next_phone); ignored by stop.
	Delay time.Duration `yaml:"delay"`
}

// Pacing chooses how many calls a campaign places (see dialer/pacing and
// docs/BENCHMARKS.md).
type Pacing struct {
	// Mode is progressive, power, adaptive or predictive.
	Mode string `yaml:"mode"`
	// Ratio is power's lines per ready agent (1..10).
	Ratio float64 `yaml:"ratio"`
	// MaxAbandonRate is the share of answered calls that may be abandoned
	// over AbandonWindow (predictive holds it; adaptive's drop limit).
	MaxAbandonRate float64 `yaml:"max_abandon_rate"`
	// AbandonWindow is the rolling window of the abandon rate.
	AbandonWindow time.Duration `yaml:"abandon_window"`
	// Adaptive tunes the adaptive (VICIdial) pacer.
	Adaptive AdaptivePacing `yaml:"adaptive"`
}

// AdaptivePacing holds VICIdial's adaptive settings.
type AdaptivePacing struct {
	DLDiffTarget     float64 `yaml:"dl_diff_target"`     // -20..20
	Intensity        float64 `yaml:"intensity"`          // -40..40
	MaxLevel         float64 `yaml:"max_level"`          // 1..10
	DropMode         string  `yaml:"drop_mode"`          // hard, average, tapered
	LatestServerTime string  `yaml:"latest_server_time"` // HHMM
}

// PacingConfig converts the settings to the pacer's.
func (p Pacing) PacingConfig() pacing.Config {
	return pacing.Config{
		Mode: pacing.Mode(p.Mode), Ratio: p.Ratio, MaxAbandonRate: p.MaxAbandonRate, AbandonWindow: p.AbandonWindow,
		Adaptive: pacing.AdaptiveConfig{
			DLDiffTarget: p.Adaptive.DLDiffTarget, Intensity: p.Adaptive.Intensity, MaxLevel: p.Adaptive.MaxLevel,
			DropMode: pacing.DropMode(p.Adaptive.DropMode), LatestServerTime: p.Adaptive.LatestServerTime,
		},
	}
}

// PacingProgressive is the default pacing mode: one call per free agent,
// so an answered debtor almost never waits.
const PacingProgressive = "progressive"

// Defaults and limits.
const (
	DefaultRedisURL       = "redis://127.0.0.1:6379/0"
	DefaultKeyPrefix      = "duecall"
	DefaultARIURL         = "http://127.0.0.1:8088/ari"
	DefaultARIUsername    = "duecall"
	DefaultApplication    = "duecall"
	DefaultFormats        = "ulaw"
	DefaultRequestTimeout = 5 * time.Second
	DefaultHTTPListen     = "127.0.0.1:8080"
	DefaultLeaseTTL       = 60 * time.Second
	DefaultDrainTimeout   = 2 * time.Minute
	DefaultRegion         = "VN"

	DefaultOriginateTimeout = 30 * time.Second
	// MinOriginateTimeout: below this a phone barely rings once. Regulators
	// expect more (Ofcom: at least 15 s of ringing before a dialer gives
	// up), so values under RecommendedOriginateTimeout only warn.
	MinOriginateTimeout         = 5 * time.Second
	RecommendedOriginateTimeout = 15 * time.Second
	MaxOriginateTimeout         = 5 * time.Minute

	DefaultMaxLines         = 10
	DefaultMaxAttempts      = 6
	DefaultRemindBeforeDays = 3
	DefaultWrapupSeconds    = 15
	// MaxAbandonAfter is the two-second rule: an answered person must hear
	// an agent or the abandon message within 2 s of answering (Ofcom's
	// persistent-misuse policy; the FTC's Telemarketing Sales Rule is alike).
	MaxAbandonAfter     = 2 * time.Second
	DefaultAbandonAfter = MaxAbandonAfter
	DefaultAbandonSound = "sound:vm-goodbye"
	DefaultOrder        = campaign.OrderPriority

	// ExamplePassword is the placeholder password of the shipped examples.
	ExamplePassword = "change-me"
)

// Default returns the configuration used when nothing else is set, with
// derived values (ari.ws_url, dialer.owner_id) filled in.
func Default() *Config {
	c := defaults()
	c.fill()
	return c
}

// defaults is the default layer: derived values stay empty so that they
// follow the values they derive from.
func defaults() *Config {
	return &Config{
		Redis: Redis{URL: DefaultRedisURL, KeyPrefix: DefaultKeyPrefix},
		ARI: ARI{
			URL:            DefaultARIURL,
			Username:       DefaultARIUsername,
			Application:    DefaultApplication,
			Formats:        DefaultFormats,
			RequestTimeout: DefaultRequestTimeout,
		},
		HTTP:       HTTP{Listen: DefaultHTTPListen},
		Log:        Log{Level: "info", Format: "console"},
		Dialer:     Dialer{OwnerID: defaultOwnerID(), LeaseTTL: DefaultLeaseTTL, DrainTimeout: DefaultDrainTimeout, DefaultRegion: DefaultRegion},
		Compliance: Compliance{Audit: ComplianceAudit{MaxEntries: DefaultAuditMaxEntries, MaxAge: DefaultAuditMaxAge}},
		Reports:    Reports{Overdue: OverdueReports{Every: DefaultOverdueEvery}},
		Alerts:     Alerts{MaxEntries: DefaultAlertMaxEntries, WebhookRetryFor: DefaultAlertWebhookRetryFor},
	}
}

// DefaultCampaign returns a campaign with every default set; ID, Name and
// DialTemplate are left for the caller.
func DefaultCampaign() Campaign {
	retry := make(map[campaign.Outcome]RetryRule, len(campaign.Outcomes))
	for o, r := range campaign.DefaultRetry() {
		retry[o] = RetryRule{Action: r.Action, Delay: r.Delay}
	}
	return Campaign{
		OriginateTimeout: DefaultOriginateTimeout,
		MaxLines:         DefaultMaxLines,
		MaxAttempts:      DefaultMaxAttempts,
		RemindBeforeDays: DefaultRemindBeforeDays,
		WrapupSeconds:    DefaultWrapupSeconds,
		AbandonAfter:     DefaultAbandonAfter,
		AbandonSound:     DefaultAbandonSound,
		Order:            DefaultOrder,
		Retry:            retry,
		Pacing: Pacing{Mode: PacingProgressive, Ratio: pacing.DefaultRatio, MaxAbandonRate: pacing.DefaultMaxAbandonRate,
			AbandonWindow: pacing.DefaultAbandonWindow, Adaptive: AdaptivePacing{MaxLevel: pacing.DefaultMaxLevel,
				DropMode: string(pacing.DropHard), LatestServerTime: pacing.DefaultLatestServerTime}},
		Compliance: CampaignCompliance{Preset: DefaultCompliancePreset},
	}
}

// hostname is os.Hostname, replaced in tests.
var hostname = os.Hostname

func defaultOwnerID() string {
	h, err := hostname()
	if err != nil || h == "" {
		h = "duecall"
	}
	h = strings.Map(func(r rune) rune {
		if r < 0x80 && (isAlnum(byte(r)) || r == '-' || r == '_' || r == '.') {
			return r
		}
		return '-'
	}, h)
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}

// fill sets the values that derive from others when they are empty.
func (c *Config) fill() {
	c.ARI.URL = strings.TrimRight(c.ARI.URL, "/")
	if c.ARI.WSURL == "" {
		c.ARI.WSURL = deriveWSURL(c.ARI.URL)
	}
	if c.Dialer.OwnerID == "" {
		c.Dialer.OwnerID = defaultOwnerID()
	}
	c.Dialer.DefaultRegion = strings.ToUpper(c.Dialer.DefaultRegion)
	for i := range c.Campaigns {
		if c.Campaigns[i].Name == "" {
			c.Campaigns[i].Name = c.Campaigns[i].ID
		}
	}
	for i := range c.Agents {
		a := &c.Agents[i]
		if a.Name == "" {
			a.Name = a.ID
		}
		if a.Campaign == "" && len(c.Campaigns) > 0 {
			a.Campaign = c.Campaigns[0].ID
		}
	}
}

// deriveWSURL turns the ARI base URL into its events WebSocket URL, or
// returns "" when the URL is not http(s).
func deriveWSURL(base string) string {
	scheme, rest, ok := strings.Cut(base, "://")
	if !ok {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "http":
		scheme = "ws"
	case "https":
		scheme = "wss"
	default:
		return ""
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	// Never carry credentials into the WebSocket URL: the client sends
	// them itself.
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	return scheme + "://" + strings.TrimRight(rest, "/") + "/events"
}

// Campaign returns the campaign with the given id.
func (c *Config) Campaign(id string) (Campaign, bool) {
	for _, k := range c.Campaigns {
		if k.ID == id {
			return k, true
		}
	}
	return Campaign{}, false
}

// Agent returns the agent with the given id.
func (c *Config) Agent(id string) (Agent, bool) {
	for _, a := range c.Agents {
		if a.ID == id {
			return a, true
		}
	}
	return Agent{}, false
}

// Rules converts the campaign's scheduling settings to the domain type.
// Every outcome has a rule: configured ones override campaign.DefaultRetry.
func (c Campaign) Rules() campaign.Rules {
	retry := campaign.DefaultRetry()
	for o, r := range c.Retry {
		retry[o] = campaign.RetryRule{Action: r.Action, Delay: r.Delay}
	}
	return campaign.Rules{
		CampaignID:   c.ID,
		RemindBefore: time.Duration(c.RemindBeforeDays) * 24 * time.Hour,
		MaxAttempts:  c.MaxAttempts,
		Retry:        retry,
		Order:        c.Order,
	}
}

// Wrapup is WrapupSeconds as a duration.
func (c Campaign) Wrapup() time.Duration {
	return time.Duration(c.WrapupSeconds) * time.Second
}

// FormatList returns ARI.Formats split on commas, for clients that want a
// list.
func (a ARI) FormatList() []string {
	var out []string
	for _, f := range strings.Split(a.Formats, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// clone returns a deep copy.
func (c *Config) clone() *Config {
	out := *c
	out.Redis.Addresses = slices.Clone(c.Redis.Addresses)
	out.Agents = slices.Clone(c.Agents)
	out.Campaigns = slices.Clone(c.Campaigns)
	for i := range out.Campaigns {
		out.Campaigns[i].Compliance = c.Campaigns[i].Compliance.clone()
		if c.Campaigns[i].Retry != nil {
			m := make(map[campaign.Outcome]RetryRule, len(c.Campaigns[i].Retry))
			for k, v := range c.Campaigns[i].Retry {
				m[k] = v
			}
			out.Campaigns[i].Retry = m
		}
	}
	return &out
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// Finalize fills in the values that derive from others (as Load does) and
// validates a Config built in code.
func (c *Config) Finalize() error {
	c.fill()
	return c.Validate()
}
