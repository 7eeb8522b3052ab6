package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duecall/duecall/compliance"
)

// Compliance configures what all campaigns share of the debt-collection
// rules: the audit trail.
type Compliance struct {
	Audit ComplianceAudit `yaml:"audit"`
}

// ComplianceAudit bounds the audit trail of the compliance gate (a Redis
// stream of about 0.4 KB per decision).
type ComplianceAudit struct {
	// MaxEntries bounds the stream's length (approximately: Redis trims
	// whole stream nodes).
	MaxEntries int `yaml:"max_entries"`
	// MaxAge drops entries older than this; 0 keeps them until MaxEntries.
	MaxAge time.Duration `yaml:"max_age"`
}

// CampaignCompliance is a campaign's debt-collection rules: a preset and
// overrides of its values, in the text forms of compliance.Overrides.Set.
// An empty value keeps the preset's. See docs/COMPLIANCE.md.
type CampaignCompliance struct {
	// Preset is vn, us-regf, uk or none.
	Preset string `yaml:"preset"`
	// Window is the daily calling window in the debtor's local time,
	// "07:00-21:00".
	Window string `yaml:"window,omitempty"`
	// Days are the calling days ("mon-sat", or a list).
	Days []string `yaml:"days,omitempty"`
	// Holidays are dates without calls ("2026-01-01"), in the debtor's zone.
	Holidays []string `yaml:"holidays,omitempty"`
	// DefaultZone is the IANA zone (or comma-separated zones) of debtors
	// whose zone is not known from the debt or its numbers.
	DefaultZone string         `yaml:"default_zone,omitempty"`
	Caps        ComplianceCaps `yaml:"caps,omitempty"`
	// CoolOffAfterConversation: no call on a debt this long after a
	// conversation about it ("7d", "168h", "none").
	CoolOffAfterConversation string `yaml:"cool_off_after_conversation,omitempty"`
	// AbandonNoRecall: no call to a number this long after an abandoned
	// call to it ("72h", "none").
	AbandonNoRecall string `yaml:"abandon_no_recall,omitempty"`
	// AbandonNoRecallUnlessAgentReserved lifts AbandonNoRecall for calls
	// placed with an agent reserved ("true"/"false").
	AbandonNoRecallUnlessAgentReserved string `yaml:"abandon_no_recall_unless_agent_reserved,omitempty"`
	// MaxAbandonRate is the campaign's abandon-rate ceiling ("3%", "0.03",
	// "none"), which the pacer keeps to.
	MaxAbandonRate string `yaml:"max_abandon_rate,omitempty"`
	// AbandonWindow is the period of the abandon rate ("24h").
	AbandonWindow string `yaml:"abandon_window,omitempty"`
}

// ComplianceCaps are attempt caps: a whole number of at least 1, or
// "none" to remove the preset's cap.
type ComplianceCaps struct {
	PerDebtorPerDay   string `yaml:"per_debtor_per_day,omitempty"`
	PerDebtorPer7Days string `yaml:"per_debtor_per_7_days,omitempty"`
	PerPhonePerDay    string `yaml:"per_phone_per_day,omitempty"`
	PerDebtTotal      string `yaml:"per_debt_total,omitempty"`
	PerDebtPer7Days   string `yaml:"per_debt_per_7_days,omitempty"`
}

// Compliance defaults.
const (
	// DefaultCompliancePreset is the preset of a campaign that names none:
	// the State Bank of Vietnam's rules, duecall's home market. A dialer
	// must not call at 03:00 because a key was forgotten.
	DefaultCompliancePreset = compliance.PresetVN
	DefaultAuditMaxEntries  = 500_000
	DefaultAuditMaxAge      = 90 * 24 * time.Hour
	minAuditMaxEntries      = 1000
	maxAuditMaxEntries      = 100_000_000
)

// fieldProblem is a problem of one compliance key, relative to the
// campaign's compliance section.
type fieldProblem struct{ key, msg string }

// overrideTexts lists the campaign's override keys and values, in
// compliance's field names.
func (c CampaignCompliance) overrideTexts() [][2]string {
	var out [][2]string
	add := func(field, v string) {
		if strings.TrimSpace(v) != "" {
			out = append(out, [2]string{field, v})
		}
	}
	add(compliance.FieldWindow, c.Window)
	if len(c.Days) > 0 {
		out = append(out, [2]string{compliance.FieldDays, strings.Join(c.Days, ",")})
	}
	if len(c.Holidays) > 0 {
		out = append(out, [2]string{compliance.FieldHolidays, strings.Join(c.Holidays, ",")})
	}
	add(compliance.FieldDefaultZone, c.DefaultZone)
	add(compliance.FieldCapPerDebtorPerDay, c.Caps.PerDebtorPerDay)
	add(compliance.FieldCapPerDebtorPer7Days, c.Caps.PerDebtorPer7Days)
	add(compliance.FieldCapPerPhonePerDay, c.Caps.PerPhonePerDay)
	add(compliance.FieldCapPerDebtTotal, c.Caps.PerDebtTotal)
	add(compliance.FieldCapPerDebtPer7Days, c.Caps.PerDebtPer7Days)
	add(compliance.FieldCoolOffAfterConversation, c.CoolOffAfterConversation)
	add(compliance.FieldAbandonNoRecall, c.AbandonNoRecall)
	add(compliance.FieldAbandonNoRecallUnlessAgentReserved, c.AbandonNoRecallUnlessAgentReserved)
	add(compliance.FieldMaxAbandonRate, c.MaxAbandonRate)
	add(compliance.FieldAbandonWindow, c.AbandonWindow)
	return out
}

