package compliance

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

func TestAbandon(t *testing.T) {
	uk := mustPreset(t, PresetUK)
	tests := []struct {
		answered, abandoned int
		want                bool
	}{
		{0, 0, false},     // one abandon would be 100%
		{32, 0, false},    // 1/33 > 3%
		{33, 0, true},     // 1/34 <= 3%
		{66, 1, true},     // 2/67 <= 3%
		{65, 1, false},    // 2/66 > 3%
		{100, 3, false},   // already at 3%
		{1000, 29, true},  // 30/1001 <= 3%
		{1000, 30, false}, // 31/1001 > 3%
	}
	for _, tt := range tests {
		if got := uk.MayRiskAbandon(tt.answered, tt.abandoned); got != tt.want {
			t.Errorf("MayRiskAbandon(%d, %d) = %v, want %v", tt.answered, tt.abandoned, got, tt.want)
		}
	}
	if !mustPreset(t, PresetVN).MayRiskAbandon(0, 0) {
		t.Error("a policy without a ceiling refuses")
	}

	now := utc("2026-03-10T12:00:00Z")
	att := func(o campaign.Outcome, endedAgo time.Duration) campaign.Attempt {
		return campaign.Attempt{Outcome: o, OriginatedAt: now.Add(-endedAgo - time.Minute), EndedAt: now.Add(-endedAgo)}
	}
	attempts := []campaign.Attempt{
		att(campaign.OutcomeBridged, time.Hour),
		att(campaign.OutcomeAbandoned, 2*time.Hour),
		att(campaign.OutcomeHungUpEarly, 3*time.Hour),
		att(campaign.OutcomeNoAnswer, time.Hour),                           // not answered
		att(campaign.OutcomeAbandoned, 24*time.Hour),                       // just outside
		att(campaign.OutcomeBridged, 24*time.Hour-time.Second),             // just inside
		att(campaign.OutcomeBridged, -time.Minute),                         // in the future
		{Outcome: campaign.OutcomeBusy, OriginatedAt: now.Add(-time.Hour)}, // no end
	}
	answered, abandoned := uk.AbandonCounts(attempts, now)
	if answered != 4 || abandoned != 1 {
		t.Errorf("AbandonCounts = %d, %d; want 4, 1", answered, abandoned)
	}
}

func TestRecord(t *testing.T) {
	now := utc("2026-03-10T15:00:00Z")
	p := mustPreset(t, PresetVN)
	zones, source, err := ZonesForDebt("", []string{"0912345678"}, "Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	debt := debtWith(phoneA, phoneB)
	hist := History{DebtorAttempts: times(utc("2026-03-10T00:00:00Z"), 0, time.Hour, 2*time.Hour, 3*time.Hour, 4*time.Hour)}
	dec := p.Check(now, debt, phoneA, zones, hist)
	rec := NewRecord(now, debt.CampaignID, debt.ID, phoneA, zones, source, dec)
	if rec.Phone != "+849******78" || rec.Rule != RuleWindow || rec.ZoneSource != ZoneSourceDefault || rec.Note == "" {
		t.Fatalf("record = %+v", rec)
	}
	f := rec.Fields()
	for k, v := range f {
		if strings.Contains(v, phoneA) || strings.Contains(v, "Nguyễn") {
			t.Errorf("field %s leaks: %q", k, v)
		}
	}
	back, err := ParseRecord(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, normalizeRecord(rec)) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, rec)
	}
	line := rec.String()
	for _, want := range []string{"not dialled: window", "also cap_debtor_day", "next eligible 2026-03-11T00:00:00Z", "could not be placed in any zone"} {
		if !strings.Contains(line, want) {
			t.Errorf("String() = %q lacks %q", line, want)
		}
	}

	never := NewRecord(now, "C1", "D1", phoneA, zones, ZoneSourcePhone, p.Check(now, debt, phoneA, zones, History{DebtStatus: DebtPaid}))
	if back, err := ParseRecord(never.Fields()); err != nil || !back.NextEligible.IsZero() || !strings.Contains(never.String(), "never eligible") {
		t.Errorf("never record: %+v %v %q", back, err, never.String())
	}
	ok := NewRecord(now, "C1", "D1", phoneA, zones, ZoneSourcePhone, Decision{Allowed: true, NextEligible: now})
	if back, err := ParseRecord(ok.Fields()); err != nil || !back.Allowed || !strings.Contains(ok.String(), "dialled") {
		t.Errorf("allowed record: %+v %v", back, err)
	}

	bad := maps.Clone(f)
	bad["allowed"] = "yes"
	if _, err := ParseRecord(bad); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad allowed: %v", err)
	}
	bad = maps.Clone(f)
	delete(bad, "at")
	if _, err := ParseRecord(bad); !errors.Is(err, ErrSyntax) {
		t.Errorf("missing at: %v", err)
	}
}

