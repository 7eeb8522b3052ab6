package compliance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

const (
	phoneA = "+84912345678"
	phoneB = "+84987654321"
	usA    = "+12125551234"
	usB    = "+12125550000"
	ukA    = "+447911123456"
)

func debtWith(phones ...string) campaign.Debt {
	return campaign.Debt{ID: "D1", CampaignID: "C1", DebtorName: "Nguyễn Văn An", Phones: phones}
}

// times returns base plus each offset.
func times(base time.Time, offsets ...time.Duration) []time.Time {
	out := make([]time.Time, len(offsets))
	for i, o := range offsets {
		out[i] = base.Add(o)
	}
	return out
}

const (
	h = time.Hour
	m = time.Minute
	d = 24 * time.Hour
)

func TestCheckRules(t *testing.T) {
	// Tuesday 2026-03-10 10:00 in Ho Chi Minh City (UTC+7).
	now := utc("2026-03-10T03:00:00Z")
	vn := mustPreset(t, PresetVN)
	edit := func(p Policy, f func(*Policy)) Policy {
		p = p.clone()
		f(&p)
		return p
	}
	never := time.Time{}
	tests := []struct {
		name     string
		p        Policy
		now      time.Time
		phone    string
		zones    []string
		h        History
		rule     string
		failed   []string
		next     time.Time
		nextRule string
	}{
		{name: "allowed", p: vn, now: now, phone: phoneA, next: now},
		{name: "window closed at 21:30", p: vn, now: utc("2026-03-10T14:30:00Z"), phone: phoneA,
			rule: RuleWindow, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},
		{name: "window closed at 06:59", p: vn, now: utc("2026-03-09T23:59:00Z"), phone: phoneA,
			rule: RuleWindow, next: utc("2026-03-10T00:00:00Z"), nextRule: RuleWindow},
		{name: "holiday", p: edit(vn, func(p *Policy) { p.Holidays = []Date{{2026, 3, 10}} }), now: now, phone: phoneA,
			rule: RuleHoliday, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleHoliday},
		{name: "day of week", p: edit(vn, func(p *Policy) { p.Days = []time.Weekday{1, 3, 4, 5} }), now: now, phone: phoneA,
			rule: RuleDayOfWeek, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleDayOfWeek},

		// Per-local-day debtor cap (vn: 5).
		{name: "debtor day cap: 4 attempts today", p: vn, now: now, phone: phoneA,
			h:    History{DebtorAttempts: times(utc("2026-03-09T17:00:00Z"), 0, h, 2*h, 9*h+59*m)},
			next: now},
		{name: "debtor day cap: 5th attempt at 00:00 local counts", p: vn, now: now, phone: phoneA,
			h:    History{DebtorAttempts: times(utc("2026-03-09T17:00:00Z"), 0, h, 2*h, 3*h, 4*h)},
			rule: RuleCapDebtorDay, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},
		{name: "debtor day cap: 23:59 yesterday does not count", p: vn, now: now, phone: phoneA,
			h:    History{DebtorAttempts: times(utc("2026-03-09T16:59:00Z"), 0, 2*h, 3*h, 4*h, 5*h)},
			next: now},
		{name: "debtor day cap: other numbers and debts count", p: vn, now: now, phone: phoneB,
			h: History{DebtorAttempts: times(now, -5*m, -4*m, -3*m, -2*m, -1*m),
				PhoneAttempts: map[string][]time.Time{phoneA: times(now, -5*m, -4*m, -3*m)}},
			rule: RuleCapDebtorDay, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},
		{name: "debtor day cap: at 20:59 the next day's opening", p: vn, now: utc("2026-03-10T13:59:00Z"), phone: phoneA,
			h:    History{DebtorAttempts: times(now, 0, m, 2*m, 3*m, 4*m)},
			rule: RuleCapDebtorDay, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},

		// Rolling 7 days per debtor.
		{name: "debtor 7d cap: oldest ages out", p: edit(vn, func(p *Policy) { p.Caps.PerDebtorPer7Days = 3 }), now: now, phone: phoneA,
			h:    History{DebtorAttempts: times(now, -7*d+time.Minute, -3*d, -26*h)},
			rule: RuleCapDebtor7d, next: now.Add(time.Minute), nextRule: RuleCapDebtor7d},
		{name: "debtor 7d cap: exactly 7 days ago no longer counts", p: edit(vn, func(p *Policy) { p.Caps.PerDebtorPer7Days = 3 }), now: now, phone: phoneA,
			h:    History{DebtorAttempts: times(now, -7*d, -3*d, -26*h)},
			next: now},
		{name: "debtor 7d cap: 4 over a cap of 3 waits for the second oldest", p: edit(vn, func(p *Policy) { p.Caps.PerDebtorPer7Days = 3 }), now: now, phone: phoneA,
			h:    History{DebtorAttempts: times(now, -6*d, -5*d-20*h, -3*d, -26*h)},
			rule: RuleCapDebtor7d, next: now.Add(-5*d - 20*h + 7*d), nextRule: RuleCapDebtor7d},

		// Per number per local day.
		{name: "phone day cap", p: edit(vn, func(p *Policy) { p.Caps.PerPhonePerDay = 2 }), now: now, phone: phoneA,
			h:    History{PhoneAttempts: map[string][]time.Time{phoneA: times(now, -2*h, -h)}, DebtorAttempts: times(now, -2*h, -h)},
			rule: RuleCapPhoneDay, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},
		{name: "phone day cap: the other number is free", p: edit(vn, func(p *Policy) { p.Caps.PerPhonePerDay = 2 }), now: now, phone: phoneB,
			h:    History{PhoneAttempts: map[string][]time.Time{phoneA: times(now, -2*h, -h)}, DebtorAttempts: times(now, -2*h, -h)},
			next: now},

		// Per debt.
		{name: "debt total cap reached is final", p: edit(vn, func(p *Policy) { p.Caps.PerDebtTotal = 3 }), now: now, phone: phoneA,
			h:    History{DebtAttempts: times(now, -30*d, -20*d, -10*d)},
			rule: RuleCapDebtTotal, next: never},
		{name: "debt total cap below", p: edit(vn, func(p *Policy) { p.Caps.PerDebtTotal = 3 }), now: now, phone: phoneA,
			h: History{DebtAttempts: times(now, -30*d, -20*d)}, next: now},
		{name: "debt 7d cap", p: edit(vn, func(p *Policy) { p.Caps.PerDebtPer7Days = 2 }), now: now, phone: phoneA,
			h:    History{DebtAttempts: times(now, -6*d-20*h, -d)},
			rule: RuleCapDebt7d, next: now.Add(4 * h), nextRule: RuleCapDebt7d},
		{name: "debt 7d cap ending at night", p: edit(vn, func(p *Policy) { p.Caps.PerDebtPer7Days = 2 }), now: now, phone: phoneA,
			h:    History{DebtAttempts: times(now, -6*d-13*h, -d)},
			rule: RuleCapDebt7d, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},

		// Cool-off.
		{name: "cool-off", p: edit(vn, func(p *Policy) { p.CoolOffAfterConversation = 2 * d }), now: now, phone: phoneA,
			h:    History{LastConversation: now.Add(-d)},
			rule: RuleCoolOff, next: now.Add(d), nextRule: RuleCoolOff},
		{name: "cool-off over", p: edit(vn, func(p *Policy) { p.CoolOffAfterConversation = 2 * d }), now: now, phone: phoneA,
			h: History{LastConversation: now.Add(-2 * d)}, next: now},
		{name: "cool-off ending at night waits for the window", p: edit(vn, func(p *Policy) { p.CoolOffAfterConversation = 2 * d }), now: now, phone: phoneA,
			h:    History{LastConversation: utc("2026-03-09T15:00:00Z")}, // 22:00 local
			rule: RuleCoolOff, next: utc("2026-03-12T00:00:00Z"), nextRule: RuleWindow},

		// Abandoned calls.
		{name: "abandon no-recall", p: mustPreset(t, PresetUK), now: utc("2026-03-10T10:00:00Z"), phone: ukA, zones: []string{"Europe/London"},
			h:    History{LastAbandoned: map[string]time.Time{ukA: utc("2026-03-09T10:30:00Z")}},
			rule: RuleAbandon72h, next: utc("2026-03-12T10:30:00Z"), nextRule: RuleAbandon72h},
		{name: "abandon no-recall lifted by a reserved agent", p: mustPreset(t, PresetUK), now: utc("2026-03-10T10:00:00Z"), phone: ukA, zones: []string{"Europe/London"},
			h:    History{LastAbandoned: map[string]time.Time{ukA: utc("2026-03-09T10:30:00Z")}, AgentReserved: true},
			next: utc("2026-03-10T10:00:00Z")},
		{name: "abandon no-recall without the agent exception", p: edit(mustPreset(t, PresetUK), func(p *Policy) { p.AbandonNoRecallUnlessAgentReserved = false }),
			now: utc("2026-03-10T10:00:00Z"), phone: ukA, zones: []string{"Europe/London"},
			h:    History{LastAbandoned: map[string]time.Time{ukA: utc("2026-03-09T10:30:00Z")}, AgentReserved: true},
			rule: RuleAbandon72h, next: utc("2026-03-12T10:30:00Z"), nextRule: RuleAbandon72h},
		{name: "abandon on another number does not block", p: mustPreset(t, PresetUK), now: utc("2026-03-10T10:00:00Z"), phone: ukA, zones: []string{"Europe/London"},
			h:    History{LastAbandoned: map[string]time.Time{"+447911000000": utc("2026-03-09T10:30:00Z")}},
			next: utc("2026-03-10T10:00:00Z")},

		// Flags: never.
		{name: "do not call", p: vn, now: now, phone: phoneA, h: History{DoNotCall: map[string]bool{phoneA: true}}, rule: RuleDoNotCall, next: never},
		{name: "do not call on the other number", p: vn, now: now, phone: phoneA, h: History{DoNotCall: map[string]bool{phoneB: true}}, next: now},
		{name: "cease communication", p: vn, now: now, phone: phoneA, h: History{CeaseCommunication: true}, rule: RuleCeaseCommunication, next: never},
		{name: "paid", p: vn, now: now, phone: phoneA, h: History{DebtStatus: DebtPaid}, rule: RuleDebtPaid, next: never},
		{name: "disputed", p: vn, now: now, phone: phoneA, h: History{DebtStatus: DebtDisputed}, rule: RuleDebtDisputed, next: never},
		{name: "investigation", p: vn, now: now, phone: phoneA, h: History{DebtStatus: DebtInvestigation}, rule: RuleDebtInvestigation, next: never},
		{name: "unknown status fails closed", p: vn, now: now, phone: phoneA, h: History{DebtStatus: "settled?"}, rule: RuleDebtStatusUnknown, next: never},
		{name: "active", p: vn, now: now, phone: phoneA, h: History{DebtStatus: DebtActive}, next: now},
		{name: "not the debtor's number", p: vn, now: now, phone: "+84900000000", rule: RuleNotDebtorNumber, next: never},
		{name: "no number", p: vn, now: now, phone: "", rule: RuleNotDebtorNumber, next: never},
		{name: "no zone", p: vn, now: now, phone: phoneA, zones: []string{}, rule: RuleZoneUnknown, next: never},
		{name: "windows never overlap", p: edit(vn, func(p *Policy) { p.Window = Window{Clock(8, 0), Clock(10, 0)} }), now: now, phone: phoneA,
			zones: []string{"America/New_York", "Asia/Tokyo"}, rule: RuleWindow, next: never},
		{name: "none preset still honours do-not-call", p: mustPreset(t, PresetNone), now: now, phone: phoneA,
			h: History{DoNotCall: map[string]bool{phoneA: true}}, rule: RuleDoNotCall, next: never},

		// Several rules at once.
		{name: "window and cap both fail", p: vn, now: utc("2026-03-10T15:00:00Z"), phone: phoneA,
			h:    History{DebtorAttempts: times(now, 0, m, 2*m, 3*m, 4*m)},
			rule: RuleWindow, failed: []string{RuleWindow, RuleCapDebtorDay}, next: utc("2026-03-11T00:00:00Z"), nextRule: RuleWindow},
		{name: "paid outranks the window", p: vn, now: utc("2026-03-10T15:00:00Z"), phone: phoneA, h: History{DebtStatus: DebtPaid},
			rule: RuleDebtPaid, failed: []string{RuleDebtPaid, RuleWindow}, next: never},
		{name: "cap then cool-off then window", p: edit(vn, func(p *Policy) { p.CoolOffAfterConversation = 30 * h }), now: now, phone: phoneA,
			h: History{DebtorAttempts: times(now, -4*h, -3*h, -2*h, -h, -m), LastConversation: now.Add(-m)},
			// The cap ends at 00:00 local on the 11th, the cool-off at 15:59 local, after 09:59 UTC.
			rule: RuleCapDebtorDay, failed: []string{RuleCapDebtorDay, RuleCoolOff}, next: now.Add(30*h - m), nextRule: RuleCoolOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zones := zonesOf(t, "Asia/Ho_Chi_Minh")
			if tt.zones != nil {
				zones = zonesOf(t, tt.zones...)
			}
			debt := debtWith(phoneA, phoneB)
			if len(tt.zones) > 0 && tt.zones[0] == "Europe/London" {
				debt = debtWith(ukA)
			}
			got := tt.p.Check(tt.now, debt, tt.phone, zones, tt.h)
			if got.Rule != tt.rule || got.Allowed != (tt.rule == "") {
				t.Fatalf("Check = %+v, want rule %q", got, tt.rule)
			}
			if !got.NextEligible.Equal(tt.next) {
				t.Errorf("NextEligible = %v, want %v (%+v)", got.NextEligible.UTC(), tt.next.UTC(), got)
			}
			if got.NextRule != tt.nextRule {
				t.Errorf("NextRule = %q, want %q", got.NextRule, tt.nextRule)
			}
			if tt.failed != nil && !slices.Equal(got.Failed, tt.failed) {
				t.Errorf("Failed = %v, want %v", got.Failed, tt.failed)
			}
			if !got.Allowed {
				if got.Reason == "" || len(got.Failed) == 0 || got.Failed[0] != got.Rule {
					t.Errorf("decision %+v lacks a reason or failed list", got)
				}
				if got.Never() != tt.next.IsZero() {
					t.Errorf("Never() = %v", got.Never())
				}
			}
			for _, leak := range []string{phoneA, phoneB, ukA, "+84900000000", "Nguyễn", "An"} {
				if strings.Contains(got.Reason, leak) {
					t.Errorf("reason %q leaks %q", got.Reason, leak)
				}
			}
			if !got.NextEligible.IsZero() {
				again := tt.p.Check(got.NextEligible, debt, tt.phone, zones, tt.h)
				if !again.Allowed {
					t.Errorf("not allowed at NextEligible: %+v", again)
				}
			}
		})
	}
}

