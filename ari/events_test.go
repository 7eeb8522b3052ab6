package ari

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/dialer"
)

// Ids of testdata/*.json: the transcripts' ids rewritten as dialer ids
// (see testdata/README.md).
const (
	idAnswered    = "dcd-0000000000000000000000000000001a" // s01a-debtor
	idRemoteHang  = "dcd-0000000000000000000000000000001b" // s01b-debtor
	idBusy        = "dcd-00000000000000000000000000000002" // s02-busy
	idNoAnswer    = "dcd-00000000000000000000000000000003" // s02-noanswer
	idCongestion  = "dcd-00000000000000000000000000000004" // s02-congestion
	idUnallocated = "dcd-00000000000000000000000000000000" // s02-unallocated
	idAgent4a     = "dca-0000000000000000000000000000004a" // s04a-agent
	idDebtor4a    = "dcd-0000000000000000000000000000004a" // s04a-debtor
	idBridge4a    = "dcb-0000000000000000000000000000004a" // s04a-bridge
	idDebtor5     = "dcd-00000000000000000000000000000005" // s05-debtor
	idPlayback1   = "dcp-00000000000000000000000000000051" // s05-pb1
	idPlayback4   = "dcp-00000000000000000000000000000054" // s05-pb4
)

// loadEvents reads testdata/events.json: recorded ARI events by name.
func loadEvents(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/events.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// loadSequence reads a testdata file holding an array of raw events.
func loadSequence(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var s []json.RawMessage
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecodeRecordedEvents(t *testing.T) {
	events := loadEvents(t)
	type want struct {
		res decodeResult
		ev  dialer.Event // Time is checked separately
	}
	deliver := func(ev dialer.Event) want { return want{resultDeliver, ev} }
	ignored := want{res: resultIgnored}
	cases := map[string]want{
		"dial-empty":    deliver(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: idAnswered, DialStatus: "", State: "Down"}),
		"dial-ringing":  deliver(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: idAnswered, DialStatus: "RINGING", State: "Ringing"}),
		"dial-answer":   deliver(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: idAnswered, DialStatus: "ANSWER", State: "Up"}),
		"state-ringing": deliver(dialer.Event{Kind: dialer.EventRinging, ChannelID: idAnswered, State: "Ringing"}),
		"state-up":      deliver(dialer.Event{Kind: dialer.EventAnswered, ChannelID: idAnswered, State: "Up"}),
		"state-up-far":  ignored, // the callee half "<id>;2"
		"stasis-start": deliver(dialer.Event{Kind: dialer.EventStasisStart, ChannelID: idAnswered, State: "Up",
			Args: []string{"campaign-42", "debtor-1001"}}),
		// Soft: cause 32 is a flag, not Q.850, and is not passed on.
		"hangup-request-soft": deliver(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: idAnswered, State: "Up", Soft: true}),
		"stasis-end":          deliver(dialer.Event{Kind: dialer.EventStasisEnd, ChannelID: idAnswered, State: "Up"}),
		"destroyed-normal": deliver(dialer.Event{Kind: dialer.EventChannelDestroyed, ChannelID: idAnswered, State: "Up",
			Cause: 16, CauseText: "Normal Clearing"}),
		"varset-far":   ignored,
		"dialplan-far": ignored,
		"callerid-far": ignored,
		"hangup-request-remote": deliver(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: idRemoteHang, State: "Up",
			Cause: 16}),
		"dial-busy": deliver(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: idBusy, DialStatus: "BUSY", State: "Ringing"}),
		// Busy through a Local channel: our leg's cause is 0, only the
		// callee half (filtered) has 17.
		"destroyed-busy": deliver(dialer.Event{Kind: dialer.EventChannelDestroyed, ChannelID: idBusy, State: "Ringing",
			Cause: 0, CauseText: "Unknown"}),
		"destroyed-busy-far": ignored,
		"state-busy-far":     ignored,
		"dial-congestion": deliver(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: idCongestion, DialStatus: "CONGESTION",
			State: "Down"}),
		"destroyed-noanswer": deliver(dialer.Event{Kind: dialer.EventChannelDestroyed, ChannelID: idNoAnswer, State: "Ringing",
			Cause: 19, CauseText: "User alerting, no answer"}),
		"hangup-request-unallocated": deliver(dialer.Event{Kind: dialer.EventHangupRequest, ChannelID: idUnallocated,
			State: "Down", Cause: 1}),
		"dial-noanswer-unallocated": deliver(dialer.Event{Kind: dialer.EventDialStatus, ChannelID: idUnallocated,
			DialStatus: "NOANSWER", State: "Down"}),
		"destroyed-unallocated": deliver(dialer.Event{Kind: dialer.EventChannelDestroyed, ChannelID: idUnallocated,
			State: "Down", Cause: 1, CauseText: "Unallocated (unassigned) number"}),
		"entered-bridge": deliver(dialer.Event{Kind: dialer.EventEnteredBridge, ChannelID: idDebtor4a, BridgeID: idBridge4a,
			State: "Up"}),
		"left-bridge": deliver(dialer.Event{Kind: dialer.EventLeftBridge, ChannelID: idAgent4a, BridgeID: idBridge4a,
			State: "Up"}),
		"bridge-destroyed":    deliver(dialer.Event{Kind: dialer.EventBridgeDestroyed, BridgeID: idBridge4a}),
		"playback-started":    ignored,
		"playback-continuing": ignored,
		"playback-finished-done": deliver(dialer.Event{Kind: dialer.EventPlaybackFinished, PlaybackID: idPlayback1,
			ChannelID: idDebtor5, State: "done"}),
		"playback-finished-failed": deliver(dialer.Event{Kind: dialer.EventPlaybackFinished, PlaybackID: idPlayback4,
			ChannelID: idDebtor5, State: "failed"}),
		"dtmf-received":        ignored,
		"talking-started":      ignored,
		"recording-finished":   ignored,
		"channel-created":      ignored,
		"device-state-changed": ignored,
		"application-replaced": {resultReplaced, dialer.Event{Kind: dialer.EventReplaced}},
	}
	for name := range events {
		if _, ok := cases[name]; !ok {
			t.Errorf("testdata event %q has no expectation", name)
		}
	}
	recv := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			raw, ok := events[name]
			if !ok {
				t.Fatalf("no testdata event %q", name)
			}
			ev, res, err := decodeEvent(raw, recv)
			if res != w.res {
				t.Fatalf("result %v (err %v), want %v", res, err, w.res)
			}
			if res != resultDeliver && res != resultReplaced {
				if !reflect.DeepEqual(ev, dialer.Event{}) {
					t.Errorf("non-delivered event carries %+v", ev)
				}
				return
			}
			var stamp struct {
				Timestamp string `json:"timestamp"`
			}
			_ = json.Unmarshal(raw, &stamp)
			wantTime, err := time.Parse("2006-01-02T15:04:05.000-0700", stamp.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if !ev.Time.Equal(wantTime) {
				t.Errorf("Time %v, want %v", ev.Time, wantTime)
			}
			ev.Time = time.Time{}
			if !reflect.DeepEqual(ev, w.ev) {
				t.Errorf("got  %+v\nwant %+v", ev, w.ev)
			}
		})
	}
}

