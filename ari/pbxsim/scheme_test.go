package pbxsim

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestLastDigitScheme checks, for each last digit, the events of our
// channel, the outcome and its timing, through a Local channel and a PJSIP
// trunk (where the callee's cause lands on our channel).
func TestLastDigitScheme(t *testing.T) {
	answered := []string{
		"Dial ", "ChannelStateChange Ringing", "Dial RINGING", "ChannelStateChange Up",
		"Dial ANSWER", "ChannelVarset STASISSTATUS=", "StasisStart",
	}
	calleeHangup := []string{"ChannelHangupRequest 16", "StasisEnd", "ChannelVarset STASISSTATUS=SUCCESS", `ChannelDestroyed 16 Normal Clearing`}
	cases := []struct {
		digit    string
		outcome  Outcome
		events   []string // our channel's events, Local
		pjsip    []string // our channel's events, PJSIP, when they differ
		answerAt time.Duration
		endAt    time.Duration // 0: stays up
	}{
		{"1", OutcomeAnswered, answered, nil, 2 * time.Second, 0},
		{"2", OutcomeBusy,
			[]string{"Dial ", "ChannelStateChange Ringing", "Dial RINGING", "Dial BUSY", "ChannelDestroyed 0 Unknown"},
			[]string{"Dial ", "ChannelStateChange Ringing", "Dial RINGING", "Dial BUSY", "ChannelDestroyed 17 User busy"},
			0, time.Second},
		{"3", OutcomeNoAnswer,
			[]string{"Dial ", "ChannelStateChange Ringing", "Dial RINGING", "ChannelDestroyed 19 User alerting, no answer"},
			nil, 0, 30 * time.Second},
		{"4", OutcomeCongestion,
			[]string{"Dial ", "Dial CONGESTION", "ChannelDestroyed 0 Unknown"},
			[]string{"Dial ", "Dial CONGESTION", "ChannelDestroyed 34 Circuit/channel congestion"},
			0, 500 * time.Millisecond},
		{"5", OutcomeAnswered, append(slices.Clone(answered), calleeHangup...), nil, 2 * time.Second, 7 * time.Second},
		{"6", OutcomeAnswered, append(slices.Clone(answered), calleeHangup...), nil, time.Second, 31 * time.Second},
		{"7", OutcomeUnallocated,
			[]string{"Dial ", "ChannelHangupRequest 1", "Dial NOANSWER", "ChannelDestroyed 1 Unallocated (unassigned) number"},
			nil, 0, 0},
	}
	for _, tech := range []string{"Local", "PJSIP"} {
		for _, tc := range cases {
			t.Run(tech+"/"+tc.digit, func(t *testing.T) {
				env := startSim(t, Config{}, "dialer")
				endpoint := "Local/091234567" + tc.digit + "@duecall-test"
				if tech == "PJSIP" {
					endpoint = "PJSIP/091234567" + tc.digit + "@trunk"
				}
				id := "call-" + tc.digit
				env.originate(t, endpoint, id, url.Values{"timeout": {"30"}})
				env.advance(200 * time.Second)
				env.quiesce()
				want := tc.events
				if tech == "PJSIP" && tc.pjsip != nil {
					want = tc.pjsip
				}
				if got := env.chanEvents(t, id); !slices.Equal(got, want) {
					t.Errorf("events\n got  %q\n want %q", got, want)
				}
				rec := env.record(t, id)
				if rec.Outcome != tc.outcome {
					t.Errorf("outcome %q, want %q", rec.Outcome, tc.outcome)
				}
				if tc.answerAt > 0 && rec.Answered.Sub(rec.Originated) != tc.answerAt {
					t.Errorf("answered after %v, want %v", rec.Answered.Sub(rec.Originated), tc.answerAt)
				}
				switch {
				case tc.endAt > 0 && rec.Ended.Sub(rec.Originated) != tc.endAt:
					t.Errorf("ended after %v, want %v", rec.Ended.Sub(rec.Originated), tc.endAt)
				case tc.outcome == OutcomeAnswered && tc.endAt == 0 && !rec.Ended.IsZero():
					t.Errorf("a callee that stays up hung up after %v", rec.Ended.Sub(rec.Originated))
				}
			})
		}
	}
}

// TestRandomDigits checks digits 8, 9 and 0: they ring 1-10 s, answer
// and the callee hangs up 10-120 s later, reproducibly for a seed.
func TestRandomDigits(t *testing.T) {
	run := func(seed int64) []CallRecord {
		env := startSim(t, Config{Seed: seed}, "dialer")
		for i, d := range []string{"8", "9", "0", "8", "9", "0"} {
			env.originate(t, "PJSIP/+8491234560"+d+"@trunk", fmt.Sprintf("rand-%d", i), url.Values{"timeout": {"-1"}})
		}
		for i := 0; i < 140; i++ {
			env.advance(time.Second)
		}
		return env.s.Calls()
	}
	a, b := run(42), run(42)
	for i, rec := range a {
		if rec.Outcome != OutcomeAnswered || rec.HungUpBy != HungUpByCallee || rec.Cause != 16 {
			t.Fatalf("call %d: %+v", i, rec)
		}
		ring := rec.Answered.Sub(rec.Originated)
		talk := rec.Ended.Sub(rec.Answered)
		if ring < time.Second || ring > 10*time.Second || talk < 10*time.Second-20*time.Millisecond || talk > 120*time.Second {
			t.Errorf("call %d: ring %v talk %v", i, ring, talk)
		}
		if b[i].Answered.Sub(b[i].Originated) != ring || b[i].Ended.Sub(b[i].Answered) != talk {
			t.Errorf("call %d differs between runs with the same seed", i)
		}
	}
	c := run(43)
	same := 0
	for i := range a {
		if c[i].Answered.Sub(c[i].Originated) == a[i].Answered.Sub(a[i].Originated) {
			same++
		}
	}
	if same == len(a) {
		t.Error("another seed gave the same ring times")
	}
}

