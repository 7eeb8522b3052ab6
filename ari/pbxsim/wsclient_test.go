package pbxsim

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testWS is a minimal WebSocket client for tests. Unlike a library client
// it shows refused upgrades (status, body), lets the test drop the TCP
// connection without a close frame and reports the server's close code.
type testWS struct {
	conn net.Conn
	br   *bufio.Reader

	mu        sync.Mutex
	frames    [][]byte
	cond      *sync.Cond
	closeCode int // the server's close frame code; -1 while none
	done      chan struct{}
	wmu       sync.Mutex
}

// wsRefused describes an upgrade the server refused.
type wsRefused struct {
	Status int
	Body   string
}

func (r *wsRefused) Error() string { return fmt.Sprintf("websocket refused: %d %s", r.Status, r.Body) }

// dialTestWS opens /ari/events?query on the simulator at base
// ("http://host:port"). basicAuth is "user:pass" or "".
func dialTestWS(base, query, basicAuth string) (*testWS, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	req := "GET /ari/events?" + query + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key[:]) + "\r\nOrigin: http://localhost/\r\n"
	if basicAuth != "" {
		req += "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(basicAuth)) + "\r\n"
	}
	req += "\r\n"
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		conn.Close()
		return nil, &wsRefused{Status: resp.StatusCode, Body: string(body)}
	}
	_ = conn.SetDeadline(time.Time{})
	w := &testWS{conn: conn, br: br, closeCode: -1, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	go w.readLoop()
	return w, nil
}

// readLoop reads frames until the connection ends.
func (w *testWS) readLoop() {
	defer func() {
		w.mu.Lock()
		close(w.done)
		w.cond.Broadcast()
		w.mu.Unlock()
	}()
	var msg []byte
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(w.br, hdr[:]); err != nil {
			return
		}
		fin, opcode := hdr[0]&0x80 != 0, hdr[0]&0x0f
		n := uint64(hdr[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(w.br, payload); err != nil {
			return
		}
		switch opcode {
		case 0x0, 0x1, 0x2:
			msg = append(msg, payload...)
			if fin {
				w.mu.Lock()
				w.frames = append(w.frames, msg)
				w.cond.Broadcast()
				w.mu.Unlock()
				msg = nil
			}
		case 0x8:
			code := 1005
			if len(payload) >= 2 {
				code = int(binary.BigEndian.Uint16(payload))
			}
			w.mu.Lock()
			w.closeCode = code
			w.mu.Unlock()
			return
		case 0x9:
			_ = w.writeFrame(0xA, payload)
		}
	}
}

// writeFrame writes one masked frame.
func (w *testWS) writeFrame(opcode byte, payload []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	buf := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		buf = append(buf, 0x80|byte(n))
	case n < 1<<16:
		buf = append(buf, 0x80|126, byte(n>>8), byte(n))
	default:
		buf = append(buf, 0x80|127)
		buf = binary.BigEndian.AppendUint64(buf, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	buf = append(buf, mask[:]...)
	for i, b := range payload {
		buf = append(buf, b^mask[i%4])
	}
	_, err := w.conn.Write(buf)
	return err
}

// closeClean sends a close frame and returns the server's close code.
func (w *testWS) closeClean() (int, error) {
	defer w.conn.Close()
	if err := w.writeFrame(0x8, []byte{0x03, 0xE8}); err != nil {
		return 0, err
	}
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		return 0, errors.New("no close from server")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closeCode, nil
}

// drop closes the TCP connection without a close frame.
func (w *testWS) drop() {
	w.conn.Close()
	<-w.done
}

// count returns the number of frames received so far.
func (w *testWS) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.frames)
}

// snapshot returns the frames received so far.
func (w *testWS) snapshot() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.frames...)
}

// waitFor waits until pred holds for the frames received (or the socket
// ends), at most d.
func (w *testWS) waitFor(d time.Duration, pred func([][]byte) bool) bool {
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for !pred(w.frames) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-w.done:
			return pred(w.frames)
		default:
		}
		w.cond.Wait()
	}
	return true
}

// events decodes the frames received so far as JSON objects.
func (w *testWS) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, f := range w.snapshot() {
		var m map[string]any
		if err := json.Unmarshal(f, &m); err != nil {
			t.Fatalf("frame is not a JSON object: %v: %s", err, f)
		}
		out = append(out, m)
	}
	return out
}

// waitEventType waits for an event of type typ whose channel (or peer) id
// is chanID ("" for any) and returns it.
func (w *testWS) waitEventType(t *testing.T, typ, chanID string) map[string]any {
	t.Helper()
	var found map[string]any
	ok := w.waitFor(5*time.Second, func(frames [][]byte) bool {
		for _, f := range frames {
			var m map[string]any
			if json.Unmarshal(f, &m) != nil || m["type"] != typ {
				continue
			}
			if chanID == "" || eventChannelID(m) == chanID {
				found = m
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no %s for %q; got:\n%s", typ, chanID, strings.Join(frameTypes(w.snapshot()), "\n"))
	}
	return found
}

// eventChannelID is the id of an event's channel (or Dial's peer).
func eventChannelID(m map[string]any) string {
	for _, k := range []string{"channel", "peer"} {
		if ch, ok := m[k].(map[string]any); ok {
			id, _ := ch["id"].(string)
			return id
		}
	}
	return ""
}

func frameTypes(frames [][]byte) []string {
	var out []string
	for _, f := range frames {
		var m map[string]any
		_ = json.Unmarshal(f, &m)
		out = append(out, fmt.Sprintf("%v %v", m["type"], eventChannelID(m)))
	}
	return out
}
