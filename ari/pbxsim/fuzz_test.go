package pbxsim

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Endpoint
		err  bool
	}{
		{in: "Local/1001@debtors", want: Endpoint{Tech: "Local", Resource: "1001@debtors", Number: "1001", Context: "debtors"}},
		{in: "Local/1001@debtors/n", want: Endpoint{Tech: "Local", Resource: "1001@debtors/n", Number: "1001", Context: "debtors"}},
		{in: "Local/agent-1", want: Endpoint{Tech: "Local", Resource: "agent-1", Number: "agent-1", Context: "default"}},
		{in: "PJSIP/0912345678@trunk", want: Endpoint{Tech: "PJSIP", Resource: "0912345678@trunk", Number: "0912345678", Host: "trunk"}},
		{in: "PJSIP/agent101", want: Endpoint{Tech: "PJSIP", Resource: "agent101", Number: "agent101"}},
		{in: "PJSIP/trunk/sip:+84912345678@10.0.0.1", want: Endpoint{Tech: "PJSIP", Resource: "trunk/sip:+84912345678@10.0.0.1", Number: "+84912345678", Host: "10.0.0.1"}},
		{in: "IAX2/peer/5551234", want: Endpoint{Tech: "IAX2", Resource: "peer/5551234", Number: "5551234"}},
		{in: "1001", err: true},
		{in: "/1001", err: true},
		{in: "PJSIP/", err: true},
		{in: "", err: true},
	} {
		got, err := ParseEndpoint(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseEndpoint(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"Local/1001@debtors", "PJSIP/0912345678@trunk", "PJSIP/agent101", "Local/x@y/n",
		"IAX2/a/b/c", "SIP/sip:1@h", "1001", "/", "a/", "/b", "Foo/bar@", "Local/@", "DAHDI/g1/0912"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := ParseEndpoint(s)
		if err != nil {
			if ep != (Endpoint{}) {
				t.Fatalf("error with a result: %+v", ep)
			}
			return
		}
		if ep.Tech == "" || ep.Resource == "" || ep.Tech+"/"+ep.Resource != s {
			t.Fatalf("%q parsed as %+v", s, ep)
		}
		if !strings.Contains(ep.Resource, ep.Number) {
			t.Fatalf("number %q not in resource %q", ep.Number, ep.Resource)
		}
		if ep.IsLocal() && (ep.Context == "" || ep.Host != "") {
			t.Fatalf("local %+v", ep)
		}
		if !ep.IsLocal() && ep.Context != "" {
			t.Fatalf("context on %+v", ep)
		}
		_ = ep.peerName()
		_ = ep.IsAgent()
	})
}

