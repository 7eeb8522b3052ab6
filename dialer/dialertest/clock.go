// Package dialertest holds fakes for testing code built on the dialer: a
// virtual Clock, a scripted in-memory PBX, a Telephony made of function
// fields, and an in-memory campaign.Store.
package dialertest

import (
	"sort"
	"sync"
	"time"

	"github.com/duecall/duecall/dialer"
)

// Clock is a virtual dialer.Clock: time moves only when Advance is called,
// and timers fire from Advance, in time order, in the caller's goroutine.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers []*clockTimer
}

type clockTimer struct {
	c    *Clock
	when time.Time
	seq  uint64
	f    func()
}

var _ dialer.Clock = (*Clock)(nil)

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d; it runs from a later Advance (even
// Advance(0) when d ≤ 0).
func (c *Clock) AfterFunc(d time.Duration, f func()) dialer.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &clockTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Stop cancels the timer.
func (t *clockTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the time forward by d, firing every timer due by then (also
// those scheduled by the timers themselves), each at its own time.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool {
			if !c.timers[i].when.Equal(c.timers[j].when) {
				return c.timers[i].when.Before(c.timers[j].when)
			}
			return c.timers[i].seq < c.timers[j].seq
		})
		if len(c.timers) == 0 || c.timers[0].when.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending is the number of timers not fired yet.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
