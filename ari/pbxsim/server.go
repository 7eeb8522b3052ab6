package pbxsim

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Errors of the Server's Go API.
var (
	// ErrClosed: the server was closed.
	ErrClosed = errors.New("pbxsim: server closed")
	// ErrNoWebSocket: the application has no events WebSocket.
	ErrNoWebSocket = errors.New("pbxsim: application has no WebSocket")
	// ErrAlreadyListening: Listen was called twice.
	ErrAlreadyListening = errors.New("pbxsim: already listening")
)

// Server is a simulated Asterisk speaking ARI. Create it with New, serve
// Handler (or call Listen) and Close it when done.
//
// All simulation state lives behind one mutex (mu); timers and HTTP
// handlers take it, mutate the model and queue events to the WebSocket
// writers while holding it, so events leave in the order they happened.
// Lock order: Server.mu, then wsConn.mu.
type Server struct {
	cfg        Config
	log        *zap.Logger
	scale      float64
	asteriskID string
	techs      map[string]string // lower-case name -> canonical name
	localCtx   map[string]bool   // nil: every context exists
	sounds     map[string]time.Duration
	clock      Clock
	started    time.Time
	done       chan struct{} // closed by Close

	mu         sync.Mutex
	closed     bool
	rng        *rand.Rand
	channels   map[string]*channel // by lower-case id
	bridges    map[string]*bridge
	playbacks  map[string]*playback
	apps       map[string]*app
	calls      []*CallRecord
	bridgeLog  []BridgeRecord
	timers     map[*simTimer]struct{}
	conns      map[*wsConn]struct{}
	globals    map[string]string
	chanSeq    int // creation order of channels
	nameSeq    int // the hex suffix of channel names
	idSeq      int // generated channel ids
	restDelay  time.Duration
	restFail   int
	restFailMs string
	dropped    int // events lost because the application had no socket

	wg       sync.WaitGroup // WebSocket connections and the HTTP server
	lmu      sync.Mutex     // guards httpSrv
	httpSrv  *http.Server
	handler  http.Handler
	closeErr error
}

// New returns a Server for cfg. It panics if cfg does not Validate.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		scale:      cfg.TimeScale,
		asteriskID: cfg.AsteriskID,
		techs:      map[string]string{},
		sounds:     map[string]time.Duration{},

		done:      make(chan struct{}),
		rng:       rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		channels:  map[string]*channel{},
		bridges:   map[string]*bridge{},
		playbacks: map[string]*playback{},
		apps:      map[string]*app{},
		timers:    map[*simTimer]struct{}{},
		conns:     map[*wsConn]struct{}{},
		globals:   map[string]string{},
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.clock = cfg.Clock
	if s.clock == nil {
		s.clock = realClock{}
	}
	s.started = s.clock.Now()
	if s.scale == 0 {
		s.scale = 1
	}
	if s.asteriskID == "" {
		s.asteriskID = DefaultAsteriskID
	}
	techs := cfg.Technologies
	if techs == nil {
		techs = DefaultTechnologies
	}
	for _, t := range techs {
		s.techs[strings.ToLower(t)] = t
	}
	if cfg.LocalContexts != nil {
		s.localCtx = map[string]bool{}
		for _, c := range cfg.LocalContexts {
			s.localCtx[c] = true
		}
	}
	for name, d := range builtinSounds {
		s.sounds[name] = d
	}
	for name, d := range cfg.Sounds {
		s.sounds[name] = d
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

// Handler returns the HTTP handler serving /ari/... (REST and the events
// WebSocket).
func (s *Server) Handler() http.Handler { return s.handler }

// Listen serves the simulator on addr ("127.0.0.1:0" picks a free port)
// and returns its base URL, "http://host:port". Use base+"/ari" as the ARI
// URL and "ws://host:port/ari/events" for events.
func (s *Server) Listen(addr string) (string, error) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	select {
	case <-s.done:
		return "", ErrClosed
	default:
	}
	if s.httpSrv != nil {
		return "", ErrAlreadyListening
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("pbxsim listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.httpSrv = srv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("pbxsim http server stopped", zap.Error(err))
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the simulator: timers stop, WebSockets get a close frame
// and the HTTP server (if Listen was used) shuts down. Live channels are
// abandoned without events. Close waits for every goroutine it started.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.closeErr
	}
	s.closed = true
	close(s.done)
	for t := range s.timers {
		t.stop()
	}
	clear(s.timers)
	conns := s.connList()
	s.mu.Unlock()

	for _, c := range conns {
		c.shutdown(false)
	}
	s.lmu.Lock()
	srv := s.httpSrv
	s.lmu.Unlock()
	var err error
	if srv != nil {
		// In-flight REST calls get a moment to finish; then the rest of
		// the connections (idle keep-alives, connections that never sent
		// a request) are closed.
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		if serr := srv.Shutdown(ctx); serr != nil && !errors.Is(serr, context.DeadlineExceeded) {
			err = serr
		}
		cancel()
		if cerr := srv.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	s.wg.Wait()
	s.mu.Lock()
	s.closeErr = err
	s.mu.Unlock()
	return err
}

// SetRESTDelay delays every REST response by d (real time, not scaled),
// to simulate a slow PBX. Zero removes the delay.
func (s *Server) SetRESTDelay(d time.Duration) {
	s.mu.Lock()
	s.restDelay = d
	s.mu.Unlock()
}

// SetRESTFailure makes every REST request (not the WebSocket) fail with
// the given HTTP status and message until it is called with status 0.
func (s *Server) SetRESTFailure(status int, message string) {
	s.mu.Lock()
	s.restFail, s.restFailMs = status, message
	s.mu.Unlock()
}

// Calls returns a copy of the record of every originated channel, in
// order of origination.
func (s *Server) Calls() []CallRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallRecord, len(s.calls))
	for i, c := range s.calls {
		out[i] = *c
	}
	return out
}