func TestParseCallerID(t *testing.T) {
	for in, want := range map[string]CallerID{
		`"Acme Collections" <5550100>`: {"Acme Collections", "5550100"},
		`Collections <5550100>`:        {"Collections", "5550100"},
		`<5550100>`:                    {"", "5550100"},
		`5550100`:                      {"", "5550100"},
		`+845550100`:                   {"", "+845550100"},
		`Acme`:                         {"Acme", ""},
		`"Acme"`:                       {"Acme", ""},
		``:                             {},
		`  "A" <1> `:                   {"A", "1"},
	} {
		if got := ParseCallerID(in); got != want {
			t.Errorf("ParseCallerID(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func FuzzParseCallerID(f *testing.F) {
	for _, s := range []string{`"Acme" <5550100>`, `A <1>`, `<1>`, `123`, `Acme`, `"x"`, `<`, `>`, `"<>"`, `a <b> <c>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCallerID(s)
		if len(c.Name)+len(c.Number) > len(s) {
			t.Fatalf("%q grew into %+v", s, c)
		}
		// Formatting a clean result and parsing it again gives it back.
		if c.Name == "" || strings.ContainsAny(c.Name+c.Number, `"<>`) || strings.TrimSpace(c.Name) != c.Name || strings.TrimSpace(c.Number) != c.Number {
			return
		}
		again := ParseCallerID(`"` + c.Name + `" <` + c.Number + `>`)
		if again != c {
			t.Fatalf("%q: %+v, reparsed %+v", s, c, again)
		}
	})
}

// FuzzParams fuzzes the parameters of a request: query string plus a body.
func FuzzParams(f *testing.F) {
	f.Add("endpoint=Local/1001@debtors&app=dialer&timeout=30", "application/json", `{"variables":{"A":"1","B":2}}`)
	f.Add("timeout=abc", "application/json", `{"variables":["A","B"]}`)
	f.Add("", "application/json", `{"endpoint":"PJSIP/1","timeout":7,"channel":["a","b"],"beep":true}`)
	f.Add("a=1", "application/x-www-form-urlencoded", "a=2&b=3")
	f.Add("", "application/json", `{"variables": {"A": "1"`)
	f.Add("", "text/plain", "whatever")
	f.Add("channelId=x", "", `{"channelId":"y"}`)
	f.Add("", "application/json", `[1,2]`)
	f.Add("", "application/json", `{"variables":{"CALLERID(name)":"N","X":null}}`)
	f.Fuzz(func(t *testing.T, query, contentType, body string) {
		r := httptest.NewRequest("POST", "/ari/channels", strings.NewReader(body))
		r.URL.RawQuery = query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		p, err := parseParams(r)
		if err != nil {
			if err != errBadBody && !strings.Contains(err.Error(), errBadBody.Error()) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// A JSON object's string members override the query.
		if contentType == "application/json" {
			var obj map[string]any
			if json.Unmarshal([]byte(body), &obj) == nil {
				for k, v := range obj {
					if s, ok := v.(string); ok && k != "variables" && p.get(k) != s {
						t.Fatalf("body %s=%q, got %q", k, s, p.get(k))
					}
				}
			}
		}
		req := parseOriginate(p, "")
		if req.Timeout != -1 && req.Timeout <= 0 {
			t.Fatalf("timeout %d", req.Timeout)
		}
		for _, v := range req.Variables {
			if !utf8.ValidString(v.Name) && json.Valid([]byte(body)) {
				t.Fatalf("variable name %q", v.Name)
			}
		}
		_ = splitArgs(req.AppArgs)
		_ = p.list("channel")
	})
}

// FuzzOriginateHandler drives POST /channels with arbitrary parameters
// and checks the simulator stays consistent.
func FuzzOriginateHandler(f *testing.F) {
	f.Add("Local/1001@debtors", "c1", "", "a,b", `{"variables":{"X":"1"}}`)
	f.Add("PJSIP/0912345672@trunk", "", "", "", "")
	f.Add("Local/7001@debtors", "x", "x;2", "", `{}`)
	f.Add("Foo/bar", "c", "", "", "")
	f.Add("1001", "c", "", "", "")
	f.Add("Local/agent-1@agents", "C", "c", "", `{"timeout":-1}`)
	f.Add("PJSIP/agent1", "same", "same", "", "")
	s := New(Config{Clock: NewManualClock(testEpoch)})
	defer s.Close()
	h := s.Handler()
	f.Fuzz(func(t *testing.T, endpoint, channelID, otherID, appArgs, body string) {
		q := url.Values{"endpoint": {endpoint}, "app": {"dialer"}, "appArgs": {appArgs}}
		if channelID != "" {
			q.Set("channelId", channelID)
		}
		if otherID != "" {
			q.Set("otherChannelId", otherID)
		}
		r := httptest.NewRequest("POST", "/ari/channels?"+q.Encode(), strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200:
			var ch channelJSON
			if err := json.Unmarshal(w.Body.Bytes(), &ch); err != nil || ch.ID == "" || ch.State != "Down" {
				t.Fatalf("200 with %s", w.Body.Bytes())
			}
			g := httptest.NewRecorder()
			h.ServeHTTP(g, httptest.NewRequest("GET", "/ari/channels/"+url.PathEscape(ch.ID), nil))
			if g.Code != 200 && g.Code != 404 {
				t.Fatalf("GET %q: %d", ch.ID, g.Code)
			}
			d := httptest.NewRecorder()
			h.ServeHTTP(d, httptest.NewRequest("DELETE", "/ari/channels/"+url.PathEscape(ch.ID), nil))
			if d.Code != 204 && d.Code != 404 {
				t.Fatalf("DELETE %q: %d %s", ch.ID, d.Code, d.Body.Bytes())
			}
		case 400, 404, 409, 500:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for key, ch := range s.channels {
			if key != strings.ToLower(ch.id) || !ch.alive {
				t.Fatalf("channel table: %q -> %+v", key, ch)
			}
			// Both halves of a live call are in the table.
			for _, half := range []*channel{ch.call.ours, ch.call.far} {
				if half != nil && half.alive && s.channels[strings.ToLower(half.id)] != half {
					t.Fatalf("half %q of a live call is not in the table", half.id)
				}
			}
		}
	})
}
