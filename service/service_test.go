package service_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/ari/pbxsim"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/importer"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/service"
)

const (
	testUser     = "duecall"
	testPassword = "Sup3r-Secret-ARI-Pw"
	testApp      = "duecall-test"
)

// newSim starts a PBX simulator (last-digit scheme) on a free port.
func newSim(t *testing.T, scale float64) (*pbxsim.Server, string) {
	t.Helper()
	sim := pbxsim.New(pbxsim.Config{Username: testUser, Password: testPassword, Application: testApp, TimeScale: scale, Seed: 7})
	base, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, base + "/ari"
}

// importDebts imports debts (through the importer, like `duecall import`)
// and returns them.
func importDebts(t *testing.T, cfg *config.Config, store campaign.Store, debts []testDebt) {
	t.Helper()
	camp := cfg.Campaigns[0]
	sum, err := importer.Import(context.Background(), portfolioCSV(t, debts, time.Now().UTC().Truncate(24*time.Hour)), store,
		importer.Options{CampaignID: camp.ID, Rules: camp.Rules(), DefaultRegion: cfg.Dialer.DefaultRegion})
	if err != nil || sum.Failed != 0 || sum.Imported != len(debts) {
		t.Fatalf("import: %+v, %v", sum, err)
	}
}

// debtsEnding returns one debt per given last digit (no second numbers).
func debtsEnding(digits ...int) []testDebt {
	out := make([]testDebt, len(digits))
	for i, d := range digits {
		out[i] = testDebt{id: fmt.Sprintf("F-%03d", i), name: fmt.Sprintf("Trần Thị Mai %c", 'A'+i),
			phone1: fmt.Sprintf("+8490%06d%d", 500+i, d)}
	}
	return out
}

func waitFinished(t *testing.T, store campaign.Store, campaignID string, n int, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("all %d debts to finish", n), func() bool {
		q, err := store.QueueStats(context.Background(), campaignID, time.Now())
		return err == nil && q.Finished == int64(n) && q.Due+q.Scheduled+q.Leased == 0
	})
}

// readyz returns the status code and problems of GET /readyz.
func readyz(t *testing.T, addr string) (int, []string) {
	t.Helper()
	var body struct {
		Status   string   `json:"status"`
		Problems []string `json:"problems"`
	}
	code := getJSON(t, addr, "/readyz", &body)
	return code, body.Problems
}

func secretsOf(debts []testDebt) []string {
	var out []string
	for _, d := range debts {
		out = append(out, d.name)
		out = append(out, phoneSpellings(d.phone1)...)
		if d.phone2 != "" {
			out = append(out, phoneSpellings(d.phone2)...)
		}
	}
	return out
}

// freeAddr returns a loopback address that nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAsteriskUnreachableAtStart: the service starts without its PBX, says
// why it is not ready, keeps retrying, and works once the PBX appears.
func TestAsteriskUnreachableAtStart(t *testing.T) {
	rs := redistest.New(t)
	addr := freeAddr(t)
	cfg := baseConfig(t, rs, "http://"+addr+"/ari", testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 2)
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: 0.02})
	debts := debtsEnding(2, 4, 7)
	importDebts(t, cfg, r.svc.Store(), debts)

	waitFor(t, 10*time.Second, "the first failed connection to be logged", func() bool {
		return strings.Contains(logs.String(), "cannot connect to Asterisk ARI; retrying")
	})
	code, problems := readyz(t, r.svc.Addr())
	if code != http.StatusServiceUnavailable || len(problems) != 1 || !strings.Contains(problems[0], "not connected to the PBX") {
		t.Errorf("GET /readyz without Asterisk = %d %q; want 503 naming the PBX connection only", code, problems)
	}
	var health map[string]string
	if code := getJSON(t, r.svc.Addr(), "/healthz", &health); code != 200 {
		t.Errorf("GET /healthz = %d; the process is up", code)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v while Asterisk was unreachable; it must keep retrying", err)
	default:
	}
	st := r.svc.Engine().Status(context.Background())
	if st.PBXConnected || st.Campaigns[0].Placed != 0 {
		t.Errorf("status without a PBX: %+v", st)
	}

	sim := pbxsim.New(pbxsim.Config{Username: testUser, Password: testPassword, Application: testApp, TimeScale: 0.02})
	if _, err := sim.Listen(addr); err != nil {
		t.Skipf("the free port was taken meanwhile: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	waitFor(t, 30*time.Second, "GET /readyz to say ready after the PBX appeared", func() bool {
		code, _ := readyz(t, r.svc.Addr())
		return code == http.StatusOK
	})
	waitFinished(t, r.svc.Store(), "c1", len(debts), 30*time.Second)
	st = r.svc.Engine().Status(context.Background())
	for _, a := range st.Agents {
		if a.State == dialer.AgentLoggedOut {
			t.Errorf("auto-login agent %s still logged out after the PBX appeared", a.ID)
		}
	}
	r.shutdown(t)
	logs.assertNoSecrets(t, "ARI password", []string{testPassword})
	logs.assertNoSecrets(t, "phone number or debtor name", secretsOf(debts))
}

