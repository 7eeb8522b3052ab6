package pbxsim

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// forever marks a step that never ends by itself.
const forever time.Duration = -1

// labContext and agentsContext are the contexts of the transcripts' lab.
const (
	labContext    = "debtors"
	agentsContext = "agents"
)

// stepKind is what a step of a callee script does.
type stepKind int

const (
	stepNoOp       stepKind = iota // nothing
	stepRinging                    // the callee rings: our channel goes Ringing
	stepWait                       // wait dur
	stepAnswer                     // the callee answers
	stepPlayback                   // the callee plays media for dur (PLAYBACKSTATUS at the end)
	stepGoto                       // jump to context,exten,1
	stepSet                        // set a variable on the callee half
	stepBusy                       // Busy(): dial status BUSY
	stepCongestion                 // Congestion(): dial status CONGESTION
	stepHangup                     // Hangup(cause)
	stepStasis                     // the callee half enters the application
)

// step is one dialplan application of a callee script. The callee half of
// a Local pair reports each step as a ChannelDialplan event.
type step struct {
	kind stepKind
	app  string // dialplan application name
	data string // its argument
	dur  time.Duration
	// after is a pause after the step (unreported), as Answer() leaves
	// before the next application runs.
	after   time.Duration
	cause   int
	context string // stepGoto
	exten   string // stepGoto
	name    string // stepSet
	value   string // stepSet
	args    []string
}

// callee is the behaviour of a dialled party.
type callee struct {
	label  string // "human", "busy", ...
	script []step
	// invalid: the Local extension or context does not exist.
	invalid bool
}

func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func noop(text string) step { return step{kind: stepNoOp, app: "NoOp", data: text} }
func ringing() step         { return step{kind: stepRinging, app: "Ringing"} }
func wait(d time.Duration, data string) step {
	return step{kind: stepWait, app: "Wait", data: data, dur: d}
}

// answerPause is how long Answer() waits for media before the callee's
// next step (less when media arrives: see Server.mediaReached).
const answerPause = 500 * time.Millisecond

func answer() step { return step{kind: stepAnswer, app: "Answer", after: answerPause} }
func playStep(data string, d time.Duration) step {
	return step{kind: stepPlayback, app: "Playback", data: data, dur: d}
}
func gotoLineUp() step {
	return step{kind: stepGoto, app: "Goto", data: "line-up,s,1", context: "line-up", exten: "s"}
}
func hangup(cause int) step {
	return step{kind: stepHangup, app: "Hangup", data: strconv.Itoa(cause), cause: cause}
}

// silence is the endless (or long) silent audio a callee plays once
// connected: "silence/10&silence/10&...".
func silence(d time.Duration) step {
	n := 60
	if d > 0 {
		n = int((d + 10*time.Second - 1) / (10 * time.Second))
		if n < 1 {
			n = 1
		}
	}
	data := strings.TrimSuffix(strings.Repeat("silence/10&", n), "&")
	return playStep(data, d)
}

// Durations of the lab's sounds.
const (
	helloDur      = 785 * time.Millisecond  // "hello"
	helloWorldDur = 3400 * time.Millisecond // "hello-world&silence/2"
	beepDur       = 420 * time.Millisecond
)

func humanCallee(n string, ring, upFor time.Duration) callee {
	return callee{label: "human", script: []step{
		noop("human answer " + n), ringing(), wait(ring, secs(ring)), answer(),
		playStep("hello", helloDur), gotoLineUp(), silence(upFor),
	}}
}

func remoteHangupCallee(n string, ring, talk time.Duration, data string) callee {
	return callee{label: "remote-hangup", script: []step{
		noop("answer then remote hangup " + n), ringing(), wait(ring, secs(ring)), answer(),
		playStep(data, talk), hangup(16),
	}}
}

// machineCallee answers, plays a greeting and a beep, then either hangs up
// (hangupAfter) or stays silent for upFor.
func machineCallee(n string, ring, greeting time.Duration, hangupAfter bool, upFor time.Duration) callee {
	s := []step{
		noop("answering machine " + n), ringing(), wait(ring, secs(ring)), answer(),
		playStep("vm-greeting&beep", greeting+beepDur),
	}
	if hangupAfter {
		s = append(s, hangup(16))
	} else {
		s = append(s, gotoLineUp(), silence(upFor))
	}
	return callee{label: "machine", script: s}
}

func busyCallee(n string, ring time.Duration) callee {
	return callee{label: "busy", script: []step{
		noop("busy " + n), ringing(), wait(ring, secs(ring)),
		{kind: stepBusy, app: "Busy", data: "5"},
	}}
}

func noAnswerCallee(n string, ring time.Duration) callee {
	data := "600"
	if ring > 0 {
		data = secs(ring)
	}
	return callee{label: "noanswer", script: []step{
		noop("no answer " + n), ringing(), wait(ring, data),
	}}
}

