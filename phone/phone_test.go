package phone

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeValid(t *testing.T) {
	tests := []struct {
		name, raw, region, want string
	}{
		// Vietnamese mobiles, current ten-digit plan, in every spelling.
		{"vn mobile national", "0912345678", "VN", "+84912345678"},
		{"vn mobile spaces", "0912 345 678", "VN", "+84912345678"},
		{"vn mobile dots", "0912.345.678", "VN", "+84912345678"},
		{"vn mobile dashes", "0912-345-678", "VN", "+84912345678"},
		{"vn mobile parentheses", "(091) 234-5678", "VN", "+84912345678"},
		{"vn mobile en dash and nbsp", "0912\u2013345\u00a0678", "VN", "+84912345678"},
		{"vn mobile surrounding space", "  \t0912345678 \r\n", "VN", "+84912345678"},
		{"vn mobile e164", "+84912345678", "VN", "+84912345678"},
		{"vn mobile plus spaced", "+84 912 345 678", "VN", "+84912345678"},
		{"vn mobile plus in parentheses", "(+84) 912 345 678", "VN", "+84912345678"},
		{"vn mobile plus with trunk zero", "+84 0912 345 678", "VN", "+84912345678"},
		{"vn mobile plus with (0)", "+84 (0) 912 345 678", "VN", "+84912345678"},
		{"vn mobile 00 prefix", "0084 912 345 678", "VN", "+84912345678"},
		{"vn mobile 00 prefix from US region", "0084912345678", "US", "+84912345678"},
		{"vn mobile country code without plus", "84912345678", "VN", "+84912345678"},
		{"vn mobile without trunk zero", "912345678", "VN", "+84912345678"},
		{"vn mobile lower-case region", "0912345678", "vn", "+84912345678"},
		{"vn mobile e164 no region", "+84912345678", "", "+84912345678"},
		{"vn viettel 086", "086 123 4567", "VN", "+84861234567"},
		{"vn viettel 096", "0961234567", "VN", "+84961234567"},
		{"vn viettel 033", "0331234567", "VN", "+84331234567"},
		{"vn mobifone 090", "0901234567", "VN", "+84901234567"},
		{"vn mobifone 089", "0896123456", "VN", "+84896123456"},
		{"vn mobifone 077", "0771234567", "VN", "+84771234567"},
		{"vn vinaphone 088", "0881234567", "VN", "+84881234567"},
		{"vn vinaphone 083", "0831234567", "VN", "+84831234567"},
		{"vn vietnamobile 058", "0581234567", "VN", "+84581234567"},
		{"vn gmobile 099", "0991234567", "VN", "+84991234567"},

		// Vietnamese landlines (2017 area codes).
		{"hanoi landline", "024 3825 1234", "VN", "+842438251234"},
		{"hanoi landline parentheses", "(024) 3825-1234", "VN", "+842438251234"},
		{"hanoi landline e164", "+84 24 3825 1234", "VN", "+842438251234"},
		{"hanoi landline plus trunk", "+84 024 3825 1234", "VN", "+842438251234"},
		{"hcmc landline", "028 3829 5555", "VN", "+842838295555"},
		{"hcmc landline dots", "028.3829.5555", "VN", "+842838295555"},
		{"hcmc landline 00", "00 84 28 3829 5555", "VN", "+842838295555"},
		{"da nang landline", "0236 3822 123", "VN", "+842363822123"},

		// Old eleven-digit mobiles: every prefix of the 2018 mapping.
		{"old 0120", "0120 123 4567", "VN", "+84701234567"},
		{"old 0121", "0121 123 4567", "VN", "+84791234567"},
		{"old 0122", "0122 123 4567", "VN", "+84771234567"},
		{"old 0123", "0123 123 4567", "VN", "+84831234567"},
		{"old 0124", "0124 123 4567", "VN", "+84841234567"},
		{"old 0125", "0125 123 4567", "VN", "+84851234567"},
		{"old 0126", "0126 123 4567", "VN", "+84761234567"},
		{"old 0127", "0127 123 4567", "VN", "+84811234567"},
		{"old 0128", "0128 123 4567", "VN", "+84781234567"},
		{"old 0129", "0129 123 4567", "VN", "+84821234567"},
		{"old 0162", "0162 123 4567", "VN", "+84321234567"},
		{"old 0163", "0163 123 4567", "VN", "+84331234567"},
		{"old 0164", "0164 123 4567", "VN", "+84341234567"},
		{"old 0165", "0165 123 4567", "VN", "+84351234567"},
		{"old 0166", "0166 123 4567", "VN", "+84361234567"},
		{"old 0167", "0167 123 4567", "VN", "+84371234567"},
		{"old 0168", "0168 123 4567", "VN", "+84381234567"},
		{"old 0169", "0169 123 4567", "VN", "+84391234567"},
		{"old 0186", "0186 123 4567", "VN", "+84561234567"},
		{"old 0188", "0188 123 4567", "VN", "+84581234567"},
		{"old 0199", "0199 123 4567", "VN", "+84591234567"},

		// Old eleven-digit mobiles in every other form.
		{"old e164", "+841661234567", "VN", "+84361234567"},
		{"old plus spaced", "+84 166 123 4567", "VN", "+84361234567"},
		{"old plus with trunk zero", "+84 0166 123 4567", "VN", "+84361234567"},
		{"old plus from another region", "+84 166 123 4567", "US", "+84361234567"},
		{"old plus no region", "+84 166 123 4567", "", "+84361234567"},
		{"old 00 prefix", "0084 166 123 4567", "VN", "+84361234567"},
		{"old 00 prefix with trunk zero", "0084 0166 123 4567", "VN", "+84361234567"},
		{"old country code without plus", "841661234567", "VN", "+84361234567"},
		{"old without trunk zero", "1661234567", "VN", "+84361234567"},
		{"old parentheses dashes", "(0129) 123-4567", "VN", "+84821234567"},
		{"old dots", "0129.123.4567", "VN", "+84821234567"},
		{"old vietnamobile plus", "+84 188 765 4321", "VN", "+84587654321"},

		// Vietnamese service numbers starting with 1 are not renumbered.
		{"vn toll free 1800", "1800 1234", "VN", "+8418001234"},

		// United States.
		{"us national", "(202) 456-1111", "US", "+12024561111"},
		{"us dots", "650.253.0000", "US", "+16502530000"},
		{"us e164", "+1 650-253-0000", "VN", "+16502530000"},
		{"us 011 international prefix", "011 44 20 7946 0958", "US", "+442079460958"},

		// United Kingdom.
		{"uk london", "020 7946 0958", "GB", "+442079460958"},
		{"uk london (0)", "+44 (0)20 7946 0958", "VN", "+442079460958"},
		{"uk mobile", "07400 123456", "GB", "+447400123456"},
		{"uk mobile 00 from VN", "0044 7400 123456", "VN", "+447400123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.raw, tt.region)
			if err != nil {
				t.Fatalf("Normalize(%q, %q): %v", tt.raw, tt.region, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
			}
			again, err := Normalize(got, tt.region)
			if err != nil || again != got {
				t.Fatalf("Normalize(%q) again = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeInvalid(t *testing.T) {
	tests := []struct {
		name, raw, region, reason string
	}{
		{"empty", "", "VN", "empty"},
		{"blank", " \t ", "VN", "empty"},
		{"only separators", "(--)", "VN", "no digits"},
		{"only plus", "+", "VN", `no digits after "+"`},
		{"letters", "0912abc678", "VN", "contains letters"},
		{"extension", "0912345678 ext 12", "VN", "contains letters"},
		{"vanity", "+1 800 FLOWERS", "US", "contains letters"},
		{"vietnamese letters", "số 0912345678", "VN", "contains letters"},
		{"hash", "0912#345678", "VN", `unexpected character '#'`},
		{"slash", "0912/345678", "VN", `unexpected character '/'`},
		{"control character", "0912\x00345678", "VN", "unexpected character U+0000"},
		{"arabic-indic digits", "٠٩١٢٣٤٥٦٧٨", "VN", "contains non-ASCII digits"},
		{"invalid utf8", "0912\xff345678", "VN", "not valid UTF-8 text"},
		{"plus in the middle", "09+12345678", "VN", `"+" is only allowed before the first digit`},
		{"double plus", "++84912345678", "VN", `"+" is only allowed before the first digit`},
		{"too short", "0912", "VN", "too short for region VN"},
		{"too short one digit", "1", "VN", "too short"},
		{"too short international", "+84 1", "VN", "too short"},
		{"too long", "0912 345 678 90", "VN", "too long for region VN"},
		{"too many digits", "09123456789012345678901", "VN", "too long"},
		{"too long input", "0912 345 678" + strings.Repeat(" ", 60) + "9", "VN", "too long"},
		{"unassigned vn prefix", "0521234567", "VN", "not a valid phone number for region VN"},
		{"old prefix not in mapping", "0130 123 4567", "VN", "not a valid phone number for region VN"},
		{"old number too short", "0166 123 456", "VN", "not a valid phone number for region VN"},
		{"hanoi landline missing digit", "024 3825 123", "VN", "not a valid phone number for region VN"},
		{"unknown country code", "+999 1234567", "VN", "unknown country calling code"},
		{"national without region", "0912345678", "", `no default region to read a national number; write it with "+" and the country code`},
		{"unknown region", "0912345678", "XX", `unknown default region "XX"`},
		{"long garbage region", "0912345678", "VIETNAM-SOUTH", `unknown default region "VIETNAM-..."`},
		{"us local only", "456-1111", "US", "too short for region US (missing area code?)"},
		{"uk drama number", "+44 7700 900123", "VN", "not a valid phone number for region GB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.raw, tt.region)
			if err == nil {
				t.Fatalf("Normalize(%q, %q) = %q, want error %q", tt.raw, tt.region, got, tt.reason)
			}
			if got != "" {
				t.Errorf("Normalize returned %q with an error", got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error", err)
			}
			if pe.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", pe.Reason, tt.reason)
			}
			if want := "invalid phone number: " + tt.reason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestRenumberVNMapping(t *testing.T) {
	// The 2018 mapping, written out independently of vnRenumbered.
	want := map[string]string{
		"0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
		"0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
		"0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
		"0167": "037", "0168": "038", "0169": "039",
		"0186": "056", "0188": "058", "0199": "059",
	}
	if len(vnRenumbered) != len(want) {
		t.Fatalf("mapping has %d prefixes, want %d", len(vnRenumbered), len(want))
	}
	for old, nw := range want {
		if got := vnRenumbered[old]; got != nw {
			t.Errorf("vnRenumbered[%s] = %q, want %q", old, got, nw)
		}
		// Every converted number must be a valid Vietnamese mobile.
		got, err := Normalize(old+"7654321", "VN")
		if err != nil {
			t.Errorf("old %s: %v", old, err)
			continue
		}
		if w := "+84" + nw[1:] + "7654321"; got != w {
			t.Errorf("old %s: got %s, want %s", old, got, w)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+84912345678", "+849******78"},
		{"+8491234578", "+849*****78"},
		{"+842438251234", "+842*******34"},
		{"+12024561111", "+120******11"},
		{"0912 345 678", "0912******78"},
		{"+849123", "+******"},
		{"12345678", "********"},
		{"123456789", "1234***89"},
		{"", ""},
		{"nguyễn", "******"},
	}
	for _, tt := range tests {
		got := Mask(tt.in)
		if got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if utf8.RuneCountInString(got) != utf8.RuneCountInString(tt.in) {
			t.Errorf("Mask(%q) = %q changes the length", tt.in, got)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nguyễn Văn An", "N***"},
		{"Đặng Thị Hồng", "Đ***"},
		{"  Lê Minh  ", "L***"},
		{"Ánh", "Á***"},
		{"", ""},
		{"   ", ""},
		{"\xffabc", "***"},
	}
	for _, tt := range tests {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var codePoint = regexp.MustCompile(`U\+[0-9A-F]{4,6}`)

var fuzzRegions = []string{"VN", "US", "GB", "", "DE", "JP", "IN", "vn", "XX"}

func FuzzNormalize(f *testing.F) {
	seeds := []string{
		"0912345678", "+84 912 345 678", "0084912345678", "84912345678", "912345678",
		"01661234567", "+84 166 123 4567", "+84 0166 123 4567", "841291234567", "1291234567",
		"024 3825 1234", "(028) 3829-5555", "+84 (0) 912 345 678", "1800 1234",
		"(202) 456-1111", "011 44 20 7946 0958", "020 7946 0958", "+44 7700 900123",
		"", "+", "++1", "0912abc", "٠٩١٢", "0912\xff", "0+84", "00", "000000000000",
		"+999 1234567", "+1", "+800 1234 5678", "+39 06 1234 5678", "+225 01 23 45 67 89",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, raw string, ri uint8) {
		region := fuzzRegions[int(ri)%len(fuzzRegions)]
		got, err := Normalize(raw, region)
		if err != nil {
			if got != "" {
				t.Fatalf("Normalize(%q, %q) = %q with error %v", raw, region, got, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			// Errors must not leak the number.
			msg := codePoint.ReplaceAllString(err.Error(), "U+")
			if digits := onlyDigits(raw); len(digits) >= 4 && strings.Contains(msg, digits) {
				t.Fatalf("error %q contains the number", err)
			}
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) < 4 || len(got) > 16 || onlyDigits(got[1:]) != got[1:] {
			t.Fatalf("Normalize(%q, %q) = %q, not E.164", raw, region, got)
		}
		for _, r := range []string{region, "", "VN", "US"} {
			again, err := Normalize(got, r)
			if err != nil || again != got {
				t.Fatalf("Normalize(%q, %q) = %q, %v; want %q unchanged (from %q)", got, r, again, err, got, raw)
			}
		}
		m := Mask(got)
		if len(m) != len(got) || m[0] != '+' || strings.Count(m, "*") < 3 {
			t.Fatalf("Mask(%q) = %q", got, m)
		}
		if len(got) >= 9 && (m[:4] != got[:4] || m[len(m)-2:] != got[len(got)-2:]) {
			t.Fatalf("Mask(%q) = %q", got, m)
		}
	})
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
