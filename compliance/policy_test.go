package compliance

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

func TestPresets(t *testing.T) {
	for _, name := range PresetNames {
		p, err := Preset(name)
		if err != nil {
			t.Fatalf("Preset(%q): %v", name, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("preset %q does not validate: %v", name, err)
		}
		if p.Preset != name {
			t.Errorf("preset %q names itself %q", name, p.Preset)
		}
		if got := p.LooserThan(p); len(got) != 0 {
			t.Errorf("preset %q is looser than itself: %v", name, got)
		}
	}
	if _, err := Preset("fr"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("Preset(fr) err = %v", err)
	}

	vn := mustPreset(t, PresetVN)
	if vn.Window != (Window{Clock(7, 0), Clock(21, 0)}) || vn.Caps != (Caps{PerDebtorPerDay: 5}) || vn.DefaultZone != "Asia/Ho_Chi_Minh" {
		t.Errorf("vn preset = %+v", vn)
	}
	us := mustPreset(t, PresetUSRegF)
	if us.Window != (Window{Clock(8, 0), Clock(21, 0)}) || us.Caps != (Caps{PerDebtPer7Days: 7}) || us.CoolOffAfterConversation != 7*24*time.Hour {
		t.Errorf("us-regf preset = %+v", us)
	}
	uk := mustPreset(t, PresetUK)
	if uk.Window != (Window{Clock(8, 0), Clock(21, 0)}) || uk.AbandonNoRecall != 72*time.Hour || !uk.AbandonNoRecallUnlessAgentReserved ||
		uk.MaxAbandonRate != 0.03 || uk.AbandonWindow != 24*time.Hour {
		t.Errorf("uk preset = %+v", uk)
	}
	none := mustPreset(t, PresetNone)
	if none.Window != (Window{0, minutesPerDay}) || none.Caps != (Caps{}) || none.CoolOffAfterConversation != 0 || none.AbandonNoRecall != 0 {
		t.Errorf("none preset = %+v", none)
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Policy)
		field string
	}{
		{"unknown zone", func(p *Policy) { p.DefaultZone = "Europe/Atlantis" }, FieldDefaultZone},
		{"one unknown zone in a list", func(p *Policy) { p.DefaultZone = "UTC,Europe/Atlantis" }, FieldDefaultZone},
		{"empty zone", func(p *Policy) { p.DefaultZone = " " }, FieldDefaultZone},
		{"Local zone", func(p *Policy) { p.DefaultZone = "Local" }, FieldDefaultZone},
		{"end before start", func(p *Policy) { p.Window = Window{Clock(21, 0), Clock(7, 0)} }, FieldWindow},
		{"end equal to start", func(p *Policy) { p.Window = Window{Clock(8, 0), Clock(8, 0)} }, FieldWindow},
		{"end past 24:00", func(p *Policy) { p.Window = Window{Clock(8, 0), Clock(24, 1)} }, FieldWindow},
		{"negative start", func(p *Policy) { p.Window = Window{-1, Clock(8, 0)} }, FieldWindow},
		{"bad weekday", func(p *Policy) { p.Days = []time.Weekday{7} }, FieldDays},
		{"bad holiday", func(p *Policy) { p.Holidays = []Date{{2026, 2, 30}} }, FieldHolidays},
		{"negative debtor day cap", func(p *Policy) { p.Caps.PerDebtorPerDay = -1 }, FieldCapPerDebtorPerDay},
		{"negative debtor 7d cap", func(p *Policy) { p.Caps.PerDebtorPer7Days = -2 }, FieldCapPerDebtorPer7Days},
		{"negative phone cap", func(p *Policy) { p.Caps.PerPhonePerDay = -1 }, FieldCapPerPhonePerDay},
		{"negative total cap", func(p *Policy) { p.Caps.PerDebtTotal = -1 }, FieldCapPerDebtTotal},
		{"negative debt 7d cap", func(p *Policy) { p.Caps.PerDebtPer7Days = -7 }, FieldCapPerDebtPer7Days},
		{"negative cool-off", func(p *Policy) { p.CoolOffAfterConversation = -time.Hour }, FieldCoolOffAfterConversation},
		{"negative no-recall", func(p *Policy) { p.AbandonNoRecall = -time.Hour }, FieldAbandonNoRecall},
		{"negative abandon window", func(p *Policy) { p.AbandonWindow = -time.Hour }, FieldAbandonWindow},
		{"rate above 1", func(p *Policy) { p.MaxAbandonRate = 3 }, FieldMaxAbandonRate},
		{"negative rate", func(p *Policy) { p.MaxAbandonRate = -0.01 }, FieldMaxAbandonRate},
		{"rate without window", func(p *Policy) { p.MaxAbandonRate = 0.03; p.AbandonWindow = 0 }, FieldAbandonWindow},
		{"unknown preset", func(p *Policy) { p.Preset = "mars" }, FieldPreset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPreset(t, PresetVN)
			tt.edit(&p)
			err := p.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want a FieldError on %s", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("message %q does not start with the field", err)
			}
			if !errors.Is(err, ErrInvalidPolicy) || !errors.Is(err, campaign.ErrInvalid) {
				t.Errorf("err %v does not wrap ErrInvalidPolicy and campaign.ErrInvalid", err)
			}
		})
	}
	p := mustPreset(t, PresetVN)
	p.Caps.PerDebtorPerDay = -1
	p.DefaultZone = "x"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), FieldCapPerDebtorPerDay) || !strings.Contains(err.Error(), FieldDefaultZone) {
		t.Errorf("Validate does not report all problems: %v", err)
	}
}

