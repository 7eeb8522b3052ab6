// Package phone normalises telephone numbers to E.164 ("+84912345678") and
// masks numbers and names for logs.
//
// Normalize accepts what people type into spreadsheets: spaces, dots,
// dashes, parentheses, a leading "+", the "00" international prefix (and the
// default region's own international prefix, such as "011" in the US), the
// national trunk-prefix form of the default region ("0912 345 678") and the
// national number without its trunk prefix, as spreadsheets leave it when
// they store a number as an integer ("912345678").
//
// Vietnamese mobile numbers from before the 2018 renumbering (eleven digits
// nationally, 0120..0129, 0162..0169, 0186, 0188 and 0199) are rewritten to
// their ten-digit form before validation, in every form they come in:
// "0129 123 4567", "+84 129 123 4567", "0084 129...", "84129..." and
// "129..." (the last two with VN as the default region).
//
// Errors wrap ErrInvalid and say why a number was refused; they never
// contain the number itself, so they are safe to log.
package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is wrapped by every error Normalize returns.
var ErrInvalid = errors.New("invalid phone number")

// Error is the error Normalize returns. Reason is a short English phrase
// such as "too short for region VN"; it never contains the number.
type Error struct {
	Reason string
}

// Error implements error.
func (e *Error) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

func invalid(reason string) error { return &Error{Reason: reason} }

// Limits on the input, far above any real number, so that garbage is
// refused before the (regexp-heavy) parser sees it.
const (
	maxInputBytes = 64
	// maxDigits is E.164's 15 digits plus a two-digit international prefix
	// and some slack for a national trunk prefix written after "+84 ".
	maxDigits = 19
	// maxE164Digits is E.164's limit, country code included.
	maxE164Digits = 15
)

// vnRenumbered is the official mapping of the 2018 Vietnamese mobile
// renumbering by the Ministry of Information and Communications (carried
// out from 15 September 2018): old eleven-digit national prefix to new
// ten-digit national prefix; the subscriber's last seven digits are kept.
var vnRenumbered = map[string]string{
	// MobiFone
	"0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
	// VinaPhone
	"0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
	// Viettel
	"0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
	"0167": "037", "0168": "038", "0169": "039",
	// Vietnamobile
	"0186": "056", "0188": "058",
	// Gmobile
	"0199": "059",
}

// renumberVNNational rewrites an old Vietnamese mobile number given as its
// national significant number ("1291234567", ten digits) or in national
// form ("01291234567") to the new form. Anything else is returned as is.
func renumberVNNational(d string) string {
	switch {
	case len(d) == 11 && d[0] == '0':
		if n, ok := vnRenumbered[d[:4]]; ok {
			return n + d[4:]
		}
	case len(d) == 10 && d[0] == '1':
		if n, ok := vnRenumbered["0"+d[:3]]; ok {
			return n[1:] + d[3:]
		}
	}
	return d
}

// renumberVNInternational rewrites the old Vietnamese mobile numbers in
// digits that follow an international prefix ("84129...", "840129...").
func renumberVNInternational(d string) string {
	if !strings.HasPrefix(d, "84") {
		return d
	}
	if n := renumberVNNational(d[2:]); n != d[2:] {
		return "84" + n
	}
	return d
}

// scan checks raw character by character and returns its digits and
// whether it was written in international form (a leading "+").
func scan(raw string) (digits string, plus bool, err error) {
	if !utf8.ValidString(raw) {
		return "", false, invalid("not valid UTF-8 text")
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() >= maxDigits {
				return "", false, invalid("too long")
			}
			b.WriteRune(r)
		case r == '+':
			if plus || b.Len() > 0 {
				return "", false, invalid(`"+" is only allowed before the first digit`)
			}
			plus = true
		case r == '.' || r == '(' || r == ')' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
			// separator
		case unicode.IsLetter(r):
			return "", false, invalid("contains letters")
		case unicode.IsDigit(r):
			return "", false, invalid("contains non-ASCII digits")
		default:
			return "", false, invalid("unexpected character " + quoteRune(r))
		}
	}
	if b.Len() == 0 {
		if plus {
			return "", false, invalid("no digits after \"+\"")
		}
		return "", false, invalid("no digits")
	}
	return b.String(), plus, nil
}

func quoteRune(r rune) string {
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("%U", r)
}

// KnownRegion reports whether region (an ISO 3166-1 alpha-2 code, any case)
// can be used as Normalize's default region.
func KnownRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(strings.TrimSpace(region))]
}

// Normalize returns raw as an E.164 number ("+84912345678"). defaultRegion
// is the ISO 3166-1 alpha-2 code (any case) used for numbers written
// without a country code; it may be empty when every number carries one.
//
// The number must be valid, not only plausible, according to libphonenumber
// metadata. Errors wrap ErrInvalid, are of type *Error and never contain
// the number.
func Normalize(raw, defaultRegion string) (string, error) {
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region != "" && !KnownRegion(region) {
		return "", invalid("unknown default region " + quoteRegion(defaultRegion))
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalid("empty")
	}
	if len(raw) > maxInputBytes {
		return "", invalid("too long")
	}
	digits, plus, err := scan(raw)
	if err != nil {
		return "", err
	}

	var input string
	switch {
	case plus:
		input = "+" + renumberVNInternational(digits)
	case strings.HasPrefix(digits, "00"):
		// "00" is the international prefix of most of the world; accept it
		// whatever the default region (the region's own prefix, such as
		// "011" in the US, is handled by the parser below).
		input = "+" + renumberVNInternational(digits[2:])
	case region == "":
		return "", invalid(`no default region to read a national number; write it with "+" and the country code`)
	case region == "VN":
		input = renumberVNNational(digits)
		if input == digits {
			// "84" + an old eleven-digit number without the "+".
			input = renumberVNInternational(digits)
		}
	default:
		input = digits
	}

	parseRegion := region
	if parseRegion == "" {
		parseRegion = "ZZ" // unknown: only "+..." numbers parse
	}
	num, err := phonenumbers.Parse(input, parseRegion)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			return "", invalid("unknown country calling code")
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			return "", invalid("too short")
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			return "", invalid("too long")
		case errors.Is(err, phonenumbers.ErrNotANumber):
			return "", invalid("too short")
		default:
			// The library's errors are constant strings without the number.
			return "", invalid(err.Error())
		}
	}
	numRegion := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT:
		return "", invalid("too short for region " + numRegion)
	case phonenumbers.TOO_LONG:
		return "", invalid("too long for region " + numRegion)
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", invalid("too short for region " + numRegion + " (missing area code?)")
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", invalid("unknown country calling code")
	default: // INVALID_LENGTH
		return "", invalid("wrong number of digits for region " + numRegion)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", invalid("not a valid phone number for region " + numRegion)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if len(e164) > 1+maxE164Digits {
		// libphonenumber accepts a few longer numbers (Germany); E.164
		// and the networks do not.
		return "", invalid("too long (E.164 allows at most 15 digits)")
	}
	return e164, nil
}

// quoteRegion quotes a region code for an error message, cutting it short
// so that a garbage region cannot blow up the message.
func quoteRegion(s string) string {
	if utf8.RuneCountInString(s) > 8 {
		s = string([]rune(s)[:8]) + "..."
	}
	return strconv.Quote(s)
}
