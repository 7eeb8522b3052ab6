package redisstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/campaign/campaigntest"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// Numbers of the gate tests (Vietnamese mobiles: zone Asia/Ho_Chi_Minh).
const (
	numA = "+84912000001"
	numB = "+84912000002"
	numC = "+84912000003"
	// numFree is an international freephone number: no zone.
	numFree = "+80012345678"
)

var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// local is a wall-clock time in Ho Chi Minh City. 2026-03-10 is a Tuesday.
func local(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, hcm)
}

// gateEnv is a store with a gate on a fresh key prefix.
type gateEnv struct {
	t  *testing.T
	r  *redistest.Server
	s  *redisstore.Store
	g  *redisstore.Gate
	gs *campaign.GatedStore
}

func newGateEnv(t *testing.T, r *redistest.Server, policies map[string]compliance.Policy) *gateEnv {
	t.Helper()
	if r == nil {
		r = redistest.New(t)
	}
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	g, err := redisstore.NewGate(s, redisstore.GateOptions{Policies: policies})
	if err != nil {
		t.Fatal(err)
	}
	return &gateEnv{t: t, r: r, s: s, g: g, gs: campaign.NewGatedStore(s, g, 0)}
}

// vnPolicy is the vn preset with overrides.
func vnPolicy(t testing.TB, kv map[string]string) compliance.Policy {
	t.Helper()
	o, err := compliance.ParseOverrides(kv)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := compliance.Resolve(compliance.PresetVN, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// gdebt is a debt due since March 1st; debtor "" keys it by its main number.
func gdebt(camp, id, debtor string, phones ...string) campaign.Debt {
	d := campaign.Debt{ID: id, CampaignID: camp, DebtorName: "Le Van " + id, Phones: phones, Amount: "1000000",
		Currency: "VND", DueDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Profile: map[string]string{}}
	if debtor != "" {
		d.Profile[compliance.DebtorIDColumn] = debtor
	}
	return d
}

func (e *gateEnv) upsert(debts ...campaign.Debt) {
	e.t.Helper()
	for _, d := range debts {
		if _, err := e.s.UpsertDebts(ctxT(e.t), campaign.Rules{CampaignID: d.CampaignID}, []campaign.Debt{d}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// claimAdmit claims the first due debt of camp at now with the store and
// runs the gate on it.
func (e *gateEnv) claimAdmit(camp string, now time.Time) (campaign.Lease, campaign.Admission) {
	e.t.Helper()
	l, err := e.s.Claim(ctxT(e.t), camp, "dialer", now, time.Minute)
	if err != nil {
		e.t.Fatalf("claim in %s at %v: %v", camp, now, err)
	}
	adm, err := e.g.Admit(ctxT(e.t), l, now)
	if err != nil {
		e.t.Fatalf("admit %s/%s: %v", camp, l.DebtID, err)
	}
	return l, adm
}

// call claims and admits a debt of camp at now, which must be allowed,
// records the attempt with outcome (ending a minute later) and requeues the
// debt due at once.
func (e *gateEnv) call(camp string, now time.Time, o campaign.Outcome) campaign.Lease {
	e.t.Helper()
	l, adm := e.claimAdmit(camp, now)
	if !adm.Allowed {
		e.t.Fatalf("call %s/%s at %v refused: %s (%s)", camp, l.DebtID, now, adm.Rule, adm.Reason)
	}
	l.Debt.PhoneIndex = adm.PhoneIndex
	e.complete(l, o, now, now.Add(time.Minute))
	return l
}

func (e *gateEnv) complete(l campaign.Lease, o campaign.Outcome, at, next time.Time) {
	e.t.Helper()
	a := campaign.Attempt{ID: fmt.Sprintf("att-%s-%d", l.DebtID, at.UnixNano()), CampaignID: l.CampaignID, DebtID: l.DebtID,
		Phone: l.Debt.Phone(), Outcome: o, OriginatedAt: at, EndedAt: at.Add(time.Minute)}
	if o.Answered() {
		a.AnsweredAt = at.Add(10 * time.Second)
	}
	if o == campaign.OutcomeBridged {
		a.BridgedAt, a.AgentID = at.Add(11*time.Second), "agent-1"
	}
	if err := e.gs.Complete(ctxT(e.t), l, a, campaign.Schedule{NextAttemptAt: next, PhoneIndex: l.Debt.PhoneIndex}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *gateEnv) debt(camp, id string) campaign.Debt {
	e.t.Helper()
	d, err := e.s.Debt(ctxT(e.t), camp, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// lastDecision is the newest audit record of a debt.
func (e *gateEnv) lastDecision(camp, id string) compliance.Record {
	e.t.Helper()
	recs, err := e.g.Decisions(ctxT(e.t), camp, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(recs) == 0 {
		e.t.Fatalf("no audit record for %s/%s", camp, id)
	}
	return recs[len(recs)-1]
}

// checkRefused checks a refusal: the admission, the audit record and the
// debt's queue state.
func (e *gateEnv) checkRefused(l campaign.Lease, adm campaign.Admission, rule string, next time.Time, finished bool) {
	e.t.Helper()
	if adm.Allowed || adm.Rule != rule || adm.Finished != finished || !adm.NextEligible.Equal(next) {
		e.t.Fatalf("admission %+v; want refused by %s, next %v, finished %v", adm, rule, next.UTC(), finished)
	}
	rec := e.lastDecision(l.CampaignID, l.DebtID)
	if rec.Allowed || rec.Rule != rule || rec.Reason == "" || !rec.NextEligible.Equal(nextOrZero(next, finished)) {
		e.t.Errorf("audit record %+v; want rule %s, next %v", rec, rule, next.UTC())
	}
	if strings.Contains(rec.Reason, numA[4:10]) || strings.Contains(rec.String(), numA) {
		e.t.Errorf("audit record shows a number in clear: %s", rec)
	}
	d := e.debt(l.CampaignID, l.DebtID)
	switch {
	case finished:
		if d.State != campaign.StateFinished || !strings.HasPrefix(d.FinishReason, redisstore.ReasonPrefix+rule) {
			e.t.Errorf("debt %s %q; want finished by %s", d.State, d.FinishReason, rule)
		}
	default:
		if d.State != campaign.StateQueued || !d.NextAttemptAt.Equal(next) || d.Attempts != l.Debt.Attempts {
			e.t.Errorf("debt %s next %v attempts %d; want queued at %v with %d attempts", d.State, d.NextAttemptAt, d.Attempts, next.UTC(), l.Debt.Attempts)
		}
	}
}

func nextOrZero(t time.Time, finished bool) time.Time {
	if finished {
		return time.Time{}
	}
	return t
}

// TestGateRules checks each rule of the Redis gate against a real Redis:
// the refusal, its rule, the debt's next eligible time (and that the debt
// is rescheduled to it, or finished), and the audit record.
func TestGateRules(t *testing.T) {
	tue10 := local(10, 10, 0)
	cases := []struct {
		name  string
		kv    map[string]string
		debts []campaign.Debt // in campaign c1 unless said otherwise
		// setup runs before the checked claim.
		setup    func(e *gateEnv)
		now      time.Time
		rule     string
		next     time.Time
		finished bool
	}{
		{name: "window closed in the debtor's zone", debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			now: local(10, 22, 0), rule: compliance.RuleWindow, next: local(11, 7, 0)},
		{name: "before the window opens", debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			now: local(10, 6, 59), rule: compliance.RuleWindow, next: local(10, 7, 0)},
		{name: "day of week", kv: map[string]string{"days": "mon-fri"}, debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			now: local(14, 10, 0), rule: compliance.RuleDayOfWeek, next: local(16, 7, 0)},
		{name: "holiday", kv: map[string]string{"holidays": "2026-03-10"}, debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			now: tue10, rule: compliance.RuleHoliday, next: local(11, 7, 0)},
		{name: "debtor's daily cap counts every campaign", kv: map[string]string{"caps.per_debtor_per_day": "2"},
			debts: []campaign.Debt{gdebt("c1", "d1", "X", numA), gdebt("c2", "d2", "X", numB)},
			setup: func(e *gateEnv) {
				e.call("c2", local(10, 8, 0), campaign.OutcomeNoAnswer)
				e.call("c1", local(10, 9, 0), campaign.OutcomeBusy)
			},
			now: tue10, rule: compliance.RuleCapDebtorDay, next: local(11, 7, 0)},
		{name: "debtor's 7-day cap", kv: map[string]string{"caps.per_debtor_per_day": "0", "caps.per_debtor_per_7_days": "3"},
			debts: []campaign.Debt{gdebt("c1", "d1", "X", numA), gdebt("c2", "d2", "X", numB)},
			setup: func(e *gateEnv) {
				e.call("c1", local(8, 10, 0), campaign.OutcomeNoAnswer)
				e.call("c2", local(9, 10, 0), campaign.OutcomeNoAnswer)
				e.call("c1", local(9, 11, 0), campaign.OutcomeNoAnswer)
			},
			now: tue10, rule: compliance.RuleCapDebtor7d, next: local(15, 10, 0)},
		{name: "number's daily cap counts every debtor", kv: map[string]string{"caps.per_phone_per_day": "1"},
			debts: []campaign.Debt{gdebt("c1", "d1", "X", numA), gdebt("c2", "d2", "Y", numA)},
			setup: func(e *gateEnv) { e.call("c2", local(10, 8, 0), campaign.OutcomeBusy) },
			now:   tue10, rule: compliance.RuleCapPhoneDay, next: local(11, 7, 0)},
		{name: "debt's total cap", kv: map[string]string{"caps.per_debt_total": "2"},
			debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			setup: func(e *gateEnv) {
				e.call("c1", local(9, 8, 0), campaign.OutcomeNoAnswer)
				e.call("c1", local(9, 9, 0), campaign.OutcomeNoAnswer)
			},
			now: tue10, rule: compliance.RuleCapDebtTotal, finished: true},
		{name: "debt's 7-day cap", kv: map[string]string{"caps.per_debt_per_7_days": "2"},
			debts: []campaign.Debt{gdebt("c1", "d1", "", numA, numB)},
			setup: func(e *gateEnv) {
				e.call("c1", local(9, 8, 0), campaign.OutcomeNoAnswer)
				e.call("c1", local(10, 9, 30), campaign.OutcomeBusy)
			},
			now: tue10, rule: compliance.RuleCapDebt7d, next: local(16, 8, 0)},
		{name: "cool-off after a conversation", kv: map[string]string{"cool_off_after_conversation": "2d"},
			debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			setup: func(e *gateEnv) { e.call("c1", local(10, 8, 0), campaign.OutcomeBridged) },
			now:   tue10, rule: compliance.RuleCoolOff, next: local(12, 8, 1)},
		{name: "no recall after an abandoned call", kv: map[string]string{"abandon_no_recall": "72h"},
			debts: []campaign.Debt{gdebt("c1", "d1", "", numA), gdebt("c2", "d2", "Z", numA)},
			setup: func(e *gateEnv) { e.call("c2", local(10, 8, 0), campaign.OutcomeAbandoned) },
			now:   tue10, rule: compliance.RuleAbandon72h, next: local(13, 8, 1)},
		{name: "do not call", debts: []campaign.Debt{gdebt("c1", "d1", "", numA, numB)},
			setup: func(e *gateEnv) { e.addDNC(numA, numB) },
			now:   tue10, rule: compliance.RuleDoNotCall, finished: true},
		{name: "cease communication", debts: []campaign.Debt{gdebt("c1", "d1", "X", numA)},
			setup: func(e *gateEnv) {
				if _, err := e.g.SetCease(ctxT(e.t), "id:X", true, "test"); err != nil {
					e.t.Fatal(err)
				}
			},
			now: tue10, rule: compliance.RuleCeaseCommunication, finished: true},
		{name: "paid", debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			setup: func(e *gateEnv) { e.setStatus("c1", "d1", compliance.DebtPaid) },
			now:   tue10, rule: compliance.RuleDebtPaid, finished: true},
		{name: "disputed", debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			setup: func(e *gateEnv) { e.setStatus("c1", "d1", compliance.DebtDisputed) },
			now:   tue10, rule: compliance.RuleDebtDisputed, finished: true},
		{name: "under investigation", debts: []campaign.Debt{gdebt("c1", "d1", "", numA)},
			setup: func(e *gateEnv) { e.setStatus("c1", "d1", compliance.DebtInvestigation) },
			now:   tue10, rule: compliance.RuleDebtInvestigation, finished: true},
		{name: "unknown time zone", debts: []campaign.Debt{func() campaign.Debt {
			d := gdebt("c1", "d1", "", numA)
			d.Timezone = "Mars/Olympus_Mons"
			return d
		}()}, now: tue10, rule: compliance.RuleZoneUnknown, finished: true},
		{name: "window never open in all zones", kv: map[string]string{"window": "07:00-09:00"},
			debts: []campaign.Debt{gdebt("c1", "d1", "", numA, "+12125550123")},
			now:   tue10, rule: compliance.RuleWindow, finished: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := vnPolicy(t, tc.kv)
			e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p, "c2": p})
			e.upsert(tc.debts...)
			if tc.setup != nil {
				tc.setup(e)
			}
			l, adm := e.claimAdmit("c1", tc.now)
			e.checkRefused(l, adm, tc.rule, tc.next, tc.finished)
			// Only admitted attempts count: the refusal added none.
			if tc.next.IsZero() {
				return
			}
			// At the next eligible time the debt is due and allowed.
			l2, adm2 := e.claimAdmit("c1", tc.next)
			if l2.DebtID != l.DebtID || !adm2.Allowed {
				t.Errorf("at next eligible %v: debt %s admission %+v", tc.next.UTC(), l2.DebtID, adm2)
			}
		})
	}
}

func (e *gateEnv) addDNC(numbers ...string) {
	e.t.Helper()
	if _, err := e.g.AddDoNotCall(ctxT(e.t), numbers, "test"); err != nil {
		e.t.Fatal(err)
	}
}

func (e *gateEnv) setStatus(camp, id string, st compliance.DebtStatus) bool {
	e.t.Helper()
	reopened, err := e.g.SetDebtStatus(ctxT(e.t), camp, id, st, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return reopened
}

// TestGateSkipsBlockedNumbers: the gate dials the debt's next number when
// the current one may not be called (do-not-call, its daily cap, its
// no-recall period), and the debt moves on to it.
func TestGateSkipsBlockedNumbers(t *testing.T) {
	p := vnPolicy(t, map[string]string{"caps.per_phone_per_day": "1", "abandon_no_recall": "72h"})
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "", numA, numB, numC), gdebt("c1", "d2", "Q", numC))
	e.addDNC(numA)
	// d1 is first in the queue (same due time, debt id order breaks ties
	// by rank: equal ranks, so either may come first); take both.
	got := map[string]campaign.Admission{}
	for range 2 {
		l, adm := e.claimAdmit("c1", local(10, 9, 0))
		got[l.DebtID] = adm
		if adm.Allowed {
			l.Debt.PhoneIndex = adm.PhoneIndex
			o := campaign.OutcomeNoAnswer
			if l.DebtID == "d1" {
				o = campaign.OutcomeAbandoned
			}
			e.complete(l, o, local(10, 9, 0), local(10, 9, 30))
		}
	}
	if a := got["d1"]; !a.Allowed || a.PhoneIndex != 1 {
		t.Fatalf("d1: %+v; want allowed on number 1 (number 0 is on the do-not-call list)", a)
	}
	if a := got["d2"]; !a.Allowed || a.PhoneIndex != 0 {
		t.Fatalf("d2: %+v", a)
	}
	// At 10:00, number 1 of d1 was abandoned (no recall for 72 h) and
	// number 2 was called once today by d2 (cap 1): d1 is rescheduled to
	// tomorrow's opening on number 2.
	l, adm := e.claimAdmit("c1", local(10, 10, 0))
	if l.DebtID == "d2" {
		if adm.Allowed || adm.Rule != compliance.RuleCapPhoneDay {
			t.Fatalf("d2 at 10:00: %+v", adm)
		}
		l, adm = e.claimAdmit("c1", local(10, 10, 0))
	}
	if l.DebtID != "d1" || adm.Allowed || adm.PhoneIndex != 2 || !adm.NextEligible.Equal(local(11, 7, 0)) {
		t.Fatalf("d1 at 10:00: %+v", adm)
	}
	if d := e.debt("c1", "d1"); d.PhoneIndex != 2 {
		t.Errorf("d1 phone index %d, want 2", d.PhoneIndex)
	}
}

// TestDoNotCallStopsQueuedDebt: a number put on the do-not-call list while
// its debt is already in the queue is not dialled at the very next claim,
// through the GatedStore the dialer uses; removing it puts the debt back.
func TestDoNotCallStopsQueuedDebt(t *testing.T) {
	p := vnPolicy(t, nil)
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "", numA), gdebt("c1", "d2", "", numB))
	now := local(10, 10, 0)
	// Both debts are queued and due. The list changes now.
	n, err := e.g.AddDoNotCall(ctxT(t), []string{numA}, "debtor asked by letter")
	if err != nil || n != 1 {
		t.Fatalf("AddDoNotCall = %d, %v", n, err)
	}
	if n, _ := e.g.AddDoNotCall(ctxT(t), []string{numA}, "again"); n != 0 {
		t.Errorf("adding a listed number again counted %d", n)
	}
	l, err := e.gs.Claim(ctxT(t), "c1", "dialer", now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if l.DebtID != "d2" || l.Debt.Phone() != numB {
		t.Fatalf("claimed %s on %s; want d2 (d1's only number is on the do-not-call list)", l.DebtID, l.Debt.Phone())
	}
	if _, err := e.gs.Claim(ctxT(t), "c1", "dialer", now, time.Minute); !errors.Is(err, campaign.ErrNoDebtDue) {
		t.Fatalf("second claim: %v; want nothing due", err)
	}
	d1 := e.debt("c1", "d1")
	if d1.State != campaign.StateFinished || d1.Attempts != 0 {
		t.Fatalf("d1: %s after %d attempts", d1.State, d1.Attempts)
	}
	rec := e.lastDecision("c1", "d1")
	if rec.Rule != compliance.RuleDoNotCall || !strings.Contains(rec.Reason, "+849******01") {
		t.Errorf("audit: %s", rec)
	}
	flags, err := e.g.DoNotCall(ctxT(t), []string{numA, numB})
	if err != nil || !flags[0].Set || flags[1].Set || flags[0].Source != "debtor asked by letter" || flags[0].Since.IsZero() {
		t.Fatalf("DoNotCall = %+v, %v", flags, err)
	}
	// Taken off the list: d1 is queued again and dialled.
	removed, reopened, err := e.g.RemoveDoNotCall(ctxT(t), []string{numA})
	if err != nil || removed != 1 || reopened != 1 {
		t.Fatalf("RemoveDoNotCall = %d, %d, %v", removed, reopened, err)
	}
	l, err = e.gs.Claim(ctxT(t), "c1", "dialer", now.Add(time.Minute), time.Minute)
	if err != nil || l.DebtID != "d1" {
		t.Fatalf("claim after removal: %s, %v", l.DebtID, err)
	}
	list, err := e.g.DoNotCallList(ctxT(t))
	if err != nil || len(list) != 0 {
		t.Errorf("list after removal: %v, %v", list, err)
	}
}

// TestFlagsReopenDebts: clearing the flag that finished a debt (status,
// cease-communication) puts it back in the queue; a debt finished for
// another reason stays finished.
func TestFlagsReopenDebts(t *testing.T) {
	p := vnPolicy(t, nil)
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "X", numA), gdebt("c1", "d2", "Y", numB))
	now := local(10, 10, 0)
	e.setStatus("c1", "d1", compliance.DebtDisputed)
	if _, err := e.g.SetCease(ctxT(t), "id:Y", true, "letter"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		l, adm := e.claimAdmit("c1", now)
		if adm.Allowed || !adm.Finished {
			t.Fatalf("%s: %+v", l.DebtID, adm)
		}
	}
	if !e.setStatus("c1", "d1", compliance.DebtActive) {
		t.Error("setting d1 active did not reopen it")
	}
	if n, err := e.g.SetCease(ctxT(t), "id:Y", false, ""); err != nil || n != 1 {
		t.Errorf("clearing cease reopened %d, %v", n, err)
	}
	for range 2 {
		if _, adm := e.claimAdmit("c1", now.Add(time.Minute)); !adm.Allowed {
			t.Fatalf("after clearing: %+v", adm)
		}
	}
	st, flag, err := e.g.DebtStatus(ctxT(t), "c1", "d1")
	if err != nil || st != compliance.DebtActive || flag.Set || flag.Source != "test" {
		t.Errorf("DebtStatus = %s %+v %v", st, flag, err)
	}
	if _, err := e.g.SetDebtStatus(ctxT(t), "c1", "nope", compliance.DebtPaid, ""); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("status of an unknown debt: %v", err)
	}
	if _, err := e.g.SetDebtStatus(ctxT(t), "c1", "d1", "settled", ""); !errors.Is(err, campaign.ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
}

// TestUnplaceableNumberUsesDefaultZone: a number that cannot be placed in
// any zone is dialled only in the campaign's default zone's window, and
// the audit says so for both the refusal and the call.
func TestUnplaceableNumberUsesDefaultZone(t *testing.T) {
	p := vnPolicy(t, map[string]string{"default_zone": "America/New_York"})
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "", numFree))
	ny := mustZone("America/New_York")
	// 10:00 in Vietnam is 23:00 in New York (EDT since March 8th).
	l, adm := e.claimAdmit("c1", local(10, 10, 0))
	open := time.Date(2026, 3, 10, 7, 0, 0, 0, ny)
	e.checkRefused(l, adm, compliance.RuleWindow, open, false)
	rec := e.lastDecision("c1", "d1")
	if rec.ZoneSource != compliance.ZoneSourceDefault || rec.Note != compliance.ZoneSourceNote(compliance.ZoneSourceDefault) ||
		len(rec.Zones) != 1 || rec.Zones[0] != "America/New_York" {
		t.Errorf("refusal record: %+v", rec)
	}
	if !strings.Contains(rec.String(), "number could not be placed in any zone; dialled in the campaign's default zone window") {
		t.Errorf("audit line does not explain the zone: %s", rec)
	}
	_, adm = e.claimAdmit("c1", open)
	if !adm.Allowed {
		t.Fatalf("at 07:00 New York: %+v", adm)
	}
	rec = e.lastDecision("c1", "d1")
	if !rec.Allowed || rec.ZoneSource != compliance.ZoneSourceDefault || rec.Phone != "+800******78" ||
		!strings.Contains(rec.String(), "dialled in the campaign's default zone window") {
		t.Errorf("call record: %s", rec)
	}
}

