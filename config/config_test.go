package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/duecall/duecall/campaign"
)

// minimal is the smallest configuration that loads without errors.
// Campaign keys can be appended to it.
const minimal = `
agents:
  - id: a1
    endpoint: PJSIP/agent101
campaigns:
  - id: c1
    dial_template: PJSIP/{number}@trunk
    caller_id: "1900123"
`

func load(t *testing.T, yaml string, env ...string) (*Config, []Warning, error) {
	t.Helper()
	if env == nil {
		env = []string{}
	}
	return Load(LoadOptions{Data: []byte(yaml), File: "test.yaml", Env: env})
}

func mustLoad(t *testing.T, yaml string, env ...string) *Config {
	t.Helper()
	cfg, _, err := load(t, yaml, env...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func TestDefault(t *testing.T) {
	def := Default()
	if err := def.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if def.ARI.WSURL != "ws://127.0.0.1:8088/ari/events" {
		t.Errorf("derived ws_url = %q", def.ARI.WSURL)
	}
	if !strings.HasSuffix(def.Dialer.OwnerID, "-"+strconv.Itoa(os.Getpid())) {
		t.Errorf("owner_id = %q, want hostname-pid", def.Dialer.OwnerID)
	}
	// Loading nothing gives the defaults.
	cfg, warns, err := Load(LoadOptions{Env: []string{}})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("Load() with no sources differs from Default():\n%+v\n%+v", cfg, def)
	}
	if len(warns) == 0 {
		t.Error("no warnings for a configuration without agents or campaigns")
	}
}

func TestOwnerIDFromHostname(t *testing.T) {
	old := hostname
	t.Cleanup(func() { hostname = old })
	hostname = func() (string, error) { return "pbx 1.example.com", nil }
	if got := Default().Dialer.OwnerID; !strings.HasPrefix(got, "pbx-1.example.com-") {
		t.Errorf("owner_id = %q", got)
	}
	hostname = func() (string, error) { return "", errors.New("no hostname") }
	if got := Default().Dialer.OwnerID; !strings.HasPrefix(got, "duecall-") {
		t.Errorf("owner_id without hostname = %q", got)
	}
}

// TestPrecedence checks default < file < environment < flag for keys of
// every type.
func TestPrecedence(t *testing.T) {
	type layer struct{ file, env, flag string }
	tests := []struct {
		key  string
		flag string // flag name, bound to key
		typ  string // pflag type
		vals layer
		get  func(*Config) any
		want []any // default, file, env, flag
	}{
		{
			key: "redis.url", flag: "redis-url", typ: "string",
			vals: layer{"redis://file:6379/1", "redis://env:6379/2", "redis://flag:6379/3"},
			get:  func(c *Config) any { return c.Redis.URL },
			want: []any{DefaultRedisURL, "redis://file:6379/1", "redis://env:6379/2", "redis://flag:6379/3"},
		},
		{
			key: "redis.db", flag: "redis-db", typ: "int",
			vals: layer{"1", "2", "3"},
			get:  func(c *Config) any { return c.Redis.DB },
			want: []any{0, 1, 2, 3},
		},
		{
			key: "ari.request_timeout", flag: "ari-timeout", typ: "duration",
			vals: layer{"7s", "8s", "9s"},
			get:  func(c *Config) any { return c.ARI.RequestTimeout },
			want: []any{DefaultRequestTimeout, 7 * time.Second, 8 * time.Second, 9 * time.Second},
		},
		{
			key: "log.level", flag: "log-level", typ: "string",
			vals: layer{"debug", "warn", "error"},
			get:  func(c *Config) any { return c.Log.Level },
			want: []any{"info", "debug", "warn", "error"},
		},
		{
			key: "redis.addresses", flag: "redis-addresses", typ: "stringSlice",
			vals: layer{"[f1:26379, f2:26379]", "e1:26379,e2:26379", "g1:26379"},
			get:  func(c *Config) any { return c.Redis.Addresses },
			want: []any{[]string(nil), []string{"f1:26379", "f2:26379"}, []string{"e1:26379", "e2:26379"}, []string{"g1:26379"}},
		},
		{
			key: "dialer.default_region", flag: "region", typ: "string",
			vals: layer{"GB", "us", "FR"},
			get:  func(c *Config) any { return c.Dialer.DefaultRegion },
			want: []any{"VN", "GB", "US", "FR"},
		},
		{
			key: "ari.application", flag: "app", typ: "string",
			vals: layer{"from-file", "from-env", "from-flag"},
			get:  func(c *Config) any { return c.ARI.Application },
			want: []any{"duecall", "from-file", "from-env", "from-flag"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			section, leaf, _ := strings.Cut(tt.key, ".")
			file := section + ":\n  " + leaf + ": " + tt.vals.file + "\n"
			for level := 0; level < 4; level++ {
				opts := LoadOptions{Env: []string{"UNRELATED=1"}}
				if level >= 1 {
					opts.Data, opts.File = []byte(file), "test.yaml"
				}
				if level >= 2 {
					opts.Env = append(opts.Env, EnvName(tt.key)+"="+tt.vals.env)
				}
				fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
				switch tt.typ {
				case "string":
					fs.String(tt.flag, "flag-default-must-not-win", "")
				case "int":
					fs.Int(tt.flag, 99, "")
				case "duration":
					fs.Duration(tt.flag, time.Hour, "")
				case "stringSlice":
					fs.StringSlice(tt.flag, []string{"default:1"}, "")
				}
				if err := BindFlags(fs, map[string]string{tt.flag: tt.key}); err != nil {
					t.Fatal(err)
				}
				var args []string
				if level >= 3 {
					args = []string{"--" + tt.flag + "=" + tt.vals.flag}
				}
				if err := fs.Parse(args); err != nil {
					t.Fatal(err)
				}
				opts.Flags = fs
				cfg, _, err := Load(opts)
				if err != nil {
					t.Fatalf("level %d: %v", level, err)
				}
				if got := tt.get(cfg); !reflect.DeepEqual(got, tt.want[level]) {
					t.Errorf("level %d: %s = %#v, want %#v", level, tt.key, got, tt.want[level])
				}
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	cfg := mustLoad(t, minimal,
		"DUECALL_REDIS_PASSWORD=s3cret",
		"DUECALL_REDIS_KEY_PREFIX=acme",
		"DUECALL_ARI_URL=https://pbx:8089/ari/",
		"DUECALL_HTTP_LISTEN=:9000",
		"DUECALL_LOG_FORMAT=", // empty: unset
		"DUECALL_DIALER_LEASE_TTL=2m",
		"DUECALL_TEST_ARI_URL=http://ignored", // test variables are not settings
		"DUECALL_CONFIG=/nonexistent",         // Data given: not read
	)
	if cfg.Redis.Password != "s3cret" || cfg.Redis.KeyPrefix != "acme" || cfg.HTTP.Listen != ":9000" ||
		cfg.Log.Format != "console" || cfg.Dialer.LeaseTTL != 2*time.Minute {
		t.Errorf("environment not applied: %+v", cfg)
	}
	if cfg.ARI.URL != "https://pbx:8089/ari" || cfg.ARI.WSURL != "wss://pbx:8089/ari/events" {
		t.Errorf("ari.url %q, ws_url %q", cfg.ARI.URL, cfg.ARI.WSURL)
	}
	// The last definition of a variable wins.
	cfg = mustLoad(t, minimal, "DUECALL_LOG_LEVEL=debug", "DUECALL_LOG_LEVEL=warn")
	if cfg.Log.Level != "warn" {
		t.Errorf("log.level = %q", cfg.Log.Level)
	}
	// os.Environ is used when Env is nil.
	t.Setenv("DUECALL_LOG_LEVEL", "error")
	cfg, _, err := Load(LoadOptions{Data: []byte(minimal)})
	if err != nil || cfg.Log.Level != "error" {
		t.Errorf("os environment: level %v, err %v", cfg, err)
	}
}

func TestConfigFileSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, level string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(minimal+"log:\n  level: "+level+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	byOpt, byFlag, byEnv := write("a.yaml", "debug"), write("b.yaml", "warn"), write("c.yaml", "error")

	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--config", byFlag}); err != nil {
		t.Fatal(err)
	}
	env := []string{EnvConfigFile + "=" + byEnv}
	for _, tt := range []struct {
		name string
		opts LoadOptions
		want string
	}{
		{"File wins", LoadOptions{File: byOpt, Flags: fs, Env: env}, "debug"},
		{"then --config", LoadOptions{Flags: fs, Env: env}, "warn"},
		{"then DUECALL_CONFIG", LoadOptions{Env: env}, "error"},
		{"else none", LoadOptions{Env: []string{}}, "info"},
	} {
		cfg, _, err := Load(tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.Log.Level != tt.want {
			t.Errorf("%s: level %q, want %q", tt.name, cfg.Log.Level, tt.want)
		}
	}
	_, _, err := Load(LoadOptions{File: dir + "/missing.yaml", Env: []string{}})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

// TestEmptySections: an empty mapping in the file must not hide values
// that the environment or flags set below it.
func TestEmptySections(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--log-level=debug"}); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load(LoadOptions{Data: []byte("log: {}\nredis: {}\nari:\n"), Env: []string{"DUECALL_REDIS_URL=redis://e:1/0"}, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Level != "debug" || cfg.Redis.URL != "redis://e:1/0" || cfg.Log.Format != "console" || cfg.ARI.URL != DefaultARIURL {
		t.Errorf("log %+v, redis %+v, ari %+v", cfg.Log, cfg.Redis, cfg.ARI)
	}
}

func TestRegisterFlags(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--redis-url=redis://flag:1/0", "--owner-id=d1", "--log-level=debug"}); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load(LoadOptions{Data: []byte(minimal + "http:\n  listen: 127.0.0.1:1234\n"), Env: []string{}, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redis.URL != "redis://flag:1/0" || cfg.Dialer.OwnerID != "d1" || cfg.Log.Level != "debug" {
		t.Errorf("flags not applied: %+v", cfg)
	}
	// A flag left at its default does not override the file.
	if cfg.HTTP.Listen != "127.0.0.1:1234" {
		t.Errorf("http.listen = %q: an unset flag overrode the file", cfg.HTTP.Listen)
	}
	if fs.Lookup("ari-password") != nil || fs.Lookup("redis-password") != nil {
		t.Error("RegisterFlags defines a password flag")
	}
}

func TestBindFlagsErrors(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.String("x", "", "")
	if err := BindFlags(fs, map[string]string{"nope": "redis.url"}); err == nil {
		t.Error("binding a missing flag succeeded")
	}
	err := BindFlags(fs, map[string]string{"x": "redis.urll"})
	if err == nil || !strings.Contains(err.Error(), "did you mean redis.url") {
		t.Errorf("binding an unknown key: %v", err)
	}
	if err := BindFlags(fs, map[string]string{"x": "campaigns"}); err == nil {
		t.Error("binding a list key succeeded")
	}
}

// wantFieldError checks that err holds a *FieldError for key wrapping
// sentinel, whose text contains each of parts.
func wantFieldError(t *testing.T, err error, key string, sentinel error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one for %s", key)
	}
	for _, fe := range FieldErrors(err) {
		if fe.Key != key {
			continue
		}
		if !errors.Is(fe, sentinel) {
			t.Errorf("%s: %v does not wrap %v", key, fe, sentinel)
		}
		for _, p := range parts {
			if !strings.Contains(fe.Error(), p) {
				t.Errorf("%s: %q does not contain %q", key, fe.Error(), p)
			}
		}
		return
	}
	t.Errorf("no error for %s in:\n%v", key, err)
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name, yaml, key, source, hint string
	}{
		{"top level", "redsi:\n  url: x\n", "redsi", "test.yaml:1:1", "did you mean redis?"},
		{"wrong case", "Redis:\n  url: x\n", "Redis", "test.yaml:1:1", "did you mean redis?"},
		{"nested", "ari:\n  usrname: x\n", "ari.usrname", "test.yaml:2:3", "did you mean username?"},
		{"flattened", "redis.url: redis://x:1/0\n", "redis.url", "test.yaml:1:1", ""},
		{"list item", `campaigns:
  - id: c1
    dial_templte: PJSIP/{number}@trunk
`, "campaigns[0].dial_templte", "test.yaml:3:5", "did you mean dial_template?"},
		{"second list item", `agents:
  - id: a1
    endpoint: PJSIP/a1
  - id: a2
    endpont: PJSIP/a2
`, "agents[1].endpont", "test.yaml:5:5", "did you mean endpoint?"},
		{"retry outcome", `campaigns:
  - id: c1
    retry:
      bussy: {action: stop}
`, "campaigns[0].retry.bussy", "test.yaml:4:7", "did you mean busy?"},
		{"retry rule", `campaigns:
  - id: c1
    retry:
      busy: {action: retry, dealy: 1h}
`, "campaigns[0].retry.busy.dealy", "test.yaml:4:29", "did you mean delay?"},
		{"pacing", `campaigns:
  - id: c1
    pacing:
      mod: progressive
`, "campaigns[0].pacing.mod", "test.yaml:4:7", "did you mean mode?"},
		{"no suggestion", "zzzzzzzzzz: 1\n", "zzzzzzzzzz", "test.yaml:1:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.yaml)
			parts := []string{tt.source + ": " + tt.key + ": unknown key"}
			if tt.hint != "" {
				parts = append(parts, tt.hint)
			}
			wantFieldError(t, err, tt.key, ErrUnknownKey, parts...)
			if tt.hint == "" && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("unexpected suggestion: %v", err)
			}
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, _, err := load(t, `
redis:
  dbb: 1
ari:
  request_timeout: soon
campaigns:
  - id: c1
    dial_template: PJSIP/{number}@trunk
    originate_timeout: abc
    max_lines: 0
agents:
  - id: a1
    endpoint: PJSIP/a1
    campaign: c2
`, "DUECALL_LOG_LEVEL=loud")
	fes := FieldErrors(err)
	var keys []string
	for _, fe := range fes {
		keys = append(keys, fe.Key)
	}
	want := []string{
		// file errors in file order, then the rest
		"redis.dbb", "ari.request_timeout", "campaigns[0].originate_timeout",
		"campaigns[0].max_lines", "agents[0].campaign", "log.level",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("errors for %v, want %v; all:\n%v", keys, want, err)
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(want) {
		t.Errorf("error has %d lines, want %d:\n%v", got, len(want), err)
	}
}

func TestBadValues(t *testing.T) {
	campaignWith := func(extra string) string {
		return "campaigns:\n  - id: c1\n    dial_template: PJSIP/{number}@trunk\n" + extra
	}
	agentWith := func(extra string) string {
		return campaignWith("") + "agents:\n  - id: a1\n    endpoint: PJSIP/a1\n" + extra
	}
	tests := []struct {
		name  string
		yaml  string
		env   []string
		key   string
		parts []string
	}{
		// types
		{"root is a list", "- a\n- b\n", nil, "", []string{"test.yaml:1:1: expected a mapping"}},
		{"section is a scalar", "redis: localhost\n", nil, "redis", []string{`expected a mapping of keys, got "localhost"`}},
		{"list is a mapping", "agents:\n  id: a1\n", nil, "agents", []string{"expected a list, got a mapping"}},
		{"list item is a scalar", "campaigns:\n  - c1\n", nil, "campaigns[0]", []string{`test.yaml:2:5`, `expected a mapping of keys, got "c1"`}},
		{"not an int", "redis:\n  db: two\n", nil, "redis.db", []string{`test.yaml:2:7: redis.db: "two" is not a whole number`}},
		{"float for int", campaignWith("    max_lines: 2.5\n"), nil, "campaigns[0].max_lines", []string{`"2.5" is not a whole number`}},
		{"not a bool", agentWith("    auto_login: yes\n"), nil, "agents[0].auto_login", []string{`"yes" is not a boolean; expected true or false`}},
		{"not a duration", campaignWith("    originate_timeout: abc\n"), nil, "campaigns[0].originate_timeout", []string{`test.yaml:4:24: campaigns[0].originate_timeout: "abc" is not a duration; expected e.g. 30s`}},
		{"duration without unit", "ari:\n  request_timeout: 30\n", nil, "ari.request_timeout", []string{`"30" is not a duration; a duration needs a unit; expected e.g. 30s`}},
		{"string is a list", "ari:\n  username: [a, b]\n", nil, "ari.username", []string{"expected a string, got a list"}},
		{"list of lists", "redis:\n  addresses: [[a]]\n", nil, "redis.addresses[0]", []string{"expected a string, got a list"}},
		{"null list item", "agents:\n  -\n", nil, "agents[0]", []string{"got null"}},
		{"duplicate key", "log:\n  level: info\n  level: debug\n", nil, "log.level", []string{"test.yaml:3:3", "defined twice (first at line 2)"}},
		{"env int", minimal, []string{"DUECALL_REDIS_DB=x"}, "redis.db", []string{`env DUECALL_REDIS_DB: redis.db: "x" is not a whole number`}},
		{"env duration", minimal, []string{"DUECALL_DIALER_LEASE_TTL=60"}, "dialer.lease_ttl", []string{"env DUECALL_DIALER_LEASE_TTL", "needs a unit"}},
		// redis
		{"redis url scheme", "redis:\n  url: http://localhost:6379\n", nil, "redis.url", []string{"test.yaml:2:8", "is not a Redis URL", "invalid URL scheme"}},
		{"redis address", "redis:\n  addresses: [localhost]\n", nil, "redis.addresses[0]", []string{`"localhost" is not host:port`}},
		{"redis address twice", "redis:\n  addresses: [a:1, a:1]\n  master_name: m\n", nil, "redis.addresses[1]", []string{"listed twice"}},
		{"sentinel without addresses", "redis:\n  master_name: mymaster\n", nil, "redis.master_name", []string{"needs redis.addresses"}},
		{"cluster db", "redis:\n  addresses: [a:1, b:1]\n  db: 2\n", nil, "redis.db", []string{"Cluster has only database 0"}},
		{"db conflict", "redis:\n  url: redis://h:1/3\n  db: 2\n", nil, "redis.db", []string{"conflicts with database 3"}},
		{"negative db", "redis:\n  db: -1\n", nil, "redis.db", []string{"negative"}},
		{"key prefix", "redis:\n  key_prefix: 'a b'\n", nil, "redis.key_prefix", []string{"not a valid key prefix"}},
		// ari
		{"ari url scheme", "ari:\n  url: ftp://pbx/ari\n", nil, "ari.url", []string{`has scheme "ftp"; expected http or https`}},
		{"ari url host", "ari:\n  url: http:///ari\n", nil, "ari.url", []string{"has no host"}},
		{"ws url scheme", "ari:\n  ws_url: http://pbx:8088/ari/events\n", nil, "ari.ws_url", []string{`has scheme "http"; expected ws or wss`}},
		{"ari url not http", "ari:\n  url: pbx:8088\n", nil, "ari.url", []string{`has scheme "pbx"`}},
		{"ari username", "ari:\n  username: ''\n", nil, "ari.username", []string{"is required"}},
		{"application", "ari:\n  application: 'my app'\n", nil, "ari.application", []string{"not a valid application name"}},
		{"formats empty", "ari:\n  formats: ' , '\n", nil, "ari.formats", []string{"is required"}},
		{"formats bad", "ari:\n  formats: 'u law'\n", nil, "ari.formats", []string{`"u law" is not a codec name`}},
		{"request timeout", "ari:\n  request_timeout: -1s\n", nil, "ari.request_timeout", []string{"must be positive"}},
		// http, log, dialer
		{"listen", "http:\n  listen: '8080'\n", nil, "http.listen", []string{"is not host:port"}},
		{"listen port", "http:\n  listen: ':99999'\n", nil, "http.listen", []string{"invalid port"}},
		{"log level", "log:\n  level: verbose\n", nil, "log.level", []string{`"verbose" is not a log level; expected one of debug, info, warn, error`}},
		{"log format", "log:\n  format: xml\n", nil, "log.format", []string{"expected one of console, json"}},
		{"owner id", "dialer:\n  owner_id: 'a b'\n", nil, "dialer.owner_id", []string{"printable ASCII"}},
		{"lease ttl", "dialer:\n  lease_ttl: 100ms\n", nil, "dialer.lease_ttl", []string{"too short"}},
		{"region", "dialer:\n  default_region: XX\n", nil, "dialer.default_region", []string{`"XX" is not a known region`}},
		// agents
		{"agent id missing", campaignWith("") + "agents:\n  - endpoint: PJSIP/a\n", nil, "agents[0].id", []string{"is required"}},
		{"agent id charset", campaignWith("") + "agents:\n  - id: a.1\n    endpoint: PJSIP/a\n", nil, "agents[0].id", []string{`"a.1" is not a valid id`}},
		{"agent id too long", campaignWith("") + "agents:\n  - id: " + strings.Repeat("a", 65) + "\n    endpoint: PJSIP/a\n", nil, "agents[0].id", []string{"is not a valid id"}},
		{"agent id duplicate", agentWith("  - id: a1\n    endpoint: PJSIP/a2\n"), nil, "agents[1].id", []string{"test.yaml:7:9", `"a1" is already the id of agents[0]`}},
		{"agent endpoint", campaignWith("") + "agents:\n  - id: a1\n    endpoint: agent101\n", nil, "agents[0].endpoint", []string{"expected Tech/resource"}},
		{"agent endpoint duplicate", agentWith("  - id: a2\n    endpoint: pjsip/A1\n"), nil, "agents[1].endpoint", []string{"already the endpoint of agents[0]"}},
		{"agent campaign", agentWith("    campaign: c2\n"), nil, "agents[0].campaign", []string{`"c2" is not the id of a campaign`}},
		{"agent without campaigns", "agents:\n  - id: a1\n    endpoint: PJSIP/a1\n", nil, "agents[0].campaign", []string{"no campaigns are configured"}},
		{"agent name control", agentWith("    name: \"a\\nb\"\n"), nil, "agents[0].name", []string{"control characters"}},
		// campaigns
		{"campaign id duplicate", campaignWith("  - id: c1\n    dial_template: PJSIP/{number}@t\n"), nil, "campaigns[1].id", []string{"already the id of campaigns[0]"}},
		{"dial template missing", "campaigns:\n  - id: c1\n", nil, "campaigns[0].dial_template", []string{"is required"}},
		{"dial template placeholder", "campaigns:\n  - id: c1\n    dial_template: PJSIP/0912@trunk\n", nil, "campaigns[0].dial_template", []string{"has no placeholder"}},
		{"dial template unknown", "campaigns:\n  - id: c1\n    dial_template: PJSIP/{numbr}@trunk\n", nil, "campaigns[0].dial_template", []string{"unknown placeholder {numbr}; did you mean {number}?"}},
		{"dial template tech", "campaigns:\n  - id: c1\n    dial_template: '{number}@trunk'\n", nil, "campaigns[0].dial_template", []string{"must start with a channel technology"}},
		{"caller id control", campaignWith("    caller_id: \"a\\r\\nVia: x\"\n"), nil, "campaigns[0].caller_id", []string{"control characters"}},
		{"originate short", campaignWith("    originate_timeout: 4s\n"), nil, "campaigns[0].originate_timeout", []string{"too short; expected at least 5s"}},
		{"originate long", campaignWith("    originate_timeout: 10m\n"), nil, "campaigns[0].originate_timeout", []string{"too long"}},
		{"max lines", campaignWith("    max_lines: 0\n"), nil, "campaigns[0].max_lines", []string{"0 is out of range; expected 1 to"}},
		{"max attempts", campaignWith("    max_attempts: -1\n"), nil, "campaigns[0].max_attempts", []string{"out of range"}},
		{"remind days", campaignWith("    remind_before_days: 400\n"), nil, "campaigns[0].remind_before_days", []string{"out of range"}},
		{"wrapup", campaignWith("    wrapup_seconds: -5\n"), nil, "campaigns[0].wrapup_seconds", []string{"out of range"}},
		{"abandon above 2s", campaignWith("    abandon_after: 2500ms\n"), nil, "campaigns[0].abandon_after", []string{"2-second rule"}},
		{"abandon zero", campaignWith("    abandon_after: 0s\n"), nil, "campaigns[0].abandon_after", []string{"must be positive"}},
		{"abandon sound", campaignWith("    abandon_sound: vm-goodbye\n"), nil, "campaigns[0].abandon_sound", []string{"is not ARI media"}},
		{"abandon sound scheme", campaignWith("    abandon_sound: 'bogus:x'\n"), nil, "campaigns[0].abandon_sound", []string{"is not ARI media"}},
		{"order", campaignWith("    order: random\n"), nil, "campaigns[0].order", []string{`"random" is not an order; expected one of priority, due_date, fifo`}},
		{"retry action", campaignWith("    retry:\n      busy: {action: later}\n"), nil, "campaigns[0].retry.busy.action", []string{`"later" is not an action`}},
		{"retry needs delay", campaignWith("    retry:\n      invalid_number: {action: retry}\n"), nil, "campaigns[0].retry.invalid_number.delay", []string{"needs a positive delay"}},
		{"retry negative delay", campaignWith("    retry:\n      busy: {action: next_phone, delay: -1m}\n"), nil, "campaigns[0].retry.busy.delay", []string{"negative"}},
		{"pacing mode", campaignWith("    pacing:\n      mode: turbo\n"), nil, "campaigns[0].pacing.mode", []string{`"turbo" is not a pacing mode; expected one of progressive, power, adaptive, predictive`}},
		{"pacing ratio", campaignWith("    pacing:\n      mode: power\n      ratio: 0.5\n"), nil, "campaigns[0].pacing.ratio", []string{"between 1 and 10"}},
		{"pacing ratio not a number", campaignWith("    pacing:\n      ratio: two\n"), nil, "campaigns[0].pacing.ratio", []string{"is not a number"}},
		{"pacing abandon rate", campaignWith("    pacing:\n      max_abandon_rate: 3\n"), nil, "campaigns[0].pacing.max_abandon_rate", []string{"fraction"}},
		{"pacing adaptive intensity", campaignWith("    pacing:\n      adaptive:\n        intensity: 99\n"), nil, "campaigns[0].pacing.adaptive.intensity", []string{"between -40 and 40"}},
		{"pacing adaptive drop mode", campaignWith("    pacing:\n      adaptive:\n        drop_mode: soft\n"), nil, "campaigns[0].pacing.adaptive.drop_mode", []string{"hard, average, tapered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := load(t, tt.yaml, tt.env...)
			if cfg != nil {
				t.Errorf("Load returned a configuration with an error")
			}
			wantFieldError(t, err, tt.key, ErrInvalidValue, tt.parts...)
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"example password", minimal + "ari:\n  password: change-me\n", nil, `test.yaml:10:13: ari.password: is the example password "change-me"`},
		{"empty password", minimal, nil, "ari.password: is empty"},
		{"no agents", "campaigns:\n  - id: c1\n    dial_template: PJSIP/{number}@t\n", nil, "agents: no agents are configured"},
		{"no campaigns", "", nil, "campaigns: no campaigns are configured"},
		{"short ring", minimal + "    originate_timeout: 10s\n", nil, "test.yaml:9:24: campaigns[0].originate_timeout: 10s is shorter than 15s"},
		{"unknown env", minimal, []string{"DUECALL_REDIS_PASWORD=x"}, "env DUECALL_REDIS_PASWORD: not a duecall setting, ignored; did you mean DUECALL_REDIS_PASSWORD?"},
		{"url ignored", minimal + "redis:\n  url: redis://other:1/0\n  addresses: [a:1]\n", nil, "redis.url: ignored because redis.addresses is set"},
		{"ari path", minimal + "ari:\n  url: http://pbx:8088/\n", nil, `does not end in /ari`},
		{"ws host", minimal + "ari:\n  url: http://pbx1:8088/ari\n  ws_url: ws://pbx2:8088/ari/events\n", nil, "ari.ws_url: points to pbx2:8088 but ari.url to pbx1:8088"},
		{"no caller id", "campaigns:\n  - id: c1\n    dial_template: PJSIP/{number}@t\n", nil, "campaigns[0].caller_id: is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warns, err := load(t, tt.yaml, tt.env...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var all []string
			for _, w := range warns {
				all = append(all, w.String())
				if strings.Contains(w.String(), tt.want) {
					return
				}
			}
			t.Errorf("no warning containing %q in %q", tt.want, all)
		})
	}
	// DUECALL_TEST_* and DUECALL_CONFIG are not settings but not warned about.
	_, warns, _ := load(t, minimal, "DUECALL_TEST_ARI_URL=x", "DUECALL_CONFIG=", "PATH=/bin")
	for _, w := range warns {
		if strings.Contains(w.String(), "env ") {
			t.Errorf("unexpected warning %v", w)
		}
	}
}

func TestYAMLFeatures(t *testing.T) {
	cfg := mustLoad(t, `
campaigns:
  - id: c1
    dial_template: PJSIP/{number}@trunk
    caller_id: 0912345678        # stays a string, leading zero kept
    retry: &retry
      busy: {action: retry, delay: 30m}
  - &base
    id: c2
    dial_template: PJSIP/{national}@trunk
    max_lines: 3
    retry: *retry
  - <<: *base
    id: c3
    max_lines: 4
    name:                        # null: not set
agents:
  - {id: a1, endpoint: PJSIP/a1, campaign: c3}
`)
	if len(cfg.Campaigns) != 3 {
		t.Fatalf("%d campaigns", len(cfg.Campaigns))
	}
	c1, c2, c3 := cfg.Campaigns[0], cfg.Campaigns[1], cfg.Campaigns[2]
	if c1.CallerID != "0912345678" {
		t.Errorf("caller_id = %q", c1.CallerID)
	}
	if c2.Retry[campaign.OutcomeBusy].Delay != 30*time.Minute || c3.Retry[campaign.OutcomeBusy].Delay != 30*time.Minute {
		t.Errorf("alias not applied: %v %v", c2.Retry, c3.Retry)
	}
	if c3.DialTemplate != "PJSIP/{national}@trunk" || c3.MaxLines != 4 || c3.Name != "c3" || c2.MaxLines != 3 {
		t.Errorf("merge key: %+v", c3)
	}
	// Outcomes not configured keep their defaults.
	if c1.Retry[campaign.OutcomeNoAnswer] != (RetryRule{Action: campaign.RetryLater, Delay: 2 * time.Hour}) {
		t.Errorf("no_answer rule = %+v", c1.Retry[campaign.OutcomeNoAnswer])
	}
	// A rule given in part keeps the rest of the default rule.
	cfg = mustLoad(t, minimal+"    retry:\n      busy: {delay: 1h}\n")
	if r := cfg.Campaigns[0].Retry[campaign.OutcomeBusy]; r != (RetryRule{Action: campaign.RetryLater, Delay: time.Hour}) {
		t.Errorf("busy rule = %+v", r)
	}

	for _, tt := range []struct{ name, yaml, want string }{
		{"syntax", "redis:\n  url: [\n", "test.yaml:2: invalid YAML: "},
		{"tabs", "redis:\n\turl: x\n", "invalid YAML"},
		{"two documents", minimal + "---\nlog: {}\n", "more than one YAML document"},
		{"alias cycle", "a: &a [*a]\n", "alias refers to itself"},
		{"billion laughs", laughs(), "too large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.yaml)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	_, _, err := load(t, "redis:\n  url: [\n")
	if !errors.Is(err, ErrSyntax) {
		t.Errorf("syntax error %v does not wrap ErrSyntax", err)
	}
	for _, empty := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		if _, _, err := load(t, empty); err != nil {
			t.Errorf("Load(%q) = %v", empty, err)
		}
	}
}

// TestYAMLSyntaxErrorLine: a YAML syntax error names the line an editor
// shows the problem on (yaml.v3 counts some of its lines from 0).
func TestYAMLSyntaxErrorLine(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		line       int
	}{
		{"unclosed flow sequence", "redis:\n  url: redis://x\nlog:\n  level: [info\nhttp:\n  listen: :8080\n", 4},
		{"unclosed flow mapping", "redis:\n  url: redis://x\nlog: {level: info\nhttp:\n  listen: :8080\n", 3},
		{"key dedented", "redis:\n  url: redis://x\n db: 1\nlog:\n  level: info\n", 3},
		{"sequence in mapping", "log:\n  level: info\n- x\n", 3},
		{"tab indentation", "log:\n\tlevel: info\n", 2},
		{"colon in plain value", "log:\n  level: a: b\n", 2},
		{"unclosed quote", "log:\n  level: \"info\n  format: json\n", 2},
		{"first line", "log: a: b\n", 1},
		{"unclosed at end of file", "redis:\n  url: [\n", 2},
		{"no trailing newline", "redis:\n  url: [", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "duecall.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(LoadOptions{File: path, Env: []string{}})
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v, want ErrSyntax", err)
			}
			want := fmt.Sprintf("%s:%d: invalid YAML: ", path, tt.line)
			if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q, want it to start with %q and name no other line", err, want)
			}
		})
	}
}

// laughs returns a small document that expands to millions of nodes.
func laughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		p := "*a" + strconv.Itoa(i-1)
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [" + strings.Repeat(p+", ", 9) + p + "]\n")
	}
	return b.String()
}

