package redistest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { Main(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNewGivesIsolatedPrefixAndDeletesItsKeys(t *testing.T) {
	ctx := ctxT(t)
	var addr, prefix string
	var kind Kind
	t.Run("writer", func(t *testing.T) {
		s := New(t)
		addr, prefix, kind = s.Addr(), s.Prefix(), s.Kind()
		switch s.Kind() {
		case KindRedisServer, KindExternal, KindMiniredis:
		default:
			t.Fatalf("Kind() = %q", s.Kind())
		}
		if s.Kind() == KindMiniredis && s.Miniredis() == nil {
			t.Fatal("miniredis kind without Miniredis()")
		}
		if s.Kind() != KindMiniredis && s.Miniredis() != nil {
			t.Fatal("Miniredis() set for a real server")
		}
		if !strings.HasPrefix(s.URL(), "redis://") {
			t.Fatalf("URL() = %q", s.URL())
		}
		if err := s.Client().Set(ctx, s.Prefix()+":k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		other := New(t)
		if other.Prefix() == s.Prefix() || strings.HasPrefix(other.Prefix(), s.Prefix()) {
			t.Fatalf("prefixes collide: %q %q", s.Prefix(), other.Prefix())
		}
		if other.Addr() != s.Addr() {
			t.Fatalf("New should share one server per test binary: %s vs %s", s.Addr(), other.Addr())
		}
		if got := other.Client().Get(ctx, s.Prefix()+":k").Val(); got != "v" {
			t.Fatalf("same server, other client: got %q", got)
		}
	})
	if kind == KindMiniredis && addr == "" {
		t.Fatal("no address")
	}
	// The writer's keys are gone once its test ended.
	c := redis.NewClient(New(t).Options())
	defer c.Close()
	n, err := c.Exists(ctx, prefix+":k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("key %s:k survived its test", prefix)
	}
}

func TestNewPrivateIsOwnServerAndStops(t *testing.T) {
	ctx := ctxT(t)
	var addr string
	var kind Kind
	t.Run("private", func(t *testing.T) {
		s := NewPrivate(t)
		addr, kind = s.Addr(), s.Kind()
		if err := s.Client().Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if s.Kind() == KindRedisServer && s.Addr() == New(t).Addr() && New(t).Kind() == KindRedisServer {
			t.Fatal("private server is the shared one")
		}
		// A private server may be flushed.
		if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if kind != KindRedisServer {
		t.Skipf("no redis-server (kind %s)", kind)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("private redis-server still answers after its test ended")
	}
}

func TestNewMiniredis(t *testing.T) {
	s := NewMiniredis(t)
	if s.Kind() != KindMiniredis || s.Miniredis() == nil {
		t.Fatalf("kind %s", s.Kind())
	}
	if err := s.Client().Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Miniredis().Get("k"); v != "v" {
		t.Fatalf("got %q", v)
	}
}

// fakeTB records Fatalf/Logf; Fatalf stops the calling goroutine's work by
// panicking with errFatal, which the test recovers.
type fakeTB struct {
	testing.TB
	fatal []string
	logs  []string
}

type fatalPanic struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = append(f.fatal, fmt.Sprintf(format, args...))
	panic(fatalPanic{})
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func callTB(f *fakeTB, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatalPanic); !ok {
				panic(r)
			}
		}
	}()
	fn()
}

func TestMissingBinary(t *testing.T) {
	missing := t.TempDir() + "/no-such-redis-server"
	t.Run("require fails", func(t *testing.T) {
		t.Setenv(EnvBinary, missing)
		t.Setenv(EnvRequire, "1")
		f := &fakeTB{TB: t}
		callTB(f, func() { NewPrivate(f) })
		if len(f.fatal) != 1 || !strings.Contains(f.fatal[0], EnvRequire) || !strings.Contains(f.fatal[0], missing) {
			t.Fatalf("fatal = %q", f.fatal)
		}
	})
	t.Run("fallback to miniredis", func(t *testing.T) {
		t.Setenv(EnvBinary, missing)
		t.Setenv(EnvRequire, "")
		f := &fakeTB{TB: t}
		var s *Server
		callTB(f, func() { s = NewPrivate(f) })
		if len(f.fatal) != 0 {
			t.Fatalf("fatal = %q", f.fatal)
		}
		if s.Kind() != KindMiniredis {
			t.Fatalf("kind %s", s.Kind())
		}
		if len(f.logs) == 0 || !strings.Contains(f.logs[0], "miniredis") {
			t.Fatalf("fallback not logged: %q", f.logs)
		}
		if err := s.Client().Ping(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cluster skipped", func(t *testing.T) {
		t.Setenv(EnvBinary, missing)
		t.Setenv(EnvRequire, "")
		done := make(chan bool, 1)
		t.Run("inner", func(t *testing.T) {
			defer func() { done <- t.Skipped() }()
			NewCluster(t, 1)
		})
		if !<-done {
			t.Fatal("NewCluster without a binary did not skip")
		}
	})
}

func TestProxyCutsAndRestores(t *testing.T) {
	ctx := ctxT(t)
	s := NewPrivate(t)
	p := NewProxy(t, s.Addr())
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: 1, DialTimeout: 500 * time.Millisecond})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	p.Down()
	if err := c.Get(ctx, "k").Err(); err == nil {
		t.Fatal("GET through a cut proxy succeeded")
	}
	p.Up()
	v, err := c.Get(ctx, "k").Result()
	if err != nil || v != "v" {
		t.Fatalf("after Up: %q, %v", v, err)
	}
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes a few seconds")
	}
	ctx := ctxT(t)
	c := NewCluster(t, 3)
	if len(c.Addrs()) != 3 {
		t.Fatalf("addrs %v", c.Addrs())
	}
	// Keys spread over the three masters and are reachable through the
	// cluster client.
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("%s:{%d}:k", c.Prefix(), i)
		if err := c.Client().Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	owners := map[string]bool{}
	err := c.Client().ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			owners[m.Options().Addr] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(owners) != 3 {
		t.Fatalf("keys landed on %d masters, want 3", len(owners))
	}
}

