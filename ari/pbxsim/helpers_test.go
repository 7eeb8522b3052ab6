package pbxsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// simEnv is a simulator on a ManualClock with one events socket.
type simEnv struct {
	s     *Server
	base  string
	clock *ManualClock
	ws    *testWS
}

var testEpoch = time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)

// startSim starts a simulator (on a ManualClock unless cfg.Clock is set)
// and, when app is not empty, connects an events socket for it.
func startSim(t *testing.T, cfg Config, app string) *simEnv {
	t.Helper()
	env := &simEnv{}
	if cfg.Clock == nil {
		env.clock = NewManualClock(testEpoch)
		cfg.Clock = env.clock
	}
	if cfg.Username == "" {
		cfg.Username, cfg.Password = "dialer", "pw"
	}
	env.s = New(cfg)
	base, err := env.s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.base = base
	t.Cleanup(func() {
		if env.ws != nil {
			env.ws.conn.Close()
		}
		if err := env.s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if app != "" {
		env.ws = env.connect(t, app)
	}
	return env
}

// connect opens an events socket and waits until the simulator has it.
func (e *simEnv) connect(t *testing.T, app string) *testWS {
	t.Helper()
	w, err := dialTestWS(e.base, "app="+url.QueryEscape(app), e.s.cfg.Username+":"+e.s.cfg.Password)
	if err != nil {
		t.Fatalf("connect %s: %v", app, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !e.s.Connected(app) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never connected", app)
		}
		time.Sleep(time.Millisecond)
	}
	return w
}

// rest makes an authenticated REST call; body (if not nil) is sent as
// JSON. It returns the status and the response body.
func (e *simEnv) rest(t *testing.T, method, path string, q url.Values, body any) (int, []byte) {
	t.Helper()
	u := e.base + "/ari" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.s.cfg.Username, e.s.cfg.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// mustREST makes a REST call that must answer want.
func (e *simEnv) mustREST(t *testing.T, want int, method, path string, q url.Values, body any) []byte {
	t.Helper()
	status, out := e.rest(t, method, path, q, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	return out
}

// originate originates endpoint into app "dialer" with channel id id.
func (e *simEnv) originate(t *testing.T, endpoint, id string, extra url.Values) {
	t.Helper()
	q := url.Values{"endpoint": {endpoint}, "app": {"dialer"}, "channelId": {id}}
	for k, v := range extra {
		q[k] = v
	}
	e.mustREST(t, http.StatusOK, "POST", "/channels", q, nil)
}

// advance moves the clock by d; every timer due runs at its own time.
func (e *simEnv) advance(d time.Duration) {
	e.clock.Advance(d)
}

// record returns the CallRecord of channel id.
func (e *simEnv) record(t *testing.T, id string) CallRecord {
	t.Helper()
	for _, c := range e.s.Calls() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no call record for %s", id)
	return CallRecord{}
}

// chanEvents returns the events received so far about channel id (as
// channel or Dial peer), as "Type" or "Type detail" strings.
func (e *simEnv) chanEvents(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, ev := range e.ws.events(t) {
		if eventChannelID(ev) != id {
			continue
		}
		out = append(out, summarize(ev))
	}
	return out
}

// summarize renders an event as "Type detail".
func summarize(ev map[string]any) string {
	s := typeOf(ev)
	switch s {
	case "Dial":
		s += " " + ev["dialstatus"].(string)
	case "ChannelStateChange":
		s += " " + ev["channel"].(map[string]any)["state"].(string)
	case "ChannelDestroyed":
		s += " " + jsonString(ev["cause"]) + " " + ev["cause_txt"].(string)
	case "ChannelHangupRequest":
		s += " " + jsonString(ev["cause"])
		if ev["soft"] == true {
			s += " soft"
		}
	case "ChannelVarset":
		s += " " + ev["variable"].(string) + "=" + ev["value"].(string)
	}
	return s
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// waitChanEvent waits until channel id got an event summarized as want.
func (e *simEnv) waitChanEvent(t *testing.T, id, want string) {
	t.Helper()
	ok := e.ws.waitFor(5*time.Second, func(frames [][]byte) bool {
		for _, f := range frames {
			var ev map[string]any
			if json.Unmarshal(f, &ev) == nil && eventChannelID(ev) == id && summarize(ev) == want {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no %q for %s; got %q", want, id, e.chanEvents(t, id))
	}
}

// quiesce waits until the socket has received every queued event: the
// simulator has nothing queued and no more frames arrive for a moment.
func (e *simEnv) quiesce() {
	last := -1
	for {
		n := e.ws.count()
		e.s.mu.Lock()
		queued := 0
		for c := range e.s.conns {
			c.mu.Lock()
			queued += len(c.queue)
			c.mu.Unlock()
		}
		e.s.mu.Unlock()
		if n == last && queued == 0 {
			return
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
}
