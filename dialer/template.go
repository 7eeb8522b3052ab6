package dialer

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidPhone is returned when a number is not E.164 ("+" and 3 to 15
// digits).
var ErrInvalidPhone = errors.New("invalid E.164 phone number")

// Placeholders of a dial template.
const (
	// PlaceholderNumber is the E.164 number without "+" ("84912345678").
	PlaceholderNumber = "{number}"
	// PlaceholderE164 is the E.164 number with "+" ("+84912345678").
	PlaceholderE164 = "{e164}"
	// PlaceholderNational is the number as dialled inside its country,
	// trunk prefix included ("0912345678" for +84912345678), best effort:
	// when the country is unknown it is the E.164 digits.
	PlaceholderNational = "{national}"
)

type tmplPart struct {
	lit string // literal text, when ph is ""
	ph  string // placeholder
}

// DialTemplate turns a debtor's E.164 number into the endpoint to
// originate, such as "PJSIP/{number}@trunk". Parse it with
// ParseDialTemplate.
type DialTemplate struct {
	src          string
	parts        []tmplPart
	placeholders int
}

// Problems a dial template can have; ParseDialTemplate's errors are a
// *DialTemplateError wrapping one of them.
var (
	ErrTemplateEmpty              = errors.New("empty")
	ErrTemplateUnmatchedClose     = errors.New(`"}" without "{"`)
	ErrTemplateUnclosedOpen       = errors.New(`"{" without "}"`)
	ErrTemplateUnknownPlaceholder = errors.New("unknown placeholder")
	ErrTemplateBadCharacter       = errors.New("contains a space or control character")
	ErrTemplateNoPlaceholder      = errors.New("no placeholder")
)

// DialTemplateError says what is wrong with a dial template.
type DialTemplateError struct {
	Template string
	Problem  error  // one of the ErrTemplate* values
	Name     string // the unknown placeholder, for ErrTemplateUnknownPlaceholder
}

func (e *DialTemplateError) Error() string {
	switch e.Problem {
	case ErrTemplateUnknownPlaceholder:
		return fmt.Sprintf("dial template %q: unknown placeholder %q (want %s, %s or %s)",
			e.Template, e.Name, PlaceholderNumber, PlaceholderE164, PlaceholderNational)
	case ErrTemplateNoPlaceholder:
		return fmt.Sprintf("dial template %q: no %s, %s or %s placeholder",
			e.Template, PlaceholderNumber, PlaceholderE164, PlaceholderNational)
	}
	return fmt.Sprintf("dial template %q: %v", e.Template, e.Problem)
}

// Unwrap returns the problem.
func (e *DialTemplateError) Unwrap() error { return e.Problem }

// ParseDialTemplate parses a dial template. Text between braces must be one
// of the placeholders, at least one placeholder must appear, and the template
// may not contain spaces or control characters. Errors are a
// *DialTemplateError.
func ParseDialTemplate(s string) (DialTemplate, error) {
	t := DialTemplate{src: s}
	fail := func(problem error, name string) (DialTemplate, error) {
		return DialTemplate{}, &DialTemplateError{Template: s, Problem: problem, Name: name}
	}
	if s == "" {
		return fail(ErrTemplateEmpty, "")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fail(ErrTemplateBadCharacter, "")
		}
	}
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			t.parts = append(t.parts, tmplPart{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{lit: rest[:i]})
		}
		if rest[i] == '}' {
			return fail(ErrTemplateUnmatchedClose, "")
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fail(ErrTemplateUnclosedOpen, "")
		}
		ph := rest[i : i+j+1]
		switch ph {
		case PlaceholderNumber, PlaceholderE164, PlaceholderNational:
		default:
			return fail(ErrTemplateUnknownPlaceholder, ph)
		}
		t.parts = append(t.parts, tmplPart{ph: ph})
		t.placeholders++
		rest = rest[i+j+1:]
	}
	if t.placeholders == 0 {
		return fail(ErrTemplateNoPlaceholder, "")
	}
	return t, nil
}

// Placeholders counts the placeholders in the template.
func (t DialTemplate) Placeholders() int { return t.placeholders }

// String returns the template as parsed.
func (t DialTemplate) String() string { return t.src }

// Expand fills the template in for an E.164 number. It returns an error
// wrapping ErrInvalidPhone when the number is not E.164.
func (t DialTemplate) Expand(e164 string) (string, error) {
	if !validE164(e164) {
		return "", fmt.Errorf("expand dial template: %w: %q", ErrInvalidPhone, MaskPhone(e164))
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch p.ph {
		case "":
			b.WriteString(p.lit)
		case PlaceholderNumber:
			b.WriteString(e164[1:])
		case PlaceholderE164:
			b.WriteString(e164)
		case PlaceholderNational:
			b.WriteString(nationalNumber(e164))
		}
	}
	return b.String(), nil
}

// validE164 reports whether s is "+" followed by 3 to 15 digits, the first
// not 0.
func validE164(s string) bool {
	if len(s) < 4 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// nationalNumber returns the digits of the number in its national format
// ("0912345678" for +84912345678), or the E.164 digits when the country is
// not known.
func nationalNumber(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164[1:]
	}
	f := phonenumbers.Format(num, phonenumbers.NATIONAL)
	var b strings.Builder
	for _, r := range f {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return e164[1:]
	}
	return b.String()
}

// MaskPhone masks a phone number for logs: it keeps a leading "+", the
// first 3 digits and the last 2, and replaces every other digit with "*"
// ("+84912345678" → "+849******78"). Numbers of 5 digits or fewer keep only
// the last 2. Characters other than digits are kept.
func MaskPhone(s string) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	keepHead := 3
	if digits <= 5 {
		keepHead = 0
	}
	b := []byte(s)
	n := 0
	for i := range b {
		if b[i] < '0' || b[i] > '9' {
			continue
		}
		if n >= keepHead && n < digits-2 {
			b[i] = '*'
		}
		n++
	}
	return string(b)
}