func TestDecodeSkipsWhatItCannotUse(t *testing.T) {
	ours := "dcd-" + strings.Repeat("a", 32)
	cases := []struct {
		name string
		raw  string
		want decodeResult
	}{
		{"tone detected (Asterisk 22, unknown to ari/v5)", `{"type":"ChannelToneDetected","channel":{"id":"` + ours + `"}}`, resultUnknown},
		{"new type", `{"type":"SomethingNew","x":[1,2,3]}`, resultUnknown},
		{"not json", `{"type":"StasisEnd",`, resultMalformed},
		{"garbage", "\x00\xff\xfe", resultMalformed},
		{"empty", ``, resultMalformed},
		{"array", `[1,2]`, resultMalformed},
		{"null", `null`, resultMalformed},
		{"no type", `{"channel":{"id":"` + ours + `"}}`, resultMalformed},
		{"type not a string", `{"type":42}`, resultMalformed},
		{"StasisEnd without channel", `{"type":"StasisEnd"}`, resultMalformed},
		{"Dial without peer", `{"type":"Dial","dialstatus":"BUSY"}`, resultMalformed},
		{"cause of the wrong type", `{"type":"ChannelDestroyed","cause":"16","channel":{"id":"` + ours + `"}}`, resultMalformed},
		{"BridgeDestroyed without bridge", `{"type":"BridgeDestroyed"}`, resultMalformed},
		{"entered bridge without bridge", `{"type":"ChannelEnteredBridge","channel":{"id":"` + ours + `"}}`, resultMalformed},
		{"PlaybackFinished without playback", `{"type":"PlaybackFinished"}`, resultMalformed},
		{"not our channel", `{"type":"StasisEnd","channel":{"id":"1796314212.36"}}`, resultIgnored},
		{"callee half", `{"type":"StasisEnd","channel":{"id":"` + ours + `;2"}}`, resultIgnored},
		{"not our bridge", `{"type":"BridgeDestroyed","bridge":{"id":"s04a-bridge"}}`, resultIgnored},
		{"not our playback", `{"type":"PlaybackFinished","playback":{"id":"x","target_uri":"channel:y","state":"done"}}`, resultIgnored},
		{"state Ring", `{"type":"ChannelStateChange","channel":{"id":"` + ours + `","state":"Ring"}}`, resultIgnored},
		{"known, unused", `{"type":"ChannelUserevent","eventname":"x"}`, resultIgnored},
		{"our StasisEnd, odd timestamp", `{"type":"StasisEnd","timestamp":"yesterday","channel":{"id":"` + ours + `","creationtime":"soon"}}`, resultDeliver},
		{"playback on our bridge", `{"type":"PlaybackFinished","playback":{"id":"x","target_uri":"bridge:dcb-` + strings.Repeat("0", 32) + `","state":"done"}}`, resultDeliver},
	}
	recv := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, res, err := decodeEvent([]byte(tc.raw), recv)
			if res != tc.want {
				t.Fatalf("result %v (err %v), want %v", res, err, tc.want)
			}
			if res == resultMalformed && err == nil {
				t.Error("malformed without an error")
			}
			if res == resultDeliver && ev.Kind == dialer.EventUnknown {
				t.Error("delivered EventUnknown")
			}
		})
	}
	// An unknown type comes back named in the error (at most 64 bytes of
	// it), so the reader can log it without decoding the message again.
	long := strings.Repeat("T", 100)
	for raw, want := range map[string]string{
		`{"type":"ChannelToneDetected","channel":{"id":"` + ours + `"}}`: `"ChannelToneDetected"`,
		`{"type":"` + long + `"}`: `"` + long[:64] + `"`,
	} {
		_, res, err := decodeEvent([]byte(raw), recv)
		if res != resultUnknown || err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("decode %.40s…: result %v, error %v; want unknown, error naming %s", raw, res, err, want)
		}
	}
	// An odd timestamp falls back to the receive time.
	ev, _, _ := decodeEvent([]byte(`{"type":"StasisEnd","timestamp":"yesterday","channel":{"id":"`+ours+`"}}`), recv)
	if !ev.Time.Equal(recv) {
		t.Errorf("Time %v, want the receive time", ev.Time)
	}
	ev, _, _ = decodeEvent([]byte(`{"type":"StasisEnd","timestamp":"2026-12-03T16:10:01.5Z","channel":{"id":"`+ours+`"}}`), recv)
	if want := time.Date(2026, 12, 3, 16, 10, 1, 5e8, time.UTC); !ev.Time.Equal(want) {
		t.Errorf("RFC 3339 Time %v, want %v", ev.Time, want)
	}
}