// TestAsteriskBadCredentials: a wrong ARI password is reported clearly
// and never logged, neither the wrong one nor (of course) the right one.
func TestAsteriskBadCredentials(t *testing.T) {
	rs := redistest.New(t)
	_, ariURL := newSim(t, 0.02)
	const wrong = "Wr0ng-Passw0rd-XYZ"
	cfg := baseConfig(t, rs, ariURL, testUser, wrong, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t)})
	waitFor(t, 10*time.Second, "the refused connection to be logged", func() bool {
		return strings.Contains(logs.String(), "check the ARI username and password")
	})
	if code, problems := readyz(t, r.svc.Addr()); code != http.StatusServiceUnavailable || len(problems) == 0 {
		t.Errorf("GET /readyz with a wrong ARI password = %d %q; want 503", code, problems)
	}
	r.shutdown(t)
	logs.assertNoSecrets(t, "ARI password", []string{wrong, testPassword})
}

// TestRedisOutage: while Redis is unreachable nothing is dialled and the
// service says so; when it is back dialing resumes, and no attempt or debt
// is lost, even those whose calls ended during the outage.
func TestRedisOutage(t *testing.T) {
	rs := redistest.New(t)
	proxy := redistest.NewProxy(t, rs.Addr())
	sim, ariURL := newSim(t, 0.05)
	cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 3)
	u, err := url.Parse(rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Host = proxy.Addr()
	cfg.Redis.URL = u.String()
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: 0.05})
	store := newStore(rs) // the test's own view, not through the proxy
	var digits []int
	for i := range 24 {
		digits = append(digits, []int{2, 4, 1}[i%3])
	}
	debts := debtsEnding(digits...)
	importDebts(t, cfg, store, debts)
	agents := &agentSim{engine: r.svc.Engine(), calls: map[string]*simCall{},
		endAfter: func(string) time.Duration { return 150 * time.Millisecond }}
	actx, stopAgents := context.WithCancel(context.Background())
	agentsDone := make(chan struct{})
	go func() { defer close(agentsDone); agents.run(actx) }()
	defer func() { stopAgents(); <-agentsDone }()

	debtorCalls := func() int {
		n := 0
		for _, c := range sim.Calls() {
			if !c.Agent {
				n++
			}
		}
		return n
	}
	waitFor(t, 20*time.Second, "the first calls", func() bool { return debtorCalls() >= 6 })
	proxy.Down()
	waitFor(t, 20*time.Second, "the engine to notice the outage", func() bool {
		return !r.svc.Engine().Status(context.Background()).StoreHealthy
	})
	code, problems := readyz(t, r.svc.Addr())
	if code != http.StatusServiceUnavailable || len(problems) != 1 || !strings.Contains(problems[0], "Redis") {
		t.Errorf("GET /readyz with Redis down = %d %q; want 503 naming Redis only", code, problems)
	}
	// Calls claimed before the cut may still be on their way to the PBX.
	time.Sleep(300 * time.Millisecond)
	before := debtorCalls()
	pending := 0
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		pending = max(pending, r.svc.Engine().Status(context.Background()).PendingWrites)
	}
	t.Logf("%d calls before the outage; up to %d store writes waiting during it", before, pending)
	if after := debtorCalls(); after != before {
		t.Errorf("%d calls placed while Redis was unreachable", after-before)
	}
	if !strings.Contains(logs.String(), "campaign store unavailable") {
		t.Errorf("the outage was not logged")
	}
	proxy.Up()
	waitFinished(t, store, "c1", len(debts), 60*time.Second)
	stopAgents()
	<-agentsDone
	agents.step(context.Background(), true)
	r.shutdown(t)

	atts := readAttempts(t, store, "c1")
	if got := debtorCalls(); got != len(atts) {
		t.Errorf("%d calls placed, %d attempts recorded: every call must be recorded exactly once", got, len(atts))
	}
	seen := map[string]bool{}
	for _, a := range atts {
		if seen[a.ID] {
			t.Errorf("attempt %s recorded twice", a.ID)
		}
		seen[a.ID] = true
	}
	for _, d := range debts {
		got, err := store.Debt(context.Background(), "c1", d.id)
		if err != nil || got.State != campaign.StateFinished {
			t.Errorf("debt %s: %+v, %v; want finished", d.id, got.State, err)
		}
	}
	agentIDs := map[string]bool{"101": true, "102": true, "103": true}
	checkCounters(t, store, "c1", atts, agentIDs)
	logs.assertNoSecrets(t, "phone number or debtor name", secretsOf(debts))
	logs.assertNoSecrets(t, "ARI password", []string{testPassword})
}

