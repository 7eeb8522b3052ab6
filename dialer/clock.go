package dialer

import "time"

// Clock is the dialer's source of time. The live dialer uses RealClock; a
// simulation drives a virtual one.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once after d, in its own goroutine (RealClock) or
	// from the simulation loop (virtual clocks).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop cancels the call; it reports whether it was still pending.
	Stop() bool
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
