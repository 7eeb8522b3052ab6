package pbxsim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.uber.org/zap"
)

// DefaultAsteriskID is the entity id the simulator reports (asterisk/info,
// asterisk_id of events) unless Config.AsteriskID is set. It is the neutral
// value of the recorded transcripts.
const DefaultAsteriskID = "02:00:00:00:00:01"

// AsteriskVersion is the Asterisk version the simulator claims to be.
const AsteriskVersion = "22.10.1"

// DefaultTechnologies are the channel technologies that can be originated
// when Config.Technologies is nil. Any other technology answers 500
// {"error":"Allocation failed"}.
var DefaultTechnologies = []string{"PJSIP", "SIP", "IAX2", "DAHDI", "Local"}

// Config configures a Server. The zero value works: no authentication,
// real time, seed 0, the last-digit callee scheme.
type Config struct {
	// Username and Password are the ARI credentials. When Username is
	// empty, no authentication is required.
	Username, Password string
	// Application, when set, is the only application name accepted on the
	// events WebSocket; other names are refused with 400.
	Application string
	// TimeScale multiplies every simulated duration (ringing, talking,
	// playback, DTMF, originate and dial timeouts). 1 (or 0) is real time;
	// 0.01 runs a hundred times faster.
	TimeScale float64
	// Seed seeds the random choices (ring and talk times of digits 8, 9
	// and 0, the Population draws, generated bridge ids).
	Seed int64
	// Population, when set, replaces the last-digit scheme for non-agent
	// numbers outside the lab context "debtors".
	Population *Population
	// Logger receives debug logs of call progress; nil means zap.NewNop().
	// Phone numbers are masked.
	Logger *zap.Logger

	// Technologies lists the technologies that can be originated; nil
	// means DefaultTechnologies. Names match case-insensitively. (A real
	// Asterisk 22 has no chan_sip: leave "SIP" out to reproduce that.)
	Technologies []string
	// LocalContexts, when non-nil, lists the dialplan contexts that exist
	// for Local channels. A Local channel into another context is accepted
	// (200) and then destroyed with cause 0, without Dial and StasisStart,
	// like Asterisk does for a missing context. Nil accepts every context.
	LocalContexts []string
	// AsteriskID is the entity id reported; empty means DefaultAsteriskID.
	AsteriskID string
	// Sounds adds sound files (name without "sound:", e.g. "vm-goodbye")
	// and their durations to the built-in catalog used by playbacks.
	Sounds map[string]time.Duration
	// Clock is the time source; nil means the real clock. A ManualClock
	// makes runs deterministic (TimeScale still applies).
	Clock Clock
}

// Population is a seeded random population of callees, for demos and load
// tests. Each originated non-agent number draws one outcome: answer with
// AnswerProb, busy with BusyProb, congestion with CongestionProb, an
// unallocated number with InvalidProb, and otherwise no answer (it rings
// until the originate timeout).
type Population struct {
	AnswerProb     float64
	BusyProb       float64
	CongestionProb float64
	InvalidProb    float64
	// MachineProb is the share of answered calls that reach an answering
	// machine (a greeting of MachineGreeting, then the machine hangs up).
	MachineProb float64
	// RingMin and RingMax bound the uniform ring time before the callee
	// answers or reports busy. Both zero means 1 s to 10 s.
	RingMin, RingMax time.Duration
	// TalkMean is the mean of the exponential time a person talks before
	// hanging up (at least 1 s). Zero means the person never hangs up.
	TalkMean time.Duration
	// MachineGreeting is the length of a machine's greeting; zero means
	// 10 s.
	MachineGreeting time.Duration
}

// Validation errors of Config.
var (
	ErrBadTimeScale  = errors.New("pbxsim: TimeScale must be a finite number >= 0")
	ErrBadPopulation = errors.New("pbxsim: invalid Population")
)

// Validate reports whether the configuration is usable. New panics on a
// configuration that does not validate.
func (c Config) Validate() error {
	if c.TimeScale < 0 || math.IsNaN(c.TimeScale) || math.IsInf(c.TimeScale, 0) {
		return ErrBadTimeScale
	}
	for _, t := range c.Technologies {
		if t == "" || strings.ContainsAny(t, "/@") {
			return fmt.Errorf("pbxsim: invalid technology %q", t)
		}
	}
	for name, d := range c.Sounds {
		if name == "" || d < 0 {
			return fmt.Errorf("pbxsim: invalid sound %q (%v)", name, d)
		}
	}
	if c.Population != nil {
		if err := c.Population.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (p *Population) validate() error {
	probs := []float64{p.AnswerProb, p.BusyProb, p.CongestionProb, p.InvalidProb, p.MachineProb}
	for _, v := range probs {
		if v < 0 || v > 1 || math.IsNaN(v) {
			return fmt.Errorf("%w: probabilities must be within [0, 1]", ErrBadPopulation)
		}
	}
	if sum := p.AnswerProb + p.BusyProb + p.CongestionProb + p.InvalidProb; sum > 1+1e-9 {
		return fmt.Errorf("%w: answer+busy+congestion+invalid = %.3f > 1", ErrBadPopulation, sum)
	}
	if p.RingMin < 0 || p.RingMax < p.RingMin {
		return fmt.Errorf("%w: need 0 <= RingMin <= RingMax", ErrBadPopulation)
	}
	if p.TalkMean < 0 || p.MachineGreeting < 0 {
		return fmt.Errorf("%w: negative duration", ErrBadPopulation)
	}
	return nil
}

// ringBounds returns the ring bounds with defaults applied.
func (p *Population) ringBounds() (time.Duration, time.Duration) {
	if p.RingMin == 0 && p.RingMax == 0 {
		return time.Second, 10 * time.Second
	}
	return p.RingMin, p.RingMax
}

func (p *Population) greeting() time.Duration {
	if p.MachineGreeting == 0 {
		return 10 * time.Second
	}
	return p.MachineGreeting
}
