package compliance

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Overrides are a campaign's changes to its preset. A nil field keeps the
// preset's value.
type Overrides struct {
	Window      *Window
	Days        []time.Weekday // nil keeps the preset's; empty means every day
	Holidays    []Date         // nil keeps the preset's; replaces them otherwise
	DefaultZone *string

	PerDebtorPerDay   *int
	PerDebtorPer7Days *int
	PerPhonePerDay    *int
	PerDebtTotal      *int
	PerDebtPer7Days   *int

	CoolOffAfterConversation           *time.Duration
	AbandonNoRecall                    *time.Duration
	AbandonNoRecallUnlessAgentReserved *bool
	MaxAbandonRate                     *float64
	AbandonWindow                      *time.Duration
}

// Merge returns p with the overrides applied. It does not validate; call
// Validate on the result.
func (p Policy) Merge(o Overrides) Policy {
	q := p.clone()
	if o.Window != nil {
		q.Window = *o.Window
	}
	if o.Days != nil {
		q.Days = slices.Clone(o.Days)
	}
	if o.Holidays != nil {
		q.Holidays = slices.Clone(o.Holidays)
	}
	if o.DefaultZone != nil {
		q.DefaultZone = *o.DefaultZone
	}
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&q.Caps.PerDebtorPerDay, o.PerDebtorPerDay)
	setInt(&q.Caps.PerDebtorPer7Days, o.PerDebtorPer7Days)
	setInt(&q.Caps.PerPhonePerDay, o.PerPhonePerDay)
	setInt(&q.Caps.PerDebtTotal, o.PerDebtTotal)
	setInt(&q.Caps.PerDebtPer7Days, o.PerDebtPer7Days)
	setDur := func(dst *time.Duration, v *time.Duration) {
		if v != nil {
			*dst = *v
		}
	}
	setDur(&q.CoolOffAfterConversation, o.CoolOffAfterConversation)
	setDur(&q.AbandonNoRecall, o.AbandonNoRecall)
	setDur(&q.AbandonWindow, o.AbandonWindow)
	if o.AbandonNoRecallUnlessAgentReserved != nil {
		q.AbandonNoRecallUnlessAgentReserved = *o.AbandonNoRecallUnlessAgentReserved
	}
	if o.MaxAbandonRate != nil {
		q.MaxAbandonRate = *o.MaxAbandonRate
	}
	return q
}

// OverrideKeys lists the keys Set accepts.
var OverrideKeys = []string{
	FieldWindow, FieldDays, FieldHolidays, FieldDefaultZone,
	FieldCapPerDebtorPerDay, FieldCapPerDebtorPer7Days, FieldCapPerPhonePerDay, FieldCapPerDebtTotal, FieldCapPerDebtPer7Days,
	FieldCoolOffAfterConversation, FieldAbandonNoRecall, FieldAbandonNoRecallUnlessAgentReserved,
	FieldMaxAbandonRate, FieldAbandonWindow,
}

