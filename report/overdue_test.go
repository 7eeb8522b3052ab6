package report

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
)

var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day is midnight UTC of a date, as the importer stores due dates.
func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr string
	}{
		{"2026-03-31", Date{2026, time.March, 31}, ""},
		{" 2026-03-31 ", Date{2026, time.March, 31}, ""},
		{"2024-02-29", Date{2024, time.February, 29}, ""},
		{"2026-02-29", Date{}, "not a real date"},
		{"31/03/2026", Date{}, "YYYY-MM-DD"},
		{"2026-3-31", Date{}, "YYYY-MM-DD"},
		{"yesterday", Date{}, "YYYY-MM-DD"},
		{"", Date{}, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDate(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestDateOfUsesTheZone(t *testing.T) {
	tests := []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{at("2026-03-31T16:59:59Z"), hcm, "2026-03-31"}, // 23:59:59 in Ho Chi Minh City
		{at("2026-03-31T17:00:00Z"), hcm, "2026-04-01"}, // midnight there
		{at("2026-03-31T17:00:00Z"), time.UTC, "2026-03-31"},
		{at("2026-04-01T03:00:00Z"), mustZone("America/Los_Angeles"), "2026-03-31"},
	}
	for _, tt := range tests {
		if got := DateOf(tt.t, tt.loc).String(); got != tt.want {
			t.Errorf("DateOf(%v, %v) = %s, want %s", tt.t, tt.loc, got, tt.want)
		}
	}
}

func TestBucketOf(t *testing.T) {
	tests := []struct {
		days int
		want Bucket
	}{
		{1, Bucket1To30}, {30, Bucket1To30}, {31, Bucket31To60}, {60, Bucket31To60},
		{61, Bucket61To90}, {90, Bucket61To90}, {91, Bucket91Plus}, {4000, Bucket91Plus},
	}
	for _, tt := range tests {
		if got := BucketOf(tt.days); got != tt.want {
			t.Errorf("BucketOf(%d) = %s, want %s", tt.days, got, tt.want)
		}
	}
}

// TestOverdueRow checks which debts are overdue cases and what their row
// says, one debt at a time.
func TestOverdueRow(t *testing.T) {
	asOf := Date{2026, time.March, 31}
	debt := func(mod func(*campaign.Debt)) campaign.Debt {
		d := campaign.Debt{
			ID: "D1", CampaignID: "c1", DebtorName: "Nguyễn Văn An", Phones: []string{"+84912000001", "+84912000002"},
			Amount: "1500000", Currency: "VND", DueDate: day("2026-03-01"),
			State: campaign.StateQueued, NextAttemptAt: at("2026-04-01T02:00:00Z"),
		}
		if mod != nil {
			mod(&d)
		}
		return d
	}
	call := func(id, originated string, o campaign.Outcome, disposition string) campaign.Attempt {
		a := campaign.Attempt{ID: id, CampaignID: "c1", DebtID: "D1", Outcome: o, OriginatedAt: at(originated),
			EndedAt: at(originated).Add(90 * time.Second), Disposition: disposition}
		if o == campaign.OutcomeBridged {
			a.AnsweredAt = a.OriginatedAt.Add(10 * time.Second)
			a.BridgedAt = a.AnsweredAt.Add(time.Second)
		}
		return a
	}
	// base is the row of debt(nil) with no attempts.
	base := Row{
		DebtID: "D1", DebtorName: "Nguyễn Văn An", Phones: []string{"+84912000001", "+84912000002"},
		DueDate: Date{2026, time.March, 1}, DaysPastDue: 30, Bucket: Bucket1To30, Amount: "1500000", Currency: "VND",
		State: campaign.StateQueued, NextAttemptAt: at("2026-04-01T02:00:00Z").In(hcm), Status: compliance.DebtActive,
	}
	row := func(mod func(*Row)) *Row {
		r := base
		r.Phones = append([]string(nil), base.Phones...)
		if mod != nil {
			mod(&r)
		}
		return &r
	}
	tests := []struct {
		name     string
		c        Case
		want     *Row // nil: not an overdue case
		promises int  // the case counts as an open promise to pay
	}{
		{"due today is not overdue", Case{Debt: debt(func(d *campaign.Debt) { d.DueDate = day("2026-03-31") })}, nil, 0},
		{"due in the future", Case{Debt: debt(func(d *campaign.Debt) { d.DueDate = day("2026-05-01") })}, nil, 0},
		{"no due date", Case{Debt: debt(func(d *campaign.Debt) { d.DueDate = time.Time{} })}, nil, 0},
		{"paid", Case{Debt: debt(nil), Status: compliance.DebtPaid}, nil, 0},
		{"due yesterday", Case{Debt: debt(func(d *campaign.Debt) { d.DueDate = day("2026-03-30") })},
			row(func(r *Row) { r.DueDate, r.DaysPastDue = Date{2026, time.March, 30}, 1 }), 0},
		{"31 days", Case{Debt: debt(func(d *campaign.Debt) { d.DueDate = day("2026-02-28") })},
			row(func(r *Row) { r.DueDate, r.DaysPastDue, r.Bucket = Date{2026, time.February, 28}, 31, Bucket31To60 }), 0},
		{"over a year", Case{Debt: debt(func(d *campaign.Debt) { d.DueDate = day("2025-01-31") })},
			row(func(r *Row) { r.DueDate, r.DaysPastDue, r.Bucket = Date{2025, time.January, 31}, 424, Bucket91Plus }), 0},
		{"never called", Case{Debt: debt(nil)}, row(nil), 0},
		{"empty status is active", Case{Debt: debt(nil), Status: ""}, row(nil), 0},
		{"disputed stays in with its status", Case{Debt: debt(nil), Status: compliance.DebtDisputed},
			row(func(r *Row) { r.Status = compliance.DebtDisputed }), 0},
		{"investigation", Case{Debt: debt(nil), Status: compliance.DebtInvestigation},
			row(func(r *Row) { r.Status = compliance.DebtInvestigation }), 0},
		{"promise to pay", Case{Debt: debt(func(d *campaign.Debt) { d.Attempts = 2 }), Attempts: []campaign.Attempt{
			call("a1", "2026-03-20T02:00:00Z", campaign.OutcomeBusy, ""),
			call("a2", "2026-03-21T03:00:00Z", campaign.OutcomeBridged, campaign.DispositionPromiseToPay),
		}}, row(func(r *Row) {
			r.Attempts, r.LastCallAt, r.LastOutcome = 2, at("2026-03-21T03:00:00Z").In(hcm), campaign.OutcomeBridged
			r.LastDisposition, r.LastDispositionAt = campaign.DispositionPromiseToPay, at("2026-03-21T03:01:30Z").In(hcm)
			r.Contacted = true
		}), 1},
		{"a refusal after the promise replaces it", Case{Debt: debt(func(d *campaign.Debt) { d.Attempts = 3 }), Attempts: []campaign.Attempt{
			call("a1", "2026-03-20T02:00:00Z", campaign.OutcomeBridged, campaign.DispositionPromiseToPay),
			call("a2", "2026-03-28T02:00:00Z", campaign.OutcomeBridged, "refused"),
			call("a3", "2026-03-29T02:00:00Z", campaign.OutcomeNoAnswer, ""),
		}}, row(func(r *Row) {
			r.Attempts, r.LastCallAt, r.LastOutcome = 3, at("2026-03-29T02:00:00Z").In(hcm), campaign.OutcomeNoAnswer
			r.LastDisposition, r.LastDispositionAt = "refused", at("2026-03-28T02:01:30Z").In(hcm)
			r.Contacted = true
		}), 0},
		{"someone else answered: no right-party contact", Case{Debt: debt(func(d *campaign.Debt) { d.Attempts = 1 }), Attempts: []campaign.Attempt{
			call("a1", "2026-03-20T02:00:00Z", campaign.OutcomeBridged, "wrong_party"),
		}}, row(func(r *Row) {
			r.Attempts, r.LastCallAt, r.LastOutcome = 1, at("2026-03-20T02:00:00Z").In(hcm), campaign.OutcomeBridged
			r.LastDisposition, r.LastDispositionAt = "wrong_party", at("2026-03-20T02:01:30Z").In(hcm)
		}), 0},
		{"answered but abandoned or hung up is no contact", Case{Debt: debt(func(d *campaign.Debt) { d.Attempts = 2 }), Attempts: []campaign.Attempt{
			call("a1", "2026-03-20T02:00:00Z", campaign.OutcomeAbandoned, ""),
			call("a2", "2026-03-21T02:00:00Z", campaign.OutcomeHungUpEarly, ""),
		}}, row(func(r *Row) {
			r.Attempts, r.LastCallAt, r.LastOutcome = 2, at("2026-03-21T02:00:00Z").In(hcm), campaign.OutcomeHungUpEarly
		}), 0},
		{"bridged without a disposition is contact", Case{Debt: debt(func(d *campaign.Debt) { d.Attempts = 1 }), Attempts: []campaign.Attempt{
			call("a1", "2026-03-20T02:00:00Z", campaign.OutcomeBridged, ""),
		}}, row(func(r *Row) {
			r.Attempts, r.LastCallAt, r.LastOutcome, r.Contacted = 1, at("2026-03-20T02:00:00Z").In(hcm), campaign.OutcomeBridged, true
		}), 0},
		{"attempts out of order: the latest call counts", Case{Debt: debt(func(d *campaign.Debt) { d.Attempts = 2 }), Attempts: []campaign.Attempt{
			call("a2", "2026-03-25T02:00:00Z", campaign.OutcomeBusy, ""),
			call("a1", "2026-03-20T02:00:00Z", campaign.OutcomeBridged, "callback"),
		}}, row(func(r *Row) {
			r.Attempts, r.LastCallAt, r.LastOutcome = 2, at("2026-03-25T02:00:00Z").In(hcm), campaign.OutcomeBusy
			r.LastDisposition, r.LastDispositionAt, r.Contacted = "callback", at("2026-03-20T02:01:30Z").In(hcm), true
		}), 0},
		{"attempts the log no longer holds: the debt's own count and outcome", Case{Debt: debt(func(d *campaign.Debt) {
			d.Attempts, d.LastOutcome = 4, campaign.OutcomeNoAnswer
		})}, row(func(r *Row) { r.Attempts, r.LastOutcome = 4, campaign.OutcomeNoAnswer }), 0},
		{"finished, and why", Case{Debt: debt(func(d *campaign.Debt) {
			d.State, d.FinishReason, d.Attempts, d.LastOutcome = campaign.StateFinished, "max attempts", 6, campaign.OutcomeBusy
		})}, row(func(r *Row) {
			r.State, r.FinishReason, r.NextAttemptAt, r.Attempts, r.LastOutcome = campaign.StateFinished, "max attempts", time.Time{}, 6, campaign.OutcomeBusy
		}), 0},
		{"leased", Case{Debt: debt(func(d *campaign.Debt) { d.State = campaign.StateLeased })},
			row(func(r *Row) { r.State, r.NextAttemptAt = campaign.StateLeased, time.Time{} }), 0},
		{"a bad amount is kept as written", Case{Debt: debt(func(d *campaign.Debt) { d.Amount = "1,5" })},
			row(func(r *Row) { r.Amount = "1,5" }), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Overdue([]Case{tt.c}, Options{CampaignID: "c1", AsOf: asOf, Zone: hcm})
			if rep.DebtsRead != 1 {
				t.Errorf("DebtsRead = %d, want 1", rep.DebtsRead)
			}
			if tt.want == nil {
				if len(rep.Cases) != 0 || rep.Total.Cases != 0 {
					t.Errorf("not overdue, but the report has %+v", rep.Cases)
				}
				return
			}
			if len(rep.Cases) != 1 {
				t.Fatalf("cases %+v, want one", rep.Cases)
			}
			got := rep.Cases[0]
			if !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("row\n got %+v\nwant %+v", got, *tt.want)
			}
			for _, ts := range []time.Time{got.LastCallAt, got.LastDispositionAt, got.NextAttemptAt} {
				if !ts.IsZero() && ts.Location() != hcm {
					t.Errorf("time %v is not in the campaign's zone", ts)
				}
			}
			if rep.Total.PromisesToPay != tt.promises {
				t.Errorf("promises to pay %d, want %d", rep.Total.PromisesToPay, tt.promises)
			}
		})
	}
}

