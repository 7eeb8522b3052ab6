package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duecall/duecall/ari/pbxsim"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/httpapi"
	"github.com/duecall/duecall/importer"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/service"
)

// Environment of the end-to-end test against a real Asterisk loaded with
// deploy/asterisk/ (see deploy/asterisk/README.md).
const (
	envARIURL        = "DUECALL_TEST_ARI_URL"
	envARIUsername   = "DUECALL_TEST_ARI_USERNAME"
	envARIPassword   = "DUECALL_TEST_ARI_PASSWORD"
	envDialTemplate  = "DUECALL_TEST_DIAL_TEMPLATE"
	envAgentTemplate = "DUECALL_TEST_AGENT_TEMPLATE"
)

// e2eWorld is where the end-to-end test dials: the PBX simulator, or a real
// Asterisk whose duecall-test context implements the same last-digit
// scheme.
type e2eWorld struct {
	real                    bool
	sim                     *pbxsim.Server // nil against a real Asterisk
	ariURL, user, password  string
	app, dialTmpl, agentTpl string
	debts, agents           int
	scale                   float64       // simulated durations ÷ real ones (1 on a real Asterisk)
	deadline                time.Duration // for the whole campaign to finish
}

func newWorld(t *testing.T) *e2eWorld {
	t.Helper()
	if url := os.Getenv(envARIURL); url != "" {
		w := &e2eWorld{
			real: true, ariURL: url,
			user:     envOr(envARIUsername, config.DefaultARIUsername),
			password: os.Getenv(envARIPassword),
			app:      "duecall-e2e",
			dialTmpl: envOr(envDialTemplate, "Local/{number}@duecall-test"),
			agentTpl: envOr(envAgentTemplate, "Local/agent-{id}@duecall-test"),
			debts:    30, agents: 5, scale: 1, deadline: 3 * time.Minute,
		}
		if w.password == "" {
			t.Fatalf("%s is set but %s is empty", envARIURL, envARIPassword)
		}
		t.Logf("end-to-end test against the real Asterisk at %s (%s, agents %s)", config.RedactURL(url), w.dialTmpl, w.agentTpl)
		return w
	}
	const scale = 0.02
	w := &e2eWorld{
		user: "duecall", password: "e2e-S3cret-ARI-pw", app: "duecall-e2e",
		dialTmpl: "PJSIP/{number}@trunk", agentTpl: "PJSIP/agent{id}",
		debts: 200, agents: 5, scale: scale, deadline: 90 * time.Second,
	}
	w.sim = pbxsim.New(pbxsim.Config{Username: w.user, Password: w.password, Application: w.app, TimeScale: scale, Seed: 42})
	base, err := w.sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sim.Close() })
	w.ariURL = base + "/ari"
	return w
}

// testDebt is one debt of the generated portfolio.
type testDebt struct {
	id, name       string
	phone1, phone2 string
}

// lastDigit of a number, the simulated callee's behaviour.
func lastDigit(number string) int { return int(number[len(number)-1] - '0') }

// portfolio generates n debts whose main numbers' last digits cover 0-9
// evenly. Debts on digit 7 (unallocated) get a second number in turn ending
// in 1 (answers), 2 (busy), 7 (unallocated again) or none; every third
// other debt has a second number (ending in 1) that must never be dialled,
// since only an invalid number moves to the next phone.
func portfolio(n int) []testDebt {
	families := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"}
	middles := []string{"Văn", "Thị", "Hữu", "Minh", "Ngọc"}
	givens := []string{"Bình", "Châu", "Dũng", "Giang", "Hạnh", "Khoa", "Phúc", "Quân", "Thảo", "Yến", "Tuấn"}
	out := make([]testDebt, n)
	for i := range out {
		d := i % 10
		td := testDebt{
			id:     fmt.Sprintf("E2E-%04d", i),
			name:   fmt.Sprintf("%s %s %s", families[i%len(families)], middles[(i/3)%len(middles)], givens[(i/7)%len(givens)]),
			phone1: fmt.Sprintf("+8491%06d%d", i, d),
		}
		p2 := -1
		if d == 7 {
			p2 = []int{-1, 1, 2, 7}[(i/10)%4]
		} else if i%3 == 0 {
			p2 = 1
		}
		if p2 >= 0 {
			td.phone2 = fmt.Sprintf("+8498%06d%d", i, p2)
		}
		out[i] = td
	}
	return out
}