func TestMergeAndLooserThan(t *testing.T) {
	ptr := func(v int) *int { return &v }
	dur := func(d time.Duration) *time.Duration { return &d }
	vn := mustPreset(t, PresetVN)

	stricter := vn.Merge(Overrides{
		Window:          &Window{Clock(8, 0), Clock(20, 0)},
		Days:            []time.Weekday{1, 2, 3, 4, 5, 6},
		Holidays:        []Date{{2026, time.April, 30}},
		PerDebtorPerDay: ptr(3),
		PerPhonePerDay:  ptr(2),
	})
	if err := stricter.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := stricter.LooserThan(vn); len(got) != 0 {
		t.Errorf("stricter policy flagged: %v", got)
	}
	if stricter.Caps.PerDebtorPerDay != 3 || stricter.Window.Start != Clock(8, 0) || len(stricter.Holidays) != 1 || stricter.DefaultZone != vn.DefaultZone {
		t.Errorf("merge = %+v", stricter)
	}
	// Merge does not alias the base's slices.
	stricter.Days[0] = time.Saturday
	if vn.Days[0] != time.Sunday {
		t.Error("Merge aliased the preset's days")
	}

	looser := vn.Merge(Overrides{
		Window:          &Window{Clock(6, 30), Clock(21, 0)},
		PerDebtorPerDay: ptr(0),
	})
	got := looser.LooserThan(vn)
	if len(got) != 2 || !strings.HasPrefix(got[0], FieldWindow+":") || !strings.HasPrefix(got[1], FieldCapPerDebtorPerDay+":") {
		t.Errorf("LooserThan = %q", got)
	}
	if !strings.Contains(got[1], "no cap") || !strings.Contains(got[1], "vn preset") {
		t.Errorf("message %q", got[1])
	}

	us := mustPreset(t, PresetUSRegF)
	tz := "America/New_York"
	usLoose := us.Merge(Overrides{
		PerDebtPer7Days:          ptr(8),
		CoolOffAfterConversation: dur(3 * 24 * time.Hour),
		DefaultZone:              &tz,
	})
	got = usLoose.LooserThan(us)
	want := []string{FieldDefaultZone, FieldCapPerDebtPer7Days, FieldCoolOffAfterConversation}
	if len(got) != len(want) {
		t.Fatalf("LooserThan = %q", got)
	}
	for i, f := range want {
		if !strings.HasPrefix(got[i], f+":") {
			t.Errorf("line %d = %q, want field %s", i, got[i], f)
		}
	}

	uk := mustPreset(t, PresetUK)
	rate, win, no := 0.05, 48*time.Hour, false
	ukLoose := uk.Merge(Overrides{MaxAbandonRate: &rate, AbandonWindow: &win, AbandonNoRecall: dur(24 * time.Hour)})
	got = ukLoose.LooserThan(uk)
	if len(got) != 3 {
		t.Errorf("uk LooserThan = %q", got)
	}
	zero := 0.0
	if got := uk.Merge(Overrides{MaxAbandonRate: &zero}).LooserThan(uk); len(got) != 1 || !strings.Contains(got[0], "no ceiling") {
		t.Errorf("uk without ceiling: %q", got)
	}
	if got := uk.Merge(Overrides{AbandonNoRecallUnlessAgentReserved: &no}).LooserThan(uk); len(got) != 0 {
		t.Errorf("removing the agent exception is stricter: %q", got)
	}
	vnExcept := vn.Merge(Overrides{AbandonNoRecall: dur(time.Hour), AbandonNoRecallUnlessAgentReserved: ptrBool(true)})
	if got := vnExcept.LooserThan(vn); len(got) != 0 {
		t.Errorf("adding a no-recall rule with an exception is not looser than none: %q", got)
	}
	us5 := us.Merge(Overrides{Days: []time.Weekday{1, 2, 3, 4, 5}})
	if got := mustPreset(t, PresetUSRegF).LooserThan(us5); len(got) != 1 || !strings.Contains(got[0], "sat") {
		t.Errorf("days: %q", got)
	}
	hol := us.Merge(Overrides{Holidays: []Date{{2026, 7, 4}}})
	if got := us.LooserThan(hol); len(got) != 1 || !strings.HasPrefix(got[0], FieldHolidays) {
		t.Errorf("holidays: %q", got)
	}
}