func TestCheckPresets(t *testing.T) {
	vn, us, uk, none := mustPreset(t, PresetVN), mustPreset(t, PresetUSRegF), mustPreset(t, PresetUK), mustPreset(t, PresetNone)
	ny := zonesOf(t, "America/New_York")
	london := zonesOf(t, "Europe/London")
	hcm := zonesOf(t, "Asia/Ho_Chi_Minh")
	usDebt, ukDebt, vnDebt := debtWith(usA, usB), debtWith(ukA), debtWith(phoneA, phoneB)

	type step struct {
		name  string
		p     Policy
		debt  campaign.Debt
		phone string
		zones []*time.Location
		now   time.Time
		h     History
		rule  string
		next  time.Time
	}
	steps := []step{
		// vn: 5 reminders a day, 07:00-21:00.
		{"vn 6th reminder of the day", vn, vnDebt, phoneB, hcm, utc("2026-03-10T08:00:00Z"),
			History{DebtorAttempts: times(utc("2026-03-10T00:00:00Z"), 0, h, 2*h, 3*h, 4*h)}, RuleCapDebtorDay, utc("2026-03-11T00:00:00Z")},
		{"vn 5th reminder", vn, vnDebt, phoneB, hcm, utc("2026-03-10T08:00:00Z"),
			History{DebtorAttempts: times(utc("2026-03-10T00:00:00Z"), 0, h, 2*h, 3*h)}, "", utc("2026-03-10T08:00:00Z")},
		{"vn 06:59 local", vn, vnDebt, phoneA, hcm, utc("2026-03-09T23:59:00Z"), History{}, RuleWindow, utc("2026-03-10T00:00:00Z")},
		{"vn 21:00 local", vn, vnDebt, phoneA, hcm, utc("2026-03-10T14:00:00Z"), History{}, RuleWindow, utc("2026-03-11T00:00:00Z")},

		// us-regf: 08:00-21:00 at the debtor's location, across the DST change.
		{"us 07:59 EDT on spring-forward day", us, usDebt, usA, ny, utc("2026-03-08T11:59:00Z"), History{}, RuleWindow, utc("2026-03-08T12:00:00Z")},
		{"us 08:00 EST on fall-back day is 13:00 UTC", us, usDebt, usA, ny, utc("2026-11-01T12:00:00Z"), History{}, RuleWindow, utc("2026-11-01T13:00:00Z")},
		{"us 20:59 EDT", us, usDebt, usA, ny, utc("2026-03-09T00:59:00Z"), History{}, "", utc("2026-03-09T00:59:00Z")},
		// 7 calls in 7 days per debt, on any of its numbers, whatever their outcome.
		{"us 8th call in 7 days", us, usDebt, usB, ny, utc("2026-03-10T15:00:00Z"),
			History{DebtAttempts: times(utc("2026-03-04T16:00:00Z"), 0, 24*h, 48*h, 72*h, 96*h, 120*h, 140*h)},
			RuleCapDebt7d, utc("2026-03-11T16:00:00Z")},
		{"us 7th call in 7 days", us, usDebt, usB, ny, utc("2026-03-10T15:00:00Z"),
			History{DebtAttempts: times(utc("2026-03-04T16:00:00Z"), 0, 24*h, 48*h, 72*h, 96*h, 120*h)},
			"", utc("2026-03-10T15:00:00Z")},
		{"us calls on other debts of the debtor do not count", us, usDebt, usB, ny, utc("2026-03-10T15:00:00Z"),
			History{DebtorAttempts: times(utc("2026-03-04T16:00:00Z"), 0, 24*h, 48*h, 72*h, 96*h, 120*h, 140*h, 141*h)},
			"", utc("2026-03-10T15:00:00Z")},
		// No call within 7 days after a conversation; the end falls at 21:00
		// EDT (the clocks changed in between), so the window decides.
		{"us cool-off over the DST change", us, usDebt, usA, ny, utc("2026-03-05T15:00:00Z"),
			History{LastConversation: utc("2026-03-03T01:00:00Z")}, RuleCoolOff, utc("2026-03-10T12:00:00Z")},

		// uk: 08:00-21:00 London, across the BST change on 2026-03-29.
		{"uk 07:30 BST", uk, ukDebt, ukA, london, utc("2026-03-30T06:30:00Z"), History{}, RuleWindow, utc("2026-03-30T07:00:00Z")},
		{"uk 08:00 GMT", uk, ukDebt, ukA, london, utc("2026-03-27T08:00:00Z"), History{}, "", utc("2026-03-27T08:00:00Z")},
		{"uk abandoned over 72 h ago", uk, ukDebt, ukA, london, utc("2026-03-10T10:00:00Z"),
			History{LastAbandoned: map[string]time.Time{ukA: utc("2026-03-07T09:59:00Z")}}, "", utc("2026-03-10T10:00:00Z")},
		{"uk abandoned 71 h ago", uk, ukDebt, ukA, london, utc("2026-03-10T10:00:00Z"),
			History{LastAbandoned: map[string]time.Time{ukA: utc("2026-03-07T11:00:00Z")}}, RuleAbandon72h, utc("2026-03-10T11:00:00Z")},
		{"uk abandoned; the 72 h end at night waits for 08:00", uk, ukDebt, ukA, london, utc("2026-03-10T10:00:00Z"),
			History{LastAbandoned: map[string]time.Time{ukA: utc("2026-03-09T22:00:00Z")}}, RuleAbandon72h, utc("2026-03-13T08:00:00Z")},

		// none: anything goes, but flags still hold.
		{"none at 03:00 after 50 calls", none, vnDebt, phoneA, hcm, utc("2026-03-09T20:00:00Z"),
			History{DebtorAttempts: times(utc("2026-03-09T19:00:00Z"), make([]time.Duration, 50)...), LastConversation: utc("2026-03-09T19:59:00Z")},
			"", utc("2026-03-09T20:00:00Z")},
		{"none and paid", none, vnDebt, phoneA, hcm, utc("2026-03-09T20:00:00Z"), History{DebtStatus: DebtPaid}, RuleDebtPaid, time.Time{}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got := s.p.Check(s.now, s.debt, s.phone, s.zones, s.h)
			if got.Rule != s.rule || !got.NextEligible.Equal(s.next) {
				t.Fatalf("Check = rule %q next %v (%s); want rule %q next %v", got.Rule, got.NextEligible.UTC(), got.Reason, s.rule, s.next.UTC())
			}
		})
	}
}

