package phone

import (
	"strings"
	"unicode/utf8"
)

// Mask hides the middle of a phone number for logs: it keeps the first four
// characters ("+" and three digits of an E.164 number) and the last two, and
// replaces each character between them with "*", so the result has the
// same length: Mask("+84912345678") == "+849******78".
//
// Mask is meant for E.164 numbers but safe for any text: strings too short
// to hide at least three characters are masked entirely (a leading "+" is
// kept), and invalid UTF-8 counts one "*" per byte.
func Mask(e164 string) string {
	const head, tail, minHidden = 4, 2, 3
	n := utf8.RuneCountInString(e164)
	if n == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(e164))
	keepHead, keepTail := head, tail
	if n < head+tail+minHidden {
		keepHead, keepTail = 0, 0
		if e164[0] == '+' {
			keepHead = 1
		}
	}
	i := 0
	for _, r := range e164 {
		if i < keepHead || i >= n-keepTail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// MaskName hides a person's name for logs: its first letter and "***"
// ("Nguyễn Văn An" becomes "N***"). Surrounding space is ignored; an empty
// name gives "".
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError && size <= 1 {
		return "***"
	}
	return string(r) + "***"
}
