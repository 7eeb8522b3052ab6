// Package redistest gives each test a Redis of its own.
//
// New returns a view on one Redis shared by every test of the test binary,
// with a fresh key prefix per test, so that tests neither see each other's
// keys nor pay for starting a server each:
//
//   - if DUECALL_TEST_REDIS_URL is set (redis://host:port/db), that server
//     is used and never flushed: a test's keys are deleted by prefix when
//     the test ends;
//   - else a redis-server binary (DUECALL_TEST_REDIS_SERVER, or
//     redis-server on PATH) is started once per test binary on a free
//     loopback port, without persistence, and killed when the test binary
//     exits (on Linux even when it is killed; call Main from TestMain to
//     also stop it on other systems);
//   - else, when DUECALL_TEST_REQUIRE_REDIS=1, the test fails; otherwise
//     the tests run against an in-process miniredis and say so in the log.
//
// NewPrivate starts a redis-server for one test only (for tests that flush
// scripts, stop the server or change its configuration), NewMiniredis gives
// a test its own miniredis, NewCluster a Redis Cluster of its own, and
// NewProxy puts a TCP proxy that can be cut in front of any of them to
// simulate an outage.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/internal/syncbuf"
)

// Environment variables read by the package.
const (
	// EnvURL names an external Redis to use instead of starting one. It is
	// shared: tests use key prefixes on it and never flush it.
	EnvURL = "DUECALL_TEST_REDIS_URL"
	// EnvRequire, set to "1", makes a missing redis-server binary fail the
	// test instead of falling back to miniredis (set it in CI).
	EnvRequire = "DUECALL_TEST_REQUIRE_REDIS"
	// EnvBinary is the path of the redis-server binary to start (default:
	// redis-server looked up on PATH).
	EnvBinary = "DUECALL_TEST_REDIS_SERVER"
)

// Kind says what backs a Server.
type Kind string

const (
	// KindRedisServer is a redis-server process started by this package.
	KindRedisServer Kind = "redis-server"
	// KindExternal is the server named by DUECALL_TEST_REDIS_URL.
	KindExternal Kind = "external"
	// KindMiniredis is an in-process miniredis.
	KindMiniredis Kind = "miniredis"
)

// startTimeout bounds how long a redis-server may take to answer PING.
const startTimeout = 15 * time.Second

// Server is one test's view of a Redis: a client and a key prefix that no
// other test uses.
type Server struct {
	b      *backend
	prefix string
	client *redis.Client
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.b.opts.Addr }

// URL is a redis:// URL of the server (with its database number).
func (s *Server) URL() string { return s.b.url }

// Client is a go-redis client connected to the server, closed when the test
// ends.
func (s *Server) Client() *redis.Client { return s.client }

// Options returns a copy of the client options, to build other clients.
func (s *Server) Options() *redis.Options {
	o := *s.b.opts
	return &o
}

// Prefix is a key prefix unique to this test ("duecalltest:<run>:<n>").
// Keys starting with it are deleted when the test ends (on shared servers).
func (s *Server) Prefix() string { return s.prefix }

// Kind says what backs the server.
func (s *Server) Kind() Kind { return s.b.kind }

// Miniredis is the in-process server when Kind is KindMiniredis, else nil.
// Use it to fast-forward time or to inspect keys.
func (s *Server) Miniredis() *miniredis.Miniredis { return s.b.mini }

// RequirePassword makes the server require password from then on, as
// redis-server's requirepass does (CONFIG SET requirepass on a
// redis-server, RequireAuth on a miniredis): new connections without it,
// or with another, get NOAUTH or WRONGPASS. Client and Options then use
// the password; URL does not carry it. Only for a server of the test's own
// (NewPrivate, NewMiniredis): it fails the test on a shared one.
func (s *Server) RequirePassword(t testing.TB, password string) {
	t.Helper()
	switch {
	case s.b.shared || s.b.kind == KindExternal:
		t.Fatalf("redistest: RequirePassword on a shared server; use NewPrivate or NewMiniredis")
	case s.b.kind == KindMiniredis:
		s.b.mini.RequireAuth(password)
	default:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.client.ConfigSet(ctx, "requirepass", password).Err()
		cancel()
		if err != nil {
			t.Fatalf("redistest: CONFIG SET requirepass: %v", err)
		}
	}
	s.b.opts.Password = password
	_ = s.client.Close()
	s.client = redis.NewClient(s.b.opts)
}

