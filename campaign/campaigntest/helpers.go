package campaigntest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

// testTimeout bounds every store call of one subtest.
const testTimeout = 30 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// today is midnight UTC of the day the suite first ran in this process:
// due dates are placed around it so that days past due, which a store ranks
// by at import with its own clock, are realistic. It is fixed once so that
// a run crossing midnight does not move dates within a test.
var today = sync.OnceValue(func() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) })

func rulesFor(campaignID string) campaign.Rules {
	return campaign.Rules{CampaignID: campaignID, Order: campaign.OrderPriority}
}

// newDebt builds a debt with every data field set.
func newDebt(campaignID, id string, due time.Time) campaign.Debt {
	return campaign.Debt{
		ID:         id,
		CampaignID: campaignID,
		DebtorName: "Nguyen Van " + id,
		Phones:     []string{"+8491234" + fmt.Sprintf("%04d", len(id)*7%10000), "+84987654321"},
		Amount:     "1500000",
		Currency:   "VND",
		DueDate:    due,
		Timezone:   "Asia/Ho_Chi_Minh",
		Priority:   1,
		Notes:      "note for " + id,
		Profile:    map[string]string{"contract": "K-" + id, "branch": "HCM"},
	}
}

func upsert(t *testing.T, s campaign.Store, rules campaign.Rules, debts ...campaign.Debt) campaign.UpsertResult {
	t.Helper()
	res, err := s.UpsertDebts(testCtx(t), rules, debts)
	if err != nil {
		t.Fatalf("UpsertDebts: %v", err)
	}
	return res
}

func getDebt(t *testing.T, s campaign.Store, campaignID, id string) campaign.Debt {
	t.Helper()
	d, err := s.Debt(testCtx(t), campaignID, id)
	if err != nil {
		t.Fatalf("Debt(%s, %s): %v", campaignID, id, err)
	}
	return d
}

func claim(t *testing.T, s campaign.Store, campaignID, owner string, now time.Time, ttl time.Duration) campaign.Lease {
	t.Helper()
	l, err := s.Claim(testCtx(t), campaignID, owner, now, ttl)
	if err != nil {
		t.Fatalf("Claim(%s, now=%s): %v", campaignID, now.Format(time.RFC3339), err)
	}
	return l
}

func claimNone(t *testing.T, s campaign.Store, campaignID string, now time.Time) {
	t.Helper()
	l, err := s.Claim(testCtx(t), campaignID, "owner", now, time.Minute)
	if !errors.Is(err, campaign.ErrNoDebtDue) {
		t.Fatalf("Claim(%s, now=%s) = debt %q, %v; want ErrNoDebtDue", campaignID, now.Format(time.RFC3339), l.DebtID, err)
	}
}

func complete(t *testing.T, s campaign.Store, l campaign.Lease, a campaign.Attempt, next campaign.Schedule) {
	t.Helper()
	if err := s.Complete(testCtx(t), l, a, next); err != nil {
		t.Fatalf("Complete(%s, attempt %s): %v", l.DebtID, a.ID, err)
	}
}

// newAttempt builds a realistic attempt for a lease, started at start.
func newAttempt(l campaign.Lease, id string, o campaign.Outcome, agent string, start time.Time) campaign.Attempt {
	a := campaign.Attempt{
		ID:           id,
		CampaignID:   l.CampaignID,
		DebtID:       l.DebtID,
		Phone:        l.Debt.Phone(),
		Outcome:      o,
		HangupCause:  16,
		Reason:       "dial status " + string(o),
		OriginatedAt: start,
		EndedAt:      start.Add(25 * time.Second),
	}
	if o.Answered() {
		a.AnsweredAt = start.Add(5 * time.Second)
	}
	if o == campaign.OutcomeBridged {
		a.AgentID = agent
		a.BridgedAt = start.Add(6500 * time.Millisecond)
		a.EndedAt = start.Add(97*time.Second + 250*time.Millisecond)
	}
	switch o {
	case campaign.OutcomeBusy:
		a.HangupCause = 17
	case campaign.OutcomeInvalidNumber:
		a.HangupCause = 1
	case campaign.OutcomeFailed:
		a.HangupCause = 0
		a.Reason = "originate rejected: 503"
	}
	return a
}