func TestCheckDebt(t *testing.T) {
	vn := mustPreset(t, PresetVN)
	vn.Caps.PerPhonePerDay = 1
	hcm := zonesOf(t, "Asia/Ho_Chi_Minh")
	now := utc("2026-03-10T03:00:00Z")
	debt := debtWith(phoneA, phoneB)

	i, dec := vn.CheckDebt(now, debt, hcm, History{DoNotCall: map[string]bool{phoneA: true}})
	if i != 1 || !dec.Allowed {
		t.Errorf("DNC on the first number: got %d %+v", i, dec)
	}
	i, dec = vn.CheckDebt(now, debt, hcm, History{PhoneAttempts: map[string][]time.Time{phoneA: {now.Add(-h)}, phoneB: {now.Add(-h)}}})
	if i != 0 || dec.Allowed || dec.Rule != RuleCapPhoneDay || !dec.NextEligible.Equal(utc("2026-03-11T00:00:00Z")) {
		t.Errorf("both capped: got %d %+v", i, dec)
	}
	i, dec = vn.CheckDebt(now, debt, hcm, History{
		DoNotCall:     map[string]bool{phoneA: true},
		PhoneAttempts: map[string][]time.Time{phoneB: {now.Add(-h)}},
	})
	if i != 1 || dec.Rule != RuleCapPhoneDay || dec.Never() {
		t.Errorf("DNC and capped: got %d %+v", i, dec)
	}
	i, dec = vn.CheckDebt(now, debt, hcm, History{CeaseCommunication: true})
	if i != 0 || !dec.Never() || dec.Rule != RuleCeaseCommunication {
		t.Errorf("cease: got %d %+v", i, dec)
	}
	// Numbers before PhoneIndex were given up by the retry rules.
	debt.PhoneIndex = 1
	i, dec = vn.CheckDebt(now, debt, hcm, History{DoNotCall: map[string]bool{phoneB: true}})
	if i != 1 || !dec.Never() {
		t.Errorf("from PhoneIndex: got %d %+v", i, dec)
	}
	debt.PhoneIndex = 2
	if i, dec := vn.CheckDebt(now, debt, hcm, History{}); i != -1 || !dec.Never() {
		t.Errorf("no number left: got %d %+v", i, dec)
	}
}

