package compliance

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestZonesForDebt(t *testing.T) {
	tests := []struct {
		name        string
		timezone    string
		phones      []string
		def         string
		want        []string
		wantContain []string // for long lists
		source      string
		err         error
	}{
		{"timezone column first", "Asia/Ho_Chi_Minh", []string{"+12125551234"}, "UTC", []string{"Asia/Ho_Chi_Minh"}, nil, ZoneSourceDebt, nil},
		{"unknown timezone column", "Mars/Olympus", []string{"+12125551234"}, "UTC", nil, nil, "", ErrUnknownZone},
		{"Local is refused", "Local", nil, "UTC", nil, nil, "", ErrUnknownZone},
		{"Vietnamese mobile", "", []string{"+84912345678"}, "UTC", []string{"Asia/Ho_Chi_Minh"}, nil, ZoneSourcePhone, nil},
		{"New York number", "", []string{"+12125551234"}, "UTC", []string{"America/New_York"}, nil, ZoneSourcePhone, nil},
		{"numbers in two zones", "", []string{"+12125551234", "+14155551234", "+12125550000"}, "UTC",
			[]string{"America/New_York", "America/Los_Angeles"}, nil, ZoneSourcePhone, nil},
		{"UK mobile maps to three zones", "", []string{"+447911123456"}, "UTC",
			[]string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"}, nil, ZoneSourcePhone, nil},
		{"toll-free maps to every NANP zone", "", []string{"+18005551234"}, "UTC",
			nil, []string{"America/New_York", "Pacific/Honolulu", "Pacific/Guam"}, ZoneSourcePhone, nil},
		{"unplaceable numbers fall back to the default", "", []string{"+999123", "0912345678", "", "+"}, "Asia/Ho_Chi_Minh",
			[]string{"Asia/Ho_Chi_Minh"}, nil, ZoneSourceDefault, nil},
		{"one unplaceable, one placed", "", []string{"0912345678", "+84912345678"}, "UTC",
			[]string{"Asia/Ho_Chi_Minh"}, nil, ZoneSourcePhone, nil},
		{"default zone list", "", nil, "America/New_York, America/Los_Angeles", []string{"America/New_York", "America/Los_Angeles"}, nil, ZoneSourceDefault, nil},
		{"no default", "", nil, "", nil, nil, "", ErrNoZone},
		{"bad default", "", nil, "Nowhere/Town", nil, nil, "", ErrUnknownZone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zones, source, err := ZonesForDebt(tt.timezone, tt.phones, tt.def)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if source != tt.source {
				t.Errorf("source = %q, want %q", source, tt.source)
			}
			names := strings.Split(zoneNames(zones), ",")
			if tt.want != nil && !slices.Equal(names, tt.want) {
				t.Errorf("zones = %v, want %v", names, tt.want)
			}
			for _, w := range tt.wantContain {
				if !slices.Contains(names, w) {
					t.Errorf("zones %v lack %s", names, w)
				}
			}
			for i, z := range zones {
				if slices.Contains(zones[i+1:], z) {
					t.Errorf("zone %v twice", z)
				}
			}
		})
	}
}

// A number that maps to every NANP zone is still callable: the windows of
// Guam, Pago Pago, Honolulu and the mainland overlap for a few hours.
func TestTollFreeZonesOverlap(t *testing.T) {
	zones, _, err := ZonesForDebt("", []string{"+18005551234"}, "UTC")
	if err != nil {
		t.Fatal(err)
	}
	p := mustPreset(t, PresetUSRegF)
	now := utc("2026-01-15T12:00:00Z")
	next := p.NextAllowed(now, zones)
	if next.IsZero() || next.Sub(now) > 24*60*60*1e9 {
		t.Fatalf("NextAllowed = %v", next)
	}
	for _, z := range zones {
		h := next.In(z).Hour()
		if h < 8 || h >= 21 {
			t.Errorf("%v is %02d:xx in %s", next, h, z)
		}
	}
}

func TestZoneSourceNote(t *testing.T) {
	if got := ZoneSourceNote(ZoneSourceDefault); !strings.Contains(got, "could not be placed in any zone") {
		t.Errorf("note = %q", got)
	}
}

func TestMaskPhone(t *testing.T) {
	tests := map[string]string{
		"+84912345678": "+849******78",
		"+8491234578":  "+849*****78",
		"+1234567":     "+*******",
		"12345":        "*****",
		"":             "",
	}
	for in, want := range tests {
		if got := maskPhone(in); got != want {
			t.Errorf("maskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPhoneZonesAreInGoDatabase loads every zone the phone-number data
// returns for a prefix of up to four digits. With phonenumbers v1.8.1 these
// are all the zones of its data (checked once up to seven digits), so a
// number can never map to a zone Go's database lacks.
func TestPhoneZonesAreInGoDatabase(t *testing.T) {
	seen := map[string]bool{}
	for p := 1; p < 10000; p++ {
		names, err := phonenumbers.GetTimezonesForPrefix(strconv.Itoa(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			seen[n] = true
		}
	}
	if len(seen) < 200 {
		t.Fatalf("only %d zones in the phone data", len(seen))
	}
	for n := range seen {
		if n == unknownZone {
			continue
		}
		if _, err := loadZone(n); err != nil {
			t.Errorf("phone data zone %s: %v", n, err)
		}
	}
}

func FuzzParseZones(f *testing.F) {
	for _, s := range []string{"UTC", "Asia/Ho_Chi_Minh", "America/New_York, America/Los_Angeles", "", ",", "Local", "Etc/Unknown", "../etc/passwd", "Mars/Base"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		zones, err := ParseZones(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownZone) && !errors.Is(err, ErrNoZone) {
				t.Fatalf("ParseZones(%q) error %v wraps neither ErrUnknownZone nor ErrNoZone", s, err)
			}
			return
		}
		if len(zones) == 0 || !zonesOK(zones) {
			t.Fatalf("ParseZones(%q) = %v", s, zones)
		}
		for _, z := range zones {
			if z.String() == "Local" {
				t.Fatalf("ParseZones(%q) returned the machine's zone", s)
			}
		}
	})
}

// TestPhoneZones: the exported phone-zone lookup is the one ZonesForDebt
// uses, "Etc/Unknown" left out.
func TestPhoneZones(t *testing.T) {
	tests := []struct {
		e164 string
		want []string
	}{
		{"+84912345678", []string{"Asia/Ho_Chi_Minh"}},
		{"+12125551234", []string{"America/New_York"}},
		{"+447911123456", []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"}},
		{"+80012345678", nil}, // international freephone: Etc/Unknown
		{"0912345678", nil},   // not E.164
		{"+", nil},
	}
	for _, tt := range tests {
		got, err := PhoneZones(tt.e164)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("PhoneZones(%q) = %q, %v; want %q", tt.e164, got, err, tt.want)
		}
		zones, source, err := ZonesForDebt("", []string{tt.e164}, "UTC")
		if err != nil {
			t.Fatal(err)
		}
		if tt.want == nil {
			if source != ZoneSourceDefault {
				t.Errorf("ZonesForDebt placed %q in %s", tt.e164, zoneNames(zones))
			}
		} else if names := zoneNames(zones); names != strings.Join(tt.want, ",") {
			t.Errorf("ZonesForDebt(%q) = %s, PhoneZones %q", tt.e164, names, tt.want)
		}
	}
}