// TestSharedServerDiesWithTestBinary runs this test binary as a child that
// starts the shared redis-server and is then killed with SIGKILL: the
// redis-server must go with it.
func TestSharedServerDiesWithTestBinary(t *testing.T) {
	if os.Getenv("REDISTEST_CHILD") == "1" {
		s := New(t)
		fmt.Printf("ADDR %s %s\n", s.Kind(), s.Addr())
		time.Sleep(time.Minute) // killed by the parent long before
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux only")
	}
	if os.Getenv(EnvURL) != "" {
		t.Skip("external redis in use")
	}
	if _, err := findBinary(); err != nil {
		t.Skip(err)
	}
	ctx := ctxT(t)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSharedServerDiesWithTestBinary$", "-test.v")
	cmd.Env = append(os.Environ(), "REDISTEST_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var addr string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "ADDR" {
			if f[1] != string(KindRedisServer) {
				t.Fatalf("child used %s", f[1])
			}
			addr = f[2]
			break
		}
	}
	if addr == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("child printed no address")
	}
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("child's redis-server does not answer: %v", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server %s outlived its killed test binary", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSentinel(t *testing.T) {
	ctx := ctxT(t)
	s := NewSentinel(t)
	if err := s.Client().Set(ctx, s.Prefix()+":k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(&redis.Options{Addr: s.MasterAddr()})
	defer direct.Close()
	if v := direct.Get(ctx, s.Prefix()+":k").Val(); v != "v" {
		t.Fatalf("write through the sentinel client not on the master: %q", v)
	}
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddr()})
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(ctx, s.MasterName()).Result()
	if err != nil || len(addr) != 2 || addr[0]+":"+addr[1] != s.MasterAddr() {
		t.Fatalf("sentinel reports master %v, %v; want %s", addr, err, s.MasterAddr())
	}
}

func TestRequirePassword(t *testing.T) {
	ctx := ctxT(t)
	for _, newServer := range []func(testing.TB) *Server{NewPrivate, NewMiniredis} {
		s := newServer(t)
		s.RequirePassword(t, "Test-Pw-1")
		if err := s.Client().Ping(ctx).Err(); err != nil {
			t.Fatalf("%s: Client() after RequirePassword: %v", s.Kind(), err)
		}
		for _, pw := range []string{"", "wrong"} {
			c := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: pw, MaxRetries: -1})
			err := c.Ping(ctx).Err()
			c.Close()
			if !redis.IsAuthError(err) {
				t.Errorf("%s: PING with password %q = %v; want NOAUTH or WRONGPASS", s.Kind(), pw, err)
			}
		}
	}
}