func TestHistoryAdd(t *testing.T) {
	t0 := utc("2026-03-10T03:00:00Z")
	var hist History
	hist.Add(campaign.Attempt{DebtID: "D1", Phone: phoneA, Outcome: campaign.OutcomeNoAnswer, OriginatedAt: t0}, "D1")
	hist.Add(campaign.Attempt{DebtID: "D2", Phone: phoneA, Outcome: campaign.OutcomeBridged, OriginatedAt: t0.Add(h), EndedAt: t0.Add(h + 5*m)}, "D1")
	hist.Add(campaign.Attempt{DebtID: "D1", Phone: phoneB, Outcome: campaign.OutcomeBridged, OriginatedAt: t0.Add(2 * h),
		AnsweredAt: t0.Add(2*h + 10*time.Second), BridgedAt: t0.Add(2*h + 11*time.Second), EndedAt: t0.Add(2*h + 3*m)}, "D1")
	hist.Add(campaign.Attempt{DebtID: "D1", Phone: phoneB, Outcome: campaign.OutcomeAbandoned, OriginatedAt: t0.Add(3 * h),
		AnsweredAt: t0.Add(3*h + 10*time.Second), EndedAt: t0.Add(3*h + 20*time.Second)}, "D1")
	if len(hist.DebtorAttempts) != 4 || len(hist.DebtAttempts) != 3 || len(hist.PhoneAttempts[phoneA]) != 2 || len(hist.PhoneAttempts[phoneB]) != 2 {
		t.Errorf("counts: %+v", hist)
	}
	if !hist.LastConversation.Equal(t0.Add(2*h + 3*m)) {
		t.Errorf("LastConversation = %v (another debt's conversation must not count)", hist.LastConversation)
	}
	if !hist.LastAbandoned[phoneB].Equal(t0.Add(3*h + 20*time.Second)) {
		t.Errorf("LastAbandoned = %v", hist.LastAbandoned)
	}
}

