package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/internal/syncbuf"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// execute runs the root command in-process with args and an empty
// standard input.
func execute(ctx context.Context, args ...string) (stdout, stderr *syncbuf.Buffer, err error) {
	return executeWithInput(ctx, "", args...)
}

// executeWithInput runs the root command in-process with args and stdin
// as its standard input.
func executeWithInput(ctx context.Context, stdin string, args ...string) (stdout, stderr *syncbuf.Buffer, err error) {
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	root := newRootCmd()
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	return stdout, stderr, root.ExecuteContext(ctx)
}

// cleanEnv keeps the developer's DUECALL_* settings out of the commands'
// configuration.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, config.EnvPrefix) && !strings.HasPrefix(name, "DUECALL_TEST_") {
			t.Setenv(name, "")
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func exitCode(err error) int {
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		return 1
	}
}

func TestVersion(t *testing.T) {
	out, _, err := execute(context.Background(), "version")
	if err != nil || !regexp.MustCompile(`^duecall \S+\n$`).MatchString(out.String()) {
		t.Errorf("version = %q, %v", out, err)
	}
	version = "v9.8.7"
	defer func() { version = "dev" }()
	if out, _, _ := execute(context.Background(), "version"); out.String() != "duecall v9.8.7\n" {
		t.Errorf("version with -X main.version = %q", out)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, _, err := execute(context.Background(), "dial-everyone")
	if err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("an unknown command gives %v", err)
	}
}

