// Package ari implements dialer.Telephony over the Asterisk REST Interface
// (ARI), using the types of github.com/CyCoreSystems/ari/v5. No ari/v5 type
// crosses the package boundary.
//
// # Use
//
//	c, err := ari.New(ari.Options{
//		URL:         "http://pbx:8088/ari",
//		Username:    "dialer",
//		Password:    secret,
//		Application: "duecall-1", // one per duecall process
//		Logger:      log,
//	})
//	if err != nil { ... }
//	defer c.Close()
//	go func() { errc <- c.Run(ctx) }() // connects, reconnects, resyncs
//	for ev := range c.Events() { ... }
//
// # Events
//
// One goroutine (in Run) reads the events WebSocket, decodes each message
// itself and queues the resulting dialer.Events; another hands them to the
// reader of Events() in order. Nothing is dropped: when the queue holds
// 65,536 undelivered events the WebSocket reader waits and TCP flow control
// slows Asterisk down. Messages that are not JSON, have no type, or lack the
// id they are about are counted (Stats.Malformed) and skipped; event types
// unknown to ari/v5 (ChannelToneDetected, …) are counted (Stats.Unknown) and
// skipped. Neither stops the stream.
//
// Filtering, by design: only events about dialer ids are delivered — ids of
// dialer.IDLength characters starting with "dc" (dialer.NewID). Dropped, and
// counted in Stats.Ignored: the callee half of Local channels ("<id>;2"),
// channels of other applications, and event types the dialer does not act on
// (ChannelVarset, ChannelDialplan, ChannelCallerId, ChannelConnectedLine,
// PlaybackStarted, DeviceStateChanged, …). Originate and CreateBridge refuse
// ids of any other shape, since their events would never arrive.
//
// ARI → dialer.Event:
//
//	Dial (peer.id is ours)              EventDialStatus, DialStatus = dialstatus ("", RINGING, ANSWER, BUSY, …)
//	ChannelStateChange Ringing / Up     EventRinging / EventAnswered (other states skipped)
//	StasisStart                         EventStasisStart, Args = args
//	StasisEnd                           EventStasisEnd
//	ChannelHangupRequest                EventHangupRequest, Soft; Cause only when not soft
//	                                    (a soft request's cause is a flag, 32 = ARI, 16 = dialplan end)
//	ChannelDestroyed                    EventChannelDestroyed, Cause, CauseText = cause, cause_txt
//	ChannelEnteredBridge / LeftBridge   EventEnteredBridge / EventLeftBridge, BridgeID, ChannelID
//	BridgeDestroyed                     EventBridgeDestroyed, BridgeID
//	PlaybackFinished                    EventPlaybackFinished, PlaybackID, State (done, failed),
//	                                    ChannelID (target_uri "channel:<id>") or BridgeID
//	ApplicationReplaced                 EventReplaced, then EventDisconnected; Run returns an error
//
// Dial statuses and causes pass through untouched: the dialer takes the
// outcome from the Dial dialstatus (our leg's ChannelDestroyed cause is 0 for
// busy and congestion through Local channels, 19 for no answer, which has no
// final Dial event; unallocated numbers give dialstatus NOANSWER and cause 1).
//
// # Connection
//
// Run connects, then GETs /channels and /bridges and emits EventConnected
// with that Snapshot, so the snapshot is never older than the connection.
// Events that were in flight while the snapshot was taken follow it; the
// dialer must accept, say, a StasisEnd for a channel the snapshot lacks.
// When the connection is lost Run emits EventDisconnected, and reconnects
// with backoff. Events of the gap are lost in Asterisk (nothing is
// replayed): the next EventConnected's snapshot is the resync. Connected()
// is false from the loss to the next EventConnected, and Originate then
// fails with dialer.ErrDisconnected, because Asterisk answers and drops a
// call whose application has no WebSocket.
//
// # Why not the ari/v5 native client's REST and WebSocket code
//
// client/native falls short of what a dialer needs: its Connect blocks until
// Asterisk is up; its WebSocket reader sends a nil event (a panic) for an
// event type it does not know and its bus silently drops events when a
// subscriber's buffer of 100 is full; its REST calls take no context and its
// http.Client has no timeout (a hung Asterisk hangs the caller); and its
// RequestError drops Asterisk's error text. So this package uses ari/v5's
// types (ari.OriginateRequest, ari.ChannelData, ari.BridgeData,
// ari.ApplicationData, ari.PlaybackData, ari.Events, the event structs) over
// its own net/http and WebSocket code, and routes the library's log15
// output into zap. The unmodified native client is exercised against the
// simulator in ari/pbxsim's tests.
//
// # REST
//
// REST calls use net/http with a per-call timeout (Options.RequestTimeout)
// and the caller's context, and surface Asterisk's error text. Errors match
// dialer sentinels: Hangup, DestroyBridge, Play, AddToBridge and
// RemoveFromBridge return dialer.ErrNotFound when the channel or bridge is
// gone or no longer in the application; CreateBridge returns
// dialer.ErrConflict for a bridge id in use; Originate returns a
// *dialer.OriginateError with Asterisk's status and text (400 "Invalid
// endpoint specified", 500 "Allocation failed"), which also matches
// dialer.ErrConflict on 409.
package ari