// TestOriginateRejected: an originate the PBX refuses is recorded as a
// failed attempt with Asterisk's reason, and the debt is rescheduled by the
// retry rules, never lost.
func TestOriginateRejected(t *testing.T) {
	t.Run("unknown technology", func(t *testing.T) {
		rs := redistest.New(t)
		_, ariURL := newSim(t, 0.02)
		cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "Foo/{number}", "PJSIP/agent{id}", 1)
		logs := &logSink{}
		r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: 0.02})
		debts := debtsEnding(1)
		importDebts(t, cfg, r.svc.Store(), debts)

		// After the first failure the debt is queued again for its retry.
		waitFor(t, 20*time.Second, "the first failed attempt", func() bool {
			atts, _, err := r.svc.Store().Attempts(context.Background(), "c1", "", 10)
			return err == nil && len(atts) >= 1
		})
		d, err := r.svc.Store().Debt(context.Background(), "c1", debts[0].id)
		if err != nil {
			t.Fatal(err)
		}
		if d.State == campaign.StateFinished || d.LastOutcome != campaign.OutcomeFailed {
			t.Errorf("after one rejected originate the debt is %s (last %s); want it queued again", d.State, d.LastOutcome)
		}
		waitFinished(t, r.svc.Store(), "c1", 1, 20*time.Second)
		r.shutdown(t)
		atts := readAttempts(t, newStore(rs), "c1")
		if len(atts) != cfg.Campaigns[0].MaxAttempts {
			t.Fatalf("%d attempts; want max_attempts (%d) failed ones", len(atts), cfg.Campaigns[0].MaxAttempts)
		}
		for i, a := range atts {
			if a.Outcome != campaign.OutcomeFailed || !strings.Contains(a.Reason, "Allocation failed") || a.AgentID != "" {
				t.Errorf("attempt %d: %s %q agent %q; want failed with Asterisk's reason", i+1, a.Outcome, a.Reason, a.AgentID)
			}
			if i > 0 && a.OriginatedAt.Before(atts[i-1].EndedAt) {
				t.Errorf("attempt %d placed before the previous one ended", i+1)
			}
		}
		d, _ = newStore(rs).Debt(context.Background(), "c1", debts[0].id)
		if !strings.Contains(d.FinishReason, "max attempts") {
			t.Errorf("debt finished with %q; want the max attempts reason", d.FinishReason)
		}
		logs.assertNoSecrets(t, "phone number or debtor name", secretsOf(debts))
	})

	t.Run("PBX error then recovery", func(t *testing.T) {
		rs := redistest.New(t)
		sim, ariURL := newSim(t, 0.02)
		cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
		logs := &logSink{}
		r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: 0.02})
		waitFor(t, 20*time.Second, "the agent to be ready", func() bool {
			st := r.svc.Engine().Status(context.Background())
			return len(st.Agents) == 1 && st.Agents[0].State == dialer.AgentReady
		})
		sim.SetRESTFailure(http.StatusInternalServerError, "Allocation failed")
		debts := debtsEnding(2)
		importDebts(t, cfg, r.svc.Store(), debts)
		waitFor(t, 20*time.Second, "the first failed attempt", func() bool {
			atts, _, err := r.svc.Store().Attempts(context.Background(), "c1", "", 10)
			return err == nil && len(atts) >= 1
		})
		sim.SetRESTFailure(0, "")
		waitFinished(t, r.svc.Store(), "c1", 1, 20*time.Second)
		r.shutdown(t)
		atts := readAttempts(t, newStore(rs), "c1")
		if len(atts) < 2 || atts[0].Outcome != campaign.OutcomeFailed || atts[len(atts)-1].Outcome != campaign.OutcomeBusy {
			var got []string
			for _, a := range atts {
				got = append(got, string(a.Outcome)+" "+a.Reason)
			}
			t.Errorf("attempts %q; want failed first, then the busy callee once the PBX accepts calls", got)
		}
		logs.assertNoSecrets(t, "phone number or debtor name", secretsOf(debts))
	})
}