// TestGateRecordAndDispose: Record is idempotent and feeds the campaign's
// abandon rate; a "paid" wrap-up code stops the debt's calls.
func TestGateRecordAndDispose(t *testing.T) {
	p := vnPolicy(t, map[string]string{"max_abandon_rate": "3%", "abandon_window": "24h"})
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	var debts []campaign.Debt
	for i := range 40 {
		debts = append(debts, gdebt("c1", fmt.Sprintf("d%02d", i), "", fmt.Sprintf("+849130000%02d", i)))
	}
	e.upsert(debts...)
	now := local(10, 9, 0)
	var ls []campaign.Lease
	for i := range 40 {
		o := campaign.OutcomeBridged
		if i == 0 {
			o = campaign.OutcomeAbandoned
		}
		if i >= 35 {
			o = campaign.OutcomeNoAnswer
		}
		ls = append(ls, e.call("c1", now.Add(time.Duration(i)*time.Minute), o))
	}
	// Replaying the records changes nothing.
	a := campaign.Attempt{ID: fmt.Sprintf("att-%s-%d", ls[0].DebtID, now.UnixNano()), CampaignID: "c1", DebtID: ls[0].DebtID,
		Phone: ls[0].Debt.Phone(), Outcome: campaign.OutcomeAbandoned, OriginatedAt: now, AnsweredAt: now.Add(10 * time.Second), EndedAt: now.Add(time.Minute)}
	if err := e.g.Record(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	end := now.Add(time.Hour)
	ans, ab, err := e.g.AbandonCounts(ctxT(t), "c1", end, 0)
	if err != nil || ans != 35 || ab != 1 {
		t.Fatalf("AbandonCounts = %d, %d, %v; want 35 answered, 1 abandoned", ans, ab, err)
	}
	if ans, _, _ := e.g.AbandonCounts(ctxT(t), "c1", now.Add(25*time.Hour), 0); ans != 0 {
		t.Errorf("calls older than the abandon window still count: %d", ans)
	}
	// 1 abandoned of 35 answered: one more abandon would exceed 3%.
	if ok, err := e.g.MayRiskAbandon(ctxT(t), "c1", end); err != nil || ok {
		t.Errorf("MayRiskAbandon = %v, %v; want false", ok, err)
	}
	// Nobody took the abandoned call: no agent codes it.
	if err := e.gs.SetDisposition(ctxT(t), "c1", a.ID, "agent-1", "paid", end); !errors.Is(err, campaign.ErrWrongAgent) {
		t.Fatalf("paid on an abandoned call: %v; want ErrWrongAgent", err)
	}
	// The agent of the next call says the debtor already paid.
	if err := e.gs.SetDisposition(ctxT(t), "c1", fmt.Sprintf("att-%s-%d", ls[2].DebtID, now.Add(2*time.Minute).UnixNano()), "agent-1", "paid", end); err != nil {
		t.Fatal(err)
	}
	st, flag, err := e.g.DebtStatus(ctxT(t), "c1", ls[2].DebtID)
	if err != nil || st != compliance.DebtPaid || !strings.Contains(flag.Source, "agent-1") {
		t.Fatalf("status after a paid disposition: %s %+v %v", st, flag, err)
	}
	// Other codes do not change the status.
	if err := e.gs.SetDisposition(ctxT(t), "c1", fmt.Sprintf("att-%s-%d", ls[1].DebtID, now.Add(time.Minute).UnixNano()), "agent-1", "callback", end); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := e.g.DebtStatus(ctxT(t), "c1", ls[1].DebtID); st != compliance.DebtActive {
		t.Errorf("callback set status %s", st)
	}
}

// TestGateAuditRetention: the audit stream is bounded by its maximum
// length, and a debt's audit survives only within it.
func TestGateAuditRetention(t *testing.T) {
	r := redistest.New(t)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	p := vnPolicy(t, nil)
	g, err := redisstore.NewGate(s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"c1": p}, AuditMaxLen: 50})
	if err != nil {
		t.Fatal(err)
	}
	e := &gateEnv{t: t, r: r, s: s, g: g, gs: campaign.NewGatedStore(s, g, 1000)}
	var debts []campaign.Debt
	for i := range 400 {
		debts = append(debts, gdebt("c1", fmt.Sprintf("d%03d", i), "", fmt.Sprintf("+8491300%04d", i)))
	}
	e.upsert(debts...)
	// 22:00: every debt is refused (window) and audited.
	if _, err := e.gs.Claim(ctxT(t), "c1", "dialer", local(10, 22, 0), time.Minute); !errors.Is(err, campaign.ErrNoDebtDue) {
		t.Fatalf("claim at 22:00: %v", err)
	}
	n, err := g.AuditLen(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	// MAXLEN ~ trims whole stream nodes (100 entries by default).
	if n < 50 || n > 50+100 {
		t.Errorf("audit length %d after 400 refusals with maxlen 50", n)
	}
	// The newest debt's decision is there, the oldest's was trimmed.
	last := e.lastDecision("c1", "d399")
	if last.Rule != compliance.RuleWindow {
		t.Errorf("newest decision: %s", last)
	}
	if old, _ := g.Decisions(ctxT(t), "c1", "d000"); len(old) != 0 {
		t.Errorf("oldest decision survived trimming to %d entries: %v", n, old)
	}
}

