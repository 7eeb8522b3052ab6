package compliance

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := loadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func zonesOf(t testing.TB, names ...string) []*time.Location {
	t.Helper()
	out := make([]*time.Location, len(names))
	for i, n := range names {
		out[i] = mustZone(t, n)
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustPreset(t testing.TB, name string) Policy {
	t.Helper()
	p, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNextAllowed(t *testing.T) {
	usWin := Window{Clock(8, 0), Clock(21, 0)}
	base := Policy{Window: usWin, DefaultZone: "UTC"}
	with := func(f func(*Policy)) Policy {
		p := base.clone()
		f(&p)
		return p
	}
	never := time.Time{}
	tests := []struct {
		name  string
		p     Policy
		zones []string
		now   string
		want  time.Time // the zero time: never
	}{
		// America/New_York springs forward on 2026-03-08 at 02:00 EST.
		{"spring forward: before dawn", base, []string{"America/New_York"}, "2026-03-08T06:00:00Z", utc("2026-03-08T12:00:00Z")},
		{"spring forward: 07:59:59 EDT", base, []string{"America/New_York"}, "2026-03-08T11:59:59Z", utc("2026-03-08T12:00:00Z")},
		{"spring forward: 08:00 EDT open", base, []string{"America/New_York"}, "2026-03-08T12:00:00Z", utc("2026-03-08T12:00:00Z")},
		{"spring forward: 20:59:59 EDT open", base, []string{"America/New_York"}, "2026-03-09T00:59:59Z", utc("2026-03-09T00:59:59Z")},
		{"spring forward: 21:00 EDT closed", base, []string{"America/New_York"}, "2026-03-09T01:00:00Z", utc("2026-03-09T12:00:00Z")},
		{"day before spring forward closes 21:00 EST", base, []string{"America/New_York"}, "2026-03-08T02:00:00Z", utc("2026-03-08T12:00:00Z")},
		// It falls back on 2026-11-01 at 02:00 EDT.
		{"fall back: 07:30 EST", base, []string{"America/New_York"}, "2026-11-01T12:30:00Z", utc("2026-11-01T13:00:00Z")},
		{"fall back: 08:00 EST open", base, []string{"America/New_York"}, "2026-11-01T13:00:00Z", utc("2026-11-01T13:00:00Z")},
		{"fall back: 21:00 EST closed", base, []string{"America/New_York"}, "2026-11-02T02:00:00Z", utc("2026-11-02T13:00:00Z")},
		{"day before fall back opens 08:00 EDT", base, []string{"America/New_York"}, "2026-10-31T05:00:00Z", utc("2026-10-31T12:00:00Z")},
		// Windows opening inside the skipped and the repeated hour.
		{"opening in the skipped hour opens at the change", with(func(p *Policy) { p.Window = Window{Clock(2, 30), Clock(21, 0)} }),
			[]string{"America/New_York"}, "2026-03-08T05:00:00Z", utc("2026-03-08T07:00:00Z")},
		{"opening in the repeated hour opens the first time", with(func(p *Policy) { p.Window = Window{Clock(1, 30), Clock(21, 0)} }),
			[]string{"America/New_York"}, "2026-11-01T04:00:00Z", utc("2026-11-01T05:30:00Z")},
		{"window ending in the repeated hour reopens on the second pass", with(func(p *Policy) { p.Window = Window{0, Clock(1, 30)} }),
			[]string{"America/New_York"}, "2026-11-01T06:10:00Z", utc("2026-11-01T06:10:00Z")},
		{"after the second pass", with(func(p *Policy) { p.Window = Window{0, Clock(1, 30)} }),
			[]string{"America/New_York"}, "2026-11-01T06:30:00Z", utc("2026-11-02T05:00:00Z")},
		// America/Havana skips midnight on 2026-03-08 (00:00 CST -> 01:00 CDT).
		{"Havana: opening skipped with midnight", with(func(p *Policy) { p.Window = Window{Clock(0, 30), Clock(1, 30)} }),
			[]string{"America/Havana"}, "2026-03-08T04:00:00Z", utc("2026-03-08T05:00:00Z")},
		// Australia/Lord_Howe moves by 30 minutes (02:00 -> 02:30 on 2026-10-04).
		{"Lord Howe half-hour change", with(func(p *Policy) { p.Window = Window{Clock(2, 10), Clock(3, 0)} }),
			[]string{"Australia/Lord_Howe"}, "2026-10-03T12:00:00Z", utc("2026-10-03T15:30:00Z")},
		// Several zones: only the hours open in all count.
		{"NY and LA in winter: 11:00 ET", base, []string{"America/New_York", "America/Los_Angeles"}, "2026-01-15T13:00:00Z", utc("2026-01-15T16:00:00Z")},
		{"NY and LA: closes at 21:00 ET", base, []string{"America/Los_Angeles", "America/New_York"}, "2026-01-16T02:00:00Z", utc("2026-01-16T16:00:00Z")},
		{"NY and London: 13:00 UTC", base, []string{"Europe/London", "America/New_York"}, "2026-01-15T09:00:00Z", utc("2026-01-15T13:00:00Z")},
		{"NY and London while only the US is on summer time", base, []string{"Europe/London", "America/New_York"}, "2026-03-16T09:00:00Z", utc("2026-03-16T12:00:00Z")},
		{"windows that never overlap", with(func(p *Policy) { p.Window = Window{Clock(8, 0), Clock(10, 0)} }),
			[]string{"America/New_York", "Asia/Tokyo"}, "2026-01-15T00:00:00Z", never},
		// Holidays are civil dates in the debtor's zone.
		{"holiday in the debtor's zone", with(func(p *Policy) {
			p.Window = Window{Clock(7, 0), Clock(21, 0)}
			p.Holidays = []Date{{2026, time.January, 1}}
		}), []string{"Asia/Ho_Chi_Minh"}, "2025-12-31T23:30:00Z", utc("2026-01-02T00:00:00Z")},
		{"the evening before the holiday is open", with(func(p *Policy) {
			p.Window = Window{Clock(7, 0), Clock(21, 0)}
			p.Holidays = []Date{{2026, time.January, 1}}
		}), []string{"Asia/Ho_Chi_Minh"}, "2025-12-31T13:59:00Z", utc("2025-12-31T13:59:00Z")},
		{"holidays in a row", with(func(p *Policy) { p.Holidays = []Date{{2026, time.December, 25}, {2026, time.December, 26}} }),
			[]string{"Europe/London"}, "2026-12-24T21:00:00Z", utc("2026-12-27T08:00:00Z")},
		// Days of the week, by the debtor's local date.
		{"weekend skipped", with(func(p *Policy) { p.Days = []time.Weekday{1, 2, 3, 4, 5} }),
			[]string{"Europe/London"}, "2026-01-17T10:00:00Z", utc("2026-01-19T08:00:00Z")},
		{"local Friday evening is Saturday in UTC", with(func(p *Policy) { p.Days = []time.Weekday{5} }),
			[]string{"America/Los_Angeles"}, "2026-01-17T03:00:00Z", utc("2026-01-17T03:00:00Z")},
		{"no allowed day", with(func(p *Policy) { p.Days = []time.Weekday{9} }), []string{"UTC"}, "2026-01-17T10:00:00Z", never},
		{"every day a holiday", with(func(p *Policy) { p.Holidays = everyDay(Date{2026, 1, 1}, 800) }), []string{"UTC"}, "2026-01-17T10:00:00Z", never},
		{"no zone is never", base, nil, "2026-01-17T10:00:00Z", never},
		{"none preset is always open", mustPreset(t, PresetNone), []string{"Pacific/Kiritimati"}, "2026-03-08T07:30:00Z", utc("2026-03-08T07:30:00Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zones := zonesOf(t, tt.zones...)
			now := utc(tt.now)
			got := tt.p.NextAllowed(now, zones)
			if !got.Equal(tt.want) {
				t.Fatalf("NextAllowed(%s) = %v, want %v", tt.now, got.UTC(), tt.want.UTC())
			}
			if allowed := tt.p.Allowed(now, zones); allowed != got.Equal(now) {
				t.Errorf("Allowed(%s) = %v, but NextAllowed = %v", tt.now, allowed, got)
			}
			if !got.IsZero() {
				if !tt.p.Allowed(got, zones) {
					t.Errorf("not allowed at NextAllowed %v", got)
				}
				if got.After(now) && tt.p.Allowed(got.Add(-time.Second), zones) {
					t.Errorf("allowed one second before NextAllowed %v", got)
				}
			}
		})
	}
}

func everyDay(from Date, n int) []Date {
	out := make([]Date, n)
	for i := range out {
		out[i] = from.AddDays(i)
	}
	return out
}

func TestAllowedNilZone(t *testing.T) {
	p := mustPreset(t, PresetNone)
	if p.Allowed(time.Now(), []*time.Location{time.UTC, nil}) {
		t.Error("allowed with a nil zone")
	}
	if !p.NextAllowed(time.Now(), []*time.Location{nil}).IsZero() {
		t.Error("NextAllowed with a nil zone is not never")
	}
}

func TestDayBounds(t *testing.T) {
	tests := []struct {
		zone, at, start, next string
	}{
		{"America/New_York", "2026-03-08T15:00:00Z", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"}, // 23 h day
		{"America/New_York", "2026-11-01T15:00:00Z", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"}, // 25 h day
		{"America/New_York", "2026-11-01T05:30:00Z", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"}, // first 01:30
		{"America/New_York", "2026-11-01T06:30:00Z", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"}, // second 01:30
		{"America/Havana", "2026-03-08T12:00:00Z", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"},   // midnight skipped
		{"America/Havana", "2026-03-08T04:30:00Z", "2026-03-07T05:00:00Z", "2026-03-08T05:00:00Z"},   // day before
		{"Asia/Ho_Chi_Minh", "2026-01-01T18:00:00Z", "2026-01-01T17:00:00Z", "2026-01-02T17:00:00Z"},
		{"UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"},
	}
	for _, tt := range tests {
		start, next := dayBounds(utc(tt.at), mustZone(t, tt.zone))
		if !start.Equal(utc(tt.start)) || !next.Equal(utc(tt.next)) {
			t.Errorf("dayBounds(%s in %s) = %v, %v; want %s, %s", tt.at, tt.zone, start.UTC(), next.UTC(), tt.start, tt.next)
		}
	}
}

var propertyZones = []string{
	"UTC", "America/New_York", "America/Los_Angeles", "America/St_Johns", "America/Havana", "America/Santiago",
	"Europe/London", "Europe/Berlin", "Asia/Ho_Chi_Minh", "Asia/Kathmandu", "Australia/Lord_Howe",
	"Australia/Sydney", "Pacific/Auckland", "Pacific/Chatham", "Asia/Tokyo", "Pacific/Honolulu",
}

// dstDays are days around daylight-saving changes in 2026, where the
// property tests start more often.
var dstDays = []string{
	"2026-03-08", "2026-11-01", "2026-03-29", "2026-10-25", "2026-04-05", "2026-10-04", "2026-09-27", "2026-04-04", "2026-09-06",
}

func randomNow(r *rand.Rand) time.Time {
	var day time.Time
	if r.IntN(2) == 0 {
		day = utc(dstDays[r.IntN(len(dstDays))] + "T00:00:00Z").Add(-24 * time.Hour)
	} else {
		day = utc("2026-01-01T00:00:00Z").AddDate(0, 0, r.IntN(365))
	}
	return day.Add(time.Duration(r.IntN(3*24*60)) * time.Minute)
}

func randomWindowPolicy(r *rand.Rand, now time.Time) Policy {
	start := r.IntN(23 * 60)
	end := start + 1 + r.IntN(minutesPerDay-start)
	if r.IntN(3) == 0 { // the usual windows
		start, end = []int{7 * 60, 8 * 60}[r.IntN(2)], 21*60
	}
	p := Policy{Window: Window{TimeOfDay(start), TimeOfDay(end)}, DefaultZone: "UTC"}
	if r.IntN(2) == 0 {
		for d := range 7 {
			if r.IntN(3) > 0 {
				p.Days = append(p.Days, time.Weekday(d))
			}
		}
		if len(p.Days) == 0 {
			p.Days = []time.Weekday{time.Weekday(r.IntN(7))}
		}
	}
	for range r.IntN(4) {
		p.Holidays = append(p.Holidays, DateOf(now.UTC()).AddDays(r.IntN(6)-1))
	}
	return p
}

func randomZones(r *rand.Rand, t testing.TB) []*time.Location {
	n := 1 + r.IntN(3)
	if r.IntN(2) == 0 {
		n = 1
	}
	names := make([]string, n)
	for i := range names {
		names[i] = propertyZones[r.IntN(len(propertyZones))]
	}
	return zonesOf(t, names...)
}

// TestNextAllowedMatchesMinuteScan checks NextAllowed against a brute-force
// scan, minute by minute, of Allowed, which only reads each zone's wall
// clock. Windows, offsets and daylight-saving changes of the zones used all
// fall on whole minutes, so a minute scan from a whole minute is exact.
func TestNextAllowedMatchesMinuteScan(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2026))
	const scanDays = 8
	cases := 100
	if testing.Short() {
		cases = 30
	}
	for i := range cases {
		now := randomNow(r)
		p := randomWindowPolicy(r, now)
		zones := randomZones(r, t)
		got := p.NextAllowed(now, zones)
		want := time.Time{}
		for m := 0; m <= scanDays*24*60; m++ {
			at := now.Add(time.Duration(m) * time.Minute)
			if p.Allowed(at, zones) {
				want = at
				break
			}
		}
		desc := fmt.Sprintf("case %d: window %s days %s holidays %v zones %s now %s", i, p.Window, FormatWeekdays(p.Days), p.Holidays, zoneNames(zones), now.UTC())
		if want.IsZero() {
			if !got.IsZero() && !got.After(now.Add(scanDays*24*time.Hour)) {
				t.Fatalf("%s: NextAllowed = %v, but no minute in %d days is allowed", desc, got.UTC(), scanDays)
			}
			continue
		}
		if !got.Equal(want) {
			t.Fatalf("%s: NextAllowed = %v, minute scan finds %v", desc, got.UTC(), want.UTC())
		}
	}
}

func TestDayBoundsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 2000 {
		now := randomNow(r).Add(time.Duration(r.IntN(60)) * time.Second)
		z := mustZone(t, propertyZones[r.IntN(len(propertyZones))])
		start, next := dayBounds(now, z)
		day := LocalDay(now, z)
		if now.Before(start) || !now.Before(next) {
			t.Fatalf("%v in %s: bounds %v..%v do not hold it", now, z, start, next)
		}
		if LocalDay(start, z) != day || LocalDay(next.Add(-time.Second), z) != day {
			t.Fatalf("%v in %s: bounds %v..%v are not on local day %v", now, z, start, next, day)
		}
		if LocalDay(start.Add(-time.Second), z) == day || LocalDay(next, z) == day {
			t.Fatalf("%v in %s: bounds %v..%v are not the ends of local day %v", now, z, start, next, day)
		}
	}
}