// allAttempts reads the whole attempt log with small pages.
func allAttempts(t *testing.T, s campaign.Store, campaignID string) []campaign.Attempt {
	t.Helper()
	var all []campaign.Attempt
	after := ""
	for page := 0; ; page++ {
		if page > 100000 {
			t.Fatal("Attempts paging does not end")
		}
		got, next, err := s.Attempts(testCtx(t), campaignID, after, 7)
		if err != nil {
			t.Fatalf("Attempts(%s, after %q): %v", campaignID, after, err)
		}
		if len(got) > 7 {
			t.Fatalf("Attempts returned %d records, asked for 7", len(got))
		}
		all = append(all, got...)
		if next == "" {
			return all
		}
		if len(got) == 0 {
			t.Fatalf("Attempts returned no record but next %q", next)
		}
		after = next
	}
}

// recount derives a Report from an attempt log with Counters.Count: the
// campaign total, per UTC day of OriginatedAt and per non-empty agent.
func recount(campaignID string, attempts []campaign.Attempt) campaign.Report {
	r := campaign.Report{CampaignID: campaignID, Days: map[string]campaign.Counters{}, Agents: map[string]campaign.Counters{}}
	for _, a := range attempts {
		r.Total.Count(a)
		day := a.OriginatedAt.UTC().Format("2006-01-02")
		c := r.Days[day]
		c.Count(a)
		r.Days[day] = c
		if a.AgentID != "" {
			c := r.Agents[a.AgentID]
			c.Count(a)
			r.Agents[a.AgentID] = c
		}
	}
	return r
}

// diffCounters describes how got differs from want ("" when equal); floats
// are compared to 1e-6.
func diffCounters(got, want campaign.Counters) string {
	type field struct {
		name      string
		got, want float64
	}
	fields := []field{
		{"Placed", float64(got.Placed), float64(want.Placed)},
		{"Answered", float64(got.Answered), float64(want.Answered)},
		{"Bridged", float64(got.Bridged), float64(want.Bridged)},
		{"Abandoned", float64(got.Abandoned), float64(want.Abandoned)},
		{"HungUpEarly", float64(got.HungUpEarly), float64(want.HungUpEarly)},
		{"Busy", float64(got.Busy), float64(want.Busy)},
		{"NoAnswer", float64(got.NoAnswer), float64(want.NoAnswer)},
		{"Congestion", float64(got.Congestion), float64(want.Congestion)},
		{"InvalidNumber", float64(got.InvalidNumber), float64(want.InvalidNumber)},
		{"Failed", float64(got.Failed), float64(want.Failed)},
		{"PromiseToPay", float64(got.PromiseToPay), float64(want.PromiseToPay)},
		{"TalkSeconds", got.TalkSeconds, want.TalkSeconds},
		{"ReadySeconds", got.ReadySeconds, want.ReadySeconds},
		{"WrapUpSeconds", got.WrapUpSeconds, want.WrapUpSeconds},
		{"PausedSeconds", got.PausedSeconds, want.PausedSeconds},
	}
	var out string
	for _, f := range fields {
		if math.Abs(f.got-f.want) > 1e-6 {
			out += fmt.Sprintf(" %s=%v (want %v)", f.name, f.got, f.want)
		}
	}
	return out
}

// diffReports compares two reports scope by scope. A scope missing on one
// side equals zero counters.
func diffReports(got, want campaign.Report) []string {
	var diffs []string
	if d := diffCounters(got.Total, want.Total); d != "" {
		diffs = append(diffs, "total:"+d)
	}
	cmp := func(kind string, g, w map[string]campaign.Counters) {
		keys := append(slices.Collect(maps.Keys(g)), slices.Collect(maps.Keys(w))...)
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			if d := diffCounters(g[k], w[k]); d != "" {
				diffs = append(diffs, fmt.Sprintf("%s %q:%s", kind, k, d))
			}
		}
	}
	cmp("day", got.Days, want.Days)
	cmp("agent", got.Agents, want.Agents)
	return diffs
}