// TestAgents checks agents' softphones: answer at once, stay up.
func TestAgents(t *testing.T) {
	for _, ep := range []string{"PJSIP/agent101", "Local/agent-101@duecall-test", "SIP/agent7", "Local/agent-3@agents"} {
		t.Run(ep, func(t *testing.T) {
			env := startSim(t, Config{}, "dialer")
			env.originate(t, ep, "agent", nil)
			env.advance(0)
			env.waitChanEvent(t, "agent", "StasisStart")
			env.advance(2 * time.Hour)
			env.quiesce()
			want := []string{"Dial ", "ChannelStateChange Up", "Dial ANSWER", "ChannelVarset STASISSTATUS=", "StasisStart"}
			if got := env.chanEvents(t, "agent"); !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
			rec := env.record(t, "agent")
			if !rec.Agent || rec.Answered != rec.Originated || !rec.Ended.IsZero() {
				t.Errorf("record %+v", rec)
			}
		})
	}
}

// TestPopulation checks the random population: reproducible per seed and
// close to the configured shares.
func TestPopulation(t *testing.T) {
	pop := &Population{AnswerProb: 0.5, BusyProb: 0.2, CongestionProb: 0.1, InvalidProb: 0.1,
		MachineProb: 0.3, RingMin: time.Second, RingMax: 5 * time.Second, TalkMean: 30 * time.Second}
	const n = 400
	run := func() map[Outcome]int {
		env := startSim(t, Config{Seed: 9, Population: pop}, "dialer")
		for i := 0; i < n; i++ {
			env.originate(t, fmt.Sprintf("PJSIP/09%08d@trunk", i), fmt.Sprintf("pop-%04d", i), url.Values{"timeout": {"20"}})
		}
		for i := 0; i < 25; i++ {
			env.advance(time.Second)
		}
		counts := map[Outcome]int{}
		machines := 0
		for _, rec := range env.s.Calls() {
			counts[rec.Outcome]++
			if rec.Callee == "machine" {
				machines++
			}
			if rec.Outcome == OutcomeAnswered {
				if ring := rec.Answered.Sub(rec.Originated); ring < time.Second || ring > 5*time.Second {
					t.Errorf("%s rang %v", rec.ID, ring)
				}
			}
		}
		counts["machine"] = machines
		return counts
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different outcomes: %v vs %v", a, b)
	}
	within := func(name string, got int, share float64) {
		want := share * n
		if float64(got) < want*0.75 || float64(got) > want*1.25 {
			t.Errorf("%s: %d of %d, want about %.0f", name, got, n, want)
		}
	}
	within("answered", a[OutcomeAnswered], 0.5)
	within("busy", a[OutcomeBusy], 0.2)
	within("congestion", a[OutcomeCongestion], 0.1)
	within("unallocated", a[OutcomeUnallocated], 0.1)
	within("noanswer", a[OutcomeNoAnswer], 0.1)
	within("machine", a["machine"], 0.5*0.3)
}

// TestLabScheme checks the transcripts' lab context beyond the replays:
// 9XXX rings 8 s, 6XXX is a machine, 8XXX answers silently, 3XXX with
// no timeout rings for 10 minutes.
func TestLabScheme(t *testing.T) {
	env := startSim(t, Config{}, "dialer")
	env.originate(t, "Local/9001@debtors", "lab9", nil)
	env.originate(t, "Local/6001@debtors", "lab6", nil)
	env.originate(t, "Local/8001@debtors", "lab8", nil)
	env.originate(t, "Local/3001@debtors", "lab3", url.Values{"timeout": {"-1"}})
	env.originate(t, "Local/12345@debtors", "lab-bad", nil)
	for i := 0; i < 700; i++ {
		env.advance(time.Second)
	}
	env.quiesce()
	for id, want := range map[string]time.Duration{"lab9": 8 * time.Second, "lab6": time.Second, "lab8": 2 * time.Second} {
		rec := env.record(t, id)
		if got := rec.Answered.Sub(rec.Originated); got != want {
			t.Errorf("%s answered after %v, want %v", id, got, want)
		}
	}
	if rec := env.record(t, "lab3"); rec.Outcome != OutcomeFailed || rec.Ended.Sub(rec.Originated) != 600*time.Second {
		t.Errorf("3XXX without timeout: %+v", rec)
	}
	if rec := env.record(t, "lab-bad"); rec.Outcome != OutcomeFailed || rec.Cause != 0 || rec.Callee != "invalid" {
		t.Errorf("five-digit extension: %+v", rec)
	}
	if got := env.chanEvents(t, "lab-bad"); !slices.Equal(got, []string{"ChannelDestroyed 0 Unknown"}) {
		t.Errorf("bad extension events %q", got)
	}
}
