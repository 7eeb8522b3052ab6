package compliance

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is wrapped by every error of the parsers in this package.
var ErrSyntax = errors.New("syntax error")

const (
	minutesPerDay = 24 * 60
	secondsPerDay = 24 * 60 * 60
)

// TimeOfDay is a wall-clock time as minutes after midnight, from 00:00 (0)
// to 24:00 (1440, the end of the day; only meaningful as a window end).
type TimeOfDay int

// Clock returns the time of day h:m.
func Clock(h, m int) TimeOfDay { return TimeOfDay(h*60 + m) }

// Valid reports whether t is between 00:00 and 24:00.
func (t TimeOfDay) Valid() bool { return t >= 0 && t <= minutesPerDay }

// String formats t as "HH:MM".
func (t TimeOfDay) String() string {
	if !t.Valid() {
		return fmt.Sprintf("invalid(%d)", int(t))
	}
	return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60)
}

// seconds is t in seconds after midnight.
func (t TimeOfDay) seconds() int64 { return int64(t) * 60 }

// syntaxError is an error of the parsers in this package: its text says
// what is wrong and what is expected, and it wraps ErrSyntax without
// adding "syntax error" to the text.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

// Unwrap returns ErrSyntax.
func (e *syntaxError) Unwrap() error { return ErrSyntax }

func syntaxErrorf(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...)}
}

// ParseTimeOfDay parses "HH:MM" (24-hour clock, one or two hour digits,
// two minute digits), from "00:00" to "24:00".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, why := parseClock(s)
	if why != "" {
		return 0, syntaxErrorf("%s; expected HH:MM from 00:00 to 24:00", why)
	}
	return t, nil
}

// parseClock parses "HH:MM"; on failure it returns why, without
// repeating s unless s is not a time of day at all.
func parseClock(s string) (TimeOfDay, string) {
	t := strings.TrimSpace(s)
	h, m, ok := strings.Cut(t, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Sprintf("%q is not a time of day", t)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	switch {
	case hh > 24:
		return 0, fmt.Sprintf("%s: hour %d is out of range (00 to 24)", t, hh)
	case mm > 59:
		return 0, fmt.Sprintf("%s: minute %d is out of range (00 to 59)", t, mm)
	case hh == 24 && mm != 0:
		return 0, fmt.Sprintf("%s is after 24:00", t)
	}
	return Clock(hh, mm), ""
}

// MarshalText formats t as "HH:MM".
func (t TimeOfDay) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("time of day %d: out of range", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText parses "HH:MM".
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Window is the daily calling window in the debtor's local wall-clock time:
// calls are allowed from Start (inclusive) to End (exclusive). End may be
// 24:00; windows do not span midnight.
type Window struct {
	Start TimeOfDay
	End   TimeOfDay
}

// String formats w as "HH:MM-HH:MM".
func (w Window) String() string { return w.Start.String() + "-" + w.End.String() }

// Validate checks 00:00 <= Start < End <= 24:00.
func (w Window) Validate() error {
	switch {
	case !w.Start.Valid() || w.Start == minutesPerDay:
		return fmt.Errorf("start %s is not a time of day from 00:00 to 23:59", w.Start)
	case !w.End.Valid():
		return fmt.Errorf("end %s is not a time of day from 00:01 to 24:00", w.End)
	case w.End <= w.Start:
		return fmt.Errorf("end %s must be after start %s (windows do not span midnight)", w.End, w.Start)
	}
	return nil
}

// contains reports whether sod seconds after midnight is inside w.
func (w Window) contains(sod int64) bool {
	return sod >= w.Start.seconds() && sod < w.End.seconds()
}

// ParseWindow parses "HH:MM-HH:MM" (also with an en dash or "to" between
// the times, and spaces around them) and validates the result. Errors say
// what is wrong with s and the form expected.
func ParseWindow(s string) (Window, error) {
	const expected = `expected "HH:MM-HH:MM" with start before end, e.g. "07:00-21:00"`
	var a, b string
	var ok bool
	for _, sep := range []string{"-", "–", "—", " to "} {
		if a, b, ok = strings.Cut(s, sep); ok {
			break
		}
	}
	if !ok {
		return Window{}, syntaxErrorf(`%q: no "-" between start and end; %s`, s, expected)
	}
	start, why := parseClock(a)
	if why != "" {
		return Window{}, syntaxErrorf("%q: start %s; %s", s, why, expected)
	}
	end, why := parseClock(b)
	if why != "" {
		return Window{}, syntaxErrorf("%q: end %s; %s", s, why, expected)
	}
	w := Window{Start: start, End: end}
	if err := w.Validate(); err != nil {
		return Window{}, syntaxErrorf("%q: %v; %s", s, err, expected)
	}
	return w, nil
}

// MarshalText formats w as "HH:MM-HH:MM".
func (w Window) MarshalText() ([]byte, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("window: %w", err)
	}
	return []byte(w.String()), nil
}

// UnmarshalText parses "HH:MM-HH:MM".
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// Date is a civil date with no time zone, such as a holiday or the
// debtor's local day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// LocalDay is the civil date of the instant now in zone: the key of
// per-local-day attempt caps.
func LocalDay(now time.Time, zone *time.Location) Date { return DateOf(now.In(zone)) }

// Valid reports whether d is a real calendar date between years 1 and 9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return DateOf(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)) == d
}