// TestShutdownDrainsLiveCalls: cancelling Run stops dialing, lets live calls
// run until the drain timeout, then hangs them up and records them.
func TestShutdownDrainsLiveCalls(t *testing.T) {
	rs := redistest.New(t)
	sim, ariURL := newSim(t, 0.02)
	cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 2)
	r := start(t, cfg, service.Options{TimeScale: 0.02, DrainTimeout: 500 * time.Millisecond})
	debts := debtsEnding(1, 1, 1) // stay up until hung up
	importDebts(t, cfg, r.svc.Store(), debts)
	waitFor(t, 20*time.Second, "both agents on a call", func() bool {
		st := r.svc.Engine().Status(context.Background())
		return len(st.Agents) == 2 && st.Agents[0].State == dialer.AgentOnCall && st.Agents[1].State == dialer.AgentOnCall
	})
	stopped := time.Now()
	r.shutdown(t)
	if d := time.Since(stopped); d < 400*time.Millisecond {
		t.Errorf("Run returned %v after cancel: live calls were not given the drain time", d)
	}
	store := newStore(rs)
	atts := readAttempts(t, store, "c1")
	if len(atts) != 2 {
		t.Fatalf("%d attempts; want the 2 live calls recorded (and the third debt never dialled)", len(atts))
	}
	for _, a := range atts {
		if a.Outcome != campaign.OutcomeBridged || a.TalkSeconds() <= 0 {
			t.Errorf("drained call %s: %s, talk %.3fs; want bridged with its talk time", a.ID, a.Outcome, a.TalkSeconds())
		}
	}
	for _, c := range sim.Calls() {
		if c.Ended.IsZero() {
			t.Errorf("channel %s (agent %v) still up after shutdown", c.ID, c.Agent)
		}
	}
	q, err := store.QueueStats(context.Background(), "c1", time.Now())
	if err != nil || q.Finished != 2 || q.Due != 1 || q.Leased != 0 {
		t.Errorf("queue after shutdown %+v, %v; want 2 finished and 1 still due", q, err)
	}
}

func TestCampaignsScaleDialerTimers(t *testing.T) {
	cfg := config.Default()
	c := config.DefaultCampaign()
	c.ID, c.DialTemplate = "c1", "PJSIP/{number}@trunk"
	c.WrapupSeconds = 10
	cfg.Campaigns = []config.Campaign{c}
	if err := cfg.Finalize(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scale         float64
		abandon, wrap time.Duration
	}{
		{0, 2 * time.Second, 10 * time.Second},
		{1, 2 * time.Second, 10 * time.Second},
		{0.1, 200 * time.Millisecond, time.Second},
	} {
		got, err := service.Campaigns(cfg, tc.scale)
		if err != nil {
			t.Fatal(err)
		}
		g := got[0]
		if g.AbandonAfter != tc.abandon || g.WrapUp != tc.wrap || g.OriginateTimeout != c.OriginateTimeout {
			t.Errorf("scale %g: abandon %v wrap-up %v originate %v; want %v, %v, %v (not scaled)",
				tc.scale, g.AbandonAfter, g.WrapUp, g.OriginateTimeout, tc.abandon, tc.wrap, c.OriginateTimeout)
		}
		if g.Rules.MaxAttempts != c.MaxAttempts || (g.Pacer == nil && g.Pacing.Mode == "") || g.DialTemplate != c.DialTemplate {
			t.Errorf("scale %g: campaign %+v", tc.scale, g)
		}
	}
}

