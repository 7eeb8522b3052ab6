package pbxsim

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/websocket"
)

// maxQueuedFrames bounds the frames waiting for a slow WebSocket reader;
// beyond it the socket is dropped, as Asterisk drops a stuck socket.
const maxQueuedFrames = 1 << 17

// missingAppBody is what Asterisk answers to a WebSocket without app.
const missingAppBody = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n" +
	"<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n" +
	"<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk</address>\r\n</body></html>\r\n"

// wsConn is one events WebSocket. Its frames are written by a single
// goroutine (run), in the order they were queued.
type wsConn struct {
	s    *Server
	apps []string
	ws   *websocket.Conn
	raw  net.Conn

	mu       sync.Mutex
	queue    [][]byte
	wake     chan struct{} // buffered(1): frames were queued
	stop     chan struct{} // closed to end the connection
	stopOnce sync.Once
	drop     bool // stop without a close frame
}

// enqueue queues a frame. The caller holds s.mu.
func (c *wsConn) enqueue(frame []byte) {
	c.mu.Lock()
	if len(c.queue) >= maxQueuedFrames {
		c.mu.Unlock()
		c.s.log.Warn("events socket too slow, dropping it", zap.Strings("apps", c.apps))
		c.shutdown(true)
		return
	}
	c.queue = append(c.queue, frame)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// shutdown ends the connection: with a close frame, or, when drop is
// true, by closing the TCP connection (a network failure).
func (c *wsConn) shutdown(drop bool) {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.drop = drop
		c.mu.Unlock()
		close(c.stop)
		switch {
		case drop && c.raw != nil:
			_ = c.raw.Close()
		case c.raw != nil:
			// Unblock a write stuck on a client that does not read.
			_ = c.raw.SetWriteDeadline(time.Now().Add(time.Second))
		}
	})
}

// hijackRecorder lets the WebSocket library hijack the connection while
// keeping hold of the raw net.Conn (to drop it without a close frame).
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	conn, rw, err := hj.Hijack()
	h.conn = conn
	return conn, rw, err
}

// serveEvents handles GET /ari/events.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	var apps []string
	for _, v := range r.URL.Query()["app"] {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				apps = append(apps, a)
			}
		}
	}
	if len(apps) == 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(missingAppBody))
		return
	}
	if s.cfg.Application != "" {
		for _, a := range apps {
			if a != s.cfg.Application {
				writeError(w, http.StatusBadRequest, "Application '"+a+"' is not served by this simulator")
				return
			}
		}
	}
	if _, ok := w.(http.Hijacker); !ok {
		writeError(w, http.StatusInternalServerError, "WebSocket needs an HTTP/1.1 connection")
		return
	}
	rec := &hijackRecorder{ResponseWriter: w}
	// The socket is registered in the handshake, before the 101 response
	// is written, as Asterisk does: a client that sees the upgrade succeed
	// finds its application listed and receives every event from then on
	// (they queue until the writer starts).
	var c *wsConn
	ran := false
	srv := websocket.Server{
		Handshake: func(*websocket.Config, *http.Request) error {
			c = s.register(rec.conn, apps)
			if c == nil {
				return errors.New("simulator closed")
			}
			return nil
		},
		Handler: func(ws *websocket.Conn) {
			ran = true
			s.runConn(c, ws)
		},
	}
	srv.ServeHTTP(rec, r)
	if c != nil && !ran {
		// The upgrade failed after the handshake (the client went).
		s.unregister(c)
	}
}

// register adds a socket for apps; nil when the simulator is closed.
func (s *Server) register(raw net.Conn, apps []string) *wsConn {
	c := &wsConn{s: s, apps: apps, raw: raw,
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.wg.Add(1)
	s.conns[c] = struct{}{}
	for _, name := range apps {
		a := s.ensureApp(name)
		if a.active != nil {
			// The previous socket hears ApplicationReplaced, then nothing.
			s.deliver(name, s.event(nil, "ApplicationReplaced"))
		}
		a.active = c
		a.conns[c] = true
	}
	s.log.Debug("events socket connected", zap.Strings("apps", apps))
	return c
}

// unregister removes a registered socket.
func (s *Server) unregister(c *wsConn) {
	s.mu.Lock()
	delete(s.conns, c)
	for _, name := range c.apps {
		a := s.apps[name]
		if a == nil {
			continue
		}
		delete(a.conns, c)
		if a.active == c {
			a.active = nil
		}
		s.gcApp(name)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// runConn writes a registered socket's frames until it ends.
func (s *Server) runConn(c *wsConn, ws *websocket.Conn) {
	ws.PayloadType = websocket.TextFrame
	c.ws = ws
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			var msg []byte
			if err := websocket.Message.Receive(ws, &msg); err != nil {
				return
			}
		}
	}()

	c.writeLoop(readerDone)
	s.unregister(c)
	<-readerDone
	s.log.Debug("events socket closed", zap.Strings("apps", c.apps))
}

// writeLoop writes queued frames until the client goes or the
// connection is stopped, then closes the socket.
func (c *wsConn) writeLoop(readerDone <-chan struct{}) {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, frame := range batch {
			select {
			case <-c.stop:
				c.finish()
				return
			default:
			}
			if _, err := c.ws.Write(frame); err != nil {
				c.closeRaw()
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-c.wake:
		case <-readerDone:
			// The client sent a close frame or went away: answer the close.
			c.closeGracefully()
			return
		case <-c.stop:
			c.finish()
			return
		}
	}
}

// finish ends a stopped connection, with or without a close frame.
func (c *wsConn) finish() {
	c.mu.Lock()
	drop := c.drop
	c.mu.Unlock()
	if drop {
		c.closeRaw()
		return
	}
	c.closeGracefully()
}

func (c *wsConn) closeGracefully() {
	if c.raw != nil {
		_ = c.raw.SetWriteDeadline(time.Now().Add(time.Second))
	}
	_ = c.ws.Close()
}

func (c *wsConn) closeRaw() {
	if c.raw != nil {
		_ = c.raw.Close()
		return
	}
	_ = c.ws.Close()
}
