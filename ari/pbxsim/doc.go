// Package pbxsim is an Asterisk PBX simulator that speaks the Asterisk REST
// Interface (ARI): REST under /ari/... and the /ari/events WebSocket. The
// unmodified github.com/CyCoreSystems/ari/v5 native client connects to it,
// and what it sends follows what a real Asterisk 22 sends, as recorded in
// the transcripts under testdata (event names and order, channel snapshots,
// Dial statuses, hangup causes and their texts, HTTP status codes and error
// bodies).
//
// # What is simulated
//
//   - Originate (POST /channels, /channels/{id}) and create+dial
//     (/channels/create, /channels/{id}/dial) to PJSIP, SIP, IAX2, DAHDI and
//     Local endpoints. Local endpoints are a pair: our half (";1") gets the
//     channelId, the callee half (";2") gets otherChannelId and runs a small
//     scripted "dialplan" whose ChannelDialplan, ChannelVarset and hangup
//     events are sent like Asterisk sends them. Other technologies have no
//     callee half; the callee's hangup cause lands on our channel (17 busy,
//     34 congestion, 19 no answer), as on a real trunk.
//   - Callees chosen by the dialled number (see Config): the last digit
//     scheme, the transcripts' lab scheme (context "debtors", first digit of
//     a four-digit number; "agent-N@agents"), agents' softphones (resource
//     starting with "agent") and a seeded random Population.
//   - Hangup from either side with the recorded event order, the originate
//     timeout, busy/congestion/unallocated/no-answer outcomes, mixing and
//     holding bridges (BRIDGEPEER, ChannelEnteredBridge/LeftBridge,
//     BridgeDestroyed), playback of sounds, lists, tones and unknown schemes,
//     DTMF between the halves of a Local pair, channel variables, the
//     channel-id prefix/case collision check, authentication (Basic or
//     api_key), unknown routes (404) and methods (405).
//   - WebSockets: one writer goroutine per socket keeps event order; a
//     second socket for an application replaces the first
//     (ApplicationReplaced, then silence); events while an application has
//     no socket are lost; originating into an application without a socket
//     answers the callee and hangs it up at once, without events.
//
// # Callees
//
// The dialled number is the resource of the endpoint before any "@"
// (PJSIP/0912345678@trunk dials 0912345678). A resource starting with
// "agent" is an agent's softphone: it answers at once and stays up. Other
// numbers follow their last digit (all durations before TimeScale):
//
//	1  rings 2 s, answers, stays up until hung up
//	2  rings 1 s, busy (Dial BUSY; cause 17, or 0 on our half of a Local pair)
//	3  rings until the originate timeout (cause 19, no final Dial)
//	4  congestion after 0.5 s (Dial CONGESTION; cause 34, or 0 on our Local half)
//	5  rings 2 s, answers, hangs up 5 s later (cause 16)
//	6  answering machine: rings 1 s, answers, hangs up after a 30 s greeting
//	7  unallocated number (Dial NOANSWER, cause 1)
//	8, 9, 0  ring 1-10 s, answer, hang up after 10-120 s (seeded)
//
// With Config.Population the non-agent numbers draw their behaviour from a
// seeded random population instead. Local channels into the context
// "debtors" follow the transcripts' lab (first digit of a four-digit
// extension: 0 unallocated, 1 answers and stays up, 2 busy, 3 never
// answers, 4 congestion, 5 hangs up 3.5 s after answering, 6 machine, 7
// answers and puts the callee half into the application with args
// far-end,<number>, 8 answers silently, 9 rings 8 s), and "agent-N@agents"
// answers at once. Config.LocalContexts makes other contexts fail like a
// missing context does in Asterisk (200, then ChannelDestroyed cause 0).
//
// # Tests
//
// Calls, BridgeLog, Connected, InjectRaw, DropWebSockets, SetRESTDelay and
// SetRESTFailure serve tests. With Config.Clock set to a ManualClock the
// simulation moves only when the test advances the clock, so end-to-end
// tests are deterministic and take no wall-clock time.
//
// # What is not simulated
//
// Media (no RTP, no audio), recordings, snoop, external media, AMD and any
// dialplan beyond the scripted callees (POST /channels/{id}/continue leaves
// the channel up outside the application), subscribeAll, talk detection
// events, device states, mailboxes and endpoints inventory (always empty).
// Routes of the ARI that are not simulated answer 501 with a JSON message.
// HTTP reason phrases are Go's standard ones, not Asterisk's.
//
// All simulated durations (ringing, talk, playback, DTMF, originate and dial
// timeouts) are multiplied by Config.TimeScale, so tests run fast.
package pbxsim