// BridgeLog returns every stay of a channel in a bridge, in order of
// entry.
func (s *Server) BridgeLog() []BridgeRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BridgeRecord(nil), s.bridgeLog...)
}

// Connected reports whether app has an events WebSocket that receives
// events (a replaced socket does not count).
func (s *Server) Connected(app string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[app]
	return a != nil && a.active != nil
}

// DroppedEvents returns how many events were lost because their
// application had no WebSocket.
func (s *Server) DroppedEvents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// InjectRaw sends data as one text frame to the WebSocket of app, after
// the events already queued. It is meant for tests (unknown event types,
// malformed frames, bursts).
func (s *Server) InjectRaw(app string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	a := s.apps[app]
	if a == nil || a.active == nil {
		return fmt.Errorf("inject into %q: %w", app, ErrNoWebSocket)
	}
	a.active.enqueue(append([]byte(nil), data...))
	return nil
}

// DropWebSockets closes the TCP connection of every events WebSocket
// without a close frame, like a network failure. Channels and bridges stay.
func (s *Server) DropWebSockets() {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown(true)
	}
}

// connList returns the open events sockets. The caller holds s.mu.
func (s *Server) connList() []*wsConn {
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns
}

// scaled converts a simulated duration to real time.
func (s *Server) scaled(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) * s.scale)
}

// simTimer is a timer of the simulation. Its function runs with s.mu held
// and not at all once stopped or the server closed.
type simTimer struct {
	cancel  func() bool
	stopped bool
}

func (t *simTimer) stop() {
	if t == nil || t.stopped {
		return
	}
	t.stopped = true
	if t.cancel != nil {
		t.cancel()
	}
}

// after runs fn after the simulated duration d. The caller holds s.mu.
func (s *Server) after(d time.Duration, fn func()) *simTimer {
	st := &simTimer{}
	if s.closed {
		st.stopped = true
		return st
	}
	s.timers[st] = struct{}{}
	st.cancel = s.clock.AfterFunc(s.scaled(d), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if st.stopped || s.closed {
			return
		}
		st.stopped = true
		delete(s.timers, st)
		fn()
	})
	return st
}

// cancelTimer stops t. The caller holds s.mu.
func (s *Server) cancelTimer(t *simTimer) {
	if t == nil {
		return
	}
	t.stop()
	delete(s.timers, t)
}

// serveHTTP is the entry point of every request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path != "/ari" && !strings.HasPrefix(path, "/ari/") {
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	}
	select {
	case <-s.done:
		writeError(w, http.StatusServiceUnavailable, "Asterisk is shutting down")
		return
	default:
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeError(w, http.StatusUnauthorized, "Authentication required")
		return
	}
	segs := splitPath(strings.TrimPrefix(path, "/ari"))
	if len(segs) == 1 && segs[0] == "events" && r.Method == http.MethodGet {
		s.serveEvents(w, r)
		return
	}
	s.mu.Lock()
	delay, failStatus, failMsg := s.restDelay, s.restFail, s.restFailMs
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			writeError(w, http.StatusServiceUnavailable, "Asterisk is shutting down")
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if failStatus != 0 {
		writeError(w, failStatus, failMsg)
		return
	}
	rt, vars, found := matchRoute(r.Method, segs)
	switch {
	case !found:
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	case rt == nil:
		writeError(w, http.StatusMethodNotAllowed, "Invalid method")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody+1)
	p, err := parseParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, errBadBody.Error())
		return
	}
	if rt.handle == nil {
		writeError(w, http.StatusNotImplemented, "Not implemented by pbxsim")
		return
	}
	rt.handle(s, w, r, p, vars)
}

// authorized checks Basic credentials or the api_key query parameter.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Username == "" {
		return true
	}
	if key := r.URL.Query().Get("api_key"); key != "" {
		user, pass, _ := strings.Cut(key, ":")
		return s.credentialsOK(user, pass)
	}
	user, pass, ok := r.BasicAuth()
	return ok && s.credentialsOK(user, pass)
}

func (s *Server) credentialsOK(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.Username))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password))
	return u&p == 1
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes an ARI error {"message": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Message: msg})
}

// writeNoContent writes 204.
func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.WriteHeader(http.StatusNoContent)
}

// sortedKeys returns the keys of a set in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