// TestGateAuditMaxAge: entries older than the maximum age (by the server's
// clock, which the stream ids carry) are trimmed when the next is added.
func TestGateAuditMaxAge(t *testing.T) {
	r := redistest.NewMiniredis(t)
	m := r.Miniredis()
	wall := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	m.SetTime(wall)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	p := vnPolicy(t, nil)
	g, err := redisstore.NewGate(s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"c1": p}, AuditMaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e := &gateEnv{t: t, r: r, s: s, g: g, gs: campaign.NewGatedStore(s, g, 0)}
	e.upsert(gdebt("c1", "d1", "", numA), gdebt("c1", "d2", "", numB), gdebt("c1", "d3", "", numC))
	e.claimAdmit("c1", local(10, 22, 0))
	m.SetTime(wall.Add(30 * time.Minute))
	e.claimAdmit("c1", local(10, 22, 0))
	if n, _ := g.AuditLen(ctxT(t)); n != 2 {
		t.Fatalf("audit length %d, want 2", n)
	}
	m.SetTime(wall.Add(80 * time.Minute))
	e.claimAdmit("c1", local(10, 22, 0))
	if n, _ := g.AuditLen(ctxT(t)); n != 2 {
		t.Errorf("audit length %d after the first entry aged out, want 2", n)
	}
	if recs, _ := g.Decisions(ctxT(t), "c1", "d1"); len(recs) != 0 {
		t.Errorf("aged-out decision still read: %v", recs)
	}
	if recs, _ := g.Decisions(ctxT(t), "c1", "d3"); len(recs) != 1 {
		t.Errorf("newest decision: %v", recs)
	}
}