func TestRedaction(t *testing.T) {
	cfg := mustLoad(t, minimal+`
redis:
  url: redis://user:urlpass@redis:6379/0
  password: redispass
ari:
  url: http://u:ariurlpass@pbx:8088/ari
  password: aripass
`)
	r := cfg.Redacted()
	if r.Redis.Password != RedactedMark || r.ARI.Password != RedactedMark ||
		r.Redis.URL != "redis://user:******@redis:6379/0" || r.ARI.URL != "http://u:******@pbx:8088/ari" {
		t.Errorf("Redacted() = %+v %+v", r.Redis, r.ARI)
	}
	if cfg.Redis.Password != "redispass" || cfg.ARI.Password != "aripass" || cfg.Redis.URL != "redis://user:urlpass@redis:6379/0" {
		t.Error("Redacted modified the original")
	}
	if cfg.ARI.WSURL != "ws://pbx:8088/ari/events" {
		t.Errorf("ws_url carries credentials: %q", cfg.ARI.WSURL)
	}
	var out bytes.Buffer
	if err := cfg.WriteYAML(&out, true); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"urlpass", "redispass", "ariurlpass", "aripass"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("redacted YAML contains %q:\n%s", secret, out.String())
		}
	}
	out.Reset()
	if err := cfg.WriteYAML(&out, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "redispass") {
		t.Error("unredacted YAML lacks the password")
	}
	// Empty secrets stay empty, so that a missing password shows.
	if r := Default().Redacted(); r.ARI.Password != "" {
		t.Errorf("empty password redacted to %q", r.ARI.Password)
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	for _, tt := range []struct {
		yaml string
		env  []string
	}{
		{"redis:\n  url: 'http://u:topsecret@h:1/0'\n", nil},
		{"redis:\n  url: 'redis://u:topsecret@h:1/x'\n", nil},
		{"redis:\n  url: 'redis://u:topsecret@h:1/5'\n  db: 3\n", nil},
		{"ari:\n  url: 'ftp://u:topsecret@h/ari'\n", nil},
		{"ari:\n  url: 'http://u:topsecret@h:bad/ari'\n", nil},
		{"ari:\n  ws_url: 'http://u:topsecret@h/ari/events'\n", nil},
		{"ari:\n  password: [topsecret]\n", nil},
		{"redis:\n  password: {topsecret: 1}\n", nil},
		{"", []string{"DUECALL_REDIS_URL=redis://:topsecret@h:1/x"}},
	} {
		_, _, err := load(t, tt.yaml, tt.env...)
		if err == nil {
			t.Errorf("%q: no error", tt.yaml)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://:pw@h:1/0", "redis://:******@h:1/0"},
		{"redis://user:pw@h:1/0", "redis://user:******@h:1/0"},
		{"redis://user@h:1/0", "redis://user@h:1/0"},
		{"redis://user:p@ss@h:1/0", "redis://user:******@h:1/0"},
		{"redis://user:p/ss@h:1/0", "redis://user:******@h:1/0"},
		{"unix://user:pw@/run/redis.sock", "unix://user:******@/run/redis.sock"},
		{"not a url", "not a url"},
		{"", ""},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExampleFile(t *testing.T) {
	const path = "../deploy/duecall.example.yaml"
	cfg, warns, err := Load(LoadOptions{File: path, Env: []string{}})
	if err != nil {
		t.Fatalf("example does not load:\n%v", err)
	}
	if len(warns) != 1 || warns[0].Key != "ari.password" {
		t.Errorf("warnings %v; want only the example password", warns)
	}
	c, ok := cfg.Campaign("reminders")
	if !ok || c.DialTemplate != "PJSIP/{number}@trunk" {
		t.Errorf("campaign reminders: %+v", c)
	}
	if len(cfg.Agents) != 2 || cfg.Agents[0].Endpoint != "PJSIP/agent101" || cfg.Agents[1].Endpoint != "PJSIP/agent102" {
		t.Errorf("agents: %+v", cfg.Agents)
	}
	// The example shows the defaults: apart from the password and the
	// lists, loading it gives the defaults.
	def := Default()
	got := cfg.clone()
	got.ARI.Password, got.Agents, got.Campaigns = "", nil, nil
	if !reflect.DeepEqual(got, def) {
		t.Errorf("example differs from the defaults:\n%+v\n%+v", got, def)
	}
	ex := DefaultCampaign()
	ex.ID, ex.Name, ex.DialTemplate, ex.CallerID = c.ID, c.Name, c.DialTemplate, c.CallerID
	if !reflect.DeepEqual(c, ex) {
		t.Errorf("example campaign differs from the defaults:\n%+v\n%+v", c, ex)
	}
	// Every key is documented.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range allKeyNames() {
		if !strings.Contains(string(data), key+":") {
			t.Errorf("example lacks key %s", key)
		}
	}
}

// allKeyNames lists the last element of every key, list items and retry
// outcomes included.
func allKeyNames() []string {
	var out []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for _, f := range fieldsOf(t) {
			out = append(out, f.name)
			switch {
			case f.typ.Kind() == reflect.Struct && f.typ != durationType:
				walk(f.typ)
			case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() == reflect.Struct:
				walk(f.typ.Elem())
			case f.typ.Kind() == reflect.Map:
				out = append(out, mapKeys[f.typ.Key()]...)
				walk(f.typ.Elem())
			}
		}
	}
	walk(configType)
	return out
}

func TestWriteYAMLRoundTrip(t *testing.T) {
	cfg, _, err := Load(LoadOptions{File: "../deploy/duecall.example.yaml", Env: []string{"DUECALL_REDIS_ADDRESSES=a:1,b:2", "DUECALL_REDIS_URL=redis://x:1/0"}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cfg.WriteYAML(&out, false); err != nil {
		t.Fatal(err)
	}
	again, _, err := Load(LoadOptions{Data: out.Bytes(), File: "written.yaml", Env: []string{}})
	if err != nil {
		t.Fatalf("written YAML does not load: %v\n%s", err, out.String())
	}
	if !reflect.DeepEqual(cfg, again) {
		t.Errorf("round trip differs:\n%+v\n%+v", cfg, again)
	}
}

func TestCampaignRules(t *testing.T) {
	cfg := mustLoad(t, minimal+`    remind_before_days: 5
    max_attempts: 0
    order: due_date
    retry:
      busy: {action: next_phone, delay: 5m}
      bridged: {action: retry, delay: 24h}
`)
	r := cfg.Campaigns[0].Rules()
	if r.CampaignID != "c1" || r.RemindBefore != 5*24*time.Hour || r.MaxAttempts != 0 || r.Order != campaign.OrderDueDate {
		t.Errorf("Rules() = %+v", r)
	}
	for _, o := range campaign.Outcomes {
		if _, ok := r.Retry[o]; !ok {
			t.Errorf("no rule for %s", o)
		}
	}
	if r.Rule(campaign.OutcomeBusy) != (campaign.RetryRule{Action: campaign.RetryNextPhone, Delay: 5 * time.Minute}) {
		t.Errorf("busy: %+v", r.Rule(campaign.OutcomeBusy))
	}
	if r.Rule(campaign.OutcomeBridged) != (campaign.RetryRule{Action: campaign.RetryLater, Delay: 24 * time.Hour}) {
		t.Errorf("bridged: %+v", r.Rule(campaign.OutcomeBridged))
	}
	if want := campaign.DefaultRetry()[campaign.OutcomeCongestion]; r.Rule(campaign.OutcomeCongestion) != want {
		t.Errorf("congestion: %+v, want default %+v", r.Rule(campaign.OutcomeCongestion), want)
	}
	// Changing the rules does not change the configuration.
	r.Retry[campaign.OutcomeBusy] = campaign.RetryRule{Action: campaign.RetryStop}
	if cfg.Campaigns[0].Retry[campaign.OutcomeBusy].Action != campaign.RetryNextPhone {
		t.Error("Rules() shares its map with the configuration")
	}
	// A stop rule with max attempts behaves like the domain says.
	d := campaign.Debt{Phones: []string{"+84900000001"}}
	if s := r.Next(d, 1, campaign.OutcomeBusy, time.Unix(0, 0)); !s.Finish {
		t.Errorf("next_phone without a next phone: %+v", s)
	}
}

func TestDefaultsOfAgentsAndCampaigns(t *testing.T) {
	cfg := mustLoad(t, `
campaigns:
  - id: first
    dial_template: PJSIP/{number}@trunk
  - id: second
    name: The second
    dial_template: PJSIP/{number}@trunk
agents:
  - id: a1
    endpoint: PJSIP/a1
  - id: a2
    endpoint: PJSIP/a2
    campaign: second
    name: Ann
`)
	if a, _ := cfg.Agent("a1"); a.Campaign != "first" || a.Name != "a1" || a.AutoLogin {
		t.Errorf("agent a1 = %+v", a)
	}
	if a, _ := cfg.Agent("a2"); a.Campaign != "second" || a.Name != "Ann" {
		t.Errorf("agent a2 = %+v", a)
	}
	if _, ok := cfg.Agent("zz"); ok {
		t.Error("Agent(zz) found")
	}
	c, _ := cfg.Campaign("first")
	want := DefaultCampaign()
	want.ID, want.Name, want.DialTemplate = "first", "first", "PJSIP/{number}@trunk"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("campaign first = %+v, want %+v", c, want)
	}
	if c.Wrapup() != 15*time.Second {
		t.Errorf("Wrapup() = %v", c.Wrapup())
	}
	if got := (ARI{Formats: " ulaw, alaw ,"}).FormatList(); !reflect.DeepEqual(got, []string{"ulaw", "alaw"}) {
		t.Errorf("FormatList() = %v", got)
	}
}

func TestValidateWithoutLoad(t *testing.T) {
	cfg := Default()
	c := DefaultCampaign()
	c.ID, c.DialTemplate = "c1", "Local/{number}@duecall-test"
	cfg.Campaigns = append(cfg.Campaigns, c)
	cfg.Agents = append(cfg.Agents, Agent{ID: "a1", Endpoint: "Local/agent-a1@duecall-test", Campaign: "c1"})
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	cfg.Campaigns[0].AbandonAfter = 3 * time.Second
	cfg.Agents[0].Campaign = "nope"
	err := cfg.Validate()
	fes := FieldErrors(err)
	if len(fes) != 2 || fes[0].Source != "" {
		t.Errorf("Validate() = %v", err)
	}
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("%v does not wrap ErrInvalidValue", err)
	}
}

func TestKeysAndEnvNames(t *testing.T) {
	keys := Keys()
	for _, want := range []string{"redis.url", "redis.addresses", "ari.request_timeout", "dialer.owner_id", "http.listen"} {
		found := false
		for _, k := range keys {
			found = found || k == want
		}
		if !found {
			t.Errorf("Keys() lacks %s", want)
		}
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "agents") || strings.HasPrefix(k, "campaigns") {
			t.Errorf("Keys() has list key %s", k)
		}
	}
	if got := EnvName("redis.key_prefix"); got != "DUECALL_REDIS_KEY_PREFIX" {
		t.Errorf("EnvName = %s", got)
	}
	seen := map[string]string{}
	for _, k := range keys {
		if other, dup := seen[EnvName(k)]; dup {
			t.Errorf("%s and %s share %s", k, other, EnvName(k))
		}
		seen[EnvName(k)] = k
	}
}