// backend is one running (or external) Redis.
type backend struct {
	kind Kind
	opts *redis.Options
	url  string
	mini *miniredis.Miniredis
	proc *process
	// shared backends are used by many tests: a test's keys are deleted by
	// prefix when it ends.
	shared bool
}

var (
	runID   = newRunID()
	viewSeq atomic.Int64

	shared struct {
		mu   sync.Mutex
		done bool
		b    *backend
		note string
		err  error
	}
)

func newRunID() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.Itoa(os.Getpid())
	}
	return hex.EncodeToString(b[:])
}

// New gives the test a fresh key prefix on the Redis shared by the test
// binary, starting that Redis on first use (see the package doc for which
// Redis it is). It fails the test if no Redis can be had.
func New(t testing.TB) *Server {
	t.Helper()
	b, note, err := sharedBackend()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if note != "" {
		t.Log(note)
	}
	return newView(t, b)
}

// NewPrivate starts a redis-server used by this test only and stopped when
// it ends; DUECALL_TEST_REDIS_URL is ignored. Without a redis-server binary
// it fails the test when DUECALL_TEST_REQUIRE_REDIS=1, and otherwise falls
// back to a private miniredis (check Kind when a test needs a real server).
func NewPrivate(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		if requireRedis() {
			t.Fatalf("redistest: %v, and %s=1", err, EnvRequire)
		}
		t.Logf("redistest: %v; using miniredis (set %s=1 to fail instead)", err, EnvRequire)
		return NewMiniredis(t)
	}
	p, err := startProcess(bin, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(p.stop)
	return newView(t, p.backend())
}

// NewMiniredis gives the test its own in-process miniredis.
func NewMiniredis(t testing.TB) *Server {
	t.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		t.Fatalf("redistest: start miniredis: %v", err)
	}
	t.Cleanup(m.Close)
	return newView(t, miniBackend(m))
}

// Main runs the tests and then stops the shared redis-server, if this
// package started one. Call it from TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// Without it the shared server is still killed when the test binary exits
// on Linux (parent-death signal), but not on other systems.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown stops the shared redis-server, if one was started. Later calls
// to New fail.
func Shutdown() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.b != nil && shared.b.proc != nil {
		shared.b.proc.stop()
		_ = os.RemoveAll(shared.b.proc.dir)
	}
	if shared.b != nil && shared.b.mini != nil {
		shared.b.mini.Close()
	}
	shared.done, shared.b, shared.note = true, nil, ""
	shared.err = errors.New("shared redis was shut down")
}

func sharedBackend() (*backend, string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.done {
		shared.done = true
		shared.b, shared.note, shared.err = startShared()
		if shared.b != nil {
			shared.b.shared = true
		}
	}
	return shared.b, shared.note, shared.err
}

func startShared() (*backend, string, error) {
	if raw := os.Getenv(EnvURL); raw != "" {
		b, err := externalBackend(raw)
		return b, "", err
	}
	bin, err := findBinary()
	if err != nil {
		if requireRedis() {
			return nil, "", fmt.Errorf("%w, and %s=1", err, EnvRequire)
		}
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, "", fmt.Errorf("start miniredis: %w", err)
		}
		note := fmt.Sprintf("redistest: %v; using miniredis (set %s=1 to fail instead)", err, EnvRequire)
		return miniBackend(m), note, nil
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, "", fmt.Errorf("temp dir for redis-server: %w", err)
	}
	p, err := startProcess(bin, dir, nil)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	return p.backend(), "", nil
}

