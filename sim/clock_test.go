package sim

import (
	"slices"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	c := NewClock(Start)
	var got []string
	c.AfterFunc(2*time.Second, func() { got = append(got, "b") })
	c.AfterFunc(time.Second, func() {
		got = append(got, "a")
		c.AfterFunc(0, func() { got = append(got, "a2") }) // same instant, after a
	})
	stop := c.AfterFunc(1500*time.Millisecond, func() { got = append(got, "stopped") })
	c.AfterFunc(2*time.Second, func() { got = append(got, "c") }) // tie with b: queued later
	c.AfterFunc(-time.Second, func() { got = append(got, "now") })
	if !stop.Stop() || stop.Stop() {
		t.Fatal("Stop must report true once")
	}
	if at, ok := c.Peek(); !ok || !at.Equal(Start) {
		t.Fatalf("peek %v %v", at, ok)
	}
	for c.Next() {
	}
	if want := []string{"now", "a", "a2", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if !c.Now().Equal(Start.Add(2 * time.Second)) {
		t.Fatalf("now %v", c.Now())
	}
	if _, ok := c.Peek(); ok || c.Next() {
		t.Fatal("timers left")
	}
}
