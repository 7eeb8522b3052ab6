package importer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// warnNow is the clock of the zone-warning tests: a winter day, so that a
// check looking only at "now" would miss the summer half of the year.
var warnNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

func warnOptions() Options {
	opts := testOptions()
	opts.Now = func() time.Time { return warnNow }
	return opts
}

func warningStrings(ws []RowWarning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

// TestZoneWarningRule: a row whose timezone column keeps a different clock
// from every zone its numbers can be placed in is imported with a warning.
func TestZoneWarningRule(t *testing.T) {
	const follow = "; calling hours will follow %[1]s; leave timezone empty if the debtor is where the numbers are"
	tests := []struct {
		name     string
		timezone string
		phones   []string // phone, phone2, phone3
		want     string   // the warning's reason, "" for none
	}{
		{"VN number, VN zone", "Asia/Ho_Chi_Minh", []string{"+84912345678"}, ""},
		{"VN number, alias of the VN zone", "Asia/Saigon", []string{"+84912345678"}, ""},
		{"VN number, same clock elsewhere", "Asia/Bangkok", []string{"+84912345678"}, ""},
		{"VN number, New York", "America/New_York", []string{"+84912345678"},
			`is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh)` + fmt.Sprintf(follow, "America/New_York")},
		{"VN landline, New York", "America/New_York", []string{"028 3829 5555"},
			`is not a zone of any of the debtor's numbers (+842*******55: Asia/Ho_Chi_Minh)` + fmt.Sprintf(follow, "America/New_York")},
		{"New York number, New York", "America/New_York", []string{"+1 212 555 1234"}, ""},
		{"New York number, Toronto (same clock)", "America/Toronto", []string{"+1 212 555 1234"}, ""},
		{"New York number, Los Angeles", "America/Los_Angeles", []string{"+1 212 555 1234"},
			`is not a zone of any of the debtor's numbers (+121******34: America/New_York)` + fmt.Sprintf(follow, "America/Los_Angeles")},
		// Phoenix keeps Denver's clock in winter only: the summer counts.
		{"Denver number, Phoenix", "America/Phoenix", []string{"+1 303 555 1234"},
			`is not a zone of any of the debtor's numbers (+130******34: America/Denver)` + fmt.Sprintf(follow, "America/Phoenix")},
		{"toll-free maps to every NANP zone, one matches", "America/Denver", []string{"+1 800 555 0199"}, ""},
		{"toll-free, none matches", "Asia/Ho_Chi_Minh", []string{"+1 800 555 0199"},
			`is not a zone of any of the debtor's numbers (+180******99: America/Adak, America/Anchorage, America/Anguilla and 39 more)` + fmt.Sprintf(follow, "Asia/Ho_Chi_Minh")},
		{"UK mobile maps to three zones", "Europe/London", []string{"+44 7911 123456"}, ""},
		{"Irish mobile, Dublin (phone data says London: same clock)", "Europe/Dublin", []string{"+353 85 123 4567"}, ""},
		{"Australian mobile, Melbourne (phone data says Sydney)", "Australia/Melbourne", []string{"+61 412 345 678"}, ""},
		{"Australian mobile, Perth", "Australia/Perth", []string{"+61 412 345 678"},
			`is not a zone of any of the debtor's numbers (+614******78: Australia/Sydney)` + fmt.Sprintf(follow, "Australia/Perth")},
		{"VN and US numbers, one matches", "America/New_York", []string{"+84912345678", "+1 212 555 1234"}, ""},
		{"VN and LA numbers, none matches", "America/New_York", []string{"+84912345678", "+1 415 555 0123"},
			`is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh; +141******23: America/Los_Angeles)` + fmt.Sprintf(follow, "America/New_York")},
		{"unplaceable number alone", "America/New_York", []string{"+800 1234 5678"}, ""},
		{"unplaceable and VN numbers", "America/New_York", []string{"+800 1234 5678", "+84912345678"},
			`is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh)` + fmt.Sprintf(follow, "America/New_York")},
		{"no timezone column value", "", []string{"+84912345678"}, ""},
		{"UTC", "UTC", []string{"+84912345678"},
			`is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh)` + fmt.Sprintf(follow, "UTC")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"timezone": tt.timezone}
			for i, p := range tt.phones {
				set[[]string{"phone", "phone2", "phone3"}[i]] = p
			}
			res := importString(t, nil, csvLines(t, rowHeader, rowWith(set)), warnOptions())
			if res.err != nil || res.sum.Imported != 1 || res.sum.Failed != 0 {
				t.Fatalf("the row must import whatever the warning: %+v, %v", res.sum, res.err)
			}
			if tt.want == "" {
				if res.sum.WarningCount != 0 || res.sum.Warned != 0 || len(res.sum.Warnings) != 0 {
					t.Fatalf("unexpected warnings %q", warningStrings(res.sum.Warnings))
				}
				return
			}
			want := []RowWarning{{Line: 2, Column: "timezone", Value: tt.timezone, Reason: tt.want}}
			if !reflect.DeepEqual(res.sum.Warnings, want) || res.sum.WarningCount != 1 || res.sum.Warned != 1 {
				t.Fatalf("warnings %+v (count %d, rows %d)\nwant %+v", res.sum.Warnings, res.sum.WarningCount, res.sum.Warned, want)
			}
			if d, ok := res.store.debt(testCampaign, "D-1"); !ok || d.Timezone != tt.timezone {
				t.Errorf("the timezone must be stored as written: %+v", d)
			}
		})
	}
}