// TestOverdueSummary checks the order of the cases and the per-bucket
// summary.
func TestOverdueSummary(t *testing.T) {
	asOf := Date{2026, time.March, 31}
	debt := func(id, due, amount, currency string) campaign.Debt {
		return campaign.Debt{ID: id, CampaignID: "c1", DebtorName: "Debtor " + id, Phones: []string{"+84912000001"},
			Amount: amount, Currency: currency, DueDate: day(due), State: campaign.StateQueued}
	}
	talk := func(id, code string) []campaign.Attempt {
		return []campaign.Attempt{{ID: "a-" + id, DebtID: id, Outcome: campaign.OutcomeBridged, OriginatedAt: at("2026-03-30T02:00:00Z"),
			BridgedAt: at("2026-03-30T02:00:10Z"), EndedAt: at("2026-03-30T02:03:00Z"), Disposition: code}}
	}
	cases := []Case{
		{Debt: debt("A", "2026-03-21", "999999999999999999", "VND"), Attempts: talk("A", campaign.DispositionPromiseToPay)}, // 10 days
		{Debt: debt("B", "2026-03-11", "1", "VND"), Attempts: talk("B", "refused")},                                         // 20
		{Debt: debt("C", "2026-03-11", "12.50", "USD")},                                                                     // 20, same as B
		{Debt: debt("D", "2026-01-30", "100", "VND"), Attempts: talk("D", campaign.DispositionPromiseToPay)},                // 60
		{Debt: debt("E", "2025-12-01", "300", "VND"), Attempts: talk("E", "wrong_number")},                                  // 120
		{Debt: debt("F", "2025-12-01", "200", "VND"), Status: compliance.DebtPaid},                                          // paid: left out
		{Debt: debt("G", "2026-04-30", "200", "VND")},                                                                       // not yet due
		{Debt: debt("H", "2026-03-21", "0.5", "USD")},                                                                       // 10
		{Debt: debt("I", "2025-01-01", "abc", "VND")},                                                                       // 454, bad amount
	}
	gen := at("2026-03-31T01:00:00Z")
	rep := Overdue(cases, Options{CampaignID: "c1", AsOf: asOf, Zone: hcm, GeneratedAt: gen})

	var order []string
	for _, r := range rep.Cases {
		order = append(order, r.DebtID)
	}
	if want := []string{"I", "E", "D", "B", "C", "A", "H"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v (days past due descending, then debt id)", order, want)
	}
	if rep.CampaignID != "c1" || rep.AsOf != asOf || rep.Zone != "Asia/Ho_Chi_Minh" || !rep.GeneratedAt.Equal(gen) || rep.DebtsRead != 9 {
		t.Errorf("header %q %v %q %v %d", rep.CampaignID, rep.AsOf, rep.Zone, rep.GeneratedAt, rep.DebtsRead)
	}
	want := []Summary{
		{Bucket: Bucket1To30, Cases: 4, Amounts: map[string]string{"VND": "1000000000000000000", "USD": "13.00"},
			Contacted: 2, ContactedPct: 50, PromisesToPay: 1},
		{Bucket: Bucket31To60, Cases: 1, Amounts: map[string]string{"VND": "100"}, Contacted: 1, ContactedPct: 100, PromisesToPay: 1},
		{Bucket: Bucket61To90, Cases: 0, Amounts: map[string]string{}},
		{Bucket: Bucket91Plus, Cases: 2, Amounts: map[string]string{"VND": "300"}, InvalidAmounts: 1},
	}
	if !reflect.DeepEqual(rep.Buckets, want) {
		t.Errorf("buckets\n got %+v\nwant %+v", rep.Buckets, want)
	}
	total := Summary{Bucket: "total", Cases: 7, Amounts: map[string]string{"VND": "1000000000000000400", "USD": "13.00"},
		Contacted: 3, ContactedPct: 42.9, PromisesToPay: 2, InvalidAmounts: 1}
	if !reflect.DeepEqual(rep.Total, total) {
		t.Errorf("total\n got %+v\nwant %+v", rep.Total, total)
	}
}

func TestOverdueEmpty(t *testing.T) {
	rep := Overdue(nil, Options{CampaignID: "c1", AsOf: Date{2026, time.March, 31}})
	if rep.Cases == nil || len(rep.Cases) != 0 || len(rep.Buckets) != 4 || rep.Total.Cases != 0 || rep.Zone != "UTC" {
		t.Errorf("empty report %+v", rep)
	}
	for _, b := range rep.Buckets {
		if b.Amounts == nil || b.ContactedPct != 0 {
			t.Errorf("empty bucket %+v", b)
		}
	}
}
