package ari

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/duecall/duecall/dialer"
)

func TestQueueKeepsOrderAcrossCompaction(t *testing.T) {
	q := newEventQueue(100000)
	next := 0 // next value expected by the consumer
	push := func(n int, from int) int {
		for i := range n {
			if err := q.push(context.Background(), dialer.Event{Cause: from + i}); err != nil {
				t.Fatal(err)
			}
		}
		return from + n
	}
	pop := func(n int) {
		for range n {
			ev, ok := q.pop()
			if !ok || ev.Cause != next {
				t.Fatalf("pop: %v %d, want %d", ok, ev.Cause, next)
			}
			next++
		}
	}
	in := push(5000, 0)
	pop(3000) // head past half: compaction
	in = push(2000, in)
	pop(3999)
	in = push(10, in)
	pop(in - next)
	if q.len() != 0 {
		t.Errorf("len %d after draining", q.len())
	}
}

func TestQueueBoundBlocksPushButNotPushForce(t *testing.T) {
	q := newEventQueue(2)
	ctx := context.Background()
	_ = q.push(ctx, dialer.Event{Cause: 1})
	_ = q.push(ctx, dialer.Event{Cause: 2})
	q.pushForce(dialer.Event{Cause: 3}) // lifecycle events never block
	if q.len() != 3 {
		t.Fatalf("len %d", q.len())
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := q.push(short, dialer.Event{Cause: 4}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("push on a full queue: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- q.push(ctx, dialer.Event{Cause: 4}) }()
	for want := 1; want <= 4; want++ {
		ev, ok := q.pop()
		if !ok || ev.Cause != want {
			t.Fatalf("pop %d: %v %d", want, ok, ev.Cause)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestQueueCloseWakesEveryone(t *testing.T) {
	q := newEventQueue(1)
	popped := make(chan bool, 1)
	go func() { _, ok := q.pop(); popped <- ok }()
	_ = q.push(context.Background(), dialer.Event{})
	<-popped
	_ = q.push(context.Background(), dialer.Event{})
	pushed := make(chan error, 1)
	go func() { pushed <- q.push(context.Background(), dialer.Event{}) }()
	go func() { time.Sleep(5 * time.Millisecond); q.close() }()
	if err := <-pushed; !errors.Is(err, errQueueClosed) {
		t.Errorf("push after close: %v", err)
	}
	if _, ok := q.pop(); ok {
		t.Error("pop after close returned an event")
	}
	q.pushForce(dialer.Event{}) // no panic, no effect
	q.close()                   // idempotent
}