func TestLimits(t *testing.T) {
	p := mustPreset(t, PresetVN)
	p.Caps = Caps{PerDebtorPerDay: 5, PerDebtorPer7Days: 20, PerPhonePerDay: 3, PerDebtTotal: 50, PerDebtPer7Days: 7}
	now := utc("2026-03-08T15:00:00Z")
	ls := p.Limits(now, usA, zonesOf(t, "America/New_York", "America/Los_Angeles", "America/Detroit"))
	var rules []string
	for _, l := range ls {
		rules = append(rules, l.Rule+"@"+l.Zone)
	}
	want := []string{
		"cap_debtor_day@America/New_York", "cap_debtor_day@America/Los_Angeles", // Detroit's day equals New York's
		"cap_debtor_7d@", "cap_phone_day@America/New_York", "cap_phone_day@America/Los_Angeles", "cap_debt_total@", "cap_debt_7d@",
	}
	if !slices.Equal(rules, want) {
		t.Fatalf("limits = %v\nwant %v", rules, want)
	}
	if day := ls[0]; !day.Since.Equal(utc("2026-03-08T05:00:00Z")) || !day.Until.Equal(utc("2026-03-09T04:00:00Z")) || day.Scope != ScopeDebtor {
		t.Errorf("NY day limit = %+v", day)
	}
	if ls[3].Phone != usA || ls[3].Scope != ScopePhone {
		t.Errorf("phone limit = %+v", ls[3])
	}
	r := ls[2]
	if r.Count(times(now, -Week, -Week+time.Millisecond, 0, time.Hour)) != 3 {
		t.Errorf("rolling count at the boundary is wrong")
	}
	r1 := r
	r1.Max = 1
	if got := r1.FreeAt(times(now, -Week+time.Millisecond)); !got.Equal(now.Add(time.Millisecond)) {
		t.Errorf("FreeAt = %v", got)
	}
	r3 := r
	r3.Max = 3
	four := times(now, -6*d, -5*d, -3*d, -h)
	if got := r3.FreeAt(four); !got.Equal(now.Add(-5*d + Week)) {
		t.Errorf("FreeAt with 4 attempts over a cap of 3 = %v, want the second oldest's end", got)
	}
	if !ls[5].FreeAt(nil).IsZero() || !ls[5].Since.IsZero() {
		t.Errorf("total limit = %+v", ls[5])
	}
}