func ptrBool(b bool) *bool { return &b }

func TestOverridesSet(t *testing.T) {
	o, err := ParseOverrides(map[string]string{
		"window":                                  "07:30-20:00",
		"days":                                    "mon-sat",
		"holidays":                                "2026-01-01, 2026-04-30",
		"default_zone":                            "Asia/Bangkok , Asia/Ho_Chi_Minh",
		"caps.per_debtor_per_day":                 "4",
		"caps.per_debtor_per_7_days":              "20",
		"caps.per_phone_per_day":                  "3",
		"caps.per_debt_total":                     "60",
		"caps.per_debt_per_7_days":                "7",
		"cool_off_after_conversation":             "7d",
		"abandon_no_recall":                       "72h",
		"abandon_no_recall_unless_agent_reserved": "false",
		"max_abandon_rate":                        "3%",
		"abandon_window":                          "1d",
	})
	if err != nil {
		t.Fatal(err)
	}
	p := mustPreset(t, PresetVN).Merge(o)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Policy{
		Preset: PresetVN, Window: Window{Clock(7, 30), Clock(20, 0)}, Days: []time.Weekday{1, 2, 3, 4, 5, 6},
		Holidays: []Date{{2026, 1, 1}, {2026, 4, 30}}, DefaultZone: "Asia/Bangkok,Asia/Ho_Chi_Minh",
		Caps:                     Caps{PerDebtorPerDay: 4, PerDebtorPer7Days: 20, PerPhonePerDay: 3, PerDebtTotal: 60, PerDebtPer7Days: 7},
		CoolOffAfterConversation: Week, AbandonNoRecall: 72 * time.Hour, MaxAbandonRate: 0.03, AbandonWindow: 24 * time.Hour,
	}
	if p.Window != want.Window || !slices.Equal(p.Days, want.Days) || !slices.Equal(p.Holidays, want.Holidays) ||
		p.DefaultZone != want.DefaultZone || p.Caps != want.Caps || p.CoolOffAfterConversation != want.CoolOffAfterConversation ||
		p.AbandonNoRecall != want.AbandonNoRecall || p.AbandonNoRecallUnlessAgentReserved || p.MaxAbandonRate != want.MaxAbandonRate ||
		p.AbandonWindow != want.AbandonWindow {
		t.Errorf("policy = %+v\nwant     %+v", p, want)
	}

	// Clearing holidays.
	var clear Overrides
	if err := clear.Set(FieldHolidays, ""); err != nil || clear.Holidays == nil || len(clear.Holidays) != 0 {
		t.Errorf("clearing holidays: %v %v", clear.Holidays, err)
	}

	bad := map[string]string{
		"window":                  "21:00-07:00",
		"caps.per_debtor_per_day": "five",
		"abandon_window":          "a day",
		"max_abandon_rate":        "NaN",
		"abandon_no_recall_unless_agent_reserved": "maybe",
		"days":         "someday",
		"holidays":     "2026-02-30",
		"timezone":     "UTC",
		"caps.per_day": "1",
	}
	_, err = ParseOverrides(bad)
	if err == nil {
		t.Fatal("bad overrides accepted")
	}
	for k := range bad {
		if !strings.Contains(err.Error(), k+": ") {
			t.Errorf("error does not name %s: %v", k, err)
		}
	}
	if !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("err %v does not wrap ErrInvalidPolicy", err)
	}

	// Range errors are Validate's, naming the key.
	o, err = ParseOverrides(map[string]string{"caps.per_debtor_per_day": "-3", "default_zone": "Mars/Base"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Resolve(PresetVN, o)
	if err == nil || !strings.Contains(err.Error(), "caps.per_debtor_per_day: -3") || !strings.Contains(err.Error(), "default_zone: ") {
		t.Errorf("Resolve err = %v", err)
	}
}

func TestResolve(t *testing.T) {
	six := 6
	p, warnings, err := Resolve(PresetVN, Overrides{PerDebtorPerDay: &six})
	if err != nil {
		t.Fatal(err)
	}
	if p.Caps.PerDebtorPerDay != 6 || len(warnings) != 1 || !strings.HasPrefix(warnings[0], FieldCapPerDebtorPerDay) {
		t.Errorf("Resolve = %+v, %q", p, warnings)
	}
	if _, _, err := Resolve("xx", Overrides{}); err == nil || !strings.HasPrefix(err.Error(), FieldPreset+": ") || !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("Resolve(xx) err = %v", err)
	}
}