// TestGateKeysInOneSlot: every key the gate writes is in the compliance
// slot, apart from the campaign's own keys.
func TestGateKeysInOneSlot(t *testing.T) {
	p := vnPolicy(t, map[string]string{"caps.per_phone_per_day": "3", "cool_off_after_conversation": "1d"})
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "X", numA, numB), gdebt("c1", "d2", "", numC))
	e.addDNC(numC)
	if _, err := e.g.SetCease(ctxT(t), "id:Q", true, ""); err != nil {
		t.Fatal(err)
	}
	e.setStatus("c1", "d1", compliance.DebtInvestigation)
	e.setStatus("c1", "d1", compliance.DebtActive)
	e.call("c1", local(10, 10, 0), campaign.OutcomeBridged)
	e.claimAdmit("c1", local(10, 10, 5))
	ctx := ctxT(t)
	iter := e.r.Client().Scan(ctx, 0, e.r.Prefix()+"*", 1000).Iterator()
	tag := e.r.Prefix() + ":{" + e.r.Prefix() + "/compliance}:"
	want := slot(tag)
	n := 0
	for iter.Next(ctx) {
		k := iter.Val()
		if strings.HasPrefix(k, e.r.Prefix()+":{c1}:") {
			continue
		}
		n++
		if !strings.HasPrefix(k, tag) || slot(k) != want {
			t.Errorf("key %q is not in the compliance slot", k)
		}
		if strings.Contains(k, numA) || strings.Contains(k, numA[1:]) {
			t.Errorf("key %q holds a number in clear", k)
		}
	}
	if n < 8 {
		t.Errorf("only %d compliance keys", n)
	}
}

