package pbxsim

import (
	"slices"
	"testing"
	"time"
)

func TestManualClock(t *testing.T) {
	c := NewManualClock(testEpoch)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(testEpoch).String()) }
	}
	c.AfterFunc(2*time.Second, at("b"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(2*time.Second, at("b2")) // same time: scheduling order
	stop := c.AfterFunc(1500*time.Millisecond, at("stopped"))
	c.AfterFunc(0, func() {
		got = append(got, "zero")
		c.AfterFunc(500*time.Millisecond, at("chained")) // scheduled by a timer
	})
	if !stop() || stop() {
		t.Error("stop should succeed once")
	}
	if due, ok := c.NextDue(); !ok || !due.Equal(testEpoch) {
		t.Errorf("next due %v %v", due, ok)
	}
	c.Advance(1999 * time.Millisecond)
	if want := []string{"zero", "chained@500ms", "a@1s"}; !slices.Equal(got, want) {
		t.Errorf("after 1.999 s: %q, want %q", got, want)
	}
	c.AdvanceTo(testEpoch.Add(time.Hour))
	if want := []string{"zero", "chained@500ms", "a@1s", "b@2s", "b2@2s"}; !slices.Equal(got, want) {
		t.Errorf("after 1 h: %q, want %q", got, want)
	}
	if !c.Now().Equal(testEpoch.Add(time.Hour)) {
		t.Errorf("now %v", c.Now())
	}
	c.AdvanceTo(testEpoch) // never backwards
	if !c.Now().Equal(testEpoch.Add(time.Hour)) {
		t.Errorf("went back to %v", c.Now())
	}
	if _, ok := c.NextDue(); ok {
		t.Error("timers left")
	}
}