// TestZoneWarningAcrossTheYear: the check covers the year from Options.Now,
// whatever the season at the import.
func TestZoneWarningAcrossTheYear(t *testing.T) {
	data := csvLines(t, rowHeader, rowWith(map[string]string{"timezone": "America/Phoenix", "phone": "+1 303 555 1234"}))
	for _, now := range []time.Time{
		time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), // Denver on MST, like Phoenix
		time.Date(2025, 7, 15, 0, 0, 0, 0, time.UTC), // Denver on MDT
		time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), // one day before Denver's clock goes back
	} {
		opts := testOptions()
		opts.Now = func() time.Time { return now }
		res := importString(t, nil, data, opts)
		if res.err != nil || res.sum.WarningCount != 1 {
			t.Errorf("import on %s: %d warnings, %v; want 1", now.Format(time.DateOnly), res.sum.WarningCount, res.err)
		}
	}
}

func TestSameClock(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	from := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		a, b  string
		until time.Time
		want  bool
	}{
		{"Asia/Saigon", "Asia/Ho_Chi_Minh", from.Add(zoneHorizon), true},
		{"Europe/Dublin", "Europe/London", from.Add(zoneHorizon), true},
		{"Europe/London", "UTC", from.Add(zoneHorizon), false},
		// Winter only: London keeps UTC's clock until the end of March.
		{"Europe/London", "UTC", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"America/New_York", "America/Los_Angeles", from.Add(zoneHorizon), false},
		{"UTC", "Etc/UTC", from.Add(zoneHorizon), true},
		{"Etc/GMT-7", "Asia/Ho_Chi_Minh", from.Add(zoneHorizon), true},
	}
	for _, tt := range tests {
		if got := sameClock(load(tt.a), load(tt.b), from, tt.until); got != tt.want {
			t.Errorf("sameClock(%s, %s, until %s) = %v, want %v", tt.a, tt.b, tt.until.Format(time.DateOnly), got, tt.want)
		}
		if got := sameClock(load(tt.b), load(tt.a), from, tt.until); got != tt.want {
			t.Errorf("sameClock(%s, %s, until %s) = %v, want %v", tt.b, tt.a, tt.until.Format(time.DateOnly), got, tt.want)
		}
	}
}

