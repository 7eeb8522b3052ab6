package pacing

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	w := NewWindow(time.Hour)
	if c := w.Counts(t0); c.Answered != 0 || c.Rate() != 0 || c.Span != time.Hour {
		t.Fatalf("empty %+v", c)
	}
	w.Add(t0, false)
	w.Add(t0.Add(10*time.Minute), true)
	w.Add(t0.Add(20*time.Minute), false)
	if c := w.Counts(t0.Add(30 * time.Minute)); c.Answered != 3 || c.Abandoned != 1 {
		t.Fatalf("counts %+v", c)
	}
	// The first call leaves the window an hour later (to the bucket).
	if c := w.Counts(t0.Add(time.Hour + 5*time.Second)); c.Answered != 2 || c.Abandoned != 1 {
		t.Fatalf("after an hour %+v", c)
	}
	if c := w.Counts(t0.Add(70*time.Minute + 5*time.Second)); c.Answered != 1 || c.Abandoned != 0 {
		t.Fatalf("after 70 minutes %+v", c)
	}
	// A late record within the window still counts; one older than the
	// window does not.
	w.Add(t0.Add(50*time.Minute), true)
	w.Add(t0.Add(-time.Hour), true)
	if c := w.Counts(t0.Add(70*time.Minute + 5*time.Second)); c.Answered != 2 || c.Abandoned != 1 {
		t.Fatalf("late records %+v", c)
	}
	// A long gap empties it.
	if c := w.Counts(t0.Add(48 * time.Hour)); c.Answered != 0 || c.Abandoned != 0 {
		t.Fatalf("after two days %+v", c)
	}
	w.Add(t0.Add(48*time.Hour), true)
	if c := w.Counts(t0.Add(48 * time.Hour)); c.Answered != 1 || c.Rate() != 1 {
		t.Fatalf("after reuse %+v", c)
	}
}

func TestWindowRate(t *testing.T) {
	if r := (WindowCounts{Answered: 200, Abandoned: 6}).Rate(); r != 0.03 {
		t.Fatal(r)
	}
}
