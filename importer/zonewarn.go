package importer

import (
	"fmt"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/phone"
)

// maxKeptWarnings is the number of row warnings kept in Summary.Warnings.
const maxKeptWarnings = 100

// zoneHorizon is how long after the import the timezone column's clock
// must agree with a zone of the numbers: a year, so that both halves of
// every daylight-saving rule count whatever the season of the import.
const zoneHorizon = 365 * 24 * time.Hour

// maxZonesShown is the number of zones of one number a warning lists.
const maxZonesShown = 3

// RowWarning is about a row that was imported as written but may not be
// what was meant. Value is the value the warning is about, cut to 40
// characters (the timezone column is neither a name nor a number; phone
// numbers in Reason are masked with phone.Mask, names never appear).
// Reason completes a sentence that starts with the quoted Value.
type RowWarning struct {
	Line   int    // line of the file where the row starts (the header is line 1)
	Column string // column name as in the documented header
	Value  string
	Reason string
}

// String reads like
// `line 12, column timezone: "America/New_York" is not a zone of any of the debtor's numbers (+849******78: Asia/Ho_Chi_Minh); ...`.
func (w RowWarning) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", w.Line)
	if w.Column != "" {
		b.WriteString(", column ")
		b.WriteString(w.Column)
	}
	b.WriteString(": ")
	if w.Value != "" {
		fmt.Fprintf(&b, "%q ", w.Value)
	}
	b.WriteString(w.Reason)
	return b.String()
}

// warn records an imported row's warnings.
func (im *importer) warn(ws ...RowWarning) {
	if len(ws) == 0 {
		return
	}
	im.sum.Warned++
	for _, w := range ws {
		im.sum.WarningCount++
		if len(im.sum.Warnings) < maxKeptWarnings {
			im.sum.Warnings = append(im.sum.Warnings, w)
		}
	}
}

// zoneWarning returns a warning when a valid debt's timezone column keeps
// a different clock from every zone its numbers are placed in (see
// compliance.PhoneZones): the compliance engine follows the column, so
// the calling window would be the column's, not the numbers'. Numbers that
// cannot be placed are left out; when none can, there is nothing to
// contradict. Zones agree when their UTC offsets are equal at every moment
// of the year from the import (sameClock), so aliases (Asia/Saigon and
// Asia/Ho_Chi_Minh) and zones keeping the same clock (Europe/Dublin and
// Europe/London) agree.
func (im *importer) zoneWarning(line int, d campaign.Debt) (RowWarning, bool) {
	if d.Timezone == "" || im.clocks.load(d.Timezone) == nil {
		return RowWarning{}, false
	}
	var placed []string // "masked number: zones", one per placed number
	for _, p := range d.Phones {
		names, err := compliance.PhoneZones(p)
		if err != nil {
			continue // cannot be placed
		}
		known := names[:0:0]
		for _, n := range names {
			if im.clocks.load(n) == nil {
				continue // not in Go's zone database: cannot compare
			}
			if im.clocks.same(d.Timezone, n) {
				return RowWarning{}, false
			}
			known = append(known, n)
		}
		if len(known) > 0 {
			placed = append(placed, phone.Mask(p)+": "+listZones(known))
		}
	}
	if len(placed) == 0 {
		return RowWarning{}, false
	}
	return RowWarning{
		Line:   line,
		Column: columnNames[colTimezone],
		Value:  cut(d.Timezone),
		Reason: fmt.Sprintf("is not a zone of any of the debtor's numbers (%s); calling hours will follow %s; leave timezone empty if the debtor is where the numbers are",
			strings.Join(placed, "; "), d.Timezone),
	}, true
}

// listZones lists the first maxZonesShown zones.
func listZones(names []string) string {
	if len(names) <= maxZonesShown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxZonesShown], ", "), len(names)-maxZonesShown)
}

// clocks loads time zones and compares them over [from, until), caching
// the zones loaded (so that a million rows with "Asia/Ho_Chi_Minh" read the
// zone database once) and the comparisons made; each cache stops growing
// at maxZoneCacheLen entries.
type clocks struct {
	from, until time.Time
	locs        map[string]*time.Location // nil: not in Go's zone database
	agree       map[[2]string]bool
}

func newClocks(now time.Time) clocks {
	return clocks{
		from:  now,
		until: now.Add(zoneHorizon),
		locs:  make(map[string]*time.Location),
		agree: make(map[[2]string]bool),
	}
}

// load returns the zone named name, nil when Go's database lacks it.
func (c *clocks) load(name string) *time.Location {
	loc, cached := c.locs[name]
	if cached {
		return loc
	}
	loc = loadZone(name)
	if len(c.locs) < maxZoneCacheLen {
		c.locs[name] = loc
	}
	return loc
}

// check returns the reason the timezone column's value s is refused, or
// "" ("" is valid: no timezone).
func (c *clocks) check(s string) string {
	if s != "" && c.load(s) == nil {
		return "not an IANA time zone name like Asia/Ho_Chi_Minh"
	}
	return ""
}

// same reports whether the zones named a and b (both loadable) keep the
// same clock over the compared period.
func (c *clocks) same(a, b string) bool {
	if a == b {
		return true
	}
	key := [2]string{a, b}
	if agree, ok := c.agree[key]; ok {
		return agree
	}
	agree := sameClock(c.load(a), c.load(b), c.from, c.until)
	if len(c.agree) < maxZoneCacheLen {
		c.agree[key] = agree
	}
	return agree
}

// sameClock reports whether a and b have the same UTC offset at every
// moment of [from, until). It walks the periods of constant offset of both
// zones (time.Time.ZoneBounds), so a difference of one day is found.
func sameClock(a, b *time.Location, from, until time.Time) bool {
	const maxSteps = 1000 // far above the transitions of any zone in a year
	t := from
	for range maxSteps {
		ta, tb := t.In(a), t.In(b)
		_, offA := ta.Zone()
		_, offB := tb.Zone()
		if offA != offB {
			return false
		}
		_, endA := ta.ZoneBounds()
		_, endB := tb.ZoneBounds()
		next := endA
		if next.IsZero() || (!endB.IsZero() && endB.Before(next)) {
			next = endB
		}
		if next.IsZero() || !next.Before(until) {
			return true // no change of offset before until
		}
		if !next.After(t) {
			return false // cannot happen; do not loop
		}
		t = next
	}
	return false
}