// TestCheckProperty draws random policies, zones and histories and checks
// that NextEligible is exact: Check allows the call there, and at no
// earlier instant from now on (probed every minute of the first three hours,
// every ten seconds of the half hour before it, and at random instants).
func TestCheckProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 3))
	cases := 150
	if testing.Short() {
		cases = 30
	}
	debt := debtWith(phoneA, phoneB)
	for i := range cases {
		now := randomNow(r)
		p := randomWindowPolicy(r, now)
		if r.IntN(4) == 0 {
			p.Window = Window{0, minutesPerDay}
		}
		randomCap := func(n int) int {
			if r.IntN(2) == 0 {
				return 0
			}
			return 1 + r.IntN(n)
		}
		p.Caps = Caps{
			PerDebtorPerDay: randomCap(5), PerDebtorPer7Days: randomCap(12), PerPhonePerDay: randomCap(3),
			PerDebtTotal: randomCap(40), PerDebtPer7Days: randomCap(7),
		}
		if r.IntN(2) == 0 {
			p.CoolOffAfterConversation = time.Duration(1+r.IntN(7*24)) * time.Hour
		}
		if r.IntN(2) == 0 {
			p.AbandonNoRecall = time.Duration(1+r.IntN(72)) * time.Hour
			p.AbandonNoRecallUnlessAgentReserved = r.IntN(2) == 0
		}
		zones := randomZones(r, t)
		phone := []string{phoneA, phoneB}[r.IntN(2)]
		hist := randomHistory(r, now)
		dec := p.Check(now, debt, phone, zones, hist)
		desc := fmt.Sprintf("case %d: policy %+v zones %s now %s\nhistory %+v\ndecision %+v", i, p, zoneNames(zones), now.UTC(), hist, dec)
		c := &checker{p: p, cal: p.calendar(), phone: phone, zones: zones, h: hist, limit: now.Add(Horizon)}
		permanent := len(c.permanent(debt)) > 0
		allowedAt := func(at time.Time) bool { return !permanent && len(c.timed(at, false)) == 0 }
		if dec.Allowed != allowedAt(now) {
			t.Fatalf("%s: Allowed disagrees with the rules", desc)
		}
		if dec.Allowed {
			if !dec.NextEligible.Equal(now) {
				t.Fatalf("%s: allowed, but NextEligible is not now", desc)
			}
			continue
		}
		end := dec.NextEligible
		if dec.Never() {
			end = now.Add(30 * 24 * time.Hour)
		} else {
			if !p.Check(end, debt, phone, zones, hist).Allowed {
				t.Fatalf("%s: not allowed at NextEligible", desc)
			}
			if allowedAt(end.Add(-time.Nanosecond)) {
				t.Fatalf("%s: allowed just before NextEligible", desc)
			}
		}
		// Every minute of the first three hours, every ten seconds of the
		// half hour before NextEligible, and random instants in between.
		var probes []time.Time
		for k := range 3 * 60 {
			probes = append(probes, now.Add(time.Duration(k)*time.Minute), end.Add(-time.Duration(k+1)*10*time.Second))
		}
		for range 200 {
			probes = append(probes, now.Add(time.Duration(r.Int64N(int64(end.Sub(now))))))
		}
		for _, at := range probes {
			if !at.Before(now) && at.Before(end) && allowedAt(at) {
				t.Fatalf("%s: allowed at %v, before NextEligible", desc, at.UTC())
			}
		}
	}
}

