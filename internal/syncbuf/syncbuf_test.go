package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/duecall/duecall/internal/syncbuf"
)

func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprintf(&b, "w%d\n", i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Errorf("%d lines kept of 800 written", n)
	}
}

func TestLimit(t *testing.T) {
	for _, tt := range []struct {
		limit  int
		writes []string
		want   string
	}{
		{0, []string{"abc", "def"}, "abcdef"},
		{4, []string{"abc", "def"}, "abcd"},
		{4, []string{"abcdef", "g"}, "abcd"},
		{3, []string{"abc", "def"}, "abc"},
	} {
		b := syncbuf.Buffer{Limit: tt.limit}
		for _, w := range tt.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Errorf("limit %d: Write(%q) = %d, %v; want %d, nil", tt.limit, w, n, err, len(w))
			}
		}
		if got := b.String(); got != tt.want {
			t.Errorf("limit %d, writes %q: kept %q, want %q", tt.limit, tt.writes, got, tt.want)
		}
	}
}
