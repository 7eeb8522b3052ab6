package config

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Dial template placeholders. The dialer expands them
// (dialer.ParseDialTemplate); the configuration only checks templates, with
// rules at least as strict as the dialer's, so that a template accepted
// here never fails there.
//
//	{number}    E.164 without "+"                       84912345678
//	{e164}      E.164 with "+"                          +84912345678
//	{national}  as dialled inside the number's country  0912345678
var placeholders = []string{"{number}", "{e164}", "{national}"}

// checkDialTemplate checks a dial template: "Tech/resource" with at least
// one placeholder, no whitespace or control characters, and braces only
// around known placeholders. It returns the number of placeholders.
func checkDialTemplate(s string) (int, error) {
	if s == "" {
		return 0, errors.New("is required; e.g. PJSIP/{number}@trunk")
	}
	tech, _, ok := strings.Cut(s, "/")
	if !ok || !validTech(tech) {
		return 0, fmt.Errorf("%s must start with a channel technology and a slash, e.g. PJSIP/{number}@trunk", quote(s))
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return 0, fmt.Errorf("%s contains whitespace or control characters", quote(s))
		}
	}
	count := 0
	rest := s
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			break
		}
		if rest[open] == '}' {
			return 0, fmt.Errorf("%s has a \"}\" without \"{\"", quote(s))
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return 0, fmt.Errorf("%s has a \"{\" without \"}\"", quote(s))
		}
		name := rest[open : open+end+1]
		known := false
		for _, p := range placeholders {
			known = known || name == p
		}
		if !known {
			return 0, fmt.Errorf("%s has unknown placeholder %s%s; expected %s", quote(s), name, suggest(name, placeholders), strings.Join(placeholders, ", "))
		}
		count++
		rest = rest[open+end+1:]
	}
	if count == 0 {
		return 0, fmt.Errorf("%s has no placeholder; it must contain %s", quote(s), strings.Join(placeholders, ", or "))
	}
	return count, nil
}

// validTech reports whether s looks like a channel technology (PJSIP,
// Local, SIP, IAX2, DAHDI).
func validTech(s string) bool {
	if s == "" || len(s) > 32 || !(s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}
