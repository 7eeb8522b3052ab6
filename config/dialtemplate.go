package config

import (
	"errors"
	"fmt"
	"github.com/duecall/duecall/dialer"
	"strings"
)

// Dial template placeholders. The dialer parses and expands templates
// (dialer.ParseDialTemplate); the configuration checks them with that
// parser, plus its own rule that a template starts with a technology.
//
//	{number}    E.164 without "+"                       84912345678
//	{e164}      E.164 with "+"                          +84912345678
//	{national}  as dialled inside the number's country  0912345678
var placeholders = []string{dialer.PlaceholderNumber, dialer.PlaceholderE164, dialer.PlaceholderNational}

// checkDialTemplate checks a dial template: "Tech/resource" (the
// configuration's own rule), then the dialer's parser, whose problems it
// words for the configuration. It returns the number of placeholders.
func checkDialTemplate(s string) (int, error) {
	if s == "" {
		return 0, errors.New("is required; e.g. PJSIP/{number}@trunk")
	}
	tech, _, ok := strings.Cut(s, "/")
	if !ok || !validTech(tech) {
		return 0, fmt.Errorf("%s must start with a channel technology and a slash, e.g. PJSIP/{number}@trunk", quote(s))
	}
	t, err := dialer.ParseDialTemplate(s)
	var te *dialer.DialTemplateError
	switch {
	case err == nil:
		return t.Placeholders(), nil
	case !errors.As(err, &te):
		return 0, fmt.Errorf("%s: %w", quote(s), err)
	case te.Problem == dialer.ErrTemplateBadCharacter:
		return 0, fmt.Errorf("%s contains whitespace or control characters", quote(s))
	case te.Problem == dialer.ErrTemplateUnknownPlaceholder:
		return 0, fmt.Errorf("%s has unknown placeholder %s%s; expected %s", quote(s), te.Name, suggest(te.Name, placeholders), strings.Join(placeholders, ", "))
	case te.Problem == dialer.ErrTemplateNoPlaceholder:
		return 0, fmt.Errorf("%s has no placeholder; it must contain %s", quote(s), strings.Join(placeholders, ", or "))
	default:
		return 0, fmt.Errorf("%s has a %v", quote(s), te.Problem)
	}
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
