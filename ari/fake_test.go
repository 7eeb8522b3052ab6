package ari

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/websocket"

	"github.com/duecall/duecall/dialer"
)

// fakeARI is a small scripted Asterisk: a REST mux whose answers tests can
// replace, and an events WebSocket whose messages tests send by hand.
type fakeARI struct {
	t    *testing.T
	srv  *httptest.Server
	user string
	pass string
	app  string

	conns chan *fakeWS // each accepted WebSocket

	mu        sync.Mutex
	overrides map[string]http.HandlerFunc // by mux pattern
	requests  []fakeRequest
	channels  []map[string]any // GET /channels
	bridges   []map[string]any // GET /bridges
	wsRefuse  int              // status to refuse WebSocket upgrades with, 0 = accept
}

type fakeRequest struct {
	Method, Path string
	Query        url.Values
	Body         []byte
}

type fakeWS struct {
	ws   *websocket.Conn
	done chan struct{} // closed when the connection ended
}

// send writes one raw event as a text frame.
func (w *fakeWS) send(t *testing.T, raw []byte) {
	t.Helper()
	if err := websocket.Message.Send(w.ws, string(raw)); err != nil {
		t.Fatalf("fake: send: %v", err)
	}
}

// drop closes the connection from the server side.
func (w *fakeWS) drop() { _ = w.ws.Close() }

func newFakeARI(t *testing.T) *fakeARI {
	f := newUnstartedFakeARI(t)
	f.srv.Start()
	return f
}

func newUnstartedFakeARI(t *testing.T) *fakeARI {
	t.Helper()
	f := &fakeARI{
		t: t, user: "dialer", pass: "s3cret-pw", app: "dialer",
		conns:     make(chan *fakeWS, 64),
		overrides: map[string]http.HandlerFunc{},
	}
	mux := http.NewServeMux()
	route := func(pattern string, def http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			f.requests = append(f.requests, fakeRequest{r.Method, r.URL.Path, r.URL.Query(), body})
			h := f.overrides[pattern]
			f.mu.Unlock()
			if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authentication required"})
				return
			}
			if h == nil {
				h = def
			}
			h(w, r)
		})
	}
	route("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, http.StatusOK, orEmpty(f.channels))
	})
	route("GET /ari/bridges", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, http.StatusOK, orEmpty(f.bridges))
	})
	// Like Asterisk, the application lists the channels and bridges it is
	// subscribed to; entries named "foreign-app" belong to another one.
	route("GET /ari/applications/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.PathValue("name") != f.app {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Application not found"})
			return
		}
		ids := func(list []map[string]any) []string {
			out := []string{}
			for _, m := range list {
				if id, _ := m["id"].(string); id != "" && m["foreign-app"] == nil {
					out = append(out, id)
				}
			}
			return out
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": f.app, "channel_ids": ids(f.channels), "bridge_ids": ids(f.bridges)})
	})
	route("GET /ari/asterisk/ping", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"ping": "pong"})
	})
	route("POST /ari/channels", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": r.URL.Query().Get("channelId"), "state": "Down"})
	})
	route("DELETE /ari/channels/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	route("POST /ari/channels/{id}/play", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]any{
			"id": r.URL.Query().Get("playbackId"), "media_uri": r.URL.Query().Get("media"),
			"target_uri": "channel:" + r.PathValue("id"), "language": "en", "state": "queued",
		})
	})
	route("POST /ari/bridges", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": r.URL.Query().Get("bridgeId"), "bridge_type": "mixing", "channels": []string{}})
	})
	route("POST /ari/bridges/{id}/addChannel", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	route("POST /ari/bridges/{id}/removeChannel", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	route("DELETE /ari/bridges/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})

	wsServer := websocket.Server{
		Handshake: func(*websocket.Config, *http.Request) error { return nil },
		Handler: func(ws *websocket.Conn) {
			c := &fakeWS{ws: ws, done: make(chan struct{})}
			select {
			case f.conns <- c:
			default: // nobody is watching connections
			}
			var sink []byte
			for websocket.Message.Receive(ws, &sink) == nil {
			}
			close(c.done)
		},
	}
	mux.HandleFunc("GET /ari/events", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		refuse := f.wsRefuse
		f.mu.Unlock()
		if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authentication required"})
			return
		}
		if r.URL.Query().Get("app") != f.app {
			http.Error(w, "<html>no app</html>", http.StatusBadRequest)
			return
		}
		if refuse != 0 {
			http.Error(w, "refused", refuse)
			return
		}
		wsServer.ServeHTTP(w, r)
	})
	f.srv = httptest.NewUnstartedServer(mux)
	t.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

func orEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// override replaces the handler of a route pattern.
func (f *fakeARI) override(pattern string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.overrides[pattern] = h
}

// setInventory sets what GET /channels and GET /bridges answer.
func (f *fakeARI) setInventory(channels, bridges []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels, f.bridges = channels, bridges
}

// lastRequest returns the last request matching method and path.
func (f *fakeARI) lastRequest(method, path string) (fakeRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.Method == method && r.Path == path {
			return r, true
		}
	}
	return fakeRequest{}, false
}

// url is the ARI root URL of the fake.
func (f *fakeARI) url() string { return f.srv.URL + "/ari" }

// waitConn returns the next accepted WebSocket.
func (f *fakeARI) waitConn(t *testing.T) *fakeWS {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("fake: no WebSocket connection")
		return nil
	}
}

// testOptions are client options for the fake at rawURL, with fast backoff.
func testOptions(rawURL string, log *zap.Logger) Options {
	return Options{
		URL: rawURL, Username: "dialer", Password: "s3cret-pw", Application: "dialer",
		RequestTimeout: 2 * time.Second, Logger: log,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
	}
}

// runningClient starts a Client against f, runs it, and waits for its
// first EventConnected. It returns the client, the server's side of the
// WebSocket, and a channel with Run's result.
func runningClient(t *testing.T, f *fakeARI) (*Client, *fakeWS, <-chan error) {
	t.Helper()
	return runningClientWith(t, f, defaultMaxQueued, nil)
}

// runningClientWith is runningClient with a bound on the event queue and
// changed options.
func runningClientWith(t *testing.T, f *fakeARI, maxQueued int, mutate func(*Options)) (*Client, *fakeWS, <-chan error) {
	t.Helper()
	o := testOptions(f.url(), testLogger(t))
	if mutate != nil {
		mutate(&o)
	}
	c, err := newClient(o, maxQueued)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	ctx, cancel := contextWithCleanup(t)
	go func() { runErr <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		_ = c.Close()
	})
	ws := f.waitConn(t)
	ev := nextEvent(t, c)
	if ev.Kind != dialer.EventConnected {
		t.Fatalf("first event %v, want Connected", ev.Kind)
	}
	return c, ws, runErr
}

// nextEvent returns the next event of c, failing after 10 s.
func nextEvent(t *testing.T, c *Client) dialer.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatal("events channel closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("no event within 10 s (stats %+v)", c.Stats())
		return dialer.Event{}
	}
}

func testLogger(t *testing.T) *zap.Logger {
	if os.Getenv("ARI_TEST_LOG") != "" {
		l, _ := zap.NewDevelopment()
		return l
	}
	return zap.NewNop()
}

// freeAddr returns a local address nobody listens on (for a moment).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func contextWithCleanup(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}

// websocketSend sends raw as a text frame, for goroutines that must not
// call t.Fatal.
func websocketSend(w *fakeWS, raw string) error { return websocket.Message.Send(w.ws, raw) }
