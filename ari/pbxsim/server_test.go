package pbxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	env := startSim(t, Config{Username: "dialer", Password: "s3cret"}, "")
	get := func(user, pass, apiKey string) int {
		t.Helper()
		u := env.base + "/ari/asterisk/info"
		if apiKey != "" {
			u += "?api_key=" + url.QueryEscape(apiKey)
		}
		req, _ := http.NewRequest("GET", u, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if body["message"] != "Authentication required" {
				t.Errorf("401 body %v", body)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name, user, pass, key string
		want                  int
	}{
		{"basic", "dialer", "s3cret", "", 200},
		{"api_key", "", "", "dialer:s3cret", 200},
		{"none", "", "", "", 401},
		{"wrong password", "dialer", "nope", "", 401},
		{"wrong user", "admin", "s3cret", "", 401},
		{"wrong api_key", "", "", "dialer:nope", 401},
		{"api_key without colon", "", "", "dialer", 401},
	} {
		if got := get(tc.user, tc.pass, tc.key); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// The events socket checks credentials (401, JSON) and needs an app
	// (400, Asterisk's HTML page).
	for _, tc := range []struct {
		query, auth string
		want        int
		body        string
	}{
		{"app=dialer", "", 401, `{"message":"Authentication required"}`},
		{"app=dialer&api_key=dialer:nope", "", 401, `{"message":"Authentication required"}`},
		{"", "dialer:s3cret", 400, "HTTP request is missing param: [app]"},
	} {
		_, err := dialTestWS(env.base, tc.query, tc.auth)
		var refused *wsRefused
		if !errors.As(err, &refused) || refused.Status != tc.want || !strings.Contains(refused.Body, tc.body) {
			t.Errorf("ws %q: %v", tc.query, err)
		}
	}
	w, err := dialTestWS(env.base, "app=x&api_key=dialer:s3cret", "")
	if err != nil {
		t.Fatalf("ws with api_key: %v", err)
	}
	w.conn.Close()
}

func TestNoAuthWhenNoUsername(t *testing.T) {
	s := New(Config{Clock: NewManualClock(testEpoch)})
	defer s.Close()
	base, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "/ari/asterisk/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestRoutes(t *testing.T) {
	env := startSim(t, Config{}, "")
	for _, tc := range []struct {
		method, path string
		want         int
		msg          string
	}{
		{"GET", "/no-such-resource", 404, "Resource not found"},
		{"GET", "/channels/x/y/z/w", 404, "Resource not found"},
		{"PUT", "/channels", 405, "Invalid method"},
		{"GET", "/channels/create", 405, "Invalid method"},
		{"POST", "/channels/x/snoop", 501, "Not implemented by pbxsim"},
		{"GET", "/applications/nope", 404, "Application not found"},
		{"GET", "/playbacks/nope", 404, "Playback not found"},
		{"GET", "/bridges/nope", 404, "Bridge not found"},
		{"GET", "/endpoints/PJSIP", 404, "No Endpoints found - invalid tech PJSIP"},
		{"GET", "/sounds/nope", 404, "Sound not found"},
		{"GET", "/channels/nope/variable", 404, "Provided channel was not found"},
	} {
		status, body := env.rest(t, tc.method, tc.path, nil, nil)
		var m map[string]string
		_ = json.Unmarshal(body, &m)
		if status != tc.want || m["message"] != tc.msg {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.path, status, body, tc.want, tc.msg)
		}
	}
	for _, path := range []string{"/asterisk/ping", "/channels", "/bridges", "/applications", "/endpoints", "/deviceStates", "/sounds", "/recordings/stored"} {
		env.mustREST(t, 200, "GET", path, nil, nil)
	}
	var info map[string]any
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/asterisk/info", url.Values{"only": {"system"}}, nil), &info)
	if sys, _ := info["system"].(map[string]any); len(info) != 1 || sys["entity_id"] != DefaultAsteriskID || sys["version"] != AsteriskVersion {
		t.Errorf("info?only=system: %v", info)
	}
	var v map[string]string
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/asterisk/variable", url.Values{"variable": {"ASTETCDIR"}}, nil), &v)
	if v["value"] != "/etc/asterisk" {
		t.Errorf("ASTETCDIR = %v", v)
	}
	env.mustREST(t, 204, "POST", "/asterisk/variable", nil, map[string]string{"variable": "G", "value": "1"})
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/asterisk/variable", url.Values{"variable": {"G"}}, nil), &v)
	if v["value"] != "1" {
		t.Errorf("global G = %v", v)
	}
}

func TestOriginateValidation(t *testing.T) {
	env := startSim(t, Config{Technologies: []string{"PJSIP", "Local"}}, "dialer")
	for _, tc := range []struct {
		name string
		q    url.Values
		body any
		want int
		resp string
	}{
		{"no endpoint", url.Values{"app": {"dialer"}}, nil, 400, `{"message":"Endpoint must be specified"}`},
		{"no app", url.Values{"endpoint": {"PJSIP/1001"}}, nil, 400, `{"message":"Application or extension must be specified"}`},
		{"no tech", url.Values{"endpoint": {"1001"}, "app": {"dialer"}}, nil, 400, `{"message":"Invalid endpoint specified"}`},
		{"unknown tech", url.Values{"endpoint": {"Foo/bar"}, "app": {"dialer"}}, nil, 500, `{"error":"Allocation failed"}`},
		{"tech not configured", url.Values{"endpoint": {"SIP/1001"}, "app": {"dialer"}}, nil, 500, `{"error":"Allocation failed"}`},
		{"unknown PJSIP endpoint", url.Values{"endpoint": {"PJSIP/nobody"}, "app": {"dialer"}}, nil, 500, `{"error":"Allocation failed"}`},
		{"extension only", url.Values{"endpoint": {"PJSIP/1001"}, "extension": {"s"}, "context": {"x"}, "channelId": {"ext-only"}}, nil, 200, ""},
		{"tech is case-insensitive", url.Values{"endpoint": {"pjsip/1001"}, "app": {"dialer"}, "channelId": {"lower"}}, nil, 200, ""},
	} {
		status, body := env.rest(t, "POST", "/channels", tc.q, tc.body)
		if status != tc.want || (tc.resp != "" && string(body) != tc.resp) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.want, tc.resp)
		}
	}
	// A malformed JSON body is refused before anything else.
	req, _ := http.NewRequest("POST", env.base+"/ari/channels?endpoint=PJSIP/1001&app=dialer", strings.NewReader(`{"variables": {"A": "1"`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("dialer", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("malformed body: %d", resp.StatusCode)
	}
}

// TestOriginateJSONBody originates with everything in a JSON body, as the
// ari/v5 native client does, and checks that body values win over query
// values, variables are set and timeout is honoured.
func TestOriginateJSONBody(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	body := map[string]any{
		"endpoint": "Local/0900000003@duecall-test", "app": "dialer", "appArgs": "a,b,,c",
		"channelId": "body-chan", "otherChannelId": "body-far", "timeout": 7,
		"callerId": `"Acme" <1900>`, "formats": "ulaw",
		"variables": map[string]string{"DEBT": "d-9", "CALLERID(name)": "Acme Collections"},
	}
	q := url.Values{"channelId": {"query-chan"}, "timeout": {"99"}}
	out := env.mustREST(t, 200, "POST", "/channels", q, body)
	var ch channelJSON
	if err := json.Unmarshal(out, &ch); err != nil {
		t.Fatal(err)
	}
	if ch.ID != "body-chan" || ch.State != "Down" || ch.Caller.Name != "Acme Collections" || ch.Connected.Name != "Acme" || ch.Caller.Number != "1900" {
		t.Errorf("response %+v", ch)
	}
	if ch.Dialplan.AppName != "AppDial2" || ch.Dialplan.Context != "duecall-test" || ch.Dialplan.Exten != "0900000003" {
		t.Errorf("dialplan %+v", ch.Dialplan)
	}
	var v map[string]string
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/channels/body-far/variable", url.Values{"variable": {"DEBT"}}, nil), &v)
	if v["value"] != "d-9" {
		t.Errorf("DEBT on the callee half = %v", v)
	}
	env.waitChanEvent(t, "body-far", "ChannelVarset DEBT=d-9")
	env.advance(7*time.Second - time.Millisecond)
	if rec := env.record(t, "body-chan"); !rec.Ended.IsZero() {
		t.Fatalf("ended before the 7 s timeout: %+v", rec)
	}
	env.advance(time.Millisecond)
	env.waitChanEvent(t, "body-chan", "ChannelDestroyed 19 User alerting, no answer")

	// StasisStart args are appArgs split on commas.
	env.originate(t, "PJSIP/0900000001@trunk", "args-chan", url.Values{"appArgs": {"x,,y"}})
	env.advance(2 * time.Second)
	ev := env.ws.waitEventType(t, "StasisStart", "args-chan")
	if got := fmt.Sprint(ev["args"]); got != "[x  y]" {
		t.Errorf("args %s", got)
	}
	// variables sent as an array, and timeout=abc, are ignored.
	env.mustREST(t, 200, "POST", "/channels", url.Values{"endpoint": {"PJSIP/0900000003"}, "app": {"dialer"}, "channelId": {"arr"}, "timeout": {"abc"}},
		map[string]any{"variables": []string{"A", "B"}})
	env.advance(30*time.Second - time.Millisecond)
	if rec := env.record(t, "arr"); !rec.Ended.IsZero() {
		t.Fatalf("timeout=abc is not the default 30 s: %+v", rec)
	}
	env.advance(time.Millisecond)
	env.waitChanEvent(t, "arr", "ChannelDestroyed 19 User alerting, no answer")
}

func TestChannelIDs(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	env.originate(t, "PJSIP/0900000001", "s06-call-10", nil)
	for _, id := range []string{"s06-call-1", "S06-CALL-10", "s06-call-10"} {
		status, body := env.rest(t, "POST", "/channels", url.Values{"endpoint": {"PJSIP/0900000001"}, "app": {"dialer"}, "channelId": {id}}, nil)
		if status != 409 || !strings.Contains(string(body), "Channel with given unique ID already exists") {
			t.Errorf("%s: %d %s", id, status, body)
		}
	}
	// A prefix does not find the channel; another case does.
	env.mustREST(t, 404, "GET", "/channels/s06-call-1", nil, nil)
	env.mustREST(t, 200, "GET", "/channels/S06-CALL-10", nil, nil)
	// Generated ids.
	var ch channelJSON
	_ = json.Unmarshal(env.mustREST(t, 200, "POST", "/channels", url.Values{"endpoint": {"Local/0900000001@x"}, "app": {"dialer"}}, nil), &ch)
	if !strings.Contains(ch.ID, ".") {
		t.Errorf("generated id %q", ch.ID)
	}
	if rec := env.record(t, ch.ID); rec.OtherID == "" || rec.OtherID == ch.ID {
		t.Errorf("generated callee id %q", rec.OtherID)
	}
	// DELETE matches another case.
	env.mustREST(t, 204, "DELETE", "/channels/S06-CALL-10", nil, nil)
	env.waitChanEvent(t, "s06-call-10", "ChannelDestroyed 16 Normal Clearing")
	env.mustREST(t, 404, "DELETE", "/channels/s06-call-10", nil, nil)
	// Hangup reasons.
	env.originate(t, "PJSIP/0900000001", "busy-reason", nil)
	env.mustREST(t, 400, "DELETE", "/channels/busy-reason", url.Values{"reason": {"nope"}}, nil)
	env.mustREST(t, 400, "DELETE", "/channels/busy-reason", url.Values{"reason": {"busy"}, "reason_code": {"17"}}, nil)
	env.mustREST(t, 204, "DELETE", "/channels/busy-reason", url.Values{"reason": {"busy"}}, nil)
	env.waitChanEvent(t, "busy-reason", "ChannelDestroyed 17 User busy")
	if rec := env.record(t, "busy-reason"); rec.Outcome != OutcomeCancelled || rec.HungUpBy != HungUpByAPI {
		t.Errorf("record %+v", rec)
	}
}

// TestNoWebSocket: an originate into an application without a socket is
// accepted, the callee answers and the call is hung up at once, without
// events.
func TestNoWebSocket(t *testing.T) {
	env := startSim(t, Config{}, "")
	env.originate(t, "Local/0900000001@duecall-test", "lonely", nil)
	env.advance(time.Second)
	env.mustREST(t, 200, "GET", "/channels/lonely", nil, nil)
	env.advance(time.Second)
	env.mustREST(t, 404, "GET", "/channels/lonely", nil, nil)
	rec := env.record(t, "lonely")
	if rec.Outcome != OutcomeAnswered || rec.HungUpBy != HungUpByPBX || rec.Answered.IsZero() || rec.Ended != rec.Answered {
		t.Errorf("record %+v", rec)
	}
	var apps []applicationJSON
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/applications", nil, nil), &apps)
	if len(apps) != 0 {
		t.Errorf("applications %+v", apps)
	}
}

// TestApplicationReplaced: a second socket for the application takes
// over; the first hears ApplicationReplaced and then nothing, even after
// the second closes.
func TestApplicationReplaced(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	first := env.ws
	second := env.connect(t, "dialer")
	first.waitEventType(t, "ApplicationReplaced", "")
	env.originate(t, "PJSIP/agent1", "a1", nil)
	env.advance(0)
	second.waitEventType(t, "StasisStart", "a1")
	if code, err := second.closeClean(); err != nil || code != 1000 {
		t.Fatalf("close: %d %v", code, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for env.s.Connected("dialer") {
		if time.Now().After(deadline) {
			t.Fatal("still connected")
		}
		time.Sleep(time.Millisecond)
	}
	env.mustREST(t, 204, "DELETE", "/channels/a1", nil, nil)
	time.Sleep(50 * time.Millisecond)
	if got := frameTypes(first.snapshot()); !slices.Equal(got, []string{"ApplicationReplaced "}) {
		t.Errorf("replaced socket got %q", got)
	}
	// The replaced socket stays open until the client closes it.
	if code, err := first.closeClean(); err != nil || code != 1000 {
		t.Errorf("replaced socket close: %d %v", code, err)
	}
}

// TestDropWebSockets: a dropped socket loses the events of the gap;
// channels and bridges stay, REST works, a new socket gets new events.
func TestDropWebSockets(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	env.originate(t, "PJSIP/agent1", "ag", nil)
	env.advance(0)
	env.waitChanEvent(t, "ag", "StasisStart")
	env.mustREST(t, 200, "POST", "/bridges/b1", url.Values{"type": {"mixing"}}, nil)
	env.mustREST(t, 204, "POST", "/bridges/b1/addChannel", url.Values{"channel": {"ag"}}, nil)
	env.s.DropWebSockets()
	<-env.ws.done
	if env.ws.closeCode != -1 {
		t.Errorf("a dropped socket got a close frame (%d)", env.ws.closeCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for env.s.Connected("dialer") {
		if time.Now().After(deadline) {
			t.Fatal("still connected")
		}
		time.Sleep(time.Millisecond)
	}
	before := env.s.DroppedEvents()
	env.mustREST(t, 204, "POST", "/channels/ag/variable", url.Values{"variable": {"X"}, "value": {"1"}}, nil)
	if env.s.DroppedEvents() != before+1 {
		t.Errorf("the Varset of the gap was not counted as lost")
	}
	var app applicationJSON
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/applications/dialer", nil, nil), &app)
	if !slices.Equal(app.ChannelIDs, []string{"ag"}) || !slices.Equal(app.BridgeIDs, []string{"b1"}) {
		t.Errorf("application during the gap %+v", app)
	}
	env.ws = env.connect(t, "dialer")
	env.mustREST(t, 204, "DELETE", "/channels/ag", nil, nil)
	env.waitChanEvent(t, "ag", "ChannelDestroyed 16 Normal Clearing")
	want := []string{"ChannelHangupRequest 32 soft", "ChannelLeftBridge", "StasisEnd", "ChannelVarset STASISSTATUS=SUCCESS", "ChannelDestroyed 16 Normal Clearing"}
	if got := env.chanEvents(t, "ag"); !slices.Equal(got, want) {
		t.Errorf("after reconnect %q, want %q", got, want)
	}
}

// TestInjectRaw: raw frames (unknown types, bursts) arrive in order
// after the events already queued.
func TestInjectRaw(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	if err := env.s.InjectRaw("nobody", []byte("{}")); !errors.Is(err, ErrNoWebSocket) {
		t.Errorf("inject without socket: %v", err)
	}
	const n = 10000
	for i := 0; i < n; i++ {
		frame := fmt.Sprintf(`{"type":"ChannelToneDetected","seq":%d,"application":"dialer"}`, i)
		if err := env.s.InjectRaw("dialer", []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if !env.ws.waitFor(20*time.Second, func(f [][]byte) bool { return len(f) >= n }) {
		t.Fatalf("got %d of %d frames", env.ws.count(), n)
	}
	for i, f := range env.ws.snapshot() {
		var m struct{ Seq int }
		if err := json.Unmarshal(f, &m); err != nil || m.Seq != i {
			t.Fatalf("frame %d: %s", i, f)
		}
	}
}

func TestCreateAndDial(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	env.mustREST(t, 200, "POST", "/channels/create", url.Values{"endpoint": {"PJSIP/0900000002@trunk"}, "app": {"dialer"}, "channelId": {"cr"}, "appArgs": {"created"}}, nil)
	env.waitChanEvent(t, "cr", "StasisStart")
	env.mustREST(t, 204, "POST", "/channels/cr/dial", url.Values{"timeout": {"30"}}, nil)
	env.mustREST(t, 409, "POST", "/channels/cr/dial", nil, nil)
	env.advance(time.Second)
	env.waitChanEvent(t, "cr", "Dial BUSY")
	env.advance(time.Minute)
	env.mustREST(t, 200, "GET", "/channels/cr", nil, nil) // stays in the application after BUSY
	env.mustREST(t, 204, "DELETE", "/channels/cr", nil, nil)
	env.waitChanEvent(t, "cr", "ChannelDestroyed 16 Normal Clearing")
	want := []string{"ChannelVarset STASISSTATUS=", "StasisStart", "Dial ", "ChannelStateChange Ringing", "Dial RINGING", "Dial BUSY",
		"ChannelHangupRequest 32 soft", "StasisEnd", "ChannelVarset STASISSTATUS=SUCCESS", "ChannelDestroyed 16 Normal Clearing"}
	got := env.chanEvents(t, "cr")
	got = slices.DeleteFunc(got, func(s string) bool { return s == "ChannelDialplan" })
	if !slices.Equal(got, want) {
		t.Errorf("events %q\nwant %q", got, want)
	}
	if rec := env.record(t, "cr"); rec.Outcome != OutcomeBusy || !rec.Created || rec.Cause != 16 {
		t.Errorf("record %+v", rec)
	}
	// Creating into an application without a socket fails at once.
	env.mustREST(t, 200, "POST", "/channels/create", url.Values{"endpoint": {"PJSIP/0900000001"}, "app": {"ghost"}, "channelId": {"ghost"}}, nil)
	env.mustREST(t, 404, "GET", "/channels/ghost", nil, nil)
}

func TestBridges(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	env.originate(t, "PJSIP/agent1", "ag", nil)
	env.originate(t, "Local/0900000001@duecall-test", "db", url.Values{"otherChannelId": {"db-far"}})
	env.advance(3 * time.Second)
	env.waitChanEvent(t, "db", "StasisStart")

	var b bridgeJSON
	_ = json.Unmarshal(env.mustREST(t, 200, "POST", "/bridges", url.Values{"type": {"mixing"}, "bridgeId": {"br"}, "name": {"call"}}, nil), &b)
	if b.ID != "br" || b.Technology != "simple_bridge" || b.BridgeType != "mixing" || b.BridgeClass != "stasis" || len(b.Channels) != 0 {
		t.Errorf("bridge %+v", b)
	}
	env.mustREST(t, 409, "POST", "/bridges", url.Values{"bridgeId": {"br"}}, nil)
	env.mustREST(t, 200, "POST", "/bridges/br", nil, nil) // the path form updates
	env.mustREST(t, 500, "POST", "/bridges/br", url.Values{"type": {"holding"}}, nil)
	env.mustREST(t, 500, "POST", "/bridges", url.Values{"type": {"no-such-type"}}, nil)
	_ = json.Unmarshal(env.mustREST(t, 200, "POST", "/bridges", url.Values{"type": {"holding"}}, nil), &b)
	if b.ID == "" || b.Technology != "holding_bridge" || b.BridgeType != "holding" {
		t.Errorf("holding bridge %+v", b)
	}
	env.mustREST(t, 404, "POST", "/bridges/nope/addChannel", url.Values{"channel": {"ag"}}, nil)
	env.mustREST(t, 400, "POST", "/bridges/br/addChannel", url.Values{"channel": {"nope"}}, nil)
	env.mustREST(t, 400, "POST", "/bridges/br/addChannel", nil, nil)
	env.mustREST(t, 422, "POST", "/bridges/br/addChannel", url.Values{"channel": {"db-far"}}, nil)
	env.mustREST(t, 422, "POST", "/bridges/br/removeChannel", url.Values{"channel": {"ag"}}, nil)
	env.mustREST(t, 204, "POST", "/bridges/br/addChannel", nil, map[string]string{"channel": "ag,db"})
	env.waitChanEvent(t, "db", "ChannelVarset BRIDGEPEER=PJSIP/agent1-00000001")
	env.waitChanEvent(t, "ag", "ChannelVarset BRIDGEPEER="+env.record(t, "db").Name)
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/bridges/br", nil, nil), &b)
	if !slices.Equal(b.Channels, []string{"ag", "db"}) {
		t.Errorf("bridge channels %v", b.Channels)
	}
	env.mustREST(t, 204, "POST", "/bridges/br/removeChannel", url.Values{"channel": {"db"}}, nil)
	env.waitChanEvent(t, "db", "ChannelLeftBridge")
	env.mustREST(t, 204, "DELETE", "/bridges/br", nil, nil)
	env.waitChanEvent(t, "ag", "ChannelLeftBridge")
	env.ws.waitEventType(t, "BridgeDestroyed", "")
	env.mustREST(t, 404, "DELETE", "/bridges/br", nil, nil)
	env.mustREST(t, 200, "GET", "/channels/ag", nil, nil) // channels outlive their bridge

	log := env.s.BridgeLog()
	if len(log) != 2 || log[0].ChannelID != "ag" || log[1].ChannelID != "db" || log[0].Left.IsZero() || log[1].Left.IsZero() {
		t.Errorf("bridge log %+v", log)
	}
}

func TestPlayback(t *testing.T) {
	env := startSim(t, Config{Sounds: map[string]time.Duration{"custom/greeting": 3 * time.Second}}, "dialer")
	env.originate(t, "PJSIP/agent1", "ag", nil)
	env.advance(0)
	env.waitChanEvent(t, "ag", "StasisStart")
	var pb playbackJSON
	_ = json.Unmarshal(env.mustREST(t, 201, "POST", "/channels/ag/play/p1", url.Values{"media": {"sound:custom/greeting,sound:beep"}}, nil), &pb)
	if pb.ID != "p1" || pb.MediaURI != "sound:custom/greeting" || pb.NextMediaURI != "sound:beep" || pb.TargetURI != "channel:ag" {
		t.Errorf("play response %+v", pb)
	}
	env.mustREST(t, 409, "POST", "/channels/ag/play/p1", url.Values{"media": {"sound:beep"}}, nil)
	env.mustREST(t, 201, "POST", "/channels/ag/play", url.Values{"media": {"sound:no-such"}, "playbackId": {"p2"}}, nil)
	env.mustREST(t, 400, "POST", "/channels/ag/play/p3", nil, nil)
	env.advance(0)
	_ = json.Unmarshal(env.mustREST(t, 200, "GET", "/playbacks/p1", nil, nil), &pb)
	if pb.State != "playing" {
		t.Errorf("state %q", pb.State)
	}
	env.advance(3*time.Second + beepDur)
	env.mustREST(t, 404, "GET", "/playbacks/p1", nil, nil)
	env.mustREST(t, 201, "POST", "/channels/ag/play/tone", url.Values{"media": {"tone:ring"}}, nil)
	env.mustREST(t, 201, "POST", "/channels/ag/play/bogus", url.Values{"media": {"bogus:x"}}, nil)
	env.advance(time.Hour)
	env.mustREST(t, 200, "GET", "/playbacks/tone", nil, nil)
	env.mustREST(t, 204, "DELETE", "/playbacks/tone", nil, nil)
	env.advance(0)
	env.mustREST(t, 404, "GET", "/playbacks/bogus", nil, nil)
	env.mustREST(t, 201, "POST", "/channels/ag/play/cut", url.Values{"media": {"sound:demo-congrats"}}, nil)
	env.advance(time.Second)
	env.mustREST(t, 204, "DELETE", "/channels/ag", nil, nil)
	env.quiesce()

	var got []string
	for _, ev := range env.ws.events(t) {
		if p, ok := ev["playback"].(map[string]any); ok {
			got = append(got, fmt.Sprintf("%v %v %v %v", ev["type"], p["id"], p["state"], p["media_uri"]))
		}
	}
	want := []string{
		"PlaybackStarted p1 playing sound:custom/greeting",
		"PlaybackContinuing p1 continuing sound:custom/greeting",
		"PlaybackStarted p1 playing sound:beep",
		"PlaybackFinished p1 done sound:beep",
		"PlaybackStarted p2 playing sound:no-such",
		"PlaybackFinished p2 failed sound:no-such",
		"PlaybackStarted tone playing tone:ring",
		"PlaybackFinished tone done tone:ring",
		"PlaybackStarted bogus playing bogus:x",
		"PlaybackStarted cut playing sound:demo-congrats",
		"PlaybackFinished cut failed sound:demo-congrats",
	}
	if !slices.Equal(got, want) {
		t.Errorf("playback events\n got  %q\n want %q", got, want)
	}
}

func TestRESTFaults(t *testing.T) {
	env := startSim(t, Config{}, "")
	env.s.SetRESTFailure(503, "overloaded")
	status, body := env.rest(t, "GET", "/channels", nil, nil)
	if status != 503 || !strings.Contains(string(body), "overloaded") {
		t.Errorf("failure: %d %s", status, body)
	}
	env.s.SetRESTFailure(0, "")
	env.s.SetRESTDelay(50 * time.Millisecond)
	start := time.Now()
	env.mustREST(t, 200, "GET", "/channels", nil, nil)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("delayed call took %v", d)
	}
	env.s.SetRESTDelay(0)
}

// TestTimeScale: durations are multiplied by TimeScale, on a manual clock
// exactly, on the real clock at least.
func TestTimeScale(t *testing.T) {
	env := startSim(t, Config{TimeScale: 0.5}, "dialer")
	env.originate(t, "PJSIP/0900000001", "half", nil)
	env.advance(time.Second - time.Millisecond)
	if !env.record(t, "half").Answered.IsZero() {
		t.Fatal("answered before 1 s (2 s × 0.5)")
	}
	env.advance(time.Millisecond)
	if rec := env.record(t, "half"); rec.Answered.Sub(rec.Originated) != time.Second {
		t.Fatalf("answered after %v", rec.Answered.Sub(rec.Originated))
	}

	real := startSim(t, Config{TimeScale: 0.01, Clock: realClock{}}, "dialer")
	start := time.Now()
	real.originate(t, "PJSIP/0900000005@trunk", "fast", nil)
	real.waitChanEvent(t, "fast", "StasisStart")
	real.waitChanEvent(t, "fast", "ChannelDestroyed 16 Normal Clearing")
	rec := real.record(t, "fast")
	if ring := rec.Answered.Sub(rec.Originated); ring < 20*time.Millisecond {
		t.Errorf("rang %v, less than 2 s × 0.01", ring)
	}
	if talk := rec.Ended.Sub(rec.Answered); talk < 50*time.Millisecond {
		t.Errorf("talked %v, less than 5 s × 0.01", talk)
	}
	if time.Since(start) < 70*time.Millisecond {
		t.Error("the call took less than its scaled duration")
	}
}

// TestCloseNoLeaks: Close stops timers, closes sockets with a close frame
// and leaves no goroutine behind.
func TestCloseNoLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	s := New(Config{Username: "u", Password: "p", TimeScale: 1})
	base, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w, err := dialTestWS(base, "app=dialer", "u:p")
	if err != nil {
		t.Fatal(err)
	}
	for !s.Connected("dialer") {
		time.Sleep(time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{}}
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/ari/channels?endpoint=Local/090000000%d@x&app=dialer&channelId=c%d", base, i, i), nil)
		req.SetBasicAuth("u", "p")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("originate: %d", resp.StatusCode)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	<-w.done
	if w.closeCode != 1000 {
		t.Errorf("close code %d", w.closeCode)
	}
	w.conn.Close()
	client.CloseIdleConnections()
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := s.Listen("127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("listen after close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"negative scale", Config{TimeScale: -1}, false},
		{"bad technology", Config{Technologies: []string{"PJ/SIP"}}, false},
		{"negative sound", Config{Sounds: map[string]time.Duration{"x": -1}}, false},
		{"population ok", Config{Population: &Population{AnswerProb: 0.6, BusyProb: 0.4}}, true},
		{"population over 1", Config{Population: &Population{AnswerProb: 0.6, BusyProb: 0.5}}, false},
		{"population negative", Config{Population: &Population{AnswerProb: -0.1}}, false},
		{"ring bounds", Config{Population: &Population{RingMin: 2 * time.Second, RingMax: time.Second}}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted an invalid config")
		}
	}()
	New(Config{TimeScale: -1})
}