func externalBackend(raw string) (*backend, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvURL, err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("%s=%s does not answer PING: %w", EnvURL, redactURL(raw), err)
	}
	return &backend{kind: KindExternal, opts: opts, url: raw}, nil
}

// redactURL hides a password in a redis URL.
func redactURL(raw string) string {
	opts, err := redis.ParseURL(raw)
	if err != nil || opts.Password == "" {
		return raw
	}
	return strings.Replace(raw, opts.Password, "xxxxx", 1)
}

func miniBackend(m *miniredis.Miniredis) *backend {
	return &backend{
		kind: KindMiniredis,
		opts: &redis.Options{Addr: m.Addr()},
		url:  "redis://" + m.Addr() + "/0",
		mini: m,
	}
}

func requireRedis() bool { return os.Getenv(EnvRequire) == "1" }

func findBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errors.New("no redis-server binary found on PATH")
	}
	return p, nil
}

// UniquePrefix returns a key prefix that no other call in any test binary
// returns ("duecalltest:<run>:<n>"), for tests that share one server by
// other means (a Cluster's subtests, say).
func UniquePrefix() string {
	return fmt.Sprintf("duecalltest:%s:%06d", runID, viewSeq.Add(1))
}

func newView(t testing.TB, b *backend) *Server {
	s := &Server{
		b:      b,
		prefix: UniquePrefix(),
		client: redis.NewClient(b.opts),
	}
	t.Cleanup(func() {
		if b.shared {
			if err := deletePrefix(s.client, s.prefix); err != nil {
				t.Logf("redistest: delete keys %s*: %v", s.prefix, err)
			}
		}
		_ = s.client.Close()
	})
	return s
}

// deletePrefix deletes every key starting with prefix. The prefix holds no
// glob characters.
func deletePrefix(c *redis.Client, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// process is a redis-server started by this package.
type process struct {
	cmd    *exec.Cmd
	dir    string
	port   int
	out    *syncbuf.Buffer // the first 64 KiB of its output
	exited chan struct{}
	once   sync.Once
}

func (p *process) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

func (p *process) backend() *backend {
	return &backend{
		kind: KindRedisServer,
		opts: &redis.Options{Addr: p.addr()},
		url:  "redis://" + p.addr() + "/0",
		proc: p,
	}
}

// stop kills the server and waits for it to exit.
func (p *process) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
}

// startProcess starts redis-server on a free port with its working
// directory in dir, and waits until it answers PING. A port taken between
// choosing and binding it is retried with another.
// lead goes before the options (a config file, "--sentinel"), extra
// after them.
func startProcess(bin, dir string, lead []string, extra ...string) (*process, error) {
	var lastErr error
	for try := 0; try < 5; try++ {
		port, err := freePort(len(extra) > 0)
		if err != nil {
			return nil, err
		}
		p, err := tryStart(bin, dir, port, lead, extra)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	return nil, lastErr
}

func tryStart(bin, dir string, port int, lead, extra []string) (*process, error) {
	args := append(append([]string{}, lead...),
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", "",
	)
	args = append(args, extra...)
	p := &process{
		cmd:    exec.Command(bin, args...),
		dir:    dir,
		port:   port,
		out:    &syncbuf.Buffer{Limit: 64 << 10},
		exited: make(chan struct{}),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := start(p.cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()

	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server on port %d exited: %s", port, strings.TrimSpace(p.out.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("redis-server on port %d did not answer PING within %v: %v; output: %s",
				port, startTimeout, err, strings.TrimSpace(p.out.String()))
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago. With
// bus set, port+10000 (the Redis Cluster bus port) is free too.
func freePort(bus bool) (int, error) {
	for try := 0; try < 100; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			_ = l.Close()
			return port, nil
		}
		if port+10000 > 65535 {
			_ = l.Close()
			continue
		}
		l2, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		_ = l.Close()
		if err != nil {
			continue
		}
		_ = l2.Close()
		return port, nil
	}
	return 0, errors.New("find a free port pair for a cluster node: none found")
}
