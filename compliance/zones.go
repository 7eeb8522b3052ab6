package compliance

import (
	"fmt"
	"github.com/duecall/duecall/phone"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Zone sources, as returned by ZonesForDebt.
const (
	// ZoneSourceDebt: the debt's own timezone column.
	ZoneSourceDebt = "timezone"
	// ZoneSourcePhone: the zones the debtor's numbers map to.
	ZoneSourcePhone = "phone"
	// ZoneSourceDefault: no zone was known; the campaign's default zone.
	ZoneSourceDefault = "default"
)

// ZoneSourceNote explains a zone source in words, for audits.
func ZoneSourceNote(source string) string {
	switch source {
	case ZoneSourceDebt:
		return "time zone from the debt's timezone column"
	case ZoneSourcePhone:
		return "time zone placed from the debtor's phone numbers"
	case ZoneSourceDefault:
		return "number could not be placed in any zone; dialled in the campaign's default zone window"
	}
	return "unknown zone source " + source
}

// unknownZone is what phonenumbers returns for a number it cannot place.
const unknownZone = phonenumbers.UNKNOWN_TIMEZONE

var zoneCache sync.Map // zone name -> *time.Location

// loadZone loads an IANA zone from Go's time zone database, cached. It
// refuses "Local" (the machine's zone, which differs between hosts).
func loadZone(name string) (*time.Location, error) {
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || name == unknownZone {
		return nil, fmt.Errorf("time zone %q: %w", name, ErrUnknownZone)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, ErrUnknownZone)
	}
	zoneCache.Store(name, loc)
	return loc, nil
}

// ZonesForDebt returns the time zones the debtor may be in, and where they
// came from:
//
//  1. the debt's timezone column, when set (an unknown name is an error
//     wrapping ErrUnknownZone: the import should have refused it);
//  2. else the zones the debtor's E.164 numbers map to
//     (phonenumbers.GetTimezonesForNumber), all numbers together: a number
//     that maps to several zones, or numbers in different zones, give all of
//     them, and only the hours allowed in all of them count. Numbers that
//     cannot be parsed or placed ("Etc/Unknown") are skipped;
//  3. else the campaign's default zone (comma-separated zones allowed),
//     with source ZoneSourceDefault; ErrNoZone when it is empty.
//
// Zones are returned in a deterministic order without duplicates; the
// first is the debtor's primary zone.
func ZonesForDebt(timezone string, phones []string, defaultZone string) (zones []*time.Location, source string, err error) {
	if tz := strings.TrimSpace(timezone); tz != "" {
		loc, err := loadZone(tz)
		if err != nil {
			return nil, "", fmt.Errorf("debt timezone: %w", err)
		}
		return []*time.Location{loc}, ZoneSourceDebt, nil
	}
	for _, p := range phones {
		names, err := PhoneZones(p)
		if err != nil {
			return nil, "", err
		}
		for _, n := range names {
			loc, err := loadZone(n)
			if err != nil {
				// A zone of the phone data that Go's database lacks: fail
				// closed rather than drop a zone and widen the window.
				return nil, "", fmt.Errorf("zone of phone number %s: %w", maskPhone(p), err)
			}
			if !slices.Contains(zones, loc) {
				zones = append(zones, loc)
			}
		}
	}
	if len(zones) > 0 {
		return zones, ZoneSourcePhone, nil
	}
	if strings.TrimSpace(defaultZone) == "" {
		return nil, "", ErrNoZone
	}
	zones, err = ParseZones(defaultZone)
	if err != nil {
		return nil, "", fmt.Errorf("default zone: %w", err)
	}
	return zones, ZoneSourceDefault, nil
}

// PhoneZones returns the IANA zone names phonenumbers maps an E.164
// number to (GetTimezonesForNumber), in its order and without
// "Etc/Unknown"; nil when the number cannot be parsed or placed. These are
// the zones ZonesForDebt uses for a debt without a timezone column; the
// importer uses them to warn when a timezone column contradicts the
// numbers. Errors never contain the number unmasked.
func PhoneZones(e164 string) ([]string, error) {
	e164 = strings.TrimSpace(e164)
	if !strings.HasPrefix(e164, "+") {
		return nil, nil
	}
	var names []string
	var err error
	if canonicalE164(e164) {
		// What GetTimezonesForNumber looks up after parsing: the number
		// as it is (the importer and the store keep numbers in this form),
		// without the regexp-heavy parse (16 µs of 16.5).
		names, err = phonenumbers.GetTimezonesForPrefix(e164)
	} else {
		num, perr := phonenumbers.Parse(e164, "")
		if perr != nil {
			return nil, nil //nolint:nilerr // an unparsable number has no zone
		}
		names, err = phonenumbers.GetTimezonesForNumber(num)
	}
	if err != nil {
		return nil, fmt.Errorf("phone zones of %s: %w", maskPhone(e164), err)
	}
	out := names[:0:0]
	for _, n := range names {
		if n != unknownZone && n != "" {
			out = append(out, n)
		}
	}
	return out, nil
}

// canonicalE164 reports whether s is written as E.164 ("+" and 2 to 15
// digits, the first not 0), as phone.Normalize writes numbers.
func canonicalE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// zoneNames lists the names of zones, comma-separated.
func zoneNames(zones []*time.Location) string {
	names := make([]string, len(zones))
	for i, z := range zones {
		if z == nil {
			names[i] = "<nil>"
			continue
		}
		names[i] = z.String()
	}
	return strings.Join(names, ",")
}

// maskPhone hides the middle of a number for logs and reasons
// ("+849******78").
var maskPhone = phone.Mask