// String formats d as "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return time.Weekday(mod(d.epochDay()+4, 7)) }

// AddDays returns the date n days after d.
func (d Date) AddDays(n int) Date { return dateOfEpochDay(d.epochDay() + int64(n)) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.epochDay() < e.epochDay() }

// epochDay is the number of days from 1970-01-01 to d.
func (d Date) epochDay() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
}

func dateOfEpochDay(n int64) Date { return DateOf(time.Unix(n*secondsPerDay, 0).UTC()) }

// ParseDate parses a date "2006-01-02".
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return Date{}, syntaxErrorf("date %q: want YYYY-MM-DD", s)
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	dd, _ := strconv.Atoi(s[8:])
	d := Date{Year: y, Month: time.Month(m), Day: dd}
	if !d.Valid() {
		return Date{}, syntaxErrorf("date %q: no such day", s)
	}
	return d, nil
}

// MarshalText formats d as "2006-01-02".
func (d Date) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("date %s: not a calendar date", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses "2006-01-02".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDates parses a comma-separated list of dates ("" is no date).
func ParseDates(s string) ([]Date, error) {
	var out []Date
	for _, f := range splitList(s) {
		d, err := ParseDate(f)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// ParseWeekdays parses a comma-separated list of days and ranges of days,
// in English, case-insensitive: "mon-fri", "mon-sat,sun", "fri-mon" (a
// range may wrap past Sunday), "all" or "*" (every day). The result is
// sorted from Sunday and has no duplicates. An empty list is an error: a
// policy with no calling day would never call.
func ParseWeekdays(s string) ([]time.Weekday, error) {
	var set [7]bool
	fields := splitList(s)
	if len(fields) == 0 {
		return nil, syntaxErrorf("days %q: empty", s)
	}
	for _, f := range fields {
		f = strings.ToLower(f)
		if f == "all" || f == "*" {
			for i := range set {
				set[i] = true
			}
			continue
		}
		a, b, isRange := strings.Cut(f, "-")
		from, ok := weekdayNames[strings.TrimSpace(a)]
		if !ok {
			return nil, syntaxErrorf("days %q: unknown day %q; expected days such as mon, tue or ranges such as mon-fri", s, a)
		}
		to := from
		if isRange {
			if to, ok = weekdayNames[strings.TrimSpace(b)]; !ok {
				return nil, syntaxErrorf("days %q: unknown day %q; expected days such as mon, tue or ranges such as mon-fri", s, b)
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			set[d] = true
			if d == to {
				break
			}
		}
	}
	var out []time.Weekday
	for d, on := range set {
		if on {
			out = append(out, time.Weekday(d))
		}
	}
	return out, nil
}

// FormatWeekdays formats days as ParseWeekdays reads them ("mon,tue,sat").
// Nil or empty days format as "all".
func FormatWeekdays(days []time.Weekday) string {
	if len(days) == 0 {
		return "all"
	}
	sorted := slices.Clone(days)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	parts := make([]string, 0, len(sorted))
	for _, d := range sorted {
		if d < time.Sunday || d > time.Saturday {
			parts = append(parts, fmt.Sprintf("invalid(%d)", int(d)))
			continue
		}
		parts = append(parts, strings.ToLower(d.String()[:3]))
	}
	return strings.Join(parts, ",")
}

// ParseDuration parses a Go duration ("72h", "90m") that may start with a
// whole number of days ("7d", "1d12h"). A day here is 24 hours: rolling
// periods are measured in elapsed time, not in calendar days. Negative
// durations are accepted; Policy.Validate rejects them.
func ParseDuration(s string) (time.Duration, error) {
	in := s
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || i == 0 || !digits(s[:i]) || n > 100*365 {
			return 0, syntaxErrorf("duration %q: want a Go duration or whole days such as 7d", in)
		}
		total = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			if neg {
				total = -total
			}
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, syntaxErrorf("duration %q: want a Go duration or whole days such as 7d", in)
	}
	if d > 0 && total > time.Duration(1<<63-1)-d {
		return 0, syntaxErrorf("duration %q: too long", in)
	}
	total += d
	if neg {
		total = -total
	}
	return total, nil
}

// FormatDuration formats d in whole days when it is a multiple of 24 h
// ("7d"), else as Go does ("72h0m0s" becomes "3d", "90m" is "1h30m0s").
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d != 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty fields.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
