package ari

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/dialer"
)

func TestOriginateSendsTheRecordedForm(t *testing.T) {
	f := newFakeARI(t)
	c, _, _ := runningClient(t, f)
	id := dialer.NewID(dialer.KindDebtor)
	err := c.Originate(context.Background(), dialer.OriginateRequest{
		ChannelID: id,
		Endpoint:  "Local/1001@debtors",
		CallerID:  "Acme Collections <5550100>",
		Timeout:   29500 * time.Millisecond,
		AppArgs:   []string{"campaign-42", "debtor-1001"},
		Variables: map[string]string{"DIALER_CAMPAIGN": "c-42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := f.lastRequest(http.MethodPost, "/ari/channels")
	if !ok {
		t.Fatal("no POST /channels")
	}
	want := map[string]string{
		"endpoint": "Local/1001@debtors", "app": "dialer", "appArgs": "campaign-42,debtor-1001",
		"callerId": "Acme Collections <5550100>", "channelId": id, "timeout": "30", "formats": "ulaw",
	}
	for k, v := range want {
		if got := r.Query.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.Query.Has("otherChannelId") {
		t.Error("otherChannelId sent: the callee half must be <id>;2 so that it is filtered")
	}
	var body struct {
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Variables["DIALER_CAMPAIGN"] != "c-42" {
		t.Errorf("body %s: variables not sent (%v)", r.Body, err)
	}

	// No variables: no body.
	if err := c.Originate(context.Background(), dialer.OriginateRequest{ChannelID: dialer.NewID(dialer.KindDebtor), Endpoint: "Local/2001@debtors", Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.lastRequest(http.MethodPost, "/ari/channels"); len(r.Body) != 0 || r.Query.Has("appArgs") {
		t.Errorf("empty request sent body %q, query %v", r.Body, r.Query)
	}
}

func TestTimeoutSeconds(t *testing.T) {
	cases := map[time.Duration]int{
		0: 1, -time.Second: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2,
		29500 * time.Millisecond: 30, 30 * time.Second: 30,
	}
	for d, want := range cases {
		if got := timeoutSeconds(d); got != want {
			t.Errorf("timeoutSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestOriginateValidatesBeforeSending(t *testing.T) {
	f := newFakeARI(t)
	c, _, _ := runningClient(t, f)
	ok := dialer.OriginateRequest{ChannelID: dialer.NewID(dialer.KindDebtor), Endpoint: "Local/1001@debtors", Timeout: time.Second}
	for name, mutate := range map[string]func(*dialer.OriginateRequest){
		"transcript-style id": func(r *dialer.OriginateRequest) { r.ChannelID = "s01a-debtor" },
		"no id":               func(r *dialer.OriginateRequest) { r.ChannelID = "" },
		"no endpoint":         func(r *dialer.OriginateRequest) { r.Endpoint = "" },
		"comma in an arg":     func(r *dialer.OriginateRequest) { r.AppArgs = []string{"a,b"} },
	} {
		r := ok
		mutate(&r)
		if err := c.Originate(context.Background(), r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, sent := f.lastRequest(http.MethodPost, "/ari/channels"); sent {
		t.Error("an invalid originate reached Asterisk")
	}
	if err := c.CreateBridge(context.Background(), "s04a-bridge"); err == nil {
		t.Error("CreateBridge accepted a non-dialer id")
	}
	if err := c.Play(context.Background(), dialer.NewID(dialer.KindDebtor), "", "sound:hello"); err == nil {
		t.Error("Play accepted an empty playback id")
	}
}

// TestRESTErrors maps the error answers recorded in transcripts 03, 04 and
// 06 to the errors of dialer.Telephony.
func TestRESTErrors(t *testing.T) {
	ch := dialer.NewID(dialer.KindDebtor)
	br := dialer.NewID(dialer.KindBridge)
	pb := dialer.NewID(dialer.KindPlayback)
	type call func(c *Client) error
	originate := func(c *Client) error {
		return c.Originate(context.Background(), dialer.OriginateRequest{ChannelID: ch, Endpoint: "PJSIP/0912345678@trunk", Timeout: 10 * time.Second})
	}
	cases := []struct {
		name      string
		pattern   string
		status    int
		body      string
		call      call
		sentinel  error // nil: none of the dialer sentinels
		origError *dialer.OriginateError
		text      string // in err.Error()
	}{
		{"originate PJSIP/nobody", "POST /ari/channels", 500, `{"error": "Allocation failed"}`, originate,
			nil, &dialer.OriginateError{Status: 500, Reason: "Allocation failed"}, "Allocation failed"},
		{"originate endpoint without technology", "POST /ari/channels", 400, `{"message": "Invalid endpoint specified"}`, originate,
			nil, &dialer.OriginateError{Status: 400, Reason: "Invalid endpoint specified"}, "Invalid endpoint specified"},
		{"originate duplicate id", "POST /ari/channels", 409, `{"message": "Channel with given unique ID already exists"}`, originate,
			dialer.ErrConflict, &dialer.OriginateError{Status: 409, Reason: "Channel with given unique ID already exists"}, "already exists"},
		{"originate bad credentials", "POST /ari/channels", 401, `{"message": "Authentication required"}`, originate,
			nil, &dialer.OriginateError{Status: 401, Reason: "Authentication required"}, "Authentication required"},
		{"originate HTML error", "POST /ari/channels", 502, `<html><body>Bad gateway</body></html>`, originate,
			nil, &dialer.OriginateError{Status: 502, Reason: "Bad Gateway"}, "Bad Gateway"},
		{"hangup unknown channel", "DELETE /ari/channels/{id}", 404, `{"message": "Channel not found"}`,
			func(c *Client) error { return c.Hangup(context.Background(), ch) }, dialer.ErrNotFound, nil, "Channel not found"},
		{"hangup server error", "DELETE /ari/channels/{id}", 500, `{"message": "Internal Server Error"}`,
			func(c *Client) error { return c.Hangup(context.Background(), ch) }, nil, nil, "500 Internal Server Error"},
		{"play on a hung-up channel", "POST /ari/channels/{id}/play", 404, `{"message": "Channel not found"}`,
			func(c *Client) error { return c.Play(context.Background(), ch, pb, "sound:hello-world") }, dialer.ErrNotFound, nil, "Channel not found"},
		{"play on a channel not in Stasis", "POST /ari/channels/{id}/play", 409, `{"message": "Channel not in Stasis application"}`,
			func(c *Client) error { return c.Play(context.Background(), ch, pb, "sound:hello-world") }, dialer.ErrNotFound, nil, "not in Stasis"},
		{"duplicate bridge id", "POST /ari/bridges", 409, `{"message": "Bridge with id 'x' already exists"}`,
			func(c *Client) error { return c.CreateBridge(context.Background(), br) }, dialer.ErrConflict, nil, "already exists"},
		{"bad bridge type", "POST /ari/bridges", 500, `{"message": "Unable to create bridge. Possible duplicate bridge id 'x'"}`,
			func(c *Client) error { return c.CreateBridge(context.Background(), br) }, nil, nil, "Unable to create bridge"},
		{"addChannel unknown channel", "POST /ari/bridges/{id}/addChannel", 400, `{"message": "Channel not found"}`,
			func(c *Client) error { return c.AddToBridge(context.Background(), br, ch) }, dialer.ErrNotFound, nil, "Channel not found"},
		{"addChannel unknown bridge", "POST /ari/bridges/{id}/addChannel", 404, `{"message": "Bridge not found"}`,
			func(c *Client) error { return c.AddToBridge(context.Background(), br, ch) }, dialer.ErrNotFound, nil, "Bridge not found"},
		{"addChannel channel not in Stasis", "POST /ari/bridges/{id}/addChannel", 422, `{"message": "Channel not in Stasis application"}`,
			func(c *Client) error { return c.AddToBridge(context.Background(), br, ch) }, dialer.ErrNotFound, nil, "422"},
		{"addChannel missing parameter", "POST /ari/bridges/{id}/addChannel", 400, `{"message": "Missing parameter channel"}`,
			func(c *Client) error { return c.AddToBridge(context.Background(), br, ch) }, nil, nil, "Missing parameter"},
		{"removeChannel not in bridge", "POST /ari/bridges/{id}/removeChannel", 422, `{"message": "Channel not in this bridge"}`,
			func(c *Client) error { return c.RemoveFromBridge(context.Background(), br, ch) }, dialer.ErrNotFound, nil, "not in this bridge"},
		{"delete unknown bridge", "DELETE /ari/bridges/{id}", 404, `{"message": "Bridge not found"}`,
			func(c *Client) error { return c.DestroyBridge(context.Background(), br) }, dialer.ErrNotFound, nil, "Bridge not found"},
		{"second delete of a bridge", "DELETE /ari/bridges/{id}", 409, `{"message": "Bridge not in Stasis application"}`,
			func(c *Client) error { return c.DestroyBridge(context.Background(), br) }, dialer.ErrNotFound, nil, "Bridge not in Stasis application"},
	}
	f := newFakeARI(t)
	c, _, _ := runningClient(t, f)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.override(tc.pattern, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			defer f.override(tc.pattern, nil)
			err := tc.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []error{dialer.ErrNotFound, dialer.ErrConflict, dialer.ErrDisconnected} {
				if got, want := errors.Is(err, s), s == tc.sentinel; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
			var oe *dialer.OriginateError
			switch {
			case tc.origError == nil && errors.As(err, &oe):
				t.Errorf("unexpected OriginateError %+v", oe)
			case tc.origError != nil && !errors.As(err, &oe):
				t.Errorf("%v is not an OriginateError", err)
			case tc.origError != nil && *oe != *tc.origError:
				t.Errorf("OriginateError %+v, want %+v", *oe, *tc.origError)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err, tc.text)
			}
			if strings.Contains(err.Error(), "0912345678") {
				t.Errorf("error %q shows the phone number", err)
			}
		})
	}
}

func TestRequestTimeoutAndContextAreHonoured(t *testing.T) {
	f := newFakeARI(t)
	release := make(chan struct{})
	defer close(release)
	stall := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	c, _, _ := runningClientWith(t, f, defaultMaxQueued, func(o *Options) { o.RequestTimeout = 50 * time.Millisecond })

	f.override("POST /ari/channels", stall)
	err := c.Originate(context.Background(), dialer.OriginateRequest{ChannelID: dialer.NewID(dialer.KindDebtor), Endpoint: "PJSIP/0912345678@trunk", Timeout: time.Second})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Originate against a stalled Asterisk: %v, want DeadlineExceeded", err)
	}
	var oe *dialer.OriginateError
	if errors.As(err, &oe) {
		t.Error("a timeout is not a rejection")
	}
	if strings.Contains(err.Error(), "0912345678") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q leaks the query or the password", err)
	}

	// The caller's context ends a call before RequestTimeout.
	o := testOptions(f.url(), nil)
	o.RequestTimeout = time.Hour
	c2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	f.override("DELETE /ari/channels/{id}", stall)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if err := c2.Hangup(ctx, dialer.NewID(dialer.KindDebtor)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hangup with a cancelled context: %v, want Canceled", err)
	}
}

func TestRESTCallsSendWhatTheTranscriptsShow(t *testing.T) {
	f := newFakeARI(t)
	c, _, _ := runningClient(t, f)
	ctx := context.Background()
	ch := dialer.NewID(dialer.KindDebtor)
	br := dialer.NewID(dialer.KindBridge)
	pb := dialer.NewID(dialer.KindPlayback)
	steps := []struct {
		call         func() error
		method, path string
		query        map[string]string
	}{
		{func() error { return c.CreateBridge(ctx, br) }, "POST", "/ari/bridges", map[string]string{"type": "mixing", "bridgeId": br}},
		{func() error { return c.AddToBridge(ctx, br, ch) }, "POST", "/ari/bridges/" + br + "/addChannel", map[string]string{"channel": ch}},
		{func() error { return c.Play(ctx, ch, pb, "sound:hello-world") }, "POST", "/ari/channels/" + ch + "/play", map[string]string{"media": "sound:hello-world", "playbackId": pb}},
		{func() error { return c.RemoveFromBridge(ctx, br, ch) }, "POST", "/ari/bridges/" + br + "/removeChannel", map[string]string{"channel": ch}},
		{func() error { return c.DestroyBridge(ctx, br) }, "DELETE", "/ari/bridges/" + br, nil},
		{func() error { return c.Hangup(ctx, ch) }, "DELETE", "/ari/channels/" + ch, nil},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s %s: %v", s.method, s.path, err)
		}
		r, ok := f.lastRequest(s.method, s.path)
		if !ok {
			t.Fatalf("no %s %s", s.method, s.path)
		}
		for k, v := range s.query {
			if got := r.Query.Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", s.method, s.path, k, got, v)
			}
		}
	}
}

func TestSnapshotErrors(t *testing.T) {
	f := newFakeARI(t)
	c, err := New(testOptions(f.url(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Snapshot works without the WebSocket (REST stays up when it drops).
	if s, err := c.Snapshot(context.Background()); err != nil || len(s.Channels)+len(s.Bridges) != 0 {
		t.Fatalf("empty snapshot: %+v, %v", s, err)
	}
	f.override("GET /ari/bridges", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "boom"})
	})
	if _, err := c.Snapshot(context.Background()); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Snapshot with a failing GET /bridges: %v", err)
	}
	f.override("GET /ari/bridges", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id": 42}]`))
	})
	if _, err := c.Snapshot(context.Background()); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Errorf("Snapshot with a garbled GET /bridges: %v", err)
	}
}