func TestNewErrors(t *testing.T) {
	rs := redistest.New(t)
	_, ariURL := newSim(t, 1)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name   string
		change func(*config.Config)
		want   string
	}{
		{"http address in use", func(c *config.Config) { c.HTTP.Listen = busy.Addr().String() }, "http.listen"},
		{"ari url with credentials", func(c *config.Config) { c.ARI.URL = "http://u:" + testPassword + "@127.0.0.1:1/ari" }, "must not hold credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
			tc.change(cfg)
			svc, err := service.New(cfg, service.Options{})
			if err == nil {
				svc.Close()
				t.Fatalf("service.New succeeded; want an error with %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q; want it to contain %q and no password", err, tc.want)
			}
		})
	}
}

func TestNewLogger(t *testing.T) {
	var sink logSink
	for _, tc := range []struct {
		c    config.Log
		want string
	}{
		{config.Log{Level: "loud", Format: "json"}, "log.level"},
		{config.Log{Level: "info", Format: "xml"}, "log.format"},
	} {
		if _, err := service.NewLogger(tc.c, &sink); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewLogger(%+v) = %v; want an error naming %s", tc.c, err, tc.want)
		}
	}
	log, err := service.NewLogger(config.Log{Level: "warn", Format: "console"}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if s := sink.String(); strings.Contains(s, "hidden") || !strings.Contains(s, "shown") || !strings.Contains(s, "WARN") {
		t.Errorf("console logger at warn wrote %q", s)
	}
}

// TestAutoLoginSurvivesPBXRestart: an Asterisk restart takes the agents'
// nailed-up channels with it; auto-login agents are called again once the
// PBX is back, but an agent logged out through the API stays out until they
// log in again.
func TestAutoLoginSurvivesPBXRestart(t *testing.T) {
	rs := redistest.New(t)
	addr := freeAddr(t)
	newPBX := func() *pbxsim.Server {
		sim := pbxsim.New(pbxsim.Config{Username: testUser, Password: testPassword, Application: testApp, TimeScale: 0.02})
		if _, err := sim.Listen(addr); err != nil {
			t.Skipf("the free port was taken: %v", err)
		}
		return sim
	}
	sim := newPBX()
	cfg := baseConfig(t, rs, "http://"+addr+"/ari", testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 2)
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: 0.02})
	states := func() map[string]dialer.AgentState {
		out := map[string]dialer.AgentState{}
		for _, a := range r.svc.Engine().Status(context.Background()).Agents {
			out[a.ID] = a.State
		}
		return out
	}
	bothReady := func() bool {
		s := states()
		return s["101"] == dialer.AgentReady && s["102"] == dialer.AgentReady
	}
	waitFor(t, 20*time.Second, "both auto-login agents ready", bothReady)
	agentCalls := func(s *pbxsim.Server) int {
		n := 0
		for _, c := range s.Calls() {
			if c.Agent {
				n++
			}
		}
		return n
	}
	if n := agentCalls(sim); n != 2 {
		t.Errorf("%d calls to agents' phones; want one each", n)
	}

	sim.Close() // Asterisk goes down with every channel
	sim = newPBX()
	defer sim.Close()
	waitFor(t, 30*time.Second, "both agents called again and ready after the PBX restart", func() bool {
		return agentCalls(sim) == 2 && bothReady()
	})

	post := func(path string) int {
		resp, err := http.Post("http://"+r.svc.Addr()+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/api/v1/agents/101/logout"); code != 200 {
		t.Fatalf("logout = %d", code)
	}
	time.Sleep(1500 * time.Millisecond)
	if s := states(); s["101"] != dialer.AgentLoggedOut || s["102"] != dialer.AgentReady {
		t.Errorf("after an API logout of 101: %v; auto-login must leave 101 out", s)
	}
	if code := post("/api/v1/agents/101/login"); code != 200 {
		t.Fatalf("login = %d", code)
	}
	waitFor(t, 20*time.Second, "101 ready after logging in again", bothReady)
	if n := agentCalls(sim); n != 3 {
		t.Errorf("%d calls to agents' phones on the new PBX; want 2 after the restart and 1 after the login", n)
	}
	r.shutdown(t)
	logs.assertNoSecrets(t, "ARI password", []string{testPassword})
}