// Set parses one override from text, as found in a config file or an
// environment variable:
//
//	window                                   07:00-21:00
//	days                                     mon-sat
//	holidays                                 2026-01-01,2026-04-30
//	default_zone                             Asia/Ho_Chi_Minh
//	caps.per_debtor_per_day (and the others) 5          (0: no cap)
//	cool_off_after_conversation              7d         (Go duration or days)
//	abandon_no_recall                        72h
//	abandon_no_recall_unless_agent_reserved  true
//	max_abandon_rate                         0.03 or 3%
//	abandon_window                           24h
//
// Errors name the key and wrap ErrInvalidPolicy. Range checks are left to
// Policy.Validate, so that the error names the value that is finally used.
func (o *Overrides) Set(key, value string) error {
	value = strings.TrimSpace(value)
	wrap := func(err error) error {
		return &FieldError{Field: key, Msg: err.Error()}
	}
	intp := func() (*int, error) {
		n, err := strconv.Atoi(value)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", value)
		}
		return &n, nil
	}
	durp := func() (*time.Duration, error) {
		d, err := ParseDuration(value)
		if err != nil {
			return nil, err
		}
		return &d, nil
	}
	var err error
	switch key {
	case FieldWindow:
		var w Window
		if w, err = ParseWindow(value); err == nil {
			o.Window = &w
		}
	case FieldDays:
		var d []time.Weekday
		if d, err = ParseWeekdays(value); err == nil {
			o.Days = d
		}
	case FieldHolidays:
		var h []Date
		if h, err = ParseDates(value); err == nil {
			if h == nil {
				h = []Date{}
			}
			o.Holidays = h
		}
	case FieldDefaultZone:
		v := strings.Join(splitList(value), ",")
		o.DefaultZone = &v
	case FieldCapPerDebtorPerDay:
		o.PerDebtorPerDay, err = intp()
	case FieldCapPerDebtorPer7Days:
		o.PerDebtorPer7Days, err = intp()
	case FieldCapPerPhonePerDay:
		o.PerPhonePerDay, err = intp()
	case FieldCapPerDebtTotal:
		o.PerDebtTotal, err = intp()
	case FieldCapPerDebtPer7Days:
		o.PerDebtPer7Days, err = intp()
	case FieldCoolOffAfterConversation:
		o.CoolOffAfterConversation, err = durp()
	case FieldAbandonNoRecall:
		o.AbandonNoRecall, err = durp()
	case FieldAbandonWindow:
		o.AbandonWindow, err = durp()
	case FieldAbandonNoRecallUnlessAgentReserved:
		var b bool
		if b, err = strconv.ParseBool(value); err == nil {
			o.AbandonNoRecallUnlessAgentReserved = &b
		} else {
			err = fmt.Errorf("%q is not true or false", value)
		}
	case FieldMaxAbandonRate:
		var r float64
		if r, err = parseRate(value); err == nil {
			o.MaxAbandonRate = &r
		}
	default:
		return &FieldError{Field: key, Msg: "unknown key (want one of " + strings.Join(OverrideKeys, ", ") + ")"}
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// ParseOverrides applies Set to every key of kv, in key order, and returns
// all errors joined.
func ParseOverrides(kv map[string]string) (Overrides, error) {
	var o Overrides
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		if err := o.Set(k, kv[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return o, errors.Join(errs...)
}

// parseRate parses a fraction ("0.03") or a percentage ("3%").
func parseRate(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	r, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("%q is not a fraction such as 0.03 or a percentage such as 3%%", s)
	}
	if pct {
		r /= 100
	}
	return r, nil
}

// Resolve builds a campaign's policy: the named preset with the overrides
// applied, validated. It also returns the warnings of LooserThan against
// the preset.
func Resolve(preset string, o Overrides) (Policy, []string, error) {
	base, err := Preset(preset)
	if err != nil {
		return Policy{}, nil, &FieldError{Field: FieldPreset, Msg: err.Error()}
	}
	p := base.Merge(o)
	if err := p.Validate(); err != nil {
		return Policy{}, nil, err
	}
	return p, p.LooserThan(base), nil
}

// LooserThan lists, one line per field, how p allows calls that preset
// does not: a wider window, more days, fewer holidays, a different default
// zone set, a higher or removed cap, a shorter cool-off or no-recall period,
// the agent-reserved exception, a higher or removed abandon ceiling or a
// longer abandon window. Each line starts with the field name. It is empty
// when p is at least as strict as preset.
func (p Policy) LooserThan(preset Policy) []string {
	var out []string
	name := preset.Preset
	if name == "" {
		name = "base"
	}
	add := func(field, format string, args ...any) {
		out = append(out, field+": "+fmt.Sprintf(format, args...)+" is looser than the "+name+" preset")
	}
	if p.Window.Start < preset.Window.Start || p.Window.End > preset.Window.End {
		add(FieldWindow, "%s (preset %s)", p.Window, preset.Window)
	}
	pc, bc := p.calendar(), preset.calendar()
	var extra []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if pc.days[d] && !bc.days[d] {
			extra = append(extra, d)
		}
	}
	if len(extra) > 0 {
		add(FieldDays, "%s adds %s (preset %s)", FormatWeekdays(p.Days), FormatWeekdays(extra), FormatWeekdays(preset.Days))
	}
	var dropped []string
	for _, h := range preset.Holidays {
		if !slices.Contains(p.Holidays, h) {
			dropped = append(dropped, h.String())
		}
	}
	if len(dropped) > 0 {
		add(FieldHolidays, "dropping %s", strings.Join(dropped, ","))
	}
	pz, bz := splitList(p.DefaultZone), splitList(preset.DefaultZone)
	var missing []string
	for _, z := range bz {
		if !slices.Contains(pz, z) {
			missing = append(missing, z)
		}
	}
	if len(missing) > 0 {
		add(FieldDefaultZone, "%q without the preset's %s", p.DefaultZone, strings.Join(missing, ","))
	}
	for _, c := range []struct {
		field     string
		got, base int
	}{
		{FieldCapPerDebtorPerDay, p.Caps.PerDebtorPerDay, preset.Caps.PerDebtorPerDay},
		{FieldCapPerDebtorPer7Days, p.Caps.PerDebtorPer7Days, preset.Caps.PerDebtorPer7Days},
		{FieldCapPerPhonePerDay, p.Caps.PerPhonePerDay, preset.Caps.PerPhonePerDay},
		{FieldCapPerDebtTotal, p.Caps.PerDebtTotal, preset.Caps.PerDebtTotal},
		{FieldCapPerDebtPer7Days, p.Caps.PerDebtPer7Days, preset.Caps.PerDebtPer7Days},
	} {
		if capLooser(c.got, c.base) {
			add(c.field, "%s (preset %d)", capString(c.got), c.base)
		}
	}
	for _, d := range []struct {
		field     string
		got, base time.Duration
	}{
		{FieldCoolOffAfterConversation, p.CoolOffAfterConversation, preset.CoolOffAfterConversation},
		{FieldAbandonNoRecall, p.AbandonNoRecall, preset.AbandonNoRecall},
	} {
		if d.got < d.base {
			add(d.field, "%s (preset %s)", FormatDuration(d.got), FormatDuration(d.base))
		}
	}
	if preset.AbandonNoRecall > 0 && p.AbandonNoRecall > 0 && p.AbandonNoRecallUnlessAgentReserved && !preset.AbandonNoRecallUnlessAgentReserved {
		add(FieldAbandonNoRecallUnlessAgentReserved, "true (preset false)")
	}
	if preset.MaxAbandonRate > 0 {
		switch {
		case p.MaxAbandonRate == 0:
			add(FieldMaxAbandonRate, "no ceiling (preset %s)", formatRate(preset.MaxAbandonRate))
		case p.MaxAbandonRate > preset.MaxAbandonRate:
			add(FieldMaxAbandonRate, "%s (preset %s)", formatRate(p.MaxAbandonRate), formatRate(preset.MaxAbandonRate))
		}
		if p.MaxAbandonRate > 0 && p.AbandonWindow > preset.AbandonWindow {
			add(FieldAbandonWindow, "%s (preset %s)", FormatDuration(p.AbandonWindow), FormatDuration(preset.AbandonWindow))
		}
	}
	return out
}

func capLooser(got, base int) bool {
	if base == 0 {
		return false
	}
	return got == 0 || got > base
}

func capString(n int) string {
	if n == 0 {
		return "no cap"
	}
	return strconv.Itoa(n)
}

func formatRate(r float64) string { return strconv.FormatFloat(r*100, 'f', -1, 64) + "%" }
