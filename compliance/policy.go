package compliance

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Sentinel errors.
var (
	// ErrInvalidPolicy is wrapped by every error of Policy.Validate and of
	// the override parsers; it wraps campaign.ErrInvalid.
	ErrInvalidPolicy = fmt.Errorf("invalid compliance policy: %w", campaign.ErrInvalid)
	// ErrUnknownPreset is returned by Preset for a name it does not know.
	ErrUnknownPreset = errors.New("unknown compliance preset")
	// ErrUnknownZone is wrapped when a time zone name is not in the time
	// zone database.
	ErrUnknownZone = errors.New("unknown time zone")
	// ErrNoZone is returned by ZonesForDebt when no zone can be found for a
	// debt and no default zone is configured.
	ErrNoZone = errors.New("no time zone for debt")
)

// Preset names.
const (
	PresetVN     = "vn"
	PresetUSRegF = "us-regf"
	PresetUK     = "uk"
	PresetNone   = "none"
)

// PresetNames lists the presets Preset knows.
var PresetNames = []string{PresetVN, PresetUSRegF, PresetUK, PresetNone}

// Week is the length of the rolling 7-day periods of the caps: 168 hours of
// elapsed time.
const Week = 7 * 24 * time.Hour

// Caps are attempt caps; 0 means no cap. Every attempt counts, whatever its
// outcome (busy, no answer and failed calls too), across all campaigns and
// all numbers of the debtor.
type Caps struct {
	// PerDebtorPerDay caps attempts to the debtor on one local day (the
	// civil date in the debtor's zone), over all the debtor's debts and
	// numbers.
	PerDebtorPerDay int
	// PerDebtorPer7Days caps attempts to the debtor in any rolling 168 h.
	PerDebtorPer7Days int
	// PerPhonePerDay caps attempts to one number on one local day.
	PerPhonePerDay int
	// PerDebtTotal caps attempts on one debt, ever.
	PerDebtTotal int
	// PerDebtPer7Days caps attempts on one debt (any of its numbers) in any
	// rolling 168 h.
	PerDebtPer7Days int
}

// Policy is a campaign's compliance rules. The zero value is not valid; start
// from Preset and apply Overrides.
type Policy struct {
	// Preset names the preset the policy was built from ("" if none); it
	// is informational and names the baseline of LooserThan warnings.
	Preset string
	// Window is the daily calling window in the debtor's local time.
	Window Window
	// Days are the weekdays on which calls are allowed, in the debtor's
	// local time; empty means every day.
	Days []time.Weekday
	// Holidays are civil dates on which no call is made, each taken as a
	// date in the debtor's zone.
	Holidays []Date
	// DefaultZone is the IANA zone used when a debt has no timezone and no
	// number can be placed in a zone. It may list several zones separated
	// by commas; calls are then made only when the window is open in all of
	// them.
	DefaultZone string
	// Caps are the attempt caps.
	Caps Caps
	// CoolOffAfterConversation: no call on a debt within this long after a
	// telephone conversation about it (0: none).
	CoolOffAfterConversation time.Duration
	// AbandonNoRecall: no call to a number within this long after an
	// answered call to it was abandoned (0: none).
	AbandonNoRecall time.Duration
	// AbandonNoRecallUnlessAgentReserved lifts AbandonNoRecall for a call
	// placed with an agent reserved for it (progressive or preview), so a
	// live agent is guaranteed.
	AbandonNoRecallUnlessAgentReserved bool
	// MaxAbandonRate is the ceiling of abandoned ÷ answered calls of the
	// campaign over AbandonWindow (0: no ceiling), enforced by the pacer
	// through MayRiskAbandon.
	MaxAbandonRate float64
	// AbandonWindow is the period over which the abandon rate is measured.
	AbandonWindow time.Duration
}

// usZones are the zones of the 50 states, used as the us-regf default: a
// number that cannot be placed is called only when it is between 08:00 and
// 21:00 everywhere in the United States.
const usZones = "America/New_York,America/Chicago,America/Denver,America/Phoenix,America/Los_Angeles,America/Anchorage,Pacific/Honolulu"

// Preset returns a preset policy by name:
//
//   - "vn": Circular 18/2019/TT-NHNN amending Circular 43/2016/TT-NHNN:
//     07:00–21:00 local, at most 5 reminders per debtor per day.
//   - "us-regf": FDCPA and Regulation F (12 CFR 1006.6(b)(1)(i), 1006.14(b)(2)):
//     08:00–21:00 local, at most 7 calls per debt in 7 days, no call within
//     7 days after a telephone conversation about the debt.
//   - "uk": FCA CONC 7.9.4R read as 08:00–21:00, and Ofcom's persistent
//     misuse policy: abandon rate at most 3% per campaign per 24 h, no call
//     within 72 h after an abandoned call unless an agent is guaranteed.
//   - "none": no rules (calls at any time).
//
// docs/COMPLIANCE.md gives the sources and what each preset leaves to the
// operator.
func Preset(name string) (Policy, error) {
	every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	switch name {
	case PresetVN:
		return Policy{
			Preset:      PresetVN,
			Window:      Window{Start: Clock(7, 0), End: Clock(21, 0)},
			Days:        every,
			DefaultZone: "Asia/Ho_Chi_Minh",
			Caps:        Caps{PerDebtorPerDay: 5},
		}, nil
	case PresetUSRegF:
		return Policy{
			Preset:                   PresetUSRegF,
			Window:                   Window{Start: Clock(8, 0), End: Clock(21, 0)},
			Days:                     every,
			DefaultZone:              usZones,
			Caps:                     Caps{PerDebtPer7Days: 7},
			CoolOffAfterConversation: Week,
		}, nil
	case PresetUK:
		return Policy{
			Preset:                             PresetUK,
			Window:                             Window{Start: Clock(8, 0), End: Clock(21, 0)},
			Days:                               every,
			DefaultZone:                        "Europe/London",
			AbandonNoRecall:                    72 * time.Hour,
			AbandonNoRecallUnlessAgentReserved: true,
			MaxAbandonRate:                     0.03,
			AbandonWindow:                      24 * time.Hour,
		}, nil
	case PresetNone:
		return Policy{
			Preset:      PresetNone,
			Window:      Window{Start: 0, End: minutesPerDay},
			Days:        every,
			DefaultZone: "UTC",
		}, nil
	}
	return Policy{}, fmt.Errorf("preset %q (want one of %s): %w", name, strings.Join(PresetNames, ", "), ErrUnknownPreset)
}

