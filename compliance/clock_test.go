package compliance

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in   string
		want TimeOfDay
		ok   bool
	}{
		{"07:00", Clock(7, 0), true},
		{"7:05", Clock(7, 5), true},
		{" 21:00 ", Clock(21, 0), true},
		{"00:00", 0, true},
		{"23:59", Clock(23, 59), true},
		{"24:00", minutesPerDay, true},
		{"24:01", 0, false},
		{"25:00", 0, false},
		{"12:60", 0, false},
		{"12:5", 0, false},
		{"123:00", 0, false},
		{"-1:00", 0, false},
		{"+1:00", 0, false},
		{"12", 0, false},
		{"12:00:00", 0, false},
		{"", 0, false},
		{"ab:cd", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTimeOfDay(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseTimeOfDay(%q) error %v does not wrap ErrSyntax", tt.in, err)
		}
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want Window
		ok   bool
	}{
		{"07:00-21:00", Window{Clock(7, 0), Clock(21, 0)}, true},
		{"08:00 – 21:00", Window{Clock(8, 0), Clock(21, 0)}, true},
		{"8:00 to 21:30", Window{Clock(8, 0), Clock(21, 30)}, true},
		{"00:00-24:00", Window{0, minutesPerDay}, true},
		{"21:00-07:00", Window{}, false}, // end before start
		{"08:00-08:00", Window{}, false}, // empty
		{"24:00-24:00", Window{}, false},
		{"08:00", Window{}, false},
		{"08:00-", Window{}, false},
		{"x-21:00", Window{}, false},
	}
	for _, tt := range tests {
		got, err := ParseWindow(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	var w Window
	if err := w.UnmarshalText([]byte("07:00-21:00")); err != nil || w.String() != "07:00-21:00" {
		t.Errorf("UnmarshalText: %v %v", w, err)
	}
	if _, err := (Window{Clock(9, 0), Clock(8, 0)}).MarshalText(); err == nil {
		t.Error("MarshalText of an invalid window succeeded")
	}
}

// TestParseErrorsWithoutNoise: parse errors say what is wrong and what is
// expected, and wrap ErrSyntax without saying "syntax error".
func TestParseErrorsWithoutNoise(t *testing.T) {
	const expected = `; expected "HH:MM-HH:MM" with start before end, e.g. "07:00-21:00"`
	for _, tt := range []struct {
		err  func() error
		want string
	}{
		{func() error { _, err := ParseWindow("25:00-21:00"); return err }, `"25:00-21:00": start 25:00: hour 25 is out of range (00 to 24)` + expected},
		{func() error { _, err := ParseWindow("21:00-07:00"); return err }, `"21:00-07:00": end 07:00 must be after start 21:00 (windows do not span midnight)` + expected},
		{func() error { _, err := ParseWindow("08:00-"); return err }, `"08:00-": end "" is not a time of day` + expected},
		{func() error { _, err := ParseWindow("08:00"); return err }, `"08:00": no "-" between start and end` + expected},
		{func() error { _, err := ParseTimeOfDay("12:60"); return err }, `12:60: minute 60 is out of range (00 to 59); expected HH:MM from 00:00 to 24:00`},
		{func() error { _, err := ParseTimeOfDay("noon"); return err }, `"noon" is not a time of day; expected HH:MM from 00:00 to 24:00`},
		{func() error { _, err := ParseDate("2026-02-30"); return err }, `date "2026-02-30": no such day`},
		{func() error { _, err := ParseDuration("3 days"); return err }, `duration "3 days": want a Go duration or whole days such as 7d`},
	} {
		err := tt.err()
		if err == nil || err.Error() != tt.want {
			t.Errorf("error %v\nwant  %s", err, tt.want)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("error %v does not wrap ErrSyntax", err)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-01-01", Date{2026, time.January, 1}, true},
		{"2024-02-29", Date{2024, time.February, 29}, true},
		{"2026-02-29", Date{}, false},
		{"2026-13-01", Date{}, false},
		{"2026-00-10", Date{}, false},
		{"2026-04-31", Date{}, false},
		{"0000-01-01", Date{}, false},
		{"2026-1-01", Date{}, false},
		{"2026/01/01", Date{}, false},
		{"26-01-01", Date{}, false},
		{"", Date{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	ds, err := ParseDates(" 2026-01-01, ,2026-04-30 ")
	if err != nil || len(ds) != 2 || ds[1] != (Date{2026, time.April, 30}) {
		t.Errorf("ParseDates = %v, %v", ds, err)
	}
	if _, err := ParseDates("2026-01-01,nope"); err == nil {
		t.Error("ParseDates accepted a bad date")
	}
}

func TestDateArithmetic(t *testing.T) {
	d := Date{2026, time.March, 8}
	if d.Weekday() != time.Sunday {
		t.Errorf("2026-03-08 is a %v, want Sunday", d.Weekday())
	}
	if got := d.AddDays(-8); got != (Date{2026, time.February, 28}) {
		t.Errorf("AddDays(-8) = %v", got)
	}
	if got := (Date{1969, time.December, 31}).Weekday(); got != time.Wednesday {
		t.Errorf("1969-12-31 is a %v, want Wednesday", got)
	}
	if !d.Before(d.AddDays(1)) || d.Before(d) {
		t.Error("Before is wrong")
	}
	for i := -1000; i < 1000; i += 37 {
		x := d.AddDays(i)
		if x.Weekday() != time.Date(x.Year, x.Month, x.Day, 12, 0, 0, 0, time.UTC).Weekday() {
			t.Fatalf("weekday of %v", x)
		}
	}
}

func TestParseWeekdays(t *testing.T) {
	tests := []struct {
		in   string
		want []time.Weekday
		ok   bool
	}{
		{"mon-fri", []time.Weekday{1, 2, 3, 4, 5}, true},
		{"Mon-Sat, sun", []time.Weekday{0, 1, 2, 3, 4, 5, 6}, true},
		{"fri-mon", []time.Weekday{0, 1, 5, 6}, true},
		{"sat,sat,sunday", []time.Weekday{0, 6}, true},
		{"all", []time.Weekday{0, 1, 2, 3, 4, 5, 6}, true},
		{"*", []time.Weekday{0, 1, 2, 3, 4, 5, 6}, true},
		{"wed-wed", []time.Weekday{3}, true},
		{"", nil, false},
		{" , ", nil, false},
		{"funday", nil, false},
		{"mon-", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseWeekdays(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("ParseWeekdays(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if got := FormatWeekdays([]time.Weekday{5, 1, 1}); got != "mon,fri" {
		t.Errorf("FormatWeekdays = %q", got)
	}
	if got := FormatWeekdays(nil); got != "all" {
		t.Errorf("FormatWeekdays(nil) = %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", Week, true},
		{"72h", 72 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0", 0, true},
		{"-1d", -24 * time.Hour, true},
		{"-2h", -2 * time.Hour, true},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"7 days", 0, false},
		{"1d-2h", 0, false},
		{"12h1d", 0, false},
		{"", 0, false},
		{"99999999d", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, d := range []time.Duration{Week, 72 * time.Hour, 90 * time.Minute, 0, 36 * time.Hour} {
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Errorf("round trip of %v via %q = %v, %v", d, FormatDuration(d), back, err)
		}
	}
}

// Fuzz tests: every parser must not panic, must wrap ErrSyntax when it
// fails, and must round-trip what it accepts.

func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"07:00", "24:00", "7:5", "23:59", "", "99:99", "1:00 ", "٠٧:٠٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTimeOfDay(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if !v.Valid() {
			t.Fatalf("accepted %q as invalid %d", s, v)
		}
		back, err := ParseTimeOfDay(v.String())
		if err != nil || back != v {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, v, back, err)
		}
	})
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"07:00-21:00", "08:00 – 21:00", "00:00-24:00", "21:00-07:00", "1:00 to 2:00", "-", "07:00--21:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("accepted %q as invalid window %v: %v", s, w, err)
		}
		back, err := ParseWindow(w.String())
		if err != nil || back != w {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, w, back, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-01", "2024-02-29", "2026-02-29", "9999-12-31", "0001-01-01", "2026-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if !d.Valid() {
			t.Fatalf("accepted invalid date %v", d)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, d, back, err)
		}
		if got := dateOfEpochDay(d.epochDay()); got != d {
			t.Fatalf("epoch day round trip %v -> %v", d, got)
		}
	})
}

func FuzzParseWeekdays(f *testing.F) {
	for _, s := range []string{"mon-fri", "fri-mon,sun", "all", "*", "", "Tue,thu", "x-y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := ParseWeekdays(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if len(days) == 0 || !slices.IsSorted(days) {
			t.Fatalf("%q -> %v: want a sorted non-empty list", s, days)
		}
		back, err := ParseWeekdays(FormatWeekdays(days))
		if err != nil || !slices.Equal(back, days) {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, days, back, err)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "72h", "1d12h", "-3d", "0", "1.5h", "d", "9223372036854775807ns", "106751d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("round trip %q -> %v (%q) -> %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