// TestZoneWarningsImport: warnings over a whole file, after the rows that
// failed, with the first 100 kept and every one counted.
func TestZoneWarningsImport(t *testing.T) {
	data := "debt_id,debtor_name,phone,phone2,amount,currency,due_date,timezone\n" +
		"W1,Nguyễn Văn An,0912345678,,1000,VND,2025-03-31,Asia/Ho_Chi_Minh\n" +
		"W2,Trần Thị Bình,0912345679,,1000,VND,2025-03-31,America/New_York\n" +
		"W3,Lê Văn Cường,x,,1000,VND,2025-03-31,America/New_York\n" +
		"W4,John Smith,+1 212 555 1234,,1000,USD,2025-03-31,America/New_York\n" +
		"W5,Jane Doe,+1 212 555 1235,0912345670,1000,USD,2025-03-31,Asia/Tokyo\n" +
		"W6,Phạm Thị Dung,0912345671,,1000,VND,2025-03-31,\n"
	res := importString(t, nil, data, warnOptions())
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := []string{
		`line 3, column timezone: "America/New_York" is not a zone of any of the debtor's numbers (+849******79: Asia/Ho_Chi_Minh); calling hours will follow America/New_York; leave timezone empty if the debtor is where the numbers are`,
		`line 6, column timezone: "Asia/Tokyo" is not a zone of any of the debtor's numbers (+121******35: America/New_York; +849******70: Asia/Ho_Chi_Minh); calling hours will follow Asia/Tokyo; leave timezone empty if the debtor is where the numbers are`,
	}
	if got := warningStrings(res.sum.Warnings); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sum := res.sum
	sum.Errors, sum.Warnings = nil, nil
	if wantSum := (Summary{Rows: 6, Imported: 5, Created: 5, Failed: 1, ErrorCount: 1, Warned: 2, WarningCount: 2}); !reflect.DeepEqual(sum, wantSum) {
		t.Errorf("summary %+v, want %+v", sum, wantSum)
	}
	for _, id := range []string{"W2", "W5"} {
		if d, ok := res.store.debt(testCampaign, id); !ok || d.Timezone == "" {
			t.Errorf("row %s with a warning was not imported as written: %+v", id, d)
		}
	}

	// The first 100 warnings are kept, all are counted.
	recs := [][]string{rowHeader}
	for i := 0; i < 150; i++ {
		recs = append(recs, rowWith(map[string]string{"debt_id": fmt.Sprintf("D-%d", i), "timezone": "Europe/Paris"}))
	}
	res = importString(t, nil, csvLines(t, recs...), warnOptions())
	if res.err != nil || res.sum.Imported != 150 || res.sum.WarningCount != 150 || res.sum.Warned != 150 || len(res.sum.Warnings) != maxKeptWarnings {
		t.Errorf("150 warned rows: imported %d, count %d, rows %d, kept %d, %v",
			res.sum.Imported, res.sum.WarningCount, res.sum.Warned, len(res.sum.Warnings), res.err)
	}
	if w := res.sum.Warnings[len(res.sum.Warnings)-1]; w.Line != 101 {
		t.Errorf("the last kept warning is of line %d, want 101", w.Line)
	}
}

func TestNoPIIInWarnings(t *testing.T) {
	const name = "Nguyễn Văn Bí Mật"
	data := csvLines(t, rowHeader,
		rowWith(map[string]string{"debtor_name": name, "phone": "0912 345 679", "phone2": "+1 415 555 0123", "timezone": "Europe/Paris", "notes": "ghi chú riêng"}),
	)
	res := importString(t, nil, data, warnOptions())
	if res.sum.WarningCount != 1 {
		t.Fatalf("want a warning, got %+v", res.sum)
	}
	var all strings.Builder
	for _, w := range res.sum.Warnings {
		all.WriteString(w.String())
		fmt.Fprintf(&all, "%+v", w)
	}
	if err := res.sum.Write(&all); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Nguyễn", "Bí Mật", "912345679", "345 679", "4155550123", "555 0123", "ghi chú"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("%q leaked into the warnings:\n%s", secret, all.String())
		}
	}
}