// TestGateOnCluster runs admissions through a Redis Cluster: the
// compliance script and the campaign's scripts each run in one slot.
func TestGateOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes a few seconds")
	}
	c := redistest.NewCluster(t, 3)
	s := redisstore.New(c.Client(), redisstore.Options{Prefix: redistest.UniquePrefix()})
	p := vnPolicy(t, map[string]string{"caps.per_debtor_per_day": "1"})
	g, err := redisstore.NewGate(s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"c1": p, "c2": p}})
	if err != nil {
		t.Fatal(err)
	}
	e := &gateEnv{t: t, s: s, g: g, gs: campaign.NewGatedStore(s, g, 0)}
	e.upsert(gdebt("c1", "d1", "X", numA), gdebt("c2", "d2", "X", numB))
	e.call("c1", local(10, 9, 0), campaign.OutcomeNoAnswer)
	l, adm := e.claimAdmit("c2", local(10, 10, 0))
	e.checkRefused(l, adm, compliance.RuleCapDebtorDay, local(11, 7, 0), false)
}

// TestGateOnMiniredis runs the gate's scripts on miniredis, which the demo
// embeds.
func TestGateOnMiniredis(t *testing.T) {
	p := vnPolicy(t, map[string]string{"caps.per_debtor_per_day": "1"})
	e := newGateEnv(t, redistest.NewMiniredis(t), map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "X", numA), gdebt("c1", "d2", "X", numB))
	e.call("c1", local(10, 9, 0), campaign.OutcomeNoAnswer)
	l, adm := e.claimAdmit("c1", local(10, 10, 0))
	e.checkRefused(l, adm, compliance.RuleCapDebtorDay, local(11, 7, 0), false)
	a, err := e.g.Audit(ctxT(t), "c1", "d1")
	if err != nil || len(a.History) != 1 || len(a.Decisions) != 1 {
		t.Fatalf("audit on miniredis: %+v, %v", a, err)
	}
}