func FuzzOverridesSet(f *testing.F) {
	for _, kv := range [][2]string{
		{"window", "07:00-21:00"}, {"days", "mon-fri"}, {"holidays", "2026-01-01,2026-12-25"},
		{"default_zone", "Asia/Ho_Chi_Minh"}, {"caps.per_debtor_per_day", "5"}, {"cool_off_after_conversation", "7d"},
		{"max_abandon_rate", "3%"}, {"abandon_no_recall_unless_agent_reserved", "true"}, {"nope", "1"},
		{"caps.per_debt_total", "-1"}, {"abandon_window", "-24h"},
	} {
		f.Add(kv[0], kv[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		var o Overrides
		err := o.Set(key, value)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != key || !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Set(%q, %q) error %v does not name the key", key, value, err)
			}
			return
		}
		p := mustPreset(t, PresetUK).Merge(o)
		if err := p.Validate(); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate error %v is not a FieldError", err)
			}
			return
		}
		// A valid policy must evaluate without panicking.
		now := utc("2026-03-08T12:00:00Z")
		zones, _, zerr := ZonesForDebt("", nil, p.DefaultZone)
		if zerr != nil {
			t.Fatalf("valid policy's default zone %q fails: %v", p.DefaultZone, zerr)
		}
		p.NextAllowed(now, zones)
		_ = p.LooserThan(mustPreset(t, PresetUK))
	})
}
