package pacing

import "time"

// windowBuckets is the number of buckets a Window keeps: its counts move by
// one bucket (a 1440th of the span, one minute for 24 h) at a time.
const windowBuckets = 1440

// Window counts answered and abandoned calls over a rolling span of time,
// in windowBuckets buckets, in O(1) per call. The zero value is unusable:
// use NewWindow.
type Window struct {
	span     time.Duration
	width    time.Duration
	buckets  []windowBucket
	last     int64 // index of the newest bucket seen
	answered int64
	aband    int64
}

type windowBucket struct {
	idx      int64
	answered int64
	aband    int64
}

// NewWindow returns an empty Window over span (at least one second).
func NewWindow(span time.Duration) *Window {
	width := max(span/windowBuckets, time.Millisecond)
	n := int((span + width - 1) / width)
	return &Window{span: span, width: width, buckets: make([]windowBucket, n), last: -1 << 62}
}

// Span is the window's length.
func (w *Window) Span() time.Duration { return w.span }

func (w *Window) index(t time.Time) int64 { return t.UnixNano() / int64(w.width) }

// advance expires the buckets that left the window at bucket index now.
func (w *Window) advance(now int64) {
	if now <= w.last {
		return
	}
	n := int64(len(w.buckets))
	if now-w.last >= n {
		for k := now - n + 1; k <= now; k++ {
			w.buckets[k%n] = windowBucket{idx: k}
		}
		w.answered, w.aband = 0, 0
		w.last = now
		return
	}
	for k := w.last + 1; k <= now; k++ {
		b := &w.buckets[k%n]
		w.answered -= b.answered
		w.aband -= b.aband
		*b = windowBucket{idx: k}
	}
	w.last = now
}

// Add counts one answered call (abandoned or not) at t. Calls older than the
// newest one seen by more than the span are ignored.
func (w *Window) Add(t time.Time, abandoned bool) {
	i := w.index(t)
	w.advance(i)
	if i <= w.last-int64(len(w.buckets)) {
		return
	}
	b := &w.buckets[i%int64(len(w.buckets))]
	if b.idx != i {
		return
	}
	b.answered++
	w.answered++
	if abandoned {
		b.aband++
		w.aband++
	}
}

// Counts returns the answered and abandoned calls of the window ending at
// now.
func (w *Window) Counts(now time.Time) WindowCounts {
	w.advance(w.index(now))
	return WindowCounts{Span: w.span, Answered: w.answered, Abandoned: w.aband}
}