func portfolioCSV(t testing.TB, debts []testDebt, due time.Time) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"debt_id", "debtor_name", "phone", "phone2", "amount", "currency", "due_date", "product"})
	for i, d := range debts {
		_ = w.Write([]string{d.id, d.name, d.phone1, d.phone2, fmt.Sprint(1_000_000 + 1000*i), "VND", due.Format("2006-01-02"), "consumer loan"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// agentSim plays the agents at their desks: it watches the engine's status,
// ends each connected call after a talk time (or lets the debtor hang up
// first, for callees that do), and records a disposition once the call is
// over, as an agent's panel would through the HTTP API.
type agentSim struct {
	engine *dialer.Engine
	// endAfter is how long the agent talks before ending the call of a
	// debt; the debtor may hang up first.
	endAfter func(debtID string) time.Duration

	mu    sync.Mutex
	calls map[string]*simCall // by attempt id
	errs  []string
	n     int
}

type simCall struct {
	agentID, debtID string
	since           time.Time
	ended           bool   // the agent ended it (EndCall succeeded)
	code            string // disposition recorded
}

func (a *agentSim) run(ctx context.Context) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		a.step(ctx, false)
	}
}

// step looks at the agents once; final records the disposition of every
// call not yet disposed of (the calls are all over by then).
func (a *agentSim) step(ctx context.Context, final bool) {
	st := a.engine.Status(ctx)
	if !st.Running && !final {
		return
	}
	current := map[string]string{} // agent -> attempt on call
	for _, ag := range st.Agents {
		if ag.State == dialer.AgentOnCall && ag.AttemptID != "" {
			current[ag.ID] = ag.AttemptID
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for agentID, attemptID := range current {
		if _, ok := a.calls[attemptID]; !ok {
			var debtID string
			for _, ag := range st.Agents {
				if ag.ID == agentID {
					debtID = ag.DebtID
				}
			}
			a.calls[attemptID] = &simCall{agentID: agentID, debtID: debtID, since: time.Now()}
		}
	}
	for attemptID, c := range a.calls {
		if c.code != "" {
			continue
		}
		if !final && current[c.agentID] == attemptID {
			if !c.ended && time.Since(c.since) >= a.endAfter(c.debtID) {
				switch err := a.engine.EndCall(ctx, c.agentID); {
				case err == nil:
					c.ended = true
				case errors.Is(err, dialer.ErrNotOnCall): // still connecting, or the debtor just hung up
				default:
					a.errs = append(a.errs, fmt.Sprintf("EndCall(%s) for attempt %s: %v", c.agentID, attemptID, err))
				}
			}
			continue
		}
		// The call is over: the agent records the outcome of the talk.
		code := "callback"
		if a.n%2 == 0 {
			code = campaign.DispositionPromiseToPay
		}
		a.n++
		if err := a.engine.Disposition(ctx, c.agentID, attemptID, code); err != nil {
			a.errs = append(a.errs, fmt.Sprintf("Disposition(%s, %s): %v", c.agentID, attemptID, err))
		}
		c.code = code
	}
}

// TestEndToEnd is the end-to-end test of the whole daemon: debts imported
// through the importer into a real Redis, the service dialing them through
// the PBX simulator (or a real Asterisk, see e2eWorld) until the queue is
// empty, simulated agents talking and recording dispositions. It then
// checks every debt's attempts against the last-digit scheme and the retry
// rules, that bridged calls really met an agent in the agent's bridge, that
// no debt was dialled twice at once, and that the KPI counters equal the
// attempt log.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	w := newWorld(t)
	rs := redistest.New(t)
	cfg := baseConfig(t, rs, w.ariURL, w.user, w.password, w.app, w.dialTmpl, w.agentTpl, w.agents)
	camp := cfg.Campaigns[0]
	rules := camp.Rules()
	logs := &logSink{}

	r := start(t, cfg, service.Options{Logger: logs.logger(t), TimeScale: w.scale, DrainTimeout: 10 * time.Second})
	svc := r.svc
	ctx := context.Background()

	debts := portfolio(w.debts)
	byID := map[string]testDebt{}
	for _, d := range debts {
		byID[d.id] = d
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	sum, err := importer.Import(ctx, portfolioCSV(t, debts, today), svc.Store(), importer.Options{
		CampaignID: camp.ID, Rules: rules, DefaultRegion: cfg.Dialer.DefaultRegion,
	})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if sum.Imported != w.debts || sum.Failed != 0 {
		t.Fatalf("import: %+v; want %d debts imported, none failed", sum, w.debts)
	}

	agents := &agentSim{engine: svc.Engine(), calls: map[string]*simCall{}, endAfter: func(debtID string) time.Duration {
		if lastDigit(byID[debtID].phone1) == 5 {
			// The debtor hangs up 5 s after answering: wait for it.
			return time.Duration(60 * float64(time.Second) * w.scale)
		}
		return time.Duration(3 * float64(time.Second) * w.scale)
	}}
	simCtx, stopAgents := context.WithCancel(ctx)
	agentsDone := make(chan struct{})
	go func() { defer close(agentsDone); agents.run(simCtx) }()
	defer func() { stopAgents(); <-agentsDone }()

	// The PBX must be reachable (a wrong URL or password fails here, not
	// after the whole deadline).
	waitFor(t, 30*time.Second, "GET /readyz to say ready (is the PBX reachable?)", func() bool {
		return getJSON(t, svc.Addr(), "/readyz", nil) == 200
	})

	// Dial until every debt is finished.
	var q campaign.QueueStats
	deadline := time.Now().Add(w.deadline)
	for {
		q, err = svc.Store().QueueStats(ctx, camp.ID, time.Now())
		if err != nil {
			t.Fatalf("queue stats: %v", err)
		}
		if q.Finished == int64(w.debts) && q.Due+q.Scheduled+q.Leased == 0 {
			break
		}
		if time.Now().After(deadline) {
			st := svc.Engine().Status(ctx)
			t.Fatalf("campaign not finished after %v: queue %+v; live %+v; agents %+v", w.deadline, q, st.Campaigns, st.Agents)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := svc.Engine().Status(ctx)
	var ready map[string]any
	if code := getJSON(t, svc.Addr(), "/readyz", &ready); code != 200 {
		t.Errorf("GET /readyz while running = %d %v; want 200", code, ready)
	}
	stopAgents()
	<-agentsDone
	agents.step(ctx, true)
	for _, e := range agents.errs {
		t.Errorf("agent: %s", e)
	}
	var apiStats httpapi.Stats
	if code := getJSON(t, svc.Addr(), "/api/v1/stats", &apiStats); code != 200 {
		t.Fatalf("GET /api/v1/stats = %d", code)
	}
	r.shutdown(t) // drains and flushes every write (dispositions, agent time)

	// Reading the results: the service's own store is closed; read through
	// a store on the test's client, with the same prefix.
	store := newStore(rs)
	atts := readAttempts(t, store, camp.ID)
	byDebt := map[string][]campaign.Attempt{}
	byAttempt := map[string]campaign.Attempt{}
	for _, a := range atts {
		if _, ok := byID[a.DebtID]; !ok {
			t.Errorf("attempt %s is for unknown debt %q", a.ID, a.DebtID)
		}
		if _, dup := byAttempt[a.ID]; dup {
			t.Errorf("attempt %s recorded twice", a.ID)
		}
		byAttempt[a.ID] = a
		byDebt[a.DebtID] = append(byDebt[a.DebtID], a)
	}
	agentIDs := map[string]bool{}
	for _, a := range cfg.Agents {
		agentIDs[a.ID] = true
	}

	// Every debt: finished, its attempts following the scheme and the rules.
	ids, err := store.DebtIDs(ctx, camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != w.debts {
		t.Errorf("store holds %d debts; want %d", len(ids), w.debts)
	}
	outcomes := map[campaign.Outcome]int{}
	for _, td := range debts {
		d, err := store.Debt(ctx, camp.ID, td.id)
		if err != nil {
			t.Errorf("debt %s: %v", td.id, err)
			continue
		}
		list := byDebt[td.id]
		sort.Slice(list, func(i, j int) bool { return list[i].OriginatedAt.Before(list[j].OriginatedAt) })
		for _, a := range list {
			outcomes[a.Outcome]++
		}
		checkDebt(t, td, d, list, rules, camp.MaxAttempts, agentIDs)
	}
	t.Logf("%d debts, %d attempts: %v; queue %+v", w.debts, len(atts), outcomes, q)

	// The attempts of one debt never overlap.
	for id, list := range byDebt {
		checkNoOverlap(t, "debt "+id+" (attempt log)", list, func(a campaign.Attempt) (time.Time, time.Time) { return a.OriginatedAt, a.EndedAt })
	}

	// Agents: what the simulated agents saw matches the log.
	agents.mu.Lock()
	for attemptID, c := range agents.calls {
		a, ok := byAttempt[attemptID]
		if !ok {
			t.Errorf("agent %s was on attempt %s, which is not in the log", c.agentID, attemptID)
			continue
		}
		if a.Outcome != campaign.OutcomeBridged || a.AgentID != c.agentID || a.DebtID != c.debtID {
			t.Errorf("agent %s talked on attempt %s (debt %s) but the log says %s, agent %q, debt %s",
				c.agentID, attemptID, c.debtID, a.Outcome, a.AgentID, a.DebtID)
		}
		if a.Disposition != c.code {
			t.Errorf("attempt %s: disposition %q in the log; the agent recorded %q", attemptID, a.Disposition, c.code)
		}
	}
	seen := len(agents.calls)
	agents.mu.Unlock()
	if seen == 0 {
		t.Errorf("the simulated agents never saw a call")
	}

	// KPI counters equal a recount of the attempt log.
	checkCounters(t, store, camp.ID, atts, agentIDs)

	// Live figures of the engine at the end of the run.
	bridged := outcomes[campaign.OutcomeBridged]
	if bridged == 0 {
		t.Fatalf("no call was bridged")
	}
	if got := st.Latency.Count; got != uint64(bridged) {
		t.Errorf("connect latency histogram has %d samples; want one per bridged call (%d)", got, bridged)
	}
	if len(st.Campaigns) != 1 || st.Campaigns[0].Placed != int64(len(atts)) || st.Campaigns[0].Completed != int64(len(atts)) {
		t.Errorf("engine status %+v; want %d placed and completed", st.Campaigns, len(atts))
	} else {
		for _, o := range campaign.Outcomes {
			if got := st.Campaigns[0].Outcomes[o]; got != int64(outcomes[o]) {
				t.Errorf("engine counted %d %s; the log holds %d", got, o, outcomes[o])
			}
		}
	}
	// Progressive pacing dials one line per ready agent: an answered
	// debtor almost always finds an agent. Abandons are counted like
	// every outcome (above); here only their share is bounded.
	if ans := outcomes[campaign.OutcomeBridged] + outcomes[campaign.OutcomeAbandoned] + outcomes[campaign.OutcomeHungUpEarly]; outcomes[campaign.OutcomeAbandoned]*10 > ans {
		t.Errorf("%d of %d answered calls abandoned under progressive pacing", outcomes[campaign.OutcomeAbandoned], ans)
	}
	if len(apiStats.Campaigns) != 1 || apiStats.Campaigns[0].Total.Placed != int64(len(atts)) ||
		apiStats.Campaigns[0].Queue.Finished != int64(w.debts) {
		t.Errorf("GET /api/v1/stats: %+v; want %d calls placed and %d debts finished", apiStats.Campaigns, len(atts), w.debts)
	}

	if w.sim != nil {
		checkSimulator(t, w.sim, cfg, byAttempt)
	}

	// Nothing personal or secret in the logs.
	var secrets []string
	for _, d := range debts {
		secrets = append(secrets, d.name)
		secrets = append(secrets, phoneSpellings(d.phone1)...)
		if d.phone2 != "" {
			secrets = append(secrets, phoneSpellings(d.phone2)...)
		}
	}
	logs.assertNoSecrets(t, "phone number or debtor name", secrets)
	logs.assertNoSecrets(t, "ARI password", []string{w.password})
}

// allowed is what a callee with the given last digit may lead to.
func allowed(digit int) []campaign.Outcome {
	switch digit {
	case 2:
		return []campaign.Outcome{campaign.OutcomeBusy}
	case 3:
		return []campaign.Outcome{campaign.OutcomeNoAnswer}
	case 4:
		return []campaign.Outcome{campaign.OutcomeCongestion}
	case 5: // hangs up 5 s after answering: bridged, or gone before an agent came
		return []campaign.Outcome{campaign.OutcomeBridged, campaign.OutcomeHungUpEarly, campaign.OutcomeAbandoned}
	case 7:
		return []campaign.Outcome{campaign.OutcomeInvalidNumber}
	default: // 1, 6, 8, 9, 0 answer and stay long enough for an agent
		return []campaign.Outcome{campaign.OutcomeBridged, campaign.OutcomeAbandoned}
	}
}

// checkDebt checks one debt's attempts (in order) against the last-digit
// scheme, the retry rules and the debt's final state.
func checkDebt(t *testing.T, td testDebt, d campaign.Debt, list []campaign.Attempt, rules campaign.Rules, maxAttempts int, agents map[string]bool) {
	t.Helper()
	if len(list) == 0 {
		t.Errorf("debt %s was never dialled", td.id)
		return
	}
	if d.State != campaign.StateFinished {
		t.Errorf("debt %s is %s; want finished", td.id, d.State)
	}
	if d.Attempts != len(list) || d.LastOutcome != list[len(list)-1].Outcome {
		t.Errorf("debt %s: %d attempts, last %s; the log holds %d, last %s", td.id, d.Attempts, d.LastOutcome, len(list), list[len(list)-1].Outcome)
	}
	if len(list) > maxAttempts {
		t.Errorf("debt %s dialled %d times; max_attempts is %d", td.id, len(list), maxAttempts)
	}
	trace := func() string {
		var b strings.Builder
		for _, a := range list {
			fmt.Fprintf(&b, " [%s %s %s]", dialer.MaskPhone(a.Phone), a.Outcome, a.Reason)
		}
		return b.String()
	}
	phones := []string{td.phone1}
	if td.phone2 != "" {
		phones = append(phones, td.phone2)
	}
	idx := 0
	for k, a := range list {
		if a.Phone != phones[idx] {
			t.Errorf("debt %s attempt %d dialled %s; want %s:%s", td.id, k+1, dialer.MaskPhone(a.Phone), dialer.MaskPhone(phones[idx]), trace())
			return
		}
		digit := lastDigit(a.Phone)
		if !slices.Contains(allowed(digit), a.Outcome) {
			t.Errorf("debt %s attempt %d on a number ending in %d: outcome %s; want one of %v:%s", td.id, k+1, digit, a.Outcome, allowed(digit), trace())
		}
		checkAttemptTimes(t, a, agents)
		if digit == 5 && a.Outcome == campaign.OutcomeBridged && a.TalkSeconds() <= 0 {
			t.Errorf("debt %s: bridged call to a debtor who hangs up has no talk time: %+v", td.id, a)
		}
		sched := rules.Next(campaign.Debt{Phones: phones, PhoneIndex: idx}, k+1, a.Outcome, a.EndedAt)
		if k == len(list)-1 {
			if !sched.Finish {
				t.Errorf("debt %s: the rules want another attempt after %s, but it finished:%s", td.id, a.Outcome, trace())
			} else if d.FinishReason != sched.FinishReason {
				t.Errorf("debt %s finished with %q; want %q", td.id, d.FinishReason, sched.FinishReason)
			}
			break
		}
		if sched.Finish {
			t.Errorf("debt %s dialled again after the rules finished it (%s):%s", td.id, sched.FinishReason, trace())
			return
		}
		// Queue times have whole-second resolution.
		if nextAt := list[k+1].OriginatedAt; nextAt.Before(sched.NextAttemptAt.Add(-time.Second)) {
			t.Errorf("debt %s attempt %d at %s, before its retry time %s:%s", td.id, k+2, nextAt.Format(time.StampMilli), sched.NextAttemptAt.Format(time.StampMilli), trace())
		}
		idx = sched.PhoneIndex
	}
	// Outcomes that keep failing on one number use up every attempt.
	switch lastDigit(td.phone1) {
	case 2, 3, 4:
		if len(list) != maxAttempts {
			t.Errorf("debt %s on a number ending in %d: %d attempts; want %d:%s", td.id, lastDigit(td.phone1), len(list), maxAttempts, trace())
		}
	case 7:
		if td.phone2 == "" && len(list) != 1 {
			t.Errorf("debt %s with one unallocated number: %d attempts; want 1:%s", td.id, len(list), trace())
		}
		if td.phone2 != "" && len(list) < 2 {
			t.Errorf("debt %s: second number never dialled after an unallocated first:%s", td.id, trace())
		}
	}
}

// checkAttemptTimes checks the times and agent of one attempt against its
// outcome.
func checkAttemptTimes(t *testing.T, a campaign.Attempt, agents map[string]bool) {
	t.Helper()
	if a.OriginatedAt.IsZero() || a.EndedAt.Before(a.OriginatedAt) {
		t.Errorf("attempt %s: originated %v, ended %v", a.ID, a.OriginatedAt, a.EndedAt)
	}
	switch {
	case a.Outcome == campaign.OutcomeBridged:
		if !agents[a.AgentID] {
			t.Errorf("bridged attempt %s has agent %q", a.ID, a.AgentID)
		}
		if a.AnsweredAt.IsZero() || a.BridgedAt.Before(a.AnsweredAt) || a.EndedAt.Before(a.BridgedAt) {
			t.Errorf("bridged attempt %s: answered %v, bridged %v, ended %v", a.ID, a.AnsweredAt, a.BridgedAt, a.EndedAt)
		}
	case a.Outcome.Answered():
		if a.AnsweredAt.IsZero() || !a.BridgedAt.IsZero() {
			t.Errorf("%s attempt %s: answered %v, bridged %v", a.Outcome, a.ID, a.AnsweredAt, a.BridgedAt)
		}
	default:
		if !a.AnsweredAt.IsZero() || !a.BridgedAt.IsZero() || a.AgentID != "" {
			t.Errorf("%s attempt %s: answered %v, bridged %v, agent %q", a.Outcome, a.ID, a.AnsweredAt, a.BridgedAt, a.AgentID)
		}
	}
}

// checkNoOverlap checks that no two items' [start, end] intervals overlap.
func checkNoOverlap[T any](t *testing.T, what string, items []T, span func(T) (time.Time, time.Time)) {
	t.Helper()
	type iv struct{ from, to time.Time }
	ivs := make([]iv, len(items))
	for i, it := range items {
		ivs[i].from, ivs[i].to = span(it)
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].from.Before(ivs[j].from) })
	for i := 1; i < len(ivs); i++ {
		if ivs[i].from.Before(ivs[i-1].to) {
			t.Errorf("%s dialled twice at once: %s–%s and %s–%s", what,
				ivs[i-1].from.Format(time.StampMicro), ivs[i-1].to.Format(time.StampMicro),
				ivs[i].from.Format(time.StampMicro), ivs[i].to.Format(time.StampMicro))
		}
	}
}

// checkCounters compares the store's KPI counters with a recount of the
// attempt log: total, per day and per agent.
func checkCounters(t *testing.T, store campaign.Store, campaignID string, atts []campaign.Attempt, agents map[string]bool) {
	t.Helper()
	rep, err := store.Counters(context.Background(), campaignID)
	if err != nil {
		t.Fatal(err)
	}
	var total campaign.Counters
	days := map[string]campaign.Counters{}
	byAgent := map[string]campaign.Counters{}
	for _, a := range atts {
		total.Count(a)
		day := a.OriginatedAt.UTC().Format("2006-01-02")
		c := days[day]
		c.Count(a)
		days[day] = c
		if a.AgentID != "" {
			c := byAgent[a.AgentID]
			c.Count(a)
			byAgent[a.AgentID] = c
		}
	}
	sameCounters(t, "total", rep.Total, total, len(atts))
	for day := range union(rep.Days, days) {
		sameCounters(t, "day "+day, rep.Days[day], days[day], len(atts))
	}
	for agent := range union(rep.Agents, byAgent) {
		if !agents[agent] {
			t.Errorf("counters for unknown agent %q", agent)
		}
		sameCounters(t, "agent "+agent, rep.Agents[agent], byAgent[agent], len(atts))
	}
	for agent := range agents {
		c := rep.Agents[agent]
		if c.ReadySeconds <= 0 {
			t.Errorf("agent %s: no ready time counted: %+v", agent, c)
		}
		if c.Bridged > 0 && c.WrapUpSeconds <= 0 {
			t.Errorf("agent %s: %d calls but no wrap-up time counted", agent, c.Bridged)
		}
	}
	if rep.Total.PromiseToPay == 0 {
		t.Errorf("no promise to pay counted; the agents recorded some")
	}
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// sameCounters compares the attempt-derived counters (agent time is not in
// the log). Talk seconds may differ by the log's rounding of times to the
// millisecond, at most a millisecond per attempt, and not more: a counter
// computed from the monotonic clock while the log holds wall-clock times
// drifts from the log whenever the system clock is adjusted.
func sameCounters(t *testing.T, scope string, got, want campaign.Counters, n int) {
	t.Helper()
	talkGot, talkWant := got.TalkSeconds, want.TalkSeconds
	got.TalkSeconds, want.TalkSeconds = 0, 0
	got.ReadySeconds, got.WrapUpSeconds, got.PausedSeconds = 0, 0, 0
	if got != want {
		t.Errorf("KPI counters (%s) = %+v; the attempt log counts %+v", scope, got, want)
	}
	if math.Abs(talkGot-talkWant) > 0.001*float64(n)+1e-6 {
		t.Errorf("KPI talk seconds (%s) = %f; the attempt log counts %f", scope, talkGot, talkWant)
	}
}

// checkSimulator checks what the PBX simulator saw: every attempt is one
// originated channel with the outcome the simulator chose, no number or
// debt had two calls at once, and every bridged debtor really entered the
// bridge of the agent the attempt names while the agent was in it.
func checkSimulator(t *testing.T, sim *pbxsim.Server, cfg *config.Config, byAttempt map[string]campaign.Attempt) {
	t.Helper()
	agentByEndpoint := map[string]string{}
	for _, a := range cfg.Agents {
		agentByEndpoint[a.Endpoint] = a.ID
	}
	agentOfChannel := map[string]string{}
	byNumber := map[string][]pbxsim.CallRecord{}
	byDebt := map[string][]pbxsim.CallRecord{}
	calls := sim.Calls()
	debtorCalls := 0
	simOutcome := map[campaign.Outcome]pbxsim.Outcome{
		campaign.OutcomeBridged: pbxsim.OutcomeAnswered, campaign.OutcomeAbandoned: pbxsim.OutcomeAnswered,
		campaign.OutcomeHungUpEarly: pbxsim.OutcomeAnswered, campaign.OutcomeBusy: pbxsim.OutcomeBusy,
		campaign.OutcomeNoAnswer: pbxsim.OutcomeNoAnswer, campaign.OutcomeCongestion: pbxsim.OutcomeCongestion,
		campaign.OutcomeInvalidNumber: pbxsim.OutcomeUnallocated,
	}
	for _, c := range calls {
		if c.Agent {
			id, ok := agentByEndpoint[c.Endpoint]
			if !ok {
				t.Errorf("the simulator saw a call to agent endpoint %s, which no agent has", c.Endpoint)
			}
			agentOfChannel[c.ID] = id
			continue
		}
		debtorCalls++
		a, ok := byAttempt[c.ID]
		if !ok {
			t.Errorf("the simulator saw call %s to %s, which is in no attempt", c.ID, dialer.MaskPhone(c.Number))
			continue
		}
		if c.Number != strings.TrimPrefix(a.Phone, "+") || c.Endpoint != "PJSIP/"+c.Number+"@trunk" {
			t.Errorf("attempt %s dialled %s (%s); want the number %s", a.ID, dialer.MaskPhone(c.Number), c.Endpoint, dialer.MaskPhone(a.Phone))
		}
		if c.Ended.IsZero() {
			t.Errorf("call %s still up in the simulator after the run", c.ID)
		}
		if want := simOutcome[a.Outcome]; c.Outcome != want {
			t.Errorf("attempt %s recorded %s; the simulator says %s (dial status %s, cause %d)", a.ID, a.Outcome, c.Outcome, c.DialStatus, c.Cause)
		}
		if d := lastDigit(c.Number); a.Outcome == campaign.OutcomeBridged && d != 8 && d != 9 && d != 0 { // those hang up at random
			wantBy := pbxsim.HungUpByAPI // the agent ended it
			if d == 5 {
				wantBy = pbxsim.HungUpByCallee
			}
			if c.HungUpBy != wantBy {
				t.Errorf("bridged attempt %s to a number ending in %d hung up by %s; want %s", a.ID, lastDigit(c.Number), c.HungUpBy, wantBy)
			}
		}
		byNumber[c.Number] = append(byNumber[c.Number], c)
		byDebt[a.DebtID] = append(byDebt[a.DebtID], c)
	}
	if debtorCalls != len(byAttempt) {
		t.Errorf("the simulator saw %d debtor calls; the attempt log holds %d", debtorCalls, len(byAttempt))
	}
	if len(agentOfChannel) != len(cfg.Agents) {
		t.Errorf("%d agent channels originated; want one per agent (%d): the connection is nailed up", len(agentOfChannel), len(cfg.Agents))
	}
	span := func(c pbxsim.CallRecord) (time.Time, time.Time) { return c.Originated, c.Ended }
	for n, list := range byNumber {
		checkNoOverlap(t, "number "+dialer.MaskPhone(n), list, span)
	}
	for d, list := range byDebt {
		checkNoOverlap(t, "debt "+d+" (simulator)", list, span)
	}

	// Bridges: each bridged debtor channel entered a bridge that the
	// attempt's agent's channel was in at that moment; other debtor
	// channels never entered a bridge.
	log := sim.BridgeLog()
	stays := map[string][]pbxsim.BridgeRecord{} // by bridge
	for _, b := range log {
		stays[b.BridgeID] = append(stays[b.BridgeID], b)
	}
	entered := map[string][]pbxsim.BridgeRecord{} // by channel
	for _, b := range log {
		entered[b.ChannelID] = append(entered[b.ChannelID], b)
	}
	for id, a := range byAttempt {
		recs := entered[id]
		if a.Outcome != campaign.OutcomeBridged {
			if len(recs) > 0 {
				t.Errorf("%s attempt %s entered bridge %s", a.Outcome, id, recs[0].BridgeID)
			}
			continue
		}
		if len(recs) != 1 {
			t.Errorf("bridged attempt %s entered %d bridges; want 1", id, len(recs))
			continue
		}
		debtor := recs[0]
		var met string
		for _, s := range stays[debtor.BridgeID] {
			agent, isAgent := agentOfChannel[s.ChannelID]
			if isAgent && !s.Entered.After(debtor.Entered) && (s.Left.IsZero() || !s.Left.Before(debtor.Entered)) {
				met = agent
			}
		}
		if met != a.AgentID {
			t.Errorf("bridged attempt %s (agent %s, debt %s) entered bridge %s, where the agent present was %q",
				id, a.AgentID, a.DebtID, debtor.BridgeID, met)
		}
		if debtor.Left.IsZero() {
			t.Errorf("bridged attempt %s never left its bridge", id)
		}
	}
}

// readAttempts reads a campaign's whole attempt log, page by page.
func readAttempts(t *testing.T, store campaign.Store, campaignID string) []campaign.Attempt {
	t.Helper()
	var out []campaign.Attempt
	after := ""
	for {
		page, next, err := store.Attempts(context.Background(), campaignID, after, 97)
		if err != nil {
			t.Fatalf("read attempts: %v", err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		after = next
	}
}
