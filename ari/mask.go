package ari

import (
	"strings"

	"github.com/duecall/duecall/phone"
)

// maskEndpoint masks phone numbers in a dial string for logs: every run of
// more than 6 digits (with an optional leading "+") is masked with
// phone.Mask, "PJSIP/0912345678@trunk" → "PJSIP/0912****78@trunk"; shorter
// runs (extensions such as Local/1001@debtors) are kept.
func maskEndpoint(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		j := i
		if s[j] == '+' && j+1 < len(s) && isDigit(s[j+1]) {
			j++
		}
		if !isDigit(s[j]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		run := s[i:j]
		if len(run) > 6 {
			run = phone.Mask(run)
		}
		b.WriteString(run)
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
