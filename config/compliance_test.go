package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/compliance"
)

func TestComplianceDefaults(t *testing.T) {
	cfg := mustLoad(t, minimal)
	c := cfg.Campaigns[0]
	if c.Compliance.Preset != compliance.PresetVN {
		t.Errorf("default preset %q, want vn", c.Compliance.Preset)
	}
	p, err := c.Compliance.Policy()
	if err != nil {
		t.Fatal(err)
	}
	vn, _ := compliance.Preset(compliance.PresetVN)
	if p.Window != vn.Window || p.Caps != vn.Caps || p.DefaultZone != vn.DefaultZone {
		t.Errorf("policy %+v, want the vn preset", p)
	}
	if a := cfg.Compliance.Audit; a.MaxEntries != DefaultAuditMaxEntries || a.MaxAge != DefaultAuditMaxAge {
		t.Errorf("audit retention %+v", a)
	}
	cfg = mustLoad(t, minimal, "DUECALL_COMPLIANCE_AUDIT_MAX_AGE=720h", "DUECALL_COMPLIANCE_AUDIT_MAX_ENTRIES=2000")
	if a := cfg.Compliance.Audit; a.MaxEntries != 2000 || a.MaxAge != 720*time.Hour {
		t.Errorf("audit retention from the environment %+v", a)
	}
}