// agentTime is what AddAgentTime was told, to add to a recount.
type agentTime struct {
	agent   string
	state   campaign.AgentTimeState
	at      time.Time
	seconds float64
}

func addAgentTimes(r *campaign.Report, times []agentTime) {
	for _, at := range times {
		var c campaign.Counters
		switch at.state {
		case campaign.AgentTimeReady:
			c.ReadySeconds = at.seconds
		case campaign.AgentTimeWrapUp:
			c.WrapUpSeconds = at.seconds
		case campaign.AgentTimePaused:
			c.PausedSeconds = at.seconds
		}
		r.Total.Add(c)
		day := at.at.UTC().Format("2006-01-02")
		dc := r.Days[day]
		dc.Add(c)
		r.Days[day] = dc
		ac := r.Agents[at.agent]
		ac.Add(c)
		r.Agents[at.agent] = ac
	}
}

// checkCounters asserts that Counters equals the recount of the attempt
// log plus the given agent times.
func checkCounters(t *testing.T, s campaign.Store, campaignID string, times []agentTime) []campaign.Attempt {
	t.Helper()
	attempts := allAttempts(t, s, campaignID)
	want := recount(campaignID, attempts)
	addAgentTimes(&want, times)
	got, err := s.Counters(testCtx(t), campaignID)
	if err != nil {
		t.Fatalf("Counters(%s): %v", campaignID, err)
	}
	if got.CampaignID != campaignID {
		t.Errorf("Counters().CampaignID = %q, want %q", got.CampaignID, campaignID)
	}
	for _, d := range diffReports(got, want) {
		t.Errorf("Counters(%s) differ from the attempt log: %s", campaignID, d)
	}
	return attempts
}

// checkStates asserts the state invariant: every debt is exactly one of
// queued, leased or finished; QueueStats agrees with the debts' states and
// its Total with DebtIDs.
func checkStates(t *testing.T, s campaign.Store, campaignID string, now time.Time) campaign.QueueStats {
	t.Helper()
	ctx := testCtx(t)
	ids, err := s.DebtIDs(ctx, campaignID)
	if err != nil {
		t.Fatalf("DebtIDs(%s): %v", campaignID, err)
	}
	seen := map[string]bool{}
	var want campaign.QueueStats
	for _, id := range ids {
		if seen[id] {
			t.Errorf("DebtIDs lists %s twice", id)
		}
		seen[id] = true
		d, err := s.Debt(ctx, campaignID, id)
		if err != nil {
			t.Fatalf("Debt(%s) of DebtIDs: %v", id, err)
		}
		switch d.State {
		case campaign.StateQueued:
			if d.NextAttemptAt.Unix() <= now.Unix() {
				want.Due++
			} else {
				want.Scheduled++
				if at := time.Unix(d.NextAttemptAt.Unix(), 0).UTC(); want.NextScheduledAt.IsZero() || at.Before(want.NextScheduledAt) {
					want.NextScheduledAt = at
				}
			}
		case campaign.StateLeased:
			want.Leased++
		case campaign.StateFinished:
			want.Finished++
			if d.FinishReason == "" {
				t.Errorf("finished debt %s has no FinishReason", id)
			}
		default:
			t.Errorf("debt %s in state %q", id, d.State)
		}
	}
	got, err := s.QueueStats(ctx, campaignID, now)
	if err != nil {
		t.Fatalf("QueueStats(%s): %v", campaignID, err)
	}
	if got != want {
		t.Errorf("QueueStats(%s) = %+v; the debts' states say %+v", campaignID, got, want)
	}
	if got.Total() != int64(len(ids)) {
		t.Errorf("QueueStats.Total() = %d, DebtIDs has %d", got.Total(), len(ids))
	}
	return got
}

