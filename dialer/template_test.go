package dialer

import (
	"errors"
	"strings"
	"testing"
)

func TestDialTemplateExpand(t *testing.T) {
	tests := []struct {
		tmpl, phone, want string
	}{
		{"PJSIP/{number}@trunk", "+84912345678", "PJSIP/84912345678@trunk"},
		{"PJSIP/{e164}@trunk", "+84912345678", "PJSIP/+84912345678@trunk"},
		{"PJSIP/{national}@trunk", "+84912345678", "PJSIP/0912345678@trunk"},
		{"PJSIP/{national}@trunk", "+842838221234", "PJSIP/02838221234@trunk"},
		{"SIP/{national}@gw", "+12015550123", "SIP/2015550123@gw"},
		{"Local/{number}@debtors", "+1001", "Local/1001@debtors"},
		{"PJSIP/9{national}@trunk", "+84912345678", "PJSIP/90912345678@trunk"},
		{"{number}", "+4930123456", "4930123456"},
		{"PJSIP/{number}@t/{e164}", "+84912345678", "PJSIP/84912345678@t/+84912345678"},
		// Unknown country code: the national form falls back to the digits.
		{"PJSIP/{national}@trunk", "+999123456", "PJSIP/999123456@trunk"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl+" "+tt.phone, func(t *testing.T) {
			tm, err := ParseDialTemplate(tt.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tm.Expand(tt.phone)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Expand = %q, want %q", got, tt.want)
			}
			if tm.String() != tt.tmpl {
				t.Fatalf("String = %q", tm.String())
			}
		})
	}
}

func TestDialTemplateParseErrors(t *testing.T) {
	bad := []string{
		"", "PJSIP/trunk", "PJSIP/{num}@trunk", "PJSIP/{number@trunk", "PJSIP/number}@trunk",
		"PJSIP/{{number}}@trunk", "PJSIP/{number} @trunk", "PJSIP/{number}\n", "{}", "{NUMBER}",
	}
	for _, s := range bad {
		if _, err := ParseDialTemplate(s); err == nil {
			t.Errorf("ParseDialTemplate(%q) accepted", s)
		}
	}
}

func TestDialTemplateBadPhone(t *testing.T) {
	tm, err := ParseDialTemplate("PJSIP/{number}@trunk")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "0912345678", "+", "+12", "+0912345678", "+84 912 345 678", "+8491234567812345", "+84912x45678"} {
		_, err := tm.Expand(p)
		if !errors.Is(err, ErrInvalidPhone) {
			t.Errorf("Expand(%q) err = %v, want ErrInvalidPhone", p, err)
		}
		if err != nil && p != "" && len(p) > 8 && strings.Contains(err.Error(), p) {
			t.Errorf("error leaks the number: %v", err)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+84912345678", "+849******78"},
		{"+8491234578", "+849*****78"},
		{"0912345678", "091*****78"},
		{"+1001", "+**01"},
		{"", ""},
		{"+12", "+12"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDialTemplate(f *testing.F) {
	for _, s := range []string{"PJSIP/{number}@trunk", "{e164}", "SIP/{national}@x", "{", "}", "{number", "a{b}c", "{number}{number}", "PJSIP/{nat\x00ional}"} {
		f.Add(s, "+84912345678")
	}
	f.Fuzz(func(t *testing.T, tmpl, phone string) {
		tm, err := ParseDialTemplate(tmpl)
		if err != nil {
			return
		}
		if tm.String() != tmpl {
			t.Fatalf("String %q != %q", tm.String(), tmpl)
		}
		// Rebuilding the template from its parts gives the source back.
		var b strings.Builder
		for _, p := range tm.parts {
			b.WriteString(p.lit + p.ph)
		}
		if b.String() != tmpl {
			t.Fatalf("parts %q != %q", b.String(), tmpl)
		}
		out, err := tm.Expand(phone)
		if err != nil {
			if !errors.Is(err, ErrInvalidPhone) {
				t.Fatalf("Expand error %v", err)
			}
			return
		}
		if strings.ContainsAny(out, "{} \n") {
			t.Fatalf("expanded %q still has braces or spaces", out)
		}
		if !strings.Contains(out, phone[1:]) && !strings.Contains(out, nationalNumber(phone)) {
			t.Fatalf("expanded %q holds no form of the number", out)
		}
	})
}
