package dialertest

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(start)
	var got []string
	var at []time.Duration
	rec := func(s string) func() {
		return func() { got = append(got, s); at = append(at, c.Now().Sub(start)) }
	}
	c.AfterFunc(2*time.Second, rec("b"))
	c.AfterFunc(time.Second, rec("a"))
	c.AfterFunc(2*time.Second, rec("b2")) // same time: in scheduling order
	stopped := c.AfterFunc(1500*time.Millisecond, rec("never"))
	c.AfterFunc(1500*time.Millisecond, func() {
		rec("c")()
		c.AfterFunc(100*time.Millisecond, rec("nested")) // fires in the same Advance
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	c.Advance(1800 * time.Millisecond)
	if want := []string{"a", "c", "nested"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("fired %v", got)
	}
	if at[0] != time.Second || at[1] != 1500*time.Millisecond || at[2] != 1600*time.Millisecond {
		t.Fatalf("fired at %v", at)
	}
	if c.Now().Sub(start) != 1800*time.Millisecond {
		t.Fatalf("now %v", c.Now())
	}
	c.Advance(time.Second)
	if len(got) != 5 || got[3] != "b" || got[4] != "b2" || c.Pending() != 0 {
		t.Fatalf("fired %v, pending %d", got, c.Pending())
	}
}