func randomHistory(r *rand.Rand, now time.Time) History {
	var hist History
	minute := func(maxBack time.Duration) time.Time {
		// Whole minutes from maxBack ago to 30 minutes ahead (clock skew).
		return now.Add(time.Duration(r.Int64N(int64(maxBack/time.Minute)+30)-int64(maxBack/time.Minute)) * time.Minute)
	}
	n := r.IntN(25)
	for range n {
		a := campaign.Attempt{DebtID: "D1", Phone: []string{phoneA, phoneB}[r.IntN(2)], Outcome: campaign.OutcomeNoAnswer}
		if r.IntN(3) == 0 {
			a.DebtID = "D2"
		}
		a.OriginatedAt = minute(9 * 24 * time.Hour)
		switch r.IntN(8) {
		case 0:
			a.Outcome = campaign.OutcomeBridged
			a.EndedAt = a.OriginatedAt.Add(time.Duration(r.IntN(10)) * time.Minute)
		case 1:
			a.Outcome = campaign.OutcomeAbandoned
			a.EndedAt = a.OriginatedAt.Add(time.Minute)
		}
		hist.Add(a, "D1")
	}
	switch r.IntN(40) {
	case 0:
		hist.DoNotCall = map[string]bool{phoneA: true}
	case 1:
		hist.CeaseCommunication = true
	case 2:
		hist.DebtStatus = DebtDisputed
	}
	hist.AgentReserved = r.IntN(3) == 0
	return hist
}