func TestIsOurID(t *testing.T) {
	cases := map[string]bool{
		dialer.NewID(dialer.KindDebtor):            true,
		dialer.NewID(dialer.KindAgent):             true,
		dialer.NewID(dialer.KindBridge):            true,
		dialer.NewID(dialer.KindPlayback):          true,
		dialer.NewID(dialer.KindDebtor) + ";2":     false,
		"s01a-debtor":                              false,
		"1796314212.36":                            false,
		"":                                         false,
		"xx" + dialer.NewID(dialer.KindDebtor)[2:]: false,
	}
	for id, want := range cases {
		if got := isOurID(id); got != want {
			t.Errorf("isOurID(%q) = %v, want %v", id, got, want)
		}
	}
}

// FuzzDecodeEvent checks that no input panics the decoder and that what it
// delivers is well formed.
func FuzzDecodeEvent(f *testing.F) {
	for _, raw := range loadEvents(f) {
		f.Add([]byte(raw))
	}
	for _, name := range []string{"seq-busy.json", "seq-bridge.json"} {
		for _, raw := range loadSequence(f, name) {
			f.Add([]byte(raw))
		}
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"type":""}`, `{"type":"SomethingNew"}`, `{"type":"Dial","peer":null}`,
		`{"type":"PlaybackFinished","playback":{"id":"dcp-00000000000000000000000000000000","target_uri":"channel"}}`,
		`{"type":"StasisStart","args":null,"channel":{"id":"dcd-00000000000000000000000000000000"}}`,
		`{"type":"ChannelEnteredBridge","bridge":{"id":"b","channels":[1]},"channel":{"id":"dcd-00000000000000000000000000000000"}}`,
	} {
		f.Add([]byte(s))
	}
	recv := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, res, err := decodeEvent(data, recv)
		switch res {
		case resultDeliver:
			if ev.Kind <= dialer.EventUnknown || ev.Kind >= dialer.EventConnected {
				t.Fatalf("delivered kind %v", ev.Kind)
			}
			if !isOurID(ev.ChannelID) && !isOurID(ev.BridgeID) && !isOurID(ev.PlaybackID) {
				t.Fatalf("delivered an event about no id of ours: %+v", ev)
			}
			if ev.Kind == dialer.EventStasisStart && ev.Args == nil {
				t.Fatal("StasisStart with nil Args")
			}
			if ev.Soft && ev.Cause != 0 {
				t.Fatal("soft hangup request with a cause")
			}
		case resultReplaced:
			if ev.Kind != dialer.EventReplaced {
				t.Fatalf("replaced with kind %v", ev.Kind)
			}
		case resultMalformed:
			if err == nil {
				t.Fatal("malformed without error")
			}
		case resultIgnored, resultUnknown:
		default:
			t.Fatalf("result %v", res)
		}
	})
}

func BenchmarkDecodeEvent(b *testing.B) {
	events := loadEvents(b)
	raws := [][]byte{events["dial-ringing"], events["stasis-start"], events["destroyed-normal"], events["varset-far"]}
	recv := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, res, _ := decodeEvent(raws[i%len(raws)], recv); res == resultMalformed {
			b.Fatal("malformed")
		}
	}
}