// TestGateWithoutPolicy fails closed: a campaign without a policy is never
// admitted, and the GatedStore releases the lease.
func TestGateWithoutPolicy(t *testing.T) {
	e := newGateEnv(t, nil, map[string]compliance.Policy{})
	e.upsert(gdebt("c9", "d1", "", numA))
	_, err := e.gs.Claim(ctxT(t), "c9", "dialer", local(10, 10, 0), time.Minute)
	if !errors.Is(err, campaign.ErrInvalid) {
		t.Fatalf("claim without a policy: %v", err)
	}
	if d := e.debt("c9", "d1"); d.State != campaign.StateQueued {
		t.Errorf("debt %s after a failed check; want queued", d.State)
	}
	bad := vnPolicy(t, nil)
	bad.Window.End = bad.Window.Start
	if _, err := redisstore.NewGate(e.s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"c1": bad}}); err == nil {
		t.Error("NewGate accepted an invalid policy")
	}
	if _, err := redisstore.NewGate(e.s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"a/b": vnPolicy(t, nil)}}); err == nil {
		t.Error("NewGate accepted a campaign id with a slash")
	}
}

// TestGatedStoreContract runs the Store contract through a GatedStore
// whose campaigns have no rules (preset none): the gate must be invisible.
func TestGatedStoreContract(t *testing.T) {
	none, err := compliance.Preset(compliance.PresetNone)
	if err != nil {
		t.Fatal(err)
	}
	campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store {
		r := redistest.New(t)
		s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
		g, err := redisstore.NewGate(s, redisstore.GateOptions{Default: &none})
		if err != nil {
			t.Fatal(err)
		}
		return campaign.NewGatedStore(s, g, 0)
	})
}