func congestionCallee(n string, delay time.Duration) callee {
	return callee{label: "congestion", script: []step{
		noop("congestion " + n), wait(delay, secs(delay)),
		{kind: stepCongestion, app: "Congestion", data: "5"},
	}}
}

func unallocatedCallee(n string) callee {
	return callee{label: "unallocated", script: []step{noop("unallocated " + n), hangup(1)}}
}

func silentCallee(n string, ring, upFor time.Duration) callee {
	return callee{label: "silent", script: []step{
		noop("silent answer " + n), ringing(), wait(ring, secs(ring)), answer(),
		gotoLineUp(), silence(upFor),
	}}
}

func farStasisCallee(n, app string) callee {
	return callee{label: "far-stasis", script: []step{
		noop("far end into stasis " + n), answer(),
		{kind: stepStasis, app: "Stasis", data: app + ",far-end," + n, args: []string{"far-end", n}},
	}}
}

func agentCallee(n string) callee {
	return callee{label: "agent", script: []step{
		noop("agent " + n), answer(),
		{kind: stepSet, app: "Set", data: "LOOPS=0", name: "LOOPS", value: "0"},
		silence(forever),
	}}
}

// labCallee is the transcripts' lab dialplan: context "debtors", the first
// digit of a four-digit extension decides.
func labCallee(exten, app string) callee {
	if len(exten) != 4 || !isDialNumber(exten) || exten[0] == '+' {
		return callee{label: "invalid", invalid: true}
	}
	const tenMin = 10 * time.Minute
	switch exten[0] {
	case '0':
		return unallocatedCallee(exten)
	case '1':
		return humanCallee(exten, 2*time.Second, tenMin)
	case '2':
		return busyCallee(exten, time.Second)
	case '3':
		return noAnswerCallee(exten, 600*time.Second)
	case '4':
		return congestionCallee(exten, 500*time.Millisecond)
	case '5':
		return remoteHangupCallee(exten, time.Second, helloWorldDur, "hello-world&silence/2")
	case '6':
		return machineCallee(exten, time.Second, 10*time.Second, false, tenMin)
	case '7':
		return farStasisCallee(exten, app)
	case '8':
		return silentCallee(exten, 2*time.Second, tenMin)
	default: // '9'
		return humanCallee(exten, 8*time.Second, tenMin)
	}
}

// uniform draws a duration in [lo, hi].
func uniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

// digitCallee is the last-digit scheme.
func digitCallee(n string, rng *rand.Rand) callee {
	switch n[len(n)-1] {
	case '1':
		return humanCallee(n, 2*time.Second, forever)
	case '2':
		return busyCallee(n, time.Second)
	case '3':
		return noAnswerCallee(n, forever)
	case '4':
		return congestionCallee(n, 500*time.Millisecond)
	case '5':
		// The callee hangs up 5 s after answering (Answer's pause included).
		return remoteHangupCallee(n, 2*time.Second, 5*time.Second-answerPause, "hello-world&silence/4")
	case '6':
		// A 30 s greeting, then the machine hangs up.
		return machineCallee(n, time.Second, 30*time.Second-answerPause-beepDur, true, 0)
	case '7':
		return unallocatedCallee(n)
	default: // '8', '9', '0'
		ring := uniform(rng, time.Second, 10*time.Second)
		talk := uniform(rng, 10*time.Second, 120*time.Second)
		c := humanCallee(n, ring, talk-answerPause-helloDur)
		c.label = "random-human"
		return c
	}
}

// populationCallee draws a callee from a Population.
func populationCallee(n string, p *Population, rng *rand.Rand) callee {
	lo, hi := p.ringBounds()
	ring := uniform(rng, lo, hi)
	talk := forever
	if p.TalkMean > 0 {
		talk = time.Duration(rng.ExpFloat64() * float64(p.TalkMean))
		if talk < time.Second {
			talk = time.Second
		}
	}
	x := rng.Float64()
	switch {
	case x < p.AnswerProb:
		if rng.Float64() < p.MachineProb {
			return machineCallee(n, ring, p.greeting(), true, 0)
		}
		if talk == forever {
			return humanCallee(n, ring, forever)
		}
		return humanCallee(n, ring, max(talk-answerPause-helloDur, time.Second))
	case x < p.AnswerProb+p.BusyProb:
		return busyCallee(n, ring)
	case x < p.AnswerProb+p.BusyProb+p.CongestionProb:
		return congestionCallee(n, 500*time.Millisecond)
	case x < p.AnswerProb+p.BusyProb+p.CongestionProb+p.InvalidProb:
		return unallocatedCallee(n)
	default:
		return noAnswerCallee(n, forever)
	}
}
