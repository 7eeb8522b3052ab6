package ari

import "strings"

// maskEndpoint masks phone numbers in a dial string for logs: every run of
// digits (with an optional leading "+") keeps its first 4 and last 2
// characters, "PJSIP/0912345678@trunk" → "PJSIP/0912****78@trunk".
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
			run = run[:4] + strings.Repeat("*", len(run)-6) + run[len(run)-2:]
		}
		b.WriteString(run)
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