func TestSummaryWriteWarnings(t *testing.T) {
	s := Summary{
		Rows: 1000, Imported: 998, Created: 990, Updated: 8, Failed: 2, ErrorCount: 2,
		Errors:       []RowError{{Line: 17, Column: "phone", Value: "+849*****78", Reason: "not a valid phone number for region VN"}},
		Warned:       3,
		WarningCount: 3,
		Warnings: []RowWarning{
			{Line: 12, Column: "timezone", Value: "America/New_York", Reason: "is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh)"},
			{Line: 40, Column: "timezone", Value: "Asia/Tokyo", Reason: "is not a zone of any of the debtor's numbers (+121******34: America/New_York)"},
		},
	}
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `rows read:  1,000
imported:   998 (created 990, updated 8; 3 with warnings)
failed:     2 rows (2 errors)
  line 17, column phone: not a valid phone number for region VN (got "+849*****78")
  ... and 1 more errors not shown
warnings:   3 rows imported as written; check them
  line 12, column timezone: "America/New_York" is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh)
  line 40, column timezone: "Asia/Tokyo" is not a zone of any of the debtor's numbers (+121******34: America/New_York)
  ... and 1 more warnings not shown
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	// More warnings than rows with warnings: both counts are shown.
	b.Reset()
	_ = Summary{Rows: 1, Imported: 1, Created: 1, Warned: 1, WarningCount: 2}.Write(&b)
	if want := "rows read:  1\nimported:   1 (created 1, updated 0; 1 with warnings)\nfailed:     0 rows\nwarnings:   1 rows imported as written; check them (2 warnings)\n  ... and 2 more warnings not shown\n"; b.String() != want {
		t.Errorf("summary:\n%q\nwant\n%q", b.String(), want)
	}
}

// TestPhoneInWrongColumnMasked: a debtor's number pasted into another
// column is masked in the row error like one in a phone column.
func TestPhoneInWrongColumnMasked(t *testing.T) {
	for _, c := range []column{colDueDate, colAmount, colCurrency, colPriority, colTimezone} {
		got := shownValue(c, "0912345678", "VN")
		if strings.Contains(got, "12345678") || got == "" {
			t.Errorf("column %s shows %q for a phone number", columnNames[c], got)
		}
	}
	if got := shownValue(colDueDate, "2026-13-01", "VN"); got != "2026-13-01" {
		t.Errorf("a bad date is shown as %q", got)
	}
}

// TestPhoneInWrongColumnMaskedInCampaignRegion: the campaign's own
// numbers, written nationally, are masked in any column too, not only
// Vietnamese ones; numbers written with their country code are masked
// whatever the region.
func TestPhoneInWrongColumnMaskedInCampaignRegion(t *testing.T) {
	for _, tt := range []struct {
		region, number, digits string
	}{
		{"US", "2025550123", "5550123"}, // a US number, national form
		{"US", "(202) 555-0123", "555-0123"},
		{"GB", "07911 123456", "123456"}, // a UK mobile, national form
		{"VN", "+1 202 555 0123", "555 0123"},
		{"VN", "0044 7911 123456", "123456"},
		{"", "+84 912 345 678", "345 678"},
		{"US", "0912345678", "12345678"}, // Vietnamese, as before
	} {
		opts := testOptions()
		opts.DefaultRegion = tt.region
		res := importString(t, nil, "debt_id,debtor_name,phone,amount,currency,due_date\n"+
			"d1,An,+84912345678,100,VND,\""+tt.number+"\"\n", opts)
		if len(res.errors) != 1 || res.errors[0].Column != "due_date" {
			t.Fatalf("region %q, due_date %q: errors %v; want one of column due_date", tt.region, tt.number, res.errors)
		}
		if got := res.errors[0].Value; strings.Contains(got, tt.digits) || got == "" {
			t.Errorf("region %q: due_date %q is shown as %q; want it masked", tt.region, tt.number, got)
		}
	}
}
