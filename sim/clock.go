package sim

import (
	"time"

	"github.com/duecall/duecall/dialer"
)

// Clock is a virtual dialer.Clock for one goroutine: AfterFunc queues a
// timer in a heap; Next fires the earliest one (in time order, ties in the
// order they were queued) and moves the time to it. Time never moves
// otherwise. It is not safe for concurrent use.
type Clock struct {
	now  int64 // ns since the Unix epoch
	seq  uint64
	heap []*timer
}

type timer struct {
	when int64
	seq  uint64
	f    func()
	dead bool
}

var _ dialer.Clock = (*Clock)(nil)

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start.UnixNano()} }

// Now implements dialer.Clock.
func (c *Clock) Now() time.Time { return time.Unix(0, c.now).UTC() }

// AfterFunc implements dialer.Clock: f runs from Next, at Now()+d (d < 0
// counts as 0).
func (c *Clock) AfterFunc(d time.Duration, f func()) dialer.Timer {
	c.seq++
	t := &timer{when: c.now + max(int64(d), 0), seq: c.seq, f: f}
	c.push(t)
	return t
}

// Stop implements dialer.Timer.
func (t *timer) Stop() bool {
	if t.dead {
		return false
	}
	t.dead = true
	return true
}

// Peek returns the time of the next live timer, and false when none is
// queued.
func (c *Clock) Peek() (time.Time, bool) {
	for len(c.heap) > 0 && c.heap[0].dead {
		c.pop()
	}
	if len(c.heap) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, c.heap[0].when).UTC(), true
}

// Next fires the earliest live timer; it reports false when none is queued.
func (c *Clock) Next() bool {
	for len(c.heap) > 0 {
		t := c.pop()
		if t.dead {
			continue
		}
		t.dead = true
		if t.when > c.now {
			c.now = t.when
		}
		t.f()
		return true
	}
	return false
}

// Pending is the number of queued timers (stopped ones included until their
// time comes).
func (c *Clock) Pending() int { return len(c.heap) }

func less(a, b *timer) bool {
	if a.when != b.when {
		return a.when < b.when
	}
	return a.seq < b.seq
}

func (c *Clock) push(t *timer) {
	c.heap = append(c.heap, t)
	i := len(c.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(c.heap[i], c.heap[p]) {
			break
		}
		c.heap[i], c.heap[p] = c.heap[p], c.heap[i]
		i = p
	}
}

func (c *Clock) pop() *timer {
	h := c.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = nil
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	c.heap = h
	return top
}
