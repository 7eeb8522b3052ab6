package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Sentinel errors; every *FieldError wraps one of the first two.
var (
	// ErrUnknownKey: a key that duecall does not know (often a typo).
	ErrUnknownKey = errors.New("unknown key")
	// ErrInvalidValue: a value of the wrong type, out of range or
	// inconsistent with another.
	ErrInvalidValue = errors.New("invalid value")
	// ErrSyntax: the file is not valid YAML.
	ErrSyntax = errors.New("invalid YAML")
)

// FieldError is a problem with one configuration key.
type FieldError struct {
	// Key is the full key path: "campaigns[1].originate_timeout".
	Key string
	// Source says where the value came from: "duecall.yaml:12:5",
	// "env DUECALL_REDIS_DB", "flag --redis-url"; empty for defaults and
	// for configurations not built by Load.
	Source string
	// Msg describes the problem: `"abc" is not a duration; expected e.g. 30s`.
	Msg string
	// Err is ErrUnknownKey or ErrInvalidValue.
	Err error

	line, col int // file position, for sorting
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrUnknownKey or ErrInvalidValue.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrors returns every *FieldError inside err (as returned by Load or
// Validate, which join them).
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// Warning is a problem that does not stop duecall from running.
type Warning struct {
	Key    string
	Source string
	Msg    string
}

func (w Warning) String() string {
	var b strings.Builder
	if w.Source != "" {
		b.WriteString(w.Source)
		b.WriteString(": ")
	}
	if w.Key != "" {
		b.WriteString(w.Key)
		b.WriteString(": ")
	}
	b.WriteString(w.Msg)
	return b.String()
}

// joinErrors sorts field errors (file positions first, in file order; the
// rest in the order found) and joins them.
func joinErrors(errs []*FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *FieldError) int {
		switch {
		case a.line > 0 && b.line > 0:
			if a.line != b.line {
				return a.line - b.line
			}
			return a.col - b.col
		case a.line > 0:
			return -1
		case b.line > 0:
			return 1
		}
		return 0
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// quote shows a value in a message, shortened.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// suggest returns "; did you mean X?" when a known name is close to got.
func suggest(got string, known []string) string {
	best, bestDist := "", -1
	g := strings.ToLower(got)
	for _, k := range known {
		d := levenshtein(g, strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	limit := max(2, len(got)/3)
	if best == "" || bestDist > limit {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

func levenshtein(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