// sameData reports how a stored debt's imported fields differ from want.
func sameData(got, want campaign.Debt) []string {
	var d []string
	check := func(name string, ok bool, g, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	check("ID", got.ID == want.ID, got.ID, want.ID)
	check("CampaignID", got.CampaignID == want.CampaignID, got.CampaignID, want.CampaignID)
	check("DebtorName", got.DebtorName == want.DebtorName, got.DebtorName, want.DebtorName)
	check("Phones", slices.Equal(got.Phones, want.Phones), got.Phones, want.Phones)
	check("Amount", got.Amount == want.Amount, got.Amount, want.Amount)
	check("Currency", got.Currency == want.Currency, got.Currency, want.Currency)
	check("DueDate", got.DueDate.Equal(want.DueDate), got.DueDate, want.DueDate)
	check("Timezone", got.Timezone == want.Timezone, got.Timezone, want.Timezone)
	check("Priority", got.Priority == want.Priority, got.Priority, want.Priority)
	check("Notes", got.Notes == want.Notes, got.Notes, want.Notes)
	check("Profile", maps.Equal(got.Profile, want.Profile), got.Profile, want.Profile)
	return d
}

// diffAttempt describes how a read attempt differs from the recorded one.
func diffAttempt(got, want campaign.Attempt) string {
	var d string
	add := func(name string, ok bool, g, w any) {
		if !ok {
			d += fmt.Sprintf(" %s=%v (want %v)", name, g, w)
		}
	}
	add("ID", got.ID == want.ID, got.ID, want.ID)
	add("CampaignID", got.CampaignID == want.CampaignID, got.CampaignID, want.CampaignID)
	add("DebtID", got.DebtID == want.DebtID, got.DebtID, want.DebtID)
	add("Phone", got.Phone == want.Phone, got.Phone, want.Phone)
	add("AgentID", got.AgentID == want.AgentID, got.AgentID, want.AgentID)
	add("Outcome", got.Outcome == want.Outcome, got.Outcome, want.Outcome)
	add("HangupCause", got.HangupCause == want.HangupCause, got.HangupCause, want.HangupCause)
	add("Reason", got.Reason == want.Reason, got.Reason, want.Reason)
	add("OriginatedAt", got.OriginatedAt.Equal(want.OriginatedAt), got.OriginatedAt, want.OriginatedAt)
	add("AnsweredAt", got.AnsweredAt.Equal(want.AnsweredAt), got.AnsweredAt, want.AnsweredAt)
	add("BridgedAt", got.BridgedAt.Equal(want.BridgedAt), got.BridgedAt, want.BridgedAt)
	add("EndedAt", got.EndedAt.Equal(want.EndedAt), got.EndedAt, want.EndedAt)
	add("Disposition", got.Disposition == want.Disposition, got.Disposition, want.Disposition)
	return d
}

// CheckInvariants asserts a store's invariants for one campaign at now:
// every debt of DebtIDs is exactly one of queued, leased or finished,
// QueueStats agrees with the debts' states and its Total with DebtIDs, and
// the counters derived from attempts (all but agent time) equal a recount
// of the attempt log with Counters.Count. Use it after driving a store
// through a scenario (an outage, a dialer run).
func CheckInvariants(t *testing.T, s campaign.Store, campaignID string, now time.Time) {
	t.Helper()
	checkStates(t, s, campaignID, now)
	attempts := allAttempts(t, s, campaignID)
	want := recount(campaignID, attempts)
	got, err := s.Counters(testCtx(t), campaignID)
	if err != nil {
		t.Fatalf("Counters(%s): %v", campaignID, err)
	}
	withoutAgentTime := func(m map[string]campaign.Counters) {
		for k, c := range m {
			c.ReadySeconds, c.WrapUpSeconds, c.PausedSeconds = 0, 0, 0
			m[k] = c
		}
	}
	got.Total.ReadySeconds, got.Total.WrapUpSeconds, got.Total.PausedSeconds = 0, 0, 0
	withoutAgentTime(got.Days)
	withoutAgentTime(got.Agents)
	for _, d := range diffReports(got, want) {
		t.Errorf("Counters(%s) differ from the attempt log: %s", campaignID, d)
	}
}