func TestConfigCheck(t *testing.T) {
	cleanEnv(t)
	example := filepath.Join("..", "..", "deploy", "duecall.example.yaml")
	t.Run("example", func(t *testing.T) {
		out, errOut, err := execute(context.Background(), "config", "check", "--config", example)
		if err != nil {
			t.Fatalf("config check of the shipped example: %v\n%s", err, errOut)
		}
		s := out.String()
		if strings.Contains(s, config.ExamplePassword) {
			t.Errorf("config check printed the password:\n%s", s)
		}
		for _, want := range []string{"# effective configuration", config.RedactedMark, "reminders", "PJSIP/{number}@trunk", "agent101"} {
			if !strings.Contains(s, want) {
				t.Errorf("config check output has no %q:\n%s", want, s)
			}
		}
		if !strings.Contains(errOut.String(), "warning:") || !strings.Contains(errOut.String(), "ari.password") {
			t.Errorf("no warning about the placeholder ARI password: %q", errOut)
		}
	})
	t.Run("environment and flags", func(t *testing.T) {
		t.Setenv("DUECALL_ARI_PASSWORD", "From-Env-Secret-1")
		t.Setenv("DUECALL_HTTP_LISTEN", "127.0.0.1:9999")
		out, _, err := execute(context.Background(), "config", "check", "--config", example, "--http-listen", "127.0.0.1:7777",
			"--redis-url", "redis://user:Redis-Secret-2@10.0.0.1:6379/2")
		if err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if strings.Contains(s, "From-Env-Secret-1") || strings.Contains(s, "Redis-Secret-2") {
			t.Errorf("config check printed a secret:\n%s", s)
		}
		if !strings.Contains(s, "127.0.0.1:7777") || strings.Contains(s, "127.0.0.1:9999") || !strings.Contains(s, "10.0.0.1:6379") {
			t.Errorf("flags must override the environment, which overrides the file:\n%s", s)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		p := writeFile(t, "bad.yaml", "redis:\n  url: redis://127.0.0.1:6379/0\n  urll: redis://x\n")
		_, _, err := execute(context.Background(), "config", "check", "--config", p)
		if err == nil || !strings.Contains(err.Error(), "redis.urll") {
			t.Errorf("config with an unknown key: %v; want an error naming redis.urll", err)
		}
	})
	t.Run("bad value", func(t *testing.T) {
		p := writeFile(t, "bad.yaml", `campaigns:
  - id: c1
    dial_template: PJSIP/{number}@trunk
    abandon_after: 5s
`)
		_, _, err := execute(context.Background(), "config", "check", "--config", p)
		if err == nil || !strings.Contains(err.Error(), "campaigns[0].abandon_after") && !strings.Contains(err.Error(), "abandon_after") {
			t.Errorf("config with abandon_after 5s: %v; want an error naming the key", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, _, err := execute(context.Background(), "config", "check", "--config", filepath.Join(t.TempDir(), "nope.yaml"))
		if err == nil {
			t.Errorf("config check of a missing file succeeded")
		}
	})
}

// campaignConfig writes a configuration with campaign c1 on redisURL under
// the test's key prefix and returns its path.
func campaignConfig(t *testing.T, rs *redistest.Server, redisURL, extra string) string {
	t.Helper()
	return writeFile(t, "duecall.yaml", fmt.Sprintf(`redis:
  url: %s
  key_prefix: %s
campaigns:
  - id: c1
    dial_template: PJSIP/{number}@trunk
%s`, redisURL, rs.Prefix(), extra))
}

func TestImport(t *testing.T) {
	cleanEnv(t)
	rs := redistest.New(t)
	// The file names a Redis where nothing listens: --redis-url must win.
	cfg := campaignConfig(t, rs, "redis://"+freeAddr(t)+"/0", "")
	redisFlag := "--redis-url=" + rs.URL()
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	ctx := context.Background()

	t.Run("unknown campaign", func(t *testing.T) {
		csv := writeFile(t, "d.csv", "debt_id,debtor_name,phone,amount,currency,due_date\nA1,An,+84912345671,1000,VND,2026-01-01\n")
		_, _, err := execute(ctx, "import", "--config", cfg, redisFlag, "--campaign", "nope", csv)
		if exitCode(err) != 1 || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "c1") {
			t.Errorf("import --campaign nope: %v; want an error naming it and the configured ones", err)
		}
		_, _, err = execute(ctx, "import", "--config", cfg, redisFlag, csv)
		if err == nil || !strings.Contains(err.Error(), "--campaign is required") {
			t.Errorf("import without --campaign: %v", err)
		}
	})

	t.Run("invalid rows", func(t *testing.T) {
		csv := writeFile(t, "d.csv", `debt_id,debtor_name,phone,amount,currency,due_date,product
B1,Nguyễn Văn Bình,+84912345671,1500000,VND,2026-01-01,loan
B2,Trần Thị Cúc,12345,1000,VND,2026-01-01,card
B3,Lê Văn Dũng,0912345673,1.500.000,VND,2026-01-01,card
B4,Phạm Thị Hà,0912345674,2000,VND,2026-01-02,loan
`)
		out, _, err := execute(ctx, "import", "--config", cfg, redisFlag, "--campaign", "c1", csv)
		if exitCode(err) != 2 {
			t.Fatalf("import with invalid rows: %v (exit %d); want exit status 2\n%s", err, exitCode(err), out)
		}
		s := out.String()
		for _, want := range []string{"imported:   2", "failed:     2", "line 3, column phone", "line 4, column amount"} {
			if !strings.Contains(s, want) {
				t.Errorf("import output has no %q:\n%s", want, s)
			}
		}
		for _, secret := range []string{"Trần Thị Cúc", "Lê Văn Dũng"} {
			if strings.Contains(s, secret) {
				t.Errorf("import output shows the name %q", secret)
			}
		}
		for id, phone := range map[string]string{"B1": "+84912345671", "B4": "+84912345674"} {
			d, err := store.Debt(ctx, "c1", id)
			if err != nil || d.Phone() != phone || d.Profile["product"] != "loan" {
				t.Errorf("valid row %s: %+v, %v", id, d, err)
			}
		}
		if _, err := store.Debt(ctx, "c1", "B2"); !errors.Is(err, campaign.ErrNotFound) {
			t.Errorf("invalid row B2 was imported: %v", err)
		}
	})

	t.Run("all valid, from stdin, twice", func(t *testing.T) {
		for range 2 {
			root := newRootCmd()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetIn(strings.NewReader("debt_id,debtor_name,phone,amount,currency,due_date\nC1,An,+84912345679,1000,VND,2026-01-01\n"))
			root.SetArgs([]string{"import", "--config", cfg, redisFlag, "--campaign", "c1", "-"})
			if err := root.ExecuteContext(ctx); err != nil {
				t.Fatalf("import of a valid file: %v\n%s", err, out.String())
			}
		}
		ids, err := store.DebtIDs(ctx, "c1")
		if err != nil || len(ids) != 3 {
			t.Errorf("debts %v, %v; re-importing must update, not duplicate", ids, err)
		}
	})

	t.Run("missing file", func(t *testing.T) {
		_, _, err := execute(ctx, "import", "--config", cfg, redisFlag, "--campaign", "c1", filepath.Join(t.TempDir(), "none.csv"))
		if exitCode(err) != 1 {
			t.Errorf("import of a missing file: %v", err)
		}
	})

	t.Run("redis unreachable", func(t *testing.T) {
		csv := writeFile(t, "d.csv", "debt_id,debtor_name,phone,amount,currency,due_date\nA1,An,+84912345671,1000,VND,2026-01-01\n")
		_, _, err := execute(ctx, "import", "--config", cfg, "--campaign", "c1", "--redis-url", "redis://u:Hidden-Pw-9@"+freeAddr(t)+"/0", csv)
		if err == nil || !strings.Contains(err.Error(), "unreachable") || strings.Contains(err.Error(), "Hidden-Pw-9") {
			t.Errorf("import with Redis down: %v; want a clear error without the password", err)
		}
	})
}

// TestRedisRefusesCredentials: serve, import and the compliance commands
// say that Redis refused the password, and how to set it, instead of
// calling Redis unreachable; the password is never printed.
func TestRedisRefusesCredentials(t *testing.T) {
	cleanEnv(t)
	const right, wrong = "Right-Cmd-Pw-58", "Wrong-Cmd-Pw-73"
	t.Setenv("DUECALL_ARI_PASSWORD", "ari-pw")
	rs := redistest.NewPrivate(t)
	rs.RequirePassword(t, right)
	cfg := campaignConfig(t, rs, "redis://:"+wrong+"@"+rs.Addr()+"/0", `ari:
  url: http://`+freeAddr(t)+`/ari
http:
  listen: 127.0.0.1:0
`)
	csv := writeFile(t, "d.csv", "debt_id,debtor_name,phone,amount,currency,due_date\nA1,An,+84912345671,1000,VND,2026-01-01\n")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"import", []string{"import", "--config", cfg, "--campaign", "c1", csv}},
		{"dnc list", []string{"dnc", "list", "--config", cfg}},
		{"serve", []string{"serve", "--config", cfg}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := execute(ctx, tt.args...)
			if err == nil {
				t.Fatal("succeeded with a wrong Redis password")
			}
			msg := err.Error()
			for _, part := range []string{"redis at redis://:" + config.RedactedMark + "@" + rs.Addr() + "/0 refused the credentials",
				"set redis.password or the password in redis.url / DUECALL_REDIS_PASSWORD"} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q lacks %q", msg, part)
				}
			}
			if strings.Contains(msg, "unreachable") {
				t.Errorf("error %q calls Redis unreachable", msg)
			}
			if out := msg + stderr.String(); strings.Contains(out, wrong) || strings.Contains(out, right) {
				t.Errorf("a password was printed:\n%s", out)
			}
		})
	}
}

func TestDemoJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo")
	}
	cleanEnv(t)
	out, errOut, err := execute(context.Background(), "demo", "--json", "--duration", "3s", "--debts", "30", "--agents", "2")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out.String()), &m); err != nil {
		t.Fatalf("demo --json printed %q: %v", out, err)
	}
	for _, k := range []string{"calls_placed", "answered", "bridged", "abandoned", "busy", "no_answer", "failed",
		"abandon_rate", "occupancy", "connect_latency_ms_p50", "connect_latency_ms_p99"} {
		if _, ok := m[k]; !ok {
			t.Errorf("demo --json has no %q", k)
		}
	}
	if placed, _ := m["calls_placed"].(float64); placed <= 0 {
		t.Errorf("demo placed no call: %v", m)
	}
	if m["debts_imported"] != float64(30) || m["agents"] != float64(2) {
		t.Errorf("demo summary %v", m)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestPBXSimImportServe runs what an operator runs: `duecall pbxsim`, then
// `duecall import` and `duecall serve` against a real Redis, until the
// imported campaign is done.
func TestPBXSimImportServe(t *testing.T) {
	cleanEnv(t)
	const password = "Serve-Test-Pw-77"
	t.Setenv("DUECALL_ARI_PASSWORD", password)
	rs := redistest.New(t)
	ctx := context.Background()

	simCtx, stopSim := context.WithCancel(ctx)
	simOut := &syncbuf.Buffer{}
	simDone := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetOut(simOut)
		root.SetErr(&syncbuf.Buffer{})
		root.SetArgs([]string{"pbxsim", "--listen", "127.0.0.1:0", "--time-scale", "0.05", "--password", password, "--app", "duecall-cmd"})
		simDone <- root.ExecuteContext(simCtx)
	}()
	defer func() {
		stopSim()
		if err := <-simDone; err != nil {
			t.Errorf("pbxsim: %v", err)
		}
	}()
	var ariURL string
	re := regexp.MustCompile(`ARI at (http://\S+/ari) `)
	for deadline := time.Now().Add(10 * time.Second); ariURL == ""; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(simOut.String()); m != nil {
			ariURL = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("pbxsim did not say where it listens: %q", simOut.String())
		}
	}

	listen := freeAddr(t)
	cfg := campaignConfig(t, rs, rs.URL(), `    compliance: {preset: none}
    originate_timeout: 15s
    max_attempts: 2
    wrapup_seconds: 0
    retry:
      busy: {action: retry, delay: 1s}
      congestion: {action: retry, delay: 1s}
      answered_hangup: {action: retry, delay: 1s}
      abandoned: {action: retry, delay: 1s}
ari:
  url: `+ariURL+`
  application: duecall-cmd
http:
  listen: `+listen+`
log:
  level: debug
  format: json
agents:
  - {id: "101", endpoint: PJSIP/agent101, auto_login: true}
  - {id: "102", endpoint: PJSIP/agent102, auto_login: true}
`)
	debts := "debt_id,debtor_name,phone,amount,currency,due_date\n" +
		"S1,Võ Thị Sương,+84912340002,1000,VND,2026-01-01\n" + // busy twice
		"S2,Đỗ Văn Tài,+84912340004,1000,VND,2026-01-01\n" + // congestion twice
		"S3,Hồ Thị Uyên,+84912340005,1000,VND,2026-01-01\n" + // answers, talks, hangs up
		"S4,Ngô Văn Vinh,+84912340007,1000,VND,2026-01-01\n" // unallocated, no other number
	if out, errOut, err := execute(ctx, "import", "--config", cfg, "--campaign", "c1", writeFile(t, "debts.csv", debts)); err != nil {
		t.Fatalf("import: %v\n%s%s", err, out, errOut)
	}

	serveCtx, stopServe := context.WithCancel(ctx)
	serveErr := &syncbuf.Buffer{}
	serveDone := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetOut(&syncbuf.Buffer{})
		root.SetErr(serveErr)
		root.SetArgs([]string{"serve", "--config", cfg})
		serveDone <- root.ExecuteContext(serveCtx)
	}()
	type stats struct {
		Campaigns []struct {
			Total struct {
				Placed        int64 `json:"calls_placed"`
				Bridged       int64 `json:"bridged"`
				Busy          int64 `json:"busy"`
				Congestion    int64 `json:"congestion"`
				InvalidNumber int64 `json:"invalid_number"`
			} `json:"total"`
			Queue campaign.QueueStats `json:"queue"`
		} `json:"campaigns"`
	}
	var st stats
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-serveDone:
			t.Fatalf("serve returned early: %v\n%s", err, serveErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign not done: %+v\n%s", st, serveErr)
		}
		resp, err := http.Get("http://" + listen + "/api/v1/stats")
		if err != nil {
			continue
		}
		st = stats{}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err == nil && len(st.Campaigns) == 1 && st.Campaigns[0].Queue.Finished == 4 {
			break
		}
	}
	stopServe()
	select {
	case err := <-serveDone:
		if err != nil {
			t.Errorf("serve after SIGINT: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
	tot := st.Campaigns[0].Total
	if tot.Placed != 6 || tot.Busy != 2 || tot.Congestion != 2 || tot.InvalidNumber != 1 || tot.Bridged != 1 {
		t.Errorf("totals %+v; want 6 calls: 2 busy, 2 congestion, 1 invalid number, 1 bridged", tot)
	}
	logs := serveErr.String()
	for _, secret := range []string{password, "84912340002", "84912340005", "0912340005", "Hồ Thị Uyên", "Võ Thị Sương"} {
		if strings.Contains(logs, secret) {
			t.Errorf("serve logged %q", secret)
		}
	}
	if !strings.Contains(logs, "connected to Asterisk ARI") {
		t.Errorf("serve's log does not say it connected:\n%s", logs)
	}
}
