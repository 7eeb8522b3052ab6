package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a Redis master watched by one Sentinel, for one test.
type Sentinel struct {
	master, sentinel *process
	name             string
	prefix           string
	client           *redis.Client
}

// NewSentinel starts a master and a Sentinel monitoring it under the
// name "duecall", and a failover client that finds the master through the
// Sentinel; all are stopped when the test ends. Without a redis-server
// binary it fails (DUECALL_TEST_REQUIRE_REDIS=1) or skips the test.
func NewSentinel(t testing.TB) *Sentinel {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		if requireRedis() {
			t.Fatalf("redistest: %v, and %s=1", err, EnvRequire)
		}
		t.Skipf("redistest: %v; sentinel test skipped", err)
	}
	s := &Sentinel{name: "duecall", prefix: UniquePrefix()}
	if s.master, err = startProcess(bin, t.TempDir(), nil); err != nil {
		t.Fatalf("redistest: sentinel's master: %v", err)
	}
	t.Cleanup(s.master.stop)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites it
	body := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\n", s.name, s.master.port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if s.sentinel, err = startProcess(bin, dir, []string{conf, "--sentinel"}); err != nil {
		t.Fatalf("redistest: sentinel: %v", err)
	}
	t.Cleanup(s.sentinel.stop)
	s.client = redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    s.name,
		SentinelAddrs: []string{s.sentinel.addr()},
	})
	t.Cleanup(func() { _ = s.client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		err := s.client.Ping(ctx).Err()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("redistest: master not reachable through the sentinel: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s
}

// MasterName is the name the Sentinel knows the master by.
func (s *Sentinel) MasterName() string { return s.name }

// SentinelAddr is the Sentinel's host:port.
func (s *Sentinel) SentinelAddr() string { return s.sentinel.addr() }

// MasterAddr is the master's host:port.
func (s *Sentinel) MasterAddr() string { return s.master.addr() }

// Client is a failover client that finds the master through the Sentinel.
func (s *Sentinel) Client() *redis.Client { return s.client }

// Prefix is a key prefix unique to this test.
func (s *Sentinel) Prefix() string { return s.prefix }
