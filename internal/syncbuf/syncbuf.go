// Package syncbuf is a bytes.Buffer that goroutines may write and read at
// once: what tests collect a command's, a logger's or a child process's
// output in while it runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects what is written to it. The zero value is an empty,
// unbounded buffer.
type Buffer struct {
	// Limit is how many bytes the buffer keeps at most (0: no limit);
	// what comes after is dropped, though Write reports it written.
	Limit int

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p (up to Limit).
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := p
	if b.Limit > 0 {
		keep = p[:max(0, min(len(p), b.Limit-b.buf.Len()))]
	}
	b.buf.Write(keep)
	return len(p), nil
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
