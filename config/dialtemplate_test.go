package config

import (
	"strings"
	"testing"
	"unicode"
)

func TestCheckDialTemplate(t *testing.T) {
	tests := []struct {
		template string
		count    int
		err      string
	}{
		{"PJSIP/{number}@trunk", 1, ""},
		{"Local/{e164}@ctx", 1, ""},
		{"IAX2/{national}", 1, ""},
		{"PJSIP/trunk/sip:{number}@10.0.0.1", 1, ""},
		{"SIP/{number}-{e164}", 2, ""},
		{"", 0, "is required"},
		{"{number}", 0, "must start with a channel technology"},
		{"/{number}", 0, "must start with a channel technology"},
		{"PJ SIP/{number}", 0, "must start with a channel technology"},
		{"PJSIP/{number} @trunk", 0, "whitespace"},
		{"PJSIP/{number}@trunk\n", 0, "whitespace"},
		{"PJSIP/{number}\u00a0@trunk", 0, "whitespace"},
		{"PJSIP/{number}\u0085", 0, "whitespace"},
		{"PJSIP/0912@trunk", 0, "no placeholder"},
		{"PJSIP/{numbr}@trunk", 0, "unknown placeholder {numbr}; did you mean {number}?"},
		{"PJSIP/{num}@trunk", 0, "unknown placeholder {num}"},
		{"PJSIP/{NUMBER}@trunk", 0, "unknown placeholder"},
		{"PJSIP/{number@trunk", 0, "without"},
		{"PJSIP/number}@trunk", 0, "without"},
		{"PJSIP/{{number}}", 0, "unknown placeholder"},
	}
	for _, tt := range tests {
		n, err := checkDialTemplate(tt.template)
		switch {
		case tt.err == "" && (err != nil || n != tt.count):
			t.Errorf("%q: %d placeholders, %v; want %d", tt.template, n, err, tt.count)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want %q", tt.template, err, tt.err)
		}
	}
}

// FuzzDialTemplate: checking never panics, and an accepted template starts
// with a technology, has no whitespace or control characters, and has
// braces only around known placeholders (what the dialer's parser
// requires).
func FuzzDialTemplate(f *testing.F) {
	for _, s := range []string{"PJSIP/{number}@trunk", "Local/{e164}@x", "SIP/{national}", "{", "}", "a/{}", "PJSIP/{number", "X/{number}{e164}{national}", "X/{number}\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, template string) {
		n, err := checkDialTemplate(template)
		if err != nil {
			if n != 0 {
				t.Fatalf("%q: error with %d placeholders", template, n)
			}
			return
		}
		if n < 1 {
			t.Fatalf("%q accepted without placeholders", template)
		}
		if strings.ContainsFunc(template, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			t.Fatalf("%q accepted with whitespace", template)
		}
		rest := template
		for _, p := range placeholders {
			rest = strings.ReplaceAll(rest, p, "")
		}
		if strings.ContainsAny(rest, "{}") {
			t.Fatalf("%q accepted with stray braces", template)
		}
		tech, _, _ := strings.Cut(template, "/")
		if !validTech(tech) {
			t.Fatalf("%q accepted without a technology", template)
		}
	})
}
