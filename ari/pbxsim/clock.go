package pbxsim

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the simulator's time source: timestamps of events and
// records, and the timers of call progress. Config.Clock nil means the
// real clock; a ManualClock makes a simulation deterministic.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has passed and returns a function that
	// cancels the call (reporting whether it did).
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// ManualClock is a Clock that moves only when told to: timers run, in
// order of their due time, inside Advance and AdvanceTo, in the caller's
// goroutine. Tests use it to drive the simulator step by step with no
// wall-clock waits. A timer of zero delay runs at the next Advance.
// Advance must not be called from a timer function.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers manualTimers
}

// NewManualClock returns a ManualClock set at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{due: c.now.Add(d), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.index < 0 {
			return false
		}
		heap.Remove(&c.timers, t.index)
		return true
	}
}

// Advance moves the clock forward by d, running the timers that fall due.
func (c *ManualClock) Advance(d time.Duration) {
	c.AdvanceTo(c.Now().Add(d))
}

// AdvanceTo moves the clock to t (never backwards), running the timers
// due until then, each at its due time.
func (c *ManualClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	for len(c.timers) > 0 && !c.timers[0].due.After(t) {
		next := heap.Pop(&c.timers).(*manualTimer)
		if next.due.After(c.now) {
			c.now = next.due
		}
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
}

// NextDue returns when the next timer is due, if any.
func (c *ManualClock) NextDue() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].due, true
}

// manualTimer is a pending timer of a ManualClock.
type manualTimer struct {
	due   time.Time
	seq   uint64
	f     func()
	index int // in the heap; -1 once removed
}

// manualTimers is a heap of timers by due time, then scheduling order.
type manualTimers []*manualTimer

func (h manualTimers) Len() int { return len(h) }
func (h manualTimers) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h manualTimers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *manualTimers) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *manualTimers) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