func BenchmarkCheck(b *testing.B) {
	p := mustPreset(b, PresetUSRegF)
	p.Caps.PerDebtorPerDay = 5
	p.Caps.PerPhonePerDay = 3
	zones := zonesOf(b, "America/New_York", "America/Chicago")
	debt := debtWith(usA, usB)
	now := utc("2026-03-10T15:00:00Z")
	var hist History
	for i := range 30 {
		hist.Add(campaign.Attempt{DebtID: "D1", Phone: usA, Outcome: campaign.OutcomeNoAnswer, OriginatedAt: now.Add(-time.Duration(i) * 5 * time.Hour)}, "D1")
	}
	b.Run("allowed", func(b *testing.B) {
		for b.Loop() {
			p.Check(now.Add(-20*time.Hour), debt, usB, zones, History{})
		}
	})
	b.Run("blocked", func(b *testing.B) {
		for b.Loop() {
			p.Check(now, debt, usA, zones, hist)
		}
	})
}

func FuzzParseDebtStatus(f *testing.F) {
	for _, s := range []string{"", "active", "PAID", " disputed ", "investigation", "under_investigation", "settled"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseDebtStatus(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if !slices.Contains([]DebtStatus{DebtActive, DebtPaid, DebtDisputed, DebtInvestigation}, st) {
			t.Fatalf("ParseDebtStatus(%q) = %q", s, st)
		}
		if back, err := ParseDebtStatus(string(st)); err != nil || back != st {
			t.Fatalf("round trip %q -> %q -> %q, %v", s, st, back, err)
		}
	})
}