// normalizeRecord is r as it comes back from its fields: times in UTC, empty
// lists nil.
func normalizeRecord(r Record) Record {
	r.At = r.At.UTC()
	if !r.NextEligible.IsZero() {
		r.NextEligible = r.NextEligible.UTC()
	}
	if len(r.Failed) == 0 {
		r.Failed = nil
	}
	if len(r.Zones) == 0 {
		r.Zones = nil
	}
	return r
}

func FuzzParseRecord(f *testing.F) {
	rec := Record{At: utc("2026-03-10T15:00:00Z"), CampaignID: "C1", DebtID: "D1", Phone: "+849******78", Rule: RuleWindow,
		Failed: []string{RuleWindow, RuleCapDebtorDay}, Reason: "r", NextEligible: utc("2026-03-11T00:00:00Z"), NextRule: RuleWindow,
		ZoneSource: ZoneSourcePhone, Zones: []string{"Asia/Ho_Chi_Minh"}}
	fs := rec.Fields()
	f.Add(fs["at"], fs["allowed"], fs["next_eligible"], fs["failed"], fs["zones"])
	f.Add("2026-03-10T15:00:00.123456789+07:00", "1", "", "", "")
	f.Add("x", "2", "y", ",,", " , ")
	f.Fuzz(func(t *testing.T, at, allowed, next, failed, zones string) {
		in := map[string]string{"at": at, "allowed": allowed, "next_eligible": next, "failed": failed, "zones": zones, "reason": failed}
		r, err := ParseRecord(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if r.At.Year() < 0 || r.At.Year() > 9999 || r.NextEligible.Year() < 0 || r.NextEligible.Year() > 9999 {
			return // RFC 3339 cannot write these back
		}
		back, err := ParseRecord(r.Fields())
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", r, err)
		}
		if !reflect.DeepEqual(back, normalizeRecord(r)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, normalizeRecord(r))
		}
	})
}

func TestDebtorKey(t *testing.T) {
	a := campaign.Debt{ID: "D1", CampaignID: "C1", Phones: []string{phoneA}, Profile: map[string]string{"debtor_id": " CUST-7 "}}
	if got := DebtorKey(a); got != "id:CUST-7" {
		t.Errorf("with debtor_id: %q", got)
	}
	b := campaign.Debt{ID: "D2", CampaignID: "C2", Phones: []string{phoneA, phoneB}}
	c := campaign.Debt{ID: "D3", CampaignID: "C1", Phones: []string{phoneA}}
	if DebtorKey(b) != DebtorKey(c) || !strings.HasPrefix(DebtorKey(b), "phone:") || strings.Contains(DebtorKey(b), "912345") {
		t.Errorf("by main number: %q %q", DebtorKey(b), DebtorKey(c))
	}
	if DebtorKey(b) == DebtorKey(campaign.Debt{Phones: []string{phoneB}}) {
		t.Error("different main numbers share a key")
	}
	if got := DebtorKey(campaign.Debt{ID: "D4", CampaignID: "C1"}); got != "debt:C1/D4" {
		t.Errorf("no number: %q", got)
	}
}
