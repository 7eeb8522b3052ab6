package pbxsim

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
)

// waitEvent waits for an event of one of the types about channel id (""
// for any) on sub.
func waitEvent(t *testing.T, sub ari.Subscription, id string, types ...string) ari.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatalf("subscription closed while waiting for %v of %q", types, id)
			}
			for _, typ := range types {
				if e.GetType() != typ {
					continue
				}
				if id == "" {
					return e
				}
				for _, k := range e.Keys() {
					if k.Kind == ari.ChannelKey && k.ID == id {
						return e
					}
				}
			}
		case <-timeout:
			t.Fatalf("timeout waiting for %v of %q", types, id)
		}
	}
}

// TestNativeClient drives the simulator with the unmodified ari/v5 native
// client: connect, originate an agent and a debtor, bridge them, hang up.
func TestNativeClient(t *testing.T) {
	s := New(Config{Username: "dialer", Password: "s3cret", TimeScale: 0.01, Seed: 7})
	base, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	cl, err := native.Connect(&native.Options{
		Application:  "dialer",
		URL:          base + "/ari",
		WebsocketURL: "ws" + strings.TrimPrefix(base, "http") + "/ari/events",
		Username:     "dialer",
		Password:     "s3cret",
	})
	if err != nil {
		t.Fatalf("native.Connect: %v", err)
	}
	defer stopNativeClient(t, s, cl)
	if !s.Connected("dialer") {
		t.Fatal("simulator does not see the application connected")
	}

	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()

	agent, err := cl.Channel().Originate(nil, ari.OriginateRequest{
		Endpoint: "PJSIP/agent101", App: "dialer", AppArgs: "agent,101",
		ChannelID: "agent-101-chan", Timeout: 30, CallerID: `"Dialer" <1900>`,
	})
	if err != nil {
		t.Fatalf("originate agent: %v", err)
	}
	debtor, err := cl.Channel().Originate(nil, ari.OriginateRequest{
		Endpoint: "Local/0912345671@duecall-test", App: "dialer", AppArgs: "debtor,d-1",
		ChannelID: "debtor-0001-chan", OtherChannelID: "debtor-0001-far", Timeout: 30,
		Variables: map[string]string{"DIALER_DEBT": "d-1"}, Formats: "ulaw",
	})
	if err != nil {
		t.Fatalf("originate debtor: %v", err)
	}

	ev := waitEvent(t, sub, agent.ID(), ari.Events.StasisStart)
	if got := ev.(*ari.StasisStart).Args; strings.Join(got, ",") != "agent,101" {
		t.Errorf("agent StasisStart args = %v", got)
	}
	ev = waitEvent(t, sub, debtor.ID(), ari.Events.StasisStart)
	if got := ev.(*ari.StasisStart).Args; strings.Join(got, ",") != "debtor,d-1" {
		t.Errorf("debtor StasisStart args = %v", got)
	}
	if v, err := debtor.GetVariable("DIALER_DEBT"); err != nil || v != "d-1" {
		t.Errorf("GetVariable = %q, %v", v, err)
	}
	data, err := debtor.Data()
	if err != nil || data.State != "Up" {
		t.Fatalf("debtor data: %+v, %v", data, err)
	}

	bh, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "bridge-1"), "mixing", "call-1")
	if err != nil {
		t.Fatalf("create bridge: %v", err)
	}
	if err := bh.AddChannel(agent.ID()); err != nil {
		t.Fatalf("add agent: %v", err)
	}
	if err := bh.AddChannel(debtor.ID()); err != nil {
		t.Fatalf("add debtor: %v", err)
	}
	waitEvent(t, sub, agent.ID(), ari.Events.ChannelEnteredBridge)
	waitEvent(t, sub, debtor.ID(), ari.Events.ChannelEnteredBridge)
	bd, err := bh.Data()
	if err != nil || len(bd.ChannelIDs) != 2 {
		t.Fatalf("bridge data: %+v, %v", bd, err)
	}

	if err := debtor.Hangup(); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	left := waitEvent(t, sub, debtor.ID(), ari.Events.ChannelLeftBridge).(*ari.ChannelLeftBridge)
	if left.Bridge.ID != "bridge-1" {
		t.Errorf("left bridge %q", left.Bridge.ID)
	}
	destroyed := waitEvent(t, sub, debtor.ID(), ari.Events.ChannelDestroyed).(*ari.ChannelDestroyed)
	if destroyed.Cause != 16 || destroyed.CauseTxt != "Normal Clearing" {
		t.Errorf("destroyed cause %d %q", destroyed.Cause, destroyed.CauseTxt)
	}
	if err := bh.Delete(); err != nil {
		t.Fatalf("delete bridge: %v", err)
	}
	waitEvent(t, sub, "", ari.Events.BridgeDestroyed)

	// A bridge-less agent stays up; the native client sees 404 for a gone
	// channel.
	if _, err := debtor.Data(); err == nil {
		t.Error("data of a destroyed channel succeeded")
	}
	if err := agent.Hangup(); err != nil {
		t.Fatalf("hangup agent: %v", err)
	}
	waitEvent(t, sub, agent.ID(), ari.Events.ChannelDestroyed)

	calls := s.Calls()
	if len(calls) != 2 {
		t.Fatalf("calls = %d", len(calls))
	}
	if !calls[0].Agent || calls[0].Outcome != OutcomeAnswered || calls[0].HungUpBy != HungUpByAPI {
		t.Errorf("agent record %+v", calls[0])
	}
	if calls[1].Number != "0912345671" || calls[1].Outcome != OutcomeAnswered || calls[1].Cause != 16 || calls[1].OtherID != "debtor-0001-far" {
		t.Errorf("debtor record %+v", calls[1])
	}
	log := s.BridgeLog()
	if len(log) != 2 || log[0].ChannelID != agent.ID() || log[1].Left.IsZero() || log[0].Left.IsZero() {
		t.Errorf("bridge log %+v", log)
	}
}

// stopNativeClient ends the native client's WebSocket loop and waits until
// the simulator sees the socket gone. native.Client.Close writes the
// client's "connected" flag without synchronisation with that loop (a data
// race in ari/v5 v5.3.1 that -race reports), so the test calls the
// client's context cancel function alone, which is all Close needs to stop
// the loop.
func stopNativeClient(t *testing.T, s *Server, cl ari.Client) {
	t.Helper()
	nc, ok := cl.(*native.Client)
	if !ok {
		t.Fatalf("client is %T", cl)
	}
	f := reflect.ValueOf(nc).Elem().FieldByName("cancel")
	cancel := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(context.CancelFunc)
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for s.Connected("dialer") {
		if time.Now().After(deadline) {
			t.Fatal("native client did not close its WebSocket")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
