package importer

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on values.
const (
	maxDebtIDRunes  = 128
	maxNameRunes    = 256
	maxAmountInt    = 18 // integer digits
	maxAmountFrac   = 6  // decimals
	minYear         = 1900
	maxYear         = 2199
	maxPriority     = 15
	maxZoneCacheLen = 512
)

const reasonUTF8 = `not valid UTF-8 text (save the file as "CSV UTF-8")`

// parseDebtID checks a debt ID; the reason is "" when it is valid.
func parseDebtID(s string) string {
	switch {
	case s == "":
		return "required"
	case !utf8.ValidString(s):
		return reasonUTF8
	case utf8.RuneCountInString(s) > maxDebtIDRunes:
		return "longer than 128 characters"
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "must not contain spaces or control characters"
	}
	return ""
}

// parseName checks a debtor's name.
func parseName(s string) string {
	switch {
	case s == "":
		return "required"
	case !utf8.ValidString(s):
		return reasonUTF8
	case utf8.RuneCountInString(s) > maxNameRunes:
		return "longer than 256 characters"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// parseAmount validates a non-negative decimal and returns it normalised:
// leading zeros dropped, a trailing "." dropped, decimals kept as written.
func parseAmount(s string) (string, string) {
	if s == "" {
		return "", "required"
	}
	if s[0] == '-' {
		return "", "must not be negative"
	}
	if strings.ContainsAny(s, "eE") {
		return "", "exponent notation is not allowed; write all digits"
	}
	if strings.ContainsAny(s, ", '_") || strings.Count(s, ".") > 1 {
		return "", `thousands separators are not allowed; write digits with an optional "." before the decimals`
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", "not a decimal number"
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return "", "not a decimal number"
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > maxAmountInt {
		return "", "too large (more than 18 digits before the decimal point)"
	}
	if len(frac) > maxAmountFrac {
		return "", "more than 6 decimals"
	}
	if intPart == "" {
		intPart = "0"
	}
	if !hasDot || frac == "" {
		return intPart, ""
	}
	return intPart + "." + frac, ""
}

// parseDate accepts YYYY-MM-DD and DD/MM/YYYY (D/M/YYYY) and returns
// midnight UTC of that day.
func parseDate(s string) (time.Time, string) {
	if s == "" {
		return time.Time{}, "required"
	}
	layout := "2006-01-02"
	if strings.Contains(s, "/") {
		layout = "2/1/2006"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		var perr *time.ParseError
		if errors.As(err, &perr) && strings.Contains(perr.Message, "out of range") {
			return time.Time{}, "not a real date (" + strings.TrimPrefix(perr.Message, ": ") + ")"
		}
		return time.Time{}, "must be a date as YYYY-MM-DD or DD/MM/YYYY"
	}
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, "year must be from 1900 to 2199"
	}
	return t, ""
}

// parsePriority parses an optional priority; 0 when empty.
func parsePriority(s string) (int, string) {
	if s == "" {
		return 0, ""
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > maxPriority {
		return 0, "must be a whole number from 0 to 15"
	}
	return p, ""
}

// loadZone returns the IANA time zone named s, nil when it is not one.
func loadZone(s string) *time.Location {
	// "Local" is the server's zone, not the debtor's; LoadLocation also
	// accepts "" as UTC, which is handled by the caller.
	if s == "Local" || !utf8.ValidString(s) || len(s) > 64 {
		return nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil
	}
	return loc
}
