package ari

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/inconshreveable/log15"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/duecall/duecall/dialer"
)

func TestNewValidatesOptions(t *testing.T) {
	good := Options{URL: "http://pbx:8088/ari", Username: "u", Password: "pw", Application: "app"}
	cases := []struct {
		name    string
		mutate  func(*Options)
		wantSub string
	}{
		{"no URL", func(o *Options) { o.URL = "" }, "URL is required"},
		{"bad scheme", func(o *Options) { o.URL = "ftp://pbx/ari" }, `"ftp://pbx/ari": scheme must be http or https`},
		{"no host", func(o *Options) { o.URL = "http:///ari" }, "has no host"},
		{"no path", func(o *Options) { o.URL = "http://pbx:8088" }, `"http://pbx:8088" has no path`},
		{"unparsable", func(o *Options) { o.URL = "http://pbx:80 88/ari" }, "URL is not a valid URL"},
		{"credentials in URL", func(o *Options) { o.URL = "http://u:hunter2@pbx:8088/ari" }, "must not hold credentials"},
		{"bad websocket scheme", func(o *Options) { o.WebsocketURL = "http://pbx:8088/ari/events" }, "WebsocketURL"},
		{"no username", func(o *Options) { o.Username = "" }, "Username is required"},
		{"no password", func(o *Options) { o.Password = "" }, "Password is required"},
		{"no application", func(o *Options) { o.Application = "" }, "Application is required"},
		{"backoff upside down", func(o *Options) { o.MinBackoff, o.MaxBackoff = time.Second, time.Millisecond }, "MaxBackoff"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.mutate(&o)
			c, err := New(o)
			if err == nil {
				_ = c.Close()
				t.Fatal("New accepted bad options")
			}
			if !strings.Contains(err.Error(), tc.wantSub) {
				t.Errorf("error %q does not contain %q", err, tc.wantSub)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestNewDerivesWebsocketURL(t *testing.T) {
	cases := map[string]string{
		"http://pbx:8088/ari":        "ws://pbx:8088/ari/events?app=dialer",
		"https://pbx.example/ari/":   "wss://pbx.example/ari/events?app=dialer",
		"http://10.0.0.1:8088/x/ari": "ws://10.0.0.1:8088/x/ari/events?app=dialer",
	}
	for in, want := range cases {
		c, err := New(Options{URL: in, Username: "u", Password: "p", Application: "dialer"})
		if err != nil {
			t.Fatal(err)
		}
		if c.wsURL != want {
			t.Errorf("%s → %s, want %s", in, c.wsURL, want)
		}
		_ = c.Close()
	}
	c, err := New(Options{URL: "http://pbx:8088/ari", WebsocketURL: "wss://edge/ari/events", Username: "u", Password: "p", Application: "a b"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if want := "wss://edge/ari/events?app=a+b"; c.wsURL != want {
		t.Errorf("explicit WebsocketURL → %s, want %s", c.wsURL, want)
	}
}

// TestSequences replays recorded calls through the WebSocket and checks what
// the dialer sees: only our leg, in order, translated.
func TestSequences(t *testing.T) {
	type step struct {
		kind   dialer.EventKind
		id     string
		detail string // DialStatus, or Cause/CauseText, or BridgeID
	}
	cases := map[string][]step{
		"seq-answer-hangup.json": {
			{dialer.EventDialStatus, idAnswered, ""},
			{dialer.EventRinging, idAnswered, ""},
			{dialer.EventDialStatus, idAnswered, "RINGING"},
			{dialer.EventAnswered, idAnswered, ""},
			{dialer.EventDialStatus, idAnswered, "ANSWER"},
			{dialer.EventStasisStart, idAnswered, ""},
			{dialer.EventHangupRequest, idAnswered, ""},
			{dialer.EventStasisEnd, idAnswered, ""},
			{dialer.EventChannelDestroyed, idAnswered, "16 Normal Clearing"},
		},
		"seq-busy.json": {
			{dialer.EventDialStatus, idBusy, ""},
			{dialer.EventRinging, idBusy, ""},
			{dialer.EventDialStatus, idBusy, "RINGING"},
			{dialer.EventDialStatus, idBusy, "BUSY"},
			{dialer.EventChannelDestroyed, idBusy, "0 Unknown"},
		},
		"seq-noanswer.json": {
			{dialer.EventDialStatus, idNoAnswer, ""},
			{dialer.EventRinging, idNoAnswer, ""},
			{dialer.EventDialStatus, idNoAnswer, "RINGING"},
			{dialer.EventChannelDestroyed, idNoAnswer, "19 User alerting, no answer"},
		},
		"seq-bridge.json": {
			{dialer.EventDialStatus, idAgent4a, ""},
			{dialer.EventAnswered, idAgent4a, ""},
			{dialer.EventDialStatus, idAgent4a, "ANSWER"},
			{dialer.EventStasisStart, idAgent4a, ""},
			{dialer.EventDialStatus, idDebtor4a, ""},
			{dialer.EventRinging, idDebtor4a, ""},
			{dialer.EventDialStatus, idDebtor4a, "RINGING"},
			{dialer.EventAnswered, idDebtor4a, ""},
			{dialer.EventDialStatus, idDebtor4a, "ANSWER"},
			{dialer.EventStasisStart, idDebtor4a, ""},
			{dialer.EventEnteredBridge, idAgent4a, idBridge4a},
			{dialer.EventEnteredBridge, idDebtor4a, idBridge4a},
			{dialer.EventHangupRequest, idDebtor4a, ""},
			{dialer.EventLeftBridge, idDebtor4a, idBridge4a},
			{dialer.EventStasisEnd, idDebtor4a, ""},
			{dialer.EventChannelDestroyed, idDebtor4a, "16 Normal Clearing"},
			{dialer.EventLeftBridge, idAgent4a, idBridge4a},
			{dialer.EventBridgeDestroyed, idBridge4a, idBridge4a},
			{dialer.EventHangupRequest, idAgent4a, ""},
			{dialer.EventStasisEnd, idAgent4a, ""},
			{dialer.EventChannelDestroyed, idAgent4a, "16 Normal Clearing"},
		},
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			f := newFakeARI(t)
			c, ws, _ := runningClient(t, f)
			seq := loadSequence(t, file)
			for _, raw := range seq {
				ws.send(t, raw)
			}
			for i, w := range want {
				ev := nextEvent(t, c)
				id := ev.ChannelID
				if ev.Kind == dialer.EventBridgeDestroyed {
					id = ev.BridgeID
				}
				detail := ""
				switch ev.Kind {
				case dialer.EventDialStatus:
					detail = ev.DialStatus
				case dialer.EventChannelDestroyed:
					detail = fmt.Sprintf("%d %s", ev.Cause, ev.CauseText)
				case dialer.EventEnteredBridge, dialer.EventLeftBridge, dialer.EventBridgeDestroyed:
					detail = ev.BridgeID
				}
				if ev.Kind != w.kind || id != w.id || detail != w.detail {
					t.Fatalf("event %d: got %v %s %q, want %v %s %q", i, ev.Kind, id, detail, w.kind, w.id, w.detail)
				}
			}
			// The counters settle after the last message is read.
			// (Delivered counts the EventConnected too.)
			waitFor(t, func() bool { st := c.Stats(); return st.Ignored+st.Delivered == uint64(len(seq))+1 })
			st := c.Stats()
			if st.Ignored != uint64(len(seq)-len(want)) || st.Unknown != 0 || st.Malformed != 0 {
				t.Errorf("stats %+v: want %d ignored, none unknown or malformed", st, len(seq)-len(want))
			}
			select {
			case ev := <-c.Events():
				t.Errorf("unexpected extra event %+v", ev)
			case <-time.After(20 * time.Millisecond):
			}
		})
	}
}

func TestUnknownAndMalformedEventsAreSkipped(t *testing.T) {
	f := newFakeARI(t)
	c, ws, _ := runningClient(t, f)
	ours := dialer.NewID(dialer.KindDebtor)
	for _, raw := range []string{
		`{"type":"ChannelToneDetected","timestamp":"2026-12-03T16:10:01.100+0000","channel":{"id":"` + ours + `","state":"Up"},"application":"dialer"}`,
		`{"type":"SomethingNew"}`,
		`this is not json`,
		`{"type":"StasisEnd","channel":`,
		`{"no":"type"}`,
		`{"type":"StasisEnd"}`,
		`{"type":"StasisEnd","channel":{"id":"` + ours + `","state":"Up"}}`,
	} {
		ws.send(t, []byte(raw))
	}
	ev := nextEvent(t, c)
	if ev.Kind != dialer.EventStasisEnd || ev.ChannelID != ours {
		t.Fatalf("got %+v, want StasisEnd of %s", ev, ours)
	}
	// An oversized frame is skipped too.
	ws.send(t, []byte(`{"type":"StasisStart","pad":"`+strings.Repeat("x", maxEventBytes)+`"}`))
	ws.send(t, []byte(`{"type":"ChannelDestroyed","cause":16,"channel":{"id":"`+ours+`"}}`))
	if ev := nextEvent(t, c); ev.Kind != dialer.EventChannelDestroyed || ev.Cause != 16 {
		t.Fatalf("got %+v after an oversized frame, want ChannelDestroyed", ev)
	}
	waitFor(t, func() bool { return c.Stats().Delivered == 3 }) // Connected, StasisEnd, ChannelDestroyed
	st := c.Stats()
	if st.Unknown != 2 || st.Malformed != 5 || st.Received != 9 || st.Ignored != 0 || st.Connects != 1 {
		t.Errorf("stats %+v, want 2 unknown, 5 malformed, 9 received, 1 connection", st)
	}
	if !c.Connected() {
		t.Error("the connection went down over bad events")
	}
}

func TestBurstArrivesCompleteAndInOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxQueue int
	}{
		{"default queue", defaultMaxQueued},
		{"tiny queue, reader blocks", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 10000
			f := newFakeARI(t)
			c, ws, _ := runningClientWith(t, f, tc.maxQueue, nil)
			ids := make([]string, n)
			go func() {
				for i := range n {
					ids[i] = fmt.Sprintf("dcd-%032d", i)
				}
				for i := range n {
					raw := fmt.Sprintf(`{"type":"StasisStart","timestamp":"2026-12-03T16:10:01.100+0000","args":["%d"],"channel":{"id":"dcd-%032d","state":"Up"}}`, i, i)
					if err := websocketSend(ws, raw); err != nil {
						return
					}
				}
			}()
			for i := range n {
				ev := nextEvent(t, c)
				want := fmt.Sprintf("dcd-%032d", i)
				if ev.Kind != dialer.EventStasisStart || ev.ChannelID != want || len(ev.Args) != 1 || ev.Args[0] != fmt.Sprint(i) {
					t.Fatalf("event %d: %v %s %v, want StasisStart %s", i, ev.Kind, ev.ChannelID, ev.Args, want)
				}
				if i%500 == 0 {
					time.Sleep(2 * time.Millisecond) // a slow consumer
				}
			}
			if st := c.Stats(); st.Received != n || st.Malformed != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestReconnectEmitsDisconnectedThenConnectedWithSnapshot(t *testing.T) {
	f := newFakeARI(t)
	live := dialer.NewID(dialer.KindDebtor)
	agent := dialer.NewID(dialer.KindAgent)
	bridge := dialer.NewID(dialer.KindBridge)
	c, ws, _ := runningClient(t, f)

	f.setInventory(
		[]map[string]any{
			{"id": live, "state": "Up", "name": "Local/1001@debtors-00000010;1", "creationtime": "2026-12-03T16:10:01.100+0000"},
			{"id": live + ";2", "state": "Up"},
			{"id": agent, "state": "Up"},
			{"id": "1796314212.36", "state": "Ringing"},
			// Another duecall process's call on the same Asterisk: same
			// id shape, another application. Never ours to resync.
			{"id": dialer.NewID(dialer.KindDebtor), "state": "Up", "foreign-app": true},
		},
		[]map[string]any{
			{"id": bridge, "bridge_type": "mixing", "channels": []string{live, agent, "1796314212.37"}},
			{"id": "someone-elses", "bridge_type": "mixing", "channels": []string{}},
			{"id": dialer.NewID(dialer.KindBridge), "bridge_type": "mixing", "channels": []string{}, "foreign-app": true},
		},
	)
	ws.drop()
	ev := nextEvent(t, c)
	if ev.Kind != dialer.EventDisconnected {
		t.Fatalf("got %v, want Disconnected", ev.Kind)
	}
	if c.Connected() {
		t.Error("Connected() true after the drop")
	}
	ws2 := f.waitConn(t)
	ev = nextEvent(t, c)
	if ev.Kind != dialer.EventConnected || ev.Snapshot == nil {
		t.Fatalf("got %+v, want Connected with a snapshot", ev)
	}
	want := dialer.Snapshot{
		Channels: []dialer.ChannelInfo{{ID: live, State: "Up"}, {ID: agent, State: "Up"}},
		Bridges:  []dialer.BridgeInfo{{ID: bridge, Channels: []string{live, agent}}},
	}
	if !reflect.DeepEqual(*ev.Snapshot, want) {
		t.Errorf("snapshot %+v, want %+v", *ev.Snapshot, want)
	}
	if !c.Connected() {
		t.Error("Connected() false after EventConnected")
	}
	if got := c.Stats().Connects; got != 2 {
		t.Errorf("Connects = %d, want 2", got)
	}
	// Events flow on the new connection.
	ws2.send(t, []byte(`{"type":"StasisEnd","channel":{"id":"`+live+`"}}`))
	if ev := nextEvent(t, c); ev.Kind != dialer.EventStasisEnd || ev.ChannelID != live {
		t.Errorf("got %+v after reconnect", ev)
	}
}

func TestOriginateRefusedWhileDisconnected(t *testing.T) {
	f := newFakeARI(t)
	c, err := New(testOptions(f.url(), zap.NewNop()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := dialer.OriginateRequest{ChannelID: dialer.NewID(dialer.KindDebtor), Endpoint: "Local/1001@debtors", Timeout: time.Second}
	if err := c.Originate(context.Background(), req); !errors.Is(err, dialer.ErrDisconnected) {
		t.Fatalf("Originate before Run: %v, want ErrDisconnected", err)
	}
	if _, ok := f.lastRequest(http.MethodPost, "/ari/channels"); ok {
		t.Error("an originate reached Asterisk while disconnected")
	}

	// And after a drop, until the next EventConnected.
	c2, ws, _ := runningClient(t, f)
	if err := c2.Originate(context.Background(), req); err != nil {
		t.Fatalf("Originate while connected: %v", err)
	}
	f.override("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "busy"})
	}) // resync fails: the client stays disconnected
	ws.drop()
	if ev := nextEvent(t, c2); ev.Kind != dialer.EventDisconnected {
		t.Fatalf("got %v, want Disconnected", ev.Kind)
	}
	req.ChannelID = dialer.NewID(dialer.KindDebtor)
	if err := c2.Originate(context.Background(), req); !errors.Is(err, dialer.ErrDisconnected) {
		t.Fatalf("Originate after a drop: %v, want ErrDisconnected", err)
	}
}

func TestApplicationReplacedEndsRun(t *testing.T) {
	f := newFakeARI(t)
	c, ws, runErr := runningClient(t, f)
	raw := loadEvents(t)["application-replaced"]
	ws.send(t, raw)
	if ev := nextEvent(t, c); ev.Kind != dialer.EventReplaced {
		t.Fatalf("got %v, want Replaced", ev.Kind)
	}
	if ev := nextEvent(t, c); ev.Kind != dialer.EventDisconnected {
		t.Fatalf("got %v, want Disconnected", ev.Kind)
	}
	select {
	case err := <-runErr:
		if !errors.Is(err, ErrApplicationReplaced) {
			t.Fatalf("Run returned %v, want ErrApplicationReplaced", err)
		}
		for _, sub := range []string{"another client took over application \"dialer\"", "each duecall process needs its own ari.application"} {
			if !strings.Contains(err.Error(), sub) {
				t.Errorf("error %q does not say %q", err, sub)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ApplicationReplaced")
	}
	if c.Connected() {
		t.Error("Connected() after ApplicationReplaced")
	}
	select {
	case <-f.conns:
		t.Error("the client reconnected after ApplicationReplaced")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestUnreachableAtStartKeepsRetrying(t *testing.T) {
	f := newUnstartedFakeARI(t)
	addr := freeAddr(t)
	core, logs := observer.New(zapcore.DebugLevel)
	c, err := New(testOptions("http://"+addr+"/ari", zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	defer func() {
		cancel()
		<-runErr
		_ = c.Close()
	}()

	// Several attempts fail; the first is logged as an error naming the URL
	// and the reason, without the password.
	waitFor(t, func() bool {
		return logs.FilterMessage("Asterisk ARI unreachable; retrying").Len() >= 2
	})
	errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(errs) != 1 {
		t.Fatalf("%d error logs, want 1: %+v", len(errs), errs)
	}
	fields := errs[0].ContextMap()
	if u, _ := fields["url"].(string); u != "ws://"+addr+"/ari/events?app=dialer" {
		t.Errorf("logged url %q", u)
	}
	if e, _ := fields["error"].(string); !strings.Contains(e, "refused") {
		t.Errorf("logged reason %q does not say the connection was refused", e)
	}
	for _, e := range logs.All() {
		if strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), "s3cret-pw") {
			t.Fatalf("password logged: %+v", e)
		}
	}
	if c.Connected() {
		t.Error("Connected() while unreachable")
	}

	// Asterisk comes up.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	f.srv.Listener = l
	f.srv.Start()
	if ev := nextEvent(t, c); ev.Kind != dialer.EventConnected {
		t.Fatalf("got %v, want Connected", ev.Kind)
	}
	if logs.FilterMessage("connected to Asterisk ARI").Len() != 1 {
		t.Error("no log of the connection")
	}
}

func TestBadCredentialsAreExplained(t *testing.T) {
	f := newFakeARI(t)
	core, logs := observer.New(zapcore.ErrorLevel)
	o := testOptions(f.url(), zap.New(core))
	o.Password = "wrong-pw"
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	defer func() {
		cancel()
		<-runErr
		_ = c.Close()
	}()
	waitFor(t, func() bool { return logs.Len() > 0 })
	e, _ := logs.All()[0].ContextMap()["error"].(string)
	if !strings.Contains(e, "401") || !strings.Contains(e, "check the ARI username and password") {
		t.Errorf("logged reason %q does not explain the 401", e)
	}
	if strings.Contains(e, "wrong-pw") {
		t.Error("password logged")
	}
}

func TestRunLifecycle(t *testing.T) {
	f := newFakeARI(t)
	c, _, runErr := runningClient(t, f)
	if err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run after Close returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop Run")
	}
	// The Events channel is closed (possibly after a Disconnected).
	for ev := range c.Events() {
		if ev.Kind != dialer.EventDisconnected {
			t.Errorf("event after Close: %v", ev.Kind)
		}
	}
	if err := c.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRunReturnsNilWhenContextEnds(t *testing.T) {
	f := newFakeARI(t)
	c, err := New(testOptions(f.url(), zap.NewNop()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	f.waitConn(t)
	if ev := nextEvent(t, c); ev.Kind != dialer.EventConnected {
		t.Fatalf("got %v", ev.Kind)
	}
	cancel()
	if ev := nextEvent(t, c); ev.Kind != dialer.EventDisconnected {
		t.Fatalf("got %v, want Disconnected", ev.Kind)
	}
	if err := <-runErr; err != nil {
		t.Errorf("Run returned %v", err)
	}
	if c.Connected() {
		t.Error("Connected() after Run returned")
	}
}

func TestBackoff(t *testing.T) {
	b := newBackoff(500*time.Millisecond, 30*time.Second)
	prevCap := 500 * time.Millisecond
	for i := range 20 {
		d := b.next()
		if d < prevCap/2 || d > prevCap {
			t.Fatalf("attempt %d: delay %v outside [%v, %v]", i, d, prevCap/2, prevCap)
		}
		prevCap = min(prevCap*2, 30*time.Second)
	}
	b.reset()
	if d := b.next(); d > 500*time.Millisecond {
		t.Errorf("after reset: %v", d)
	}
}

func TestLibraryLogsGoToZap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := NewLibraryLogHandler(zap.New(core))
	for _, tc := range []struct {
		call func()
		lvl  zapcore.Level
	}{
		{func() { logViaLog15(h, "crit") }, zapcore.ErrorLevel},
		{func() { logViaLog15(h, "warn") }, zapcore.WarnLevel},
		{func() { logViaLog15(h, "debug") }, zapcore.DebugLevel},
	} {
		tc.call()
		last := logs.All()[logs.Len()-1]
		if last.Level != tc.lvl {
			t.Errorf("level %v, want %v", last.Level, tc.lvl)
		}
		m := last.ContextMap()
		if m["password"] != "[REDACTED]" || m["Authorization"] != "[REDACTED]" {
			t.Errorf("secrets not redacted: %v", m)
		}
		if m["error"] != "boom" || m["channel_id"] != "dcd-x" {
			t.Errorf("fields lost: %v", m)
		}
	}
}

func TestMaskEndpoint(t *testing.T) {
	cases := map[string]string{
		"PJSIP/0912345678@trunk":    "PJSIP/0912****78@trunk",
		"PJSIP/+84912345678@trunk":  "PJSIP/+849******78@trunk",
		"PJSIP/+8491234578@trunk":   "PJSIP/+849*****78@trunk",
		"Local/1001@debtors":        "Local/1001@debtors",
		"Local/agent-7@agents":      "Local/agent-7@agents",
		"SIP/trunk2/00849123456789": "SIP/trunk2/0084********89",
		// Too short to hide three digits between the kept ones: all
		// hidden, as phone.Mask does.
		"PJSIP/0912345@trunk":  "PJSIP/*******@trunk",
		"PJSIP/09123456@trunk": "PJSIP/********@trunk",
		"+":                    "+",
		"":                     "",
	}
	for in, want := range cases {
		if got := maskEndpoint(in); got != want {
			t.Errorf("maskEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func logViaLog15(h log15.Handler, lvl string) {
	l := log15.New()
	l.SetHandler(h)
	ctx := []any{"password", "pw", "Authorization", "Basic eHl6", "error", errors.New("boom"), "channel_id", "dcd-x"}
	switch lvl {
	case "crit":
		l.Crit("library message", ctx...)
	case "warn":
		l.Warn("library message", ctx...)
	default:
		l.Debug("library message", ctx...)
	}
}

func TestRouteLibraryLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	RouteLibraryLogs(zap.New(core))
	defer RouteLibraryLogs(nil)
	native.Logger.Error("native says", "password", "pw")
	ari.Logger.Warn("ari says")
	if logs.FilterMessage("native says").Len() != 1 || logs.FilterMessage("ari says").Len() != 1 {
		t.Fatalf("library logs not routed: %+v", logs.All())
	}
	if logs.FilterMessage("native says").All()[0].ContextMap()["password"] != "[REDACTED]" {
		t.Error("password not redacted")
	}
}
