package compliance

import (
	"time"
)

// Horizon bounds every search for the next allowed instant: a policy whose
// window does not open within Horizon of now is treated as never open.
const Horizon = 2 * 366 * 24 * time.Hour

// calendar is a Policy's window, days and holidays prepared for repeated
// evaluation. Dates are days since 1970-01-01 of the local wall clock.
type calendar struct {
	window   Window
	days     [7]bool
	holidays map[int64]bool
}

func (p Policy) calendar() *calendar {
	c := &calendar{window: p.Window}
	if len(p.Days) == 0 {
		c.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range p.Days {
		if d >= time.Sunday && d <= time.Saturday {
			c.days[d] = true
		}
	}
	if len(p.Holidays) > 0 {
		c.holidays = make(map[int64]bool, len(p.Holidays))
		for _, h := range p.Holidays {
			if h.Valid() {
				c.holidays[h.epochDay()] = true
			}
		}
	}
	return c
}

// dayOpen reports whether calls are allowed on the local date day (days
// since 1970-01-01).
func (c *calendar) dayOpen(day int64) bool {
	return c.days[mod(day+4, 7)] && !c.holidays[day]
}

// wallOf returns the instant t as local wall-clock seconds since
// 1970-01-01 00:00 in zone, and the zone period containing t: its UTC
// offset and the instant it ends (zero when it never does).
func wallOf(t time.Time, zone *time.Location) (wall int64, offset int, end time.Time) {
	lt := t.In(zone)
	_, offset = lt.Zone()
	_, end = lt.ZoneBounds()
	return t.Unix() + int64(offset), offset, end
}

// openAt reports whether the window is open at local wall-clock second
// wall.
func (c *calendar) openAt(wall int64) bool {
	day := floorDiv(wall, secondsPerDay)
	return c.dayOpen(day) && c.window.contains(wall-day*secondsPerDay)
}

// nextOpenWall returns the first wall-clock second >= wall at which the
// window is open, looking at most maxDays days ahead.
func (c *calendar) nextOpenWall(wall int64, maxDays int64) (int64, bool) {
	day := floorDiv(wall, secondsPerDay)
	sod := wall - day*secondsPerDay
	start := c.window.Start.seconds()
	for d := day; d <= day+maxDays; d++ {
		if !c.dayOpen(d) {
			continue
		}
		if d == day {
			if sod < start {
				return d*secondsPerDay + start, true
			}
			if c.window.contains(sod) {
				return wall, true
			}
			continue
		}
		return d*secondsPerDay + start, true
	}
	return 0, false
}

// nextOpen returns the first instant >= t at which the window is open in
// zone, or the zero time if there is none before limit.
//
// Within one zone period (between two offset changes) the wall clock is the
// instant plus a fixed offset, so the search maps the next open wall-clock
// time back to an instant and accepts it if it falls before the period
// ends; otherwise it continues from the period's end. A window that opens
// at a wall-clock time skipped by a spring-forward change therefore opens
// at the change itself, the first instant whose wall clock is past the
// opening time, and a fall-back change that repeats an hour opens the
// window at the first of the two instants.
func (c *calendar) nextOpen(zone *time.Location, t, limit time.Time) time.Time {
	maxDays := int64(limit.Sub(t)/(24*time.Hour)) + 2
	u := t
	for !u.After(limit) {
		wall, offset, end := wallOf(u, zone)
		w, ok := c.nextOpenWall(wall, maxDays)
		if !ok {
			return time.Time{}
		}
		if w == wall {
			return u
		}
		x := time.Unix(w-int64(offset), 0)
		if end.IsZero() || x.Before(end) || !end.After(u) {
			if x.After(limit) {
				return time.Time{}
			}
			return x
		}
		u = end
	}
	return time.Time{}
}

// open reports whether the window is open at t in zone.
func (c *calendar) open(zone *time.Location, t time.Time) bool {
	wall, _, _ := wallOf(t, zone)
	return c.openAt(wall)
}

// Allowed reports whether the calling window is open at now in every one of
// zones: an allowed day of the week, not a holiday, and within the daily
// window, each by the zone's local wall clock. With no zones, or a nil
// zone, nothing is allowed.
func (p Policy) Allowed(now time.Time, zones []*time.Location) bool {
	return p.calendar().allowed(now, zones)
}

func (c *calendar) allowed(now time.Time, zones []*time.Location) bool {
	if !zonesOK(zones) {
		return false
	}
	for _, z := range zones {
		if !c.open(z, now) {
			return false
		}
	}
	return true
}

// NextAllowed returns the first instant >= now at which the window is open
// in every one of zones (see Allowed), or the zero time when there is none
// within Horizon: for instance when the windows of the zones never overlap,
// or no day is allowed. Callers must treat the zero time as "never".
func (p Policy) NextAllowed(now time.Time, zones []*time.Location) time.Time {
	return p.calendar().nextAllowed(now, zones, now.Add(Horizon))
}

// nextAllowed iterates to a fixed point: each zone's next opening from t
// moves t forward to the latest of them until all zones are open at t.
func (c *calendar) nextAllowed(now time.Time, zones []*time.Location, limit time.Time) time.Time {
	if !zonesOK(zones) {
		return time.Time{}
	}
	t := now
	for !t.After(limit) {
		latest := t
		for _, z := range zones {
			n := c.nextOpen(z, t, limit)
			if n.IsZero() {
				return time.Time{}
			}
			if n.After(latest) {
				latest = n
			}
		}
		if latest.Equal(t) {
			return t
		}
		t = latest
	}
	return time.Time{}
}

// dayBounds returns the first instant of the local day containing t in
// zone, and the first instant of the next local day. Either may differ from
// midnight when a daylight-saving change skips midnight.
func dayBounds(t time.Time, zone *time.Location) (start, next time.Time) {
	wall, _, _ := wallOf(t, zone)
	day := floorDiv(wall, secondsPerDay)
	sod := wall - day*secondsPerDay
	// Search for the day's start from an instant safely before it (offset
	// changes move the wall clock by a few hours at most).
	from := t.Add(-time.Duration(sod+6*3600) * time.Second)
	start = firstWallAtLeast(zone, from, day*secondsPerDay)
	if start.After(t) {
		start = t
	}
	return start, firstWallAtLeast(zone, t, (day+1)*secondsPerDay)
}

// firstWallAtLeast returns the first instant >= t whose wall clock in zone
// is at least wall.
func firstWallAtLeast(zone *time.Location, t time.Time, wall int64) time.Time {
	u := t
	for range 64 {
		w, offset, end := wallOf(u, zone)
		if w >= wall {
			return u
		}
		x := time.Unix(wall-int64(offset), 0)
		if end.IsZero() || x.Before(end) || !end.After(u) {
			return x
		}
		u = end
	}
	return u
}

func zonesOK(zones []*time.Location) bool {
	if len(zones) == 0 {
		return false
	}
	for _, z := range zones {
		if z == nil {
			return false
		}
	}
	return true
}
