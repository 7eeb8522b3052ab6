package pacing

import (
	"errors"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeProgressive || c.Ratio != DefaultRatio || c.MaxAbandonRate != 0.03 || c.AbandonWindow != 24*time.Hour {
		t.Fatalf("defaults %+v", c)
	}
	a := c.Adaptive
	if a.MaxLevel != 3 || a.DropMode != DropHard || a.LatestServerTime != "2100" || a.Location != time.Local ||
		a.DLDiffTarget != 0 || a.Intensity != 0 {
		t.Fatalf("adaptive defaults %+v", a)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"mode", Config{Mode: "turbo"}, "mode"},
		{"ratio below 1", Config{Mode: ModePower, Ratio: 0.5}, "ratio"},
		{"ratio too high", Config{Ratio: 11}, "ratio"},
		{"negative abandon rate", Config{MaxAbandonRate: -0.01}, "max_abandon_rate"},
		{"abandon rate as a percent", Config{MaxAbandonRate: 3}, "max_abandon_rate"},
		{"window too short", Config{AbandonWindow: time.Second}, "abandon_window"},
		{"window too long", Config{AbandonWindow: 32 * 24 * time.Hour}, "abandon_window"},
		{"diff target", Config{Adaptive: AdaptiveConfig{DLDiffTarget: 21}}, "adaptive.dl_diff_target"},
		{"intensity", Config{Adaptive: AdaptiveConfig{Intensity: -41}}, "adaptive.intensity"},
		{"max level", Config{Adaptive: AdaptiveConfig{MaxLevel: 0.5}}, "adaptive.max_level"},
		{"drop mode", Config{Adaptive: AdaptiveConfig{DropMode: "soft"}}, "adaptive.drop_mode"},
		{"latest time not HHMM", Config{Adaptive: AdaptiveConfig{LatestServerTime: "21:00"}}, "adaptive.latest_server_time"},
		{"latest time minutes", Config{Adaptive: AdaptiveConfig{LatestServerTime: "2075"}}, "adaptive.latest_server_time"},
		{"latest time past 2400", Config{Adaptive: AdaptiveConfig{LatestServerTime: "2430"}}, "adaptive.latest_server_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("err %v, want a ConfigError on %s", err, tt.field)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("%v does not wrap ErrInvalidConfig", err)
			}
			if got := err.Error(); got[:len("pacing."+tt.field)] != "pacing."+tt.field {
				t.Fatalf("message %q does not start with the field", got)
			}
		})
	}
}

func TestNewBuildsEachMode(t *testing.T) {
	for _, m := range Modes {
		p, err := New(Config{Mode: m, Ratio: 1.5})
		if err != nil {
			t.Fatal(err)
		}
		r, ok := p.(Reporter)
		if !ok {
			t.Fatalf("%s pacer is not a Reporter", m)
		}
		if r.Report().Mode != m {
			t.Fatalf("%s pacer reports mode %s", m, r.Report().Mode)
		}
	}
	p, _ := New(Config{Mode: ModePower, Ratio: 1.5})
	if p.(Power).Ratio != 1.5 {
		t.Fatal("power ratio not passed")
	}
	a, _ := New(Config{Mode: ModeAdaptive})
	if _, ok := a.(Cadenced); !ok {
		t.Fatal("adaptive is not Cadenced")
	}
	if _, ok := a.(Sampler); !ok {
		t.Fatal("adaptive is not a Sampler")
	}
	p1, _ := New(Config{Mode: ModePredictive})
	p2, _ := New(Config{Mode: ModePredictive})
	if p1 == p2 {
		t.Fatal("New shares a stateful pacer")
	}
}

func TestParseHHMM(t *testing.T) {
	for s, want := range map[string]int{"0000": 0, "0930": 930, "2100": 2100, "2400": 2400} {
		if got, err := parseHHMM(s); err != nil || got != want {
			t.Errorf("%s: %d %v", s, got, err)
		}
	}
	for _, s := range []string{"", "930", "9:30", "2401", "1260", "-100", "abcd"} {
		if _, err := parseHHMM(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func FuzzParseHHMM(f *testing.F) {
	for _, s := range []string{"2100", "0000", "2400", "2459", "12a4", "", "99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseHHMM(s)
		if err != nil {
			return
		}
		if len(s) != 4 || n < 0 || n > 2400 || n%100 > 59 {
			t.Fatalf("%q parsed as %d", s, n)
		}
	})
}