// Field names, as used in override keys, validation errors and LooserThan
// warnings.
const (
	FieldPreset                             = "preset"
	FieldWindow                             = "window"
	FieldDays                               = "days"
	FieldHolidays                           = "holidays"
	FieldDefaultZone                        = "default_zone"
	FieldCapPerDebtorPerDay                 = "caps.per_debtor_per_day"
	FieldCapPerDebtorPer7Days               = "caps.per_debtor_per_7_days"
	FieldCapPerPhonePerDay                  = "caps.per_phone_per_day"
	FieldCapPerDebtTotal                    = "caps.per_debt_total"
	FieldCapPerDebtPer7Days                 = "caps.per_debt_per_7_days"
	FieldCoolOffAfterConversation           = "cool_off_after_conversation"
	FieldAbandonNoRecall                    = "abandon_no_recall"
	FieldAbandonNoRecallUnlessAgentReserved = "abandon_no_recall_unless_agent_reserved"
	FieldMaxAbandonRate                     = "max_abandon_rate"
	FieldAbandonWindow                      = "abandon_window"
)

// FieldError is a validation error of one field of a Policy. It wraps
// ErrInvalidPolicy.
type FieldError struct {
	Field string // one of the Field* names
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap returns ErrInvalidPolicy.
func (e *FieldError) Unwrap() error { return ErrInvalidPolicy }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field and returns all problems found, joined; each
// is a *FieldError naming the field.
func (p Policy) Validate() error {
	var errs []error
	if p.Preset != "" && !slices.Contains(PresetNames, p.Preset) {
		errs = append(errs, fieldErr(FieldPreset, "unknown preset %q (want one of %s)", p.Preset, strings.Join(PresetNames, ", ")))
	}
	if err := p.Window.Validate(); err != nil {
		errs = append(errs, fieldErr(FieldWindow, "%v", err))
	}
	for _, d := range p.Days {
		if d < time.Sunday || d > time.Saturday {
			errs = append(errs, fieldErr(FieldDays, "%d is not a weekday (0 = Sunday .. 6 = Saturday)", int(d)))
		}
	}
	for _, h := range p.Holidays {
		if !h.Valid() {
			errs = append(errs, fieldErr(FieldHolidays, "%s is not a calendar date", h))
		}
	}
	if _, err := ParseZones(p.DefaultZone); err != nil {
		errs = append(errs, fieldErr(FieldDefaultZone, "%v", err))
	}
	for _, c := range []struct {
		field string
		v     int
	}{
		{FieldCapPerDebtorPerDay, p.Caps.PerDebtorPerDay},
		{FieldCapPerDebtorPer7Days, p.Caps.PerDebtorPer7Days},
		{FieldCapPerPhonePerDay, p.Caps.PerPhonePerDay},
		{FieldCapPerDebtTotal, p.Caps.PerDebtTotal},
		{FieldCapPerDebtPer7Days, p.Caps.PerDebtPer7Days},
	} {
		if c.v < 0 {
			errs = append(errs, fieldErr(c.field, "%d: a cap must be at least 1, or 0 for no cap", c.v))
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{FieldCoolOffAfterConversation, p.CoolOffAfterConversation},
		{FieldAbandonNoRecall, p.AbandonNoRecall},
		{FieldAbandonWindow, p.AbandonWindow},
	} {
		if d.v < 0 {
			errs = append(errs, fieldErr(d.field, "%s: must not be negative", d.v))
		}
	}
	switch r := p.MaxAbandonRate; {
	case math.IsNaN(r) || r < 0 || r > 1:
		errs = append(errs, fieldErr(FieldMaxAbandonRate, "%v: must be a fraction from 0 to 1 (0.03 is 3%%), or 0 for no ceiling", r))
	case r > 0 && p.AbandonWindow <= 0:
		errs = append(errs, fieldErr(FieldAbandonWindow, "must be positive when %s is set", FieldMaxAbandonRate))
	}
	return errors.Join(errs...)
}

// ParseZones loads a comma-separated list of IANA zone names. It fails on
// an empty list and on any name the time zone database does not know.
func ParseZones(s string) ([]*time.Location, error) {
	names := splitList(s)
	if len(names) == 0 {
		return nil, fmt.Errorf("no time zone given: %w", ErrNoZone)
	}
	out := make([]*time.Location, 0, len(names))
	for _, n := range names {
		loc, err := loadZone(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, loc) {
			out = append(out, loc)
		}
	}
	return out, nil
}

// clone returns p with its slices copied, so that Merge never aliases the
// preset's slices.
func (p Policy) clone() Policy {
	p.Days = slices.Clone(p.Days)
	p.Holidays = slices.Clone(p.Holidays)
	return p
}
