package pacing

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Mode names a pacer (the pacing.mode setting).
type Mode string

// Pacing modes.
const (
	ModeProgressive Mode = "progressive"
	ModePower       Mode = "power"
	ModeAdaptive    Mode = "adaptive"
	ModePredictive  Mode = "predictive"
)

// Modes lists the pacing modes.
var Modes = []Mode{ModeProgressive, ModePower, ModeAdaptive, ModePredictive}

// DropMode is what VICIdial's adaptive controller does when the day's drop
// rate is over the limit (its dial methods ADAPT_HARD_LIMIT, ADAPT_AVERAGE
// and ADAPT_TAPERED).
type DropMode string

// Drop modes.
const (
	// DropHard sets the dial level to 1.0 (ADAPT_HARD_LIMIT).
	DropHard DropMode = "hard"
	// DropAverage halves the dial level (ADAPT_AVERAGE).
	DropAverage DropMode = "average"
	// DropTapered scales the dial level down as the latest server time
	// nears, and sets it to 1.0 after it (ADAPT_TAPERED).
	DropTapered DropMode = "tapered"
)

// Defaults.
const (
	DefaultRatio          = 2.0
	DefaultMaxAbandonRate = 0.03
	DefaultAbandonWindow  = 24 * time.Hour
	// DefaultMaxLevel is VICIdial's adaptive_maximum_level default.
	DefaultMaxLevel = 3.0
	// DefaultLatestServerTime is 21:00 (adaptive_latest_server_time 2100).
	DefaultLatestServerTime = "2100"
	// MaxRatio and MaxDialLevel bound power and adaptive dialing.
	MaxRatio     = 10.0
	MaxDialLevel = 10.0
)

// Config selects and tunes a campaign's pacer. The zero value is valid:
// progressive pacing with the default abandon target and window.
type Config struct {
	// Mode is the pacer (pacing.mode); "" is progressive.
	Mode Mode
	// Ratio is power's lines per ready agent (pacing.ratio, default 2, at
	// least 1).
	Ratio float64
	// MaxAbandonRate is the share of answered calls that may be abandoned
	// over AbandonWindow (pacing.max_abandon_rate, default 0.03). The
	// predictive pacer holds it; adaptive uses it as VICIdial's
	// adaptive_dropped_percentage (as a fraction, not a percent).
	MaxAbandonRate float64
	// AbandonWindow is the rolling window the abandon rate is measured
	// over (pacing.abandon_window, default 24 h; the US rule is 30 days of
	// a campaign, UK practice 24 h).
	AbandonWindow time.Duration
	// Adaptive tunes the adaptive pacer.
	Adaptive AdaptiveConfig
}

// AdaptiveConfig holds VICIdial's adaptive settings.
type AdaptiveConfig struct {
	// DLDiffTarget is adaptive_dl_diff_target: the differential (idle
	// agents minus waiting callers) the controller aims at, shifted: -1
	// aims at one agent waiting, +1 at one caller waiting. -20..20, default 0.
	DLDiffTarget float64
	// Intensity is adaptive_intensity, -40..40 (percent): positive raises
	// the level faster and lowers it slower, negative the reverse.
	Intensity float64
	// MaxLevel is adaptive_maximum_level, the dial level cap (default 3.0,
	// 1..10).
	MaxLevel float64
	// DropMode is what happens when the day's drop rate is over
	// MaxAbandonRate (default hard).
	DropMode DropMode
	// LatestServerTime is adaptive_latest_server_time, "HHMM" (default
	// "2100"): the end of the dialing day for the tapered drop mode.
	LatestServerTime string
	// Location is the server's time zone for "today" and the latest server
	// time (default time.Local).
	Location *time.Location
}

// ErrInvalidConfig is wrapped by every Config validation error.
var ErrInvalidConfig = errors.New("invalid pacing config")

// ConfigError is a Config validation error; Field names the setting under
// the pacing section ("ratio", "adaptive.intensity", ...).
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "pacing." + e.Field + ": " + e.Msg }

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

func fieldErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// WithDefaults returns c with every unset field at its default. It does not
// validate.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeProgressive
	}
	if c.Ratio == 0 {
		c.Ratio = DefaultRatio
	}
	if c.MaxAbandonRate == 0 {
		c.MaxAbandonRate = DefaultMaxAbandonRate
	}
	if c.AbandonWindow == 0 {
		c.AbandonWindow = DefaultAbandonWindow
	}
	a := &c.Adaptive
	if a.MaxLevel == 0 {
		a.MaxLevel = DefaultMaxLevel
	}
	if a.DropMode == "" {
		a.DropMode = DropHard
	}
	if a.LatestServerTime == "" {
		a.LatestServerTime = DefaultLatestServerTime
	}
	if a.Location == nil {
		a.Location = time.Local
	}
	return c
}

// Validate fills in defaults and checks every field; the error is a
// *ConfigError naming the first bad field.
func (c Config) Validate() (Config, error) {
	c = c.WithDefaults()
	switch c.Mode {
	case ModeProgressive, ModePower, ModeAdaptive, ModePredictive:
	default:
		return c, fieldErr("mode", "%q is not a pacing mode; expected one of progressive, power, adaptive, predictive", c.Mode)
	}
	if bad(c.Ratio) || c.Ratio < 1 || c.Ratio > MaxRatio {
		return c, fieldErr("ratio", "%v must be between 1 and %v lines per ready agent", c.Ratio, MaxRatio)
	}
	if bad(c.MaxAbandonRate) || c.MaxAbandonRate <= 0 || c.MaxAbandonRate >= 0.5 {
		return c, fieldErr("max_abandon_rate", "%v must be a fraction above 0 and below 0.5 (0.03 is 3%%)", c.MaxAbandonRate)
	}
	if c.AbandonWindow < time.Minute || c.AbandonWindow > 31*24*time.Hour {
		return c, fieldErr("abandon_window", "%v must be between 1m and 744h (31 days)", c.AbandonWindow)
	}
	a := c.Adaptive
	if bad(a.DLDiffTarget) || a.DLDiffTarget < -20 || a.DLDiffTarget > 20 {
		return c, fieldErr("adaptive.dl_diff_target", "%v must be between -20 and 20", a.DLDiffTarget)
	}
	if bad(a.Intensity) || a.Intensity < -40 || a.Intensity > 40 {
		return c, fieldErr("adaptive.intensity", "%v must be between -40 and 40", a.Intensity)
	}
	if bad(a.MaxLevel) || a.MaxLevel < 1 || a.MaxLevel > MaxDialLevel {
		return c, fieldErr("adaptive.max_level", "%v must be between 1 and %v", a.MaxLevel, MaxDialLevel)
	}
	switch a.DropMode {
	case DropHard, DropAverage, DropTapered:
	default:
		return c, fieldErr("adaptive.drop_mode", "%q is not a drop mode; expected one of hard, average, tapered", a.DropMode)
	}
	if _, err := parseHHMM(a.LatestServerTime); err != nil {
		return c, fieldErr("adaptive.latest_server_time", "%q: %v", a.LatestServerTime, err)
	}
	return c, nil
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// parseHHMM parses "HHMM" (0000..2400) into the number VICIdial compares
// (hours×100 + minutes).
func parseHHMM(s string) (int, error) {
	if len(s) != 4 {
		return 0, errors.New("want HHMM, 4 digits such as 2100")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("want HHMM, 4 digits such as 2100")
	}
	if n/100 > 24 || n%100 > 59 || n > 2400 {
		return 0, errors.New("hours 00..24 and minutes 00..59, at most 2400")
	}
	return n, nil
}

// New validates cfg and returns a new pacer of its mode. Each campaign needs
// its own pacer: adaptive and predictive pacers keep state.
func New(cfg Config) (Pacer, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	switch cfg.Mode {
	case ModePower:
		return Power{Ratio: cfg.Ratio}, nil
	case ModeAdaptive:
		return newAdaptive(cfg), nil
	case ModePredictive:
		return NewPredictive(cfg), nil
	default:
		return Progressive{}, nil
	}
}
