package ari

import (
	"context"
	"errors"
	"sync"

	"github.com/duecall/duecall/dialer"
)

// defaultMaxQueued bounds the events held between the WebSocket reader and
// the dialer. The reader drains the socket eagerly so that Asterisk never
// stalls on us (its WebSocket write timeout is short and a stalled socket
// gets closed, losing events); past this many undelivered events the reader
// blocks instead, and TCP flow control slows Asterisk down. Nothing is ever
// dropped.
const defaultMaxQueued = 1 << 16

// errQueueClosed is returned by push after close.
var errQueueClosed = errors.New("event queue closed")

// eventQueue is a FIFO of events with one producer side (push, pushForce)
// and one consumer (pop). It grows up to max for push; pushForce ignores the
// bound and is used for the few lifecycle events, which must not block.
type eventQueue struct {
	mu     sync.Mutex
	items  []dialer.Event
	head   int
	max    int
	closed bool

	nonEmpty chan struct{} // signalled (non-blocking) after a push
	nonFull  chan struct{} // signalled (non-blocking) after a pop
	done     chan struct{} // closed by close
}

func newEventQueue(max int) *eventQueue {
	if max <= 0 {
		max = defaultMaxQueued
	}
	return &eventQueue{
		max:      max,
		nonEmpty: make(chan struct{}, 1),
		nonFull:  make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// len returns the number of queued events.
func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// push appends ev, waiting while the queue is full. It returns ctx's error
// if ctx ends first, or errQueueClosed.
func (q *eventQueue) push(ctx context.Context, ev dialer.Event) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return errQueueClosed
		}
		if len(q.items)-q.head < q.max {
			q.items = append(q.items, ev)
			q.mu.Unlock()
			signal(q.nonEmpty)
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.nonFull:
		case <-q.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pushForce appends ev whatever the length of the queue.
func (q *eventQueue) pushForce(ev dialer.Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, ev)
	q.mu.Unlock()
	signal(q.nonEmpty)
}

// pop removes and returns the oldest event, waiting for one. ok is false
// once the queue is closed.
func (q *eventQueue) pop() (ev dialer.Event, ok bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return dialer.Event{}, false
		}
		if q.head < len(q.items) {
			ev = q.items[q.head]
			q.items[q.head] = dialer.Event{} // release references
			q.head++
			switch {
			case q.head == len(q.items):
				q.items = q.items[:0]
				q.head = 0
			case q.head > 1024 && q.head*2 > len(q.items):
				n := copy(q.items, q.items[q.head:])
				clear(q.items[n:])
				q.items = q.items[:n]
				q.head = 0
			}
			q.mu.Unlock()
			signal(q.nonFull)
			return ev, true
		}
		q.mu.Unlock()
		select {
		case <-q.nonEmpty:
		case <-q.done:
		}
	}
}

// close wakes every waiter; queued events are discarded.
func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		q.items = nil
		q.head = 0
		close(q.done)
	}
}