// BenchmarkGatedClaimComplete is the dialer's hot path with the compliance
// gate of the vn preset plus per-number and per-debt caps: claim through
// the GatedStore (one admission script) and complete the attempt through
// it (one record script), on a queue of 10,000 debts of 5,000 debtors.
func BenchmarkGatedClaimComplete(b *testing.B) {
	r := redistest.NewPrivate(b)
	s := redisstore.New(r.Client(), redisstore.Options{})
	p := vnPolicy(b, map[string]string{"caps.per_phone_per_day": "1000000", "caps.per_debtor_per_day": "1000000",
		"caps.per_debt_per_7_days": "1000000"})
	g, err := redisstore.NewGate(s, redisstore.GateOptions{Policies: map[string]compliance.Policy{"bench": p}})
	if err != nil {
		b.Fatal(err)
	}
	gs := campaign.NewGatedStore(s, g, 0)
	ctx := ctxT(b)
	var debts []campaign.Debt
	for i := range 10000 {
		debts = append(debts, gdebt("bench", fmt.Sprintf("debt-%06d", i), fmt.Sprintf("P%d", i/2), fmt.Sprintf("+8491%07d", i)))
	}
	if _, err := s.UpsertDebts(ctx, campaign.Rules{CampaignID: "bench"}, debts); err != nil {
		b.Fatal(err)
	}
	now := local(10, 10, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l, err := gs.Claim(ctx, "bench", "dialer", now, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		a := campaign.Attempt{ID: fmt.Sprintf("a%d", i), CampaignID: "bench", DebtID: l.DebtID, Phone: l.Debt.Phone(),
			Outcome: campaign.OutcomeNoAnswer, OriginatedAt: now, EndedAt: now.Add(30 * time.Second)}
		if err := gs.Complete(ctx, l, a, campaign.Schedule{NextAttemptAt: now.Add(time.Hour), PhoneIndex: 0}); err != nil {
			b.Fatal(err)
		}
	}
}