// isNone reports whether v removes a value ("none", "off").
func isNone(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "none" || v == "off"
}

// resolve builds the policy; problems and warnings name keys relative to
// the compliance section ("caps.per_debtor_per_day").
func (c CampaignCompliance) resolve() (compliance.Policy, []fieldProblem, []fieldProblem) {
	var errs, warns []fieldProblem
	preset := strings.TrimSpace(c.Preset)
	if _, err := compliance.Preset(preset); err != nil {
		errs = append(errs, fieldProblem{"preset", fmt.Sprintf("%s is not a preset; expected one of %s",
			quote(c.Preset), strings.Join(compliance.PresetNames, ", "))})
		return compliance.Policy{}, errs, nil
	}
	var o compliance.Overrides
	for _, kv := range c.overrideTexts() {
		field, v := kv[0], strings.TrimSpace(kv[1])
		if strings.HasPrefix(field, "caps.") {
			if isNone(v) {
				v = "0"
			} else if n, err := strconv.Atoi(v); err == nil && n < 1 {
				errs = append(errs, fieldProblem{field, fmt.Sprintf("%d is below 1; a cap is at least 1 (write none to remove the preset's cap)", n)})
				continue
			}
		}
		switch field {
		case compliance.FieldCoolOffAfterConversation, compliance.FieldAbandonNoRecall, compliance.FieldMaxAbandonRate:
			if isNone(v) {
				v = "0"
			}
		}
		if err := o.Set(field, v); err != nil {
			errs = append(errs, problemOf(field, err))
		}
	}
	// Resolve with the overrides that parsed, so that every problem is
	// reported at once.
	p, looser, err := compliance.Resolve(preset, o)
	if err != nil || len(errs) > 0 {
		for _, e := range unjoin(err) {
			if e == nil {
				continue
			}
			var fe *compliance.FieldError
			if errors.As(e, &fe) {
				errs = append(errs, fieldProblem{fe.Field, fe.Msg})
			} else {
				errs = append(errs, fieldProblem{"preset", e.Error()})
			}
		}
		return compliance.Policy{}, errs, nil
	}
	for _, l := range looser {
		field, msg, _ := strings.Cut(l, ": ")
		warns = append(warns, fieldProblem{field, msg + "; check that the law you work under allows it"})
	}
	if preset == compliance.PresetNone {
		warns = append(warns, fieldProblem{"preset", "none: no calling window, attempt cap or cool-off applies; only do-not-call, cease-communication and debt status stop calls"})
	}
	return p, errs, warns
}

func problemOf(field string, err error) fieldProblem {
	var fe *compliance.FieldError
	if errors.As(err, &fe) {
		return fieldProblem{fe.Field, fe.Msg}
	}
	return fieldProblem{field, err.Error()}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// Policy returns the campaign's compliance policy: its preset with its
// overrides, validated. The error joins one problem per key; the
// configuration's Validate reports the same problems with full key paths.
func (c CampaignCompliance) Policy() (compliance.Policy, error) {
	p, errs, _ := c.resolve()
	if len(errs) == 0 {
		return p, nil
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = &FieldError{Key: "compliance." + e.key, Msg: e.msg, Err: ErrInvalidValue}
	}
	return compliance.Policy{}, errors.Join(out...)
}

// checkCompliance checks a campaign's compliance section (key is its path)
// and warns about overrides looser than the preset.
func checkCompliance(k *checker, key string, c CampaignCompliance) {
	_, errs, warns := c.resolve()
	for _, e := range errs {
		k.fail(key+"."+e.key, "%s", e.msg)
	}
	for _, w := range warns {
		k.warn(key+"."+w.key, "%s", w.msg)
	}
}

func (c *Config) checkComplianceAudit(k *checker) {
	a := c.Compliance.Audit
	k.between("compliance.audit.max_entries", a.MaxEntries, minAuditMaxEntries, maxAuditMaxEntries)
	switch {
	case a.MaxAge < 0:
		k.fail("compliance.audit.max_age", "%s is negative; expected 0 (no age limit) or a duration such as 2160h", a.MaxAge)
	case a.MaxAge > 0 && a.MaxAge < time.Hour:
		k.fail("compliance.audit.max_age", "%s is too short; expected at least 1h, or 0 for no age limit", a.MaxAge)
	}
}

// cloneCompliance deep-copies the lists of a campaign's compliance.
func (c CampaignCompliance) clone() CampaignCompliance {
	c.Days = slices.Clone(c.Days)
	c.Holidays = slices.Clone(c.Holidays)
	return c
}