func TestComplianceOverrides(t *testing.T) {
	cfg := mustLoad(t, minimal+`    compliance:
      preset: us-regf
      window: 09:00-20:00
      days: [mon-fri, sat]
      holidays: 2026-01-01, 2026-07-04
      default_zone: America/Chicago, America/New_York
      caps:
        per_debtor_per_day: 3
        per_phone_per_day: 2
        per_debt_per_7_days: 5
        per_debt_total: 40
      cool_off_after_conversation: 8d
      abandon_no_recall: 72h
      abandon_no_recall_unless_agent_reserved: false
      max_abandon_rate: 2%
      abandon_window: 24h
`)
	p, err := cfg.Campaigns[0].Compliance.Policy()
	if err != nil {
		t.Fatal(err)
	}
	want := compliance.Policy{
		Preset:                   compliance.PresetUSRegF,
		Window:                   compliance.Window{Start: compliance.Clock(9, 0), End: compliance.Clock(20, 0)},
		Days:                     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
		Holidays:                 []compliance.Date{{Year: 2026, Month: 1, Day: 1}, {Year: 2026, Month: 7, Day: 4}},
		DefaultZone:              "America/Chicago,America/New_York",
		Caps:                     compliance.Caps{PerDebtorPerDay: 3, PerPhonePerDay: 2, PerDebtPer7Days: 5, PerDebtTotal: 40},
		CoolOffAfterConversation: 8 * 24 * time.Hour,
		AbandonNoRecall:          72 * time.Hour,
		MaxAbandonRate:           0.02,
		AbandonWindow:            24 * time.Hour,
	}
	if p.Window != want.Window || !equalDays(p.Days, want.Days) || len(p.Holidays) != 2 || p.Holidays[1] != want.Holidays[1] ||
		p.DefaultZone != want.DefaultZone || p.Caps != want.Caps || p.CoolOffAfterConversation != want.CoolOffAfterConversation ||
		p.AbandonNoRecall != want.AbandonNoRecall || p.MaxAbandonRate != want.MaxAbandonRate || p.AbandonWindow != want.AbandonWindow {
		t.Errorf("policy\n%+v\nwant\n%+v", p, want)
	}
	// "none" removes a preset's cap or cool-off, with a warning.
	_, warns, err := load(t, minimal+`    compliance:
      preset: us-regf
      caps: {per_debt_per_7_days: none}
      cool_off_after_conversation: none
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"campaigns[0].compliance.caps.per_debt_per_7_days: no cap (preset 7) is looser than the us-regf preset",
		"campaigns[0].compliance.cool_off_after_conversation: 0s (preset 7d) is looser",
	} {
		if !hasWarning(warns, want) {
			t.Errorf("no warning %q in %v", want, warns)
		}
	}
}

func equalDays(a, b []time.Weekday) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasWarning(warns []Warning, want string) bool {
	for _, w := range warns {
		if strings.Contains(w.String(), want) {
			return true
		}
	}
	return false
}

func TestComplianceErrors(t *testing.T) {
	with := func(s string) string { return minimal + "    compliance:\n" + s }
	tests := []struct {
		name, yaml, key string
		parts           []string
	}{
		{"unknown preset", with("      preset: eu\n"), "campaigns[0].compliance.preset", []string{`"eu" is not a preset; expected one of vn, us-regf, uk, none`}},
		{"empty preset", with("      preset: ''\n"), "campaigns[0].compliance.preset", []string{"is not a preset"}},
		{"unknown zone", with("      default_zone: Asia/Saigonn\n"), "campaigns[0].compliance.default_zone", []string{"test.yaml:10:21", `"Asia/Saigonn"`, "unknown time zone"}},
		{"Local zone", with("      default_zone: Local\n"), "campaigns[0].compliance.default_zone", []string{"unknown time zone"}},
		{"window end before start", with("      window: 21:00-07:00\n"), "campaigns[0].compliance.window", []string{"end 07:00 must be after start 21:00"}},
		{"window syntax", with("      window: 7am-9pm\n"), "campaigns[0].compliance.window", []string{`start "7am" is not a time of day`}},
		{"cap zero", with("      caps: {per_debtor_per_day: 0}\n"), "campaigns[0].compliance.caps.per_debtor_per_day", []string{"0 is below 1", "write none"}},
		{"cap negative", with("      caps: {per_debt_total: -2}\n"), "campaigns[0].compliance.caps.per_debt_total", []string{"-2 is below 1"}},
		{"cap not a number", with("      caps: {per_phone_per_day: many}\n"), "campaigns[0].compliance.caps.per_phone_per_day", []string{`"many" is not a whole number`}},
		{"unknown cap", with("      caps: {per_day: 3}\n"), "campaigns[0].compliance.caps.per_day", []string{"unknown key"}},
		{"unknown key", with("      windows: 07:00-21:00\n"), "campaigns[0].compliance.windows", []string{"unknown key", "did you mean window"}},
		{"bad day", with("      days: mon-fry\n"), "campaigns[0].compliance.days", []string{`unknown day "fry"`}},
		{"bad holiday", with("      holidays: [2026-02-30]\n"), "campaigns[0].compliance.holidays", []string{"no such day"}},
		{"negative cool-off", with("      cool_off_after_conversation: -1d\n"), "campaigns[0].compliance.cool_off_after_conversation", []string{"must not be negative"}},
		{"bad duration", with("      abandon_no_recall: 3 days\n"), "campaigns[0].compliance.abandon_no_recall", []string{"want a Go duration"}},
		{"rate above 1", with("      max_abandon_rate: 150%\n"), "campaigns[0].compliance.max_abandon_rate", []string{"must be a fraction from 0 to 1"}},
		{"bad bool", with("      abandon_no_recall_unless_agent_reserved: maybe\n"), "campaigns[0].compliance.abandon_no_recall_unless_agent_reserved", []string{"not true or false"}},
		{"audit entries", minimal + "compliance:\n  audit: {max_entries: 10}\n", "compliance.audit.max_entries", []string{"out of range"}},
		{"audit age", minimal + "compliance:\n  audit: {max_age: 10m}\n", "compliance.audit.max_age", []string{"too short"}},
		{"audit age negative", minimal + "compliance:\n  audit: {max_age: -1h}\n", "compliance.audit.max_age", []string{"negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.yaml)
			if err == nil {
				t.Fatal("loaded")
			}
			if !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrUnknownKey) {
				t.Errorf("%v wraps neither ErrInvalidValue nor ErrUnknownKey", err)
			}
			found := false
			for _, fe := range FieldErrors(err) {
				if fe.Key != tt.key {
					continue
				}
				found = true
				for _, p := range tt.parts {
					if !strings.Contains(fe.Error(), p) {
						t.Errorf("error %q lacks %q", fe.Error(), p)
					}
				}
			}
			if !found {
				t.Errorf("no error for key %s in:\n%v", tt.key, err)
			}
		})
	}
	// All problems of one section are reported at once.
	_, _, err := load(t, with("      window: 21:00-07:00\n      default_zone: Nowhere/City\n"))
	if n := len(FieldErrors(err)); n != 2 {
		t.Errorf("%d errors, want 2: %v", n, err)
	}
}

// TestComplianceWindowMessages: a bad calling window is reported with its
// file position, its key, what is wrong and the form expected, and without
// the parser's own wording ("syntax error", the value repeated).
func TestComplianceWindowMessages(t *testing.T) {
	const expected = `; expected "HH:MM-HH:MM" with start before end, e.g. "07:00-21:00"`
	with := func(s string) string { return minimal + "    compliance:\n" + s }
	for _, tt := range []struct{ name, yaml, want string }{
		{"hour out of range", with("      window: \"25:00-21:00\"\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "25:00-21:00": start 25:00: hour 25 is out of range (00 to 24)` + expected},
		{"minute out of range", with("      window: 07:00-21:60\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "07:00-21:60": end 21:60: minute 60 is out of range (00 to 59)` + expected},
		{"after midnight", with("      window: 07:00-24:30\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "07:00-24:30": end 24:30 is after 24:00` + expected},
		{"end before start", with("      window: 21:00-07:00\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "21:00-07:00": end 07:00 must be after start 21:00 (windows do not span midnight)` + expected},
		{"empty window", with("      window: 08:00-08:00\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "08:00-08:00": end 08:00 must be after start 08:00 (windows do not span midnight)` + expected},
		{"not a time", with("      window: 7am-9pm\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "7am-9pm": start "7am" is not a time of day` + expected},
		{"no separator", with("      window: \"0700\"\n"),
			`test.yaml:10:15: campaigns[0].compliance.window: "0700": no "-" between start and end` + expected},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.yaml)
			var got []string
			for _, fe := range FieldErrors(err) {
				got = append(got, fe.Error())
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("errors\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	// Other compliance values carry no parser noise either.
	for _, y := range []string{
		with("      days: mon-fry\n"),
		with("      holidays: [2026-02-30]\n"),
		with("      abandon_no_recall: 3 days\n"),
	} {
		_, _, err := load(t, y)
		if err == nil || strings.Contains(err.Error(), "syntax error") {
			t.Errorf("error %v, want one without \"syntax error\"", err)
		}
	}
}

func TestComplianceWarnings(t *testing.T) {
	with := func(s string) string { return minimal + "    compliance:\n" + s }
	for _, tt := range []struct{ yaml, want string }{
		{with("      caps: {per_debtor_per_day: 6}\n"), "campaigns[0].compliance.caps.per_debtor_per_day: 6 (preset 5) is looser than the vn preset"},
		{with("      window: 06:30-21:00\n"), "campaigns[0].compliance.window: 06:30-21:00 (preset 07:00-21:00) is looser"},
		{with("      preset: uk\n      max_abandon_rate: 5%\n"), "campaigns[0].compliance.max_abandon_rate: 5% (preset 3%) is looser than the uk preset"},
		{with("      preset: none\n"), "campaigns[0].compliance.preset: none: no calling window"},
	} {
		_, warns, err := load(t, tt.yaml)
		if err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		if !hasWarning(warns, tt.want) {
			t.Errorf("no warning %q in %v", tt.want, warns)
		}
	}
	// Stricter overrides do not warn.
	_, warns, err := load(t, with("      window: 08:00-20:00\n      caps: {per_debtor_per_day: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		if strings.Contains(w.Key, "compliance") {
			t.Errorf("warning for a stricter override: %v", w)
		}
	}
}

func TestCompliancePolicyErrorsNameKeys(t *testing.T) {
	c := CampaignCompliance{Preset: "vn", Window: "10:00-09:00", Caps: ComplianceCaps{PerDebtTotal: "0"}}
	_, err := c.Policy()
	var keys []string
	for _, fe := range FieldErrors(err) {
		keys = append(keys, fe.Key)
	}
	if strings.Join(keys, " ") != "compliance.window compliance.caps.per_debt_total" {
		t.Fatalf("Policy() = %v", err)
	}
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("%v does not wrap ErrInvalidValue", err)
	}
	c.Caps.PerDebtTotal, c.Window = "", ""
	if _, err := c.Policy(); err != nil {
		t.Fatalf("Policy() = %v", err)
	}
}

// FuzzCampaignCompliance: any text in any compliance key either fails
// with errors naming keys of the section, or gives a valid policy.
func FuzzCampaignCompliance(f *testing.F) {
	f.Add("vn", "07:00-21:00", "mon-sat", "2026-01-01", "Asia/Ho_Chi_Minh", "5", "7d", "3%")
	f.Add("us-regf", "", "", "", "", "none", "none", "none")
	f.Add("uk", "24:00-24:00", "fri-mon", "2026-02-29", "Local", "0", "-1h", "1.5")
	f.Add("none", "0:00-24:00", "all", "", "UTC,Etc/Unknown", "-1", "1d1d", "NaN")
	f.Add("", "07:00–21:00", "*", "9999-12-31", ",", "99999999999999999999", "100000d", "3e400%")
	f.Fuzz(func(t *testing.T, preset, window, days, holidays, zone, cp, dur, rate string) {
		c := CampaignCompliance{
			Preset: preset, Window: window, Days: splitNonEmpty(days), Holidays: splitNonEmpty(holidays), DefaultZone: zone,
			Caps:                     ComplianceCaps{PerDebtorPerDay: cp, PerDebtTotal: cp},
			CoolOffAfterConversation: dur, AbandonNoRecall: dur, AbandonWindow: dur, MaxAbandonRate: rate,
		}
		p, errs, _ := c.resolve()
		if len(errs) > 0 {
			for _, e := range errs {
				if e.key == "" || e.msg == "" {
					t.Fatalf("problem without key or message: %+v", e)
				}
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("resolved an invalid policy: %v", err)
		}
		for _, v := range []int{p.Caps.PerDebtorPerDay, p.Caps.PerDebtTotal} {
			if v < 0 {
				t.Fatalf("negative cap %d", v)
			}
		}
	})
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ";") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
