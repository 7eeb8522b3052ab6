package dialer

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBounds(t *testing.T) {
	if histBounds[0] != time.Millisecond {
		t.Fatalf("first bound %v", histBounds[0])
	}
	if last := histBounds[len(histBounds)-1]; last != 60*time.Second {
		t.Fatalf("last bound %v", last)
	}
	for i := 1; i < len(histBounds); i++ {
		if histBounds[i] <= histBounds[i-1] {
			t.Fatalf("bounds not increasing at %d", i)
		}
		if r := float64(histBounds[i]) / float64(histBounds[i-1]); r > 1.26 {
			t.Fatalf("bucket %d too wide: ratio %v", i, r)
		}
	}
}

func TestHistogramEmpty(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Count() != 0 || h.Snapshot().Mean() != 0 {
		t.Fatal("empty histogram must report zeros")
	}
}

func TestHistogramSingleValue(t *testing.T) {
	var h Histogram
	h.Observe(150 * time.Millisecond)
	for _, q := range []float64{0, 0.01, 0.5, 0.99, 1} {
		if got := h.Quantile(q); got != 150*time.Millisecond {
			t.Errorf("q=%v: %v", q, got)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) time.Duration
	}{
		{"uniform 1ms..2s", func(r *rand.Rand) time.Duration {
			return time.Millisecond + time.Duration(r.Int64N(int64(2*time.Second)))
		}},
		{"log-uniform 1ms..60s", func(r *rand.Rand) time.Duration {
			return time.Duration(float64(time.Millisecond) * math.Pow(60000, r.Float64()))
		}},
		{"bimodal", func(r *rand.Rand) time.Duration {
			if r.IntN(10) < 9 {
				return 20*time.Millisecond + time.Duration(r.Int64N(int64(10*time.Millisecond)))
			}
			return 3*time.Second + time.Duration(r.Int64N(int64(time.Second)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			var vals []time.Duration
			for range 20000 {
				v := tt.gen(r)
				vals = append(vals, v)
				h.Observe(v)
			}
			slices.Sort(vals)
			for _, q := range []float64{0.1, 0.5, 0.9, 0.99} {
				exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
				got := h.Quantile(q)
				if rel := math.Abs(float64(got)-float64(exact)) / float64(exact); rel > 0.26 {
					t.Errorf("q=%v: got %v, exact %v (rel err %.2f)", q, got, exact, rel)
				}
			}
			s := h.Snapshot()
			if s.Max != vals[len(vals)-1] || s.Min != vals[0] || s.Count != uint64(len(vals)) {
				t.Errorf("snapshot min/max/count %v %v %d", s.Min, s.Max, s.Count)
			}
			var n uint64
			for _, b := range s.Buckets {
				n += b.Count
			}
			if n != s.Count {
				t.Errorf("buckets hold %d of %d", n, s.Count)
			}
		})
	}
}

func TestHistogramExtremes(t *testing.T) {
	var h Histogram
	h.Observe(-time.Second) // counts as 0
	h.Observe(100 * time.Microsecond)
	h.Observe(2 * time.Minute) // overflow
	s := h.Snapshot()
	if s.Min != 0 || s.Max != 2*time.Minute {
		t.Fatalf("min %v max %v", s.Min, s.Max)
	}
	if got := s.Quantile(1); got != 2*time.Minute {
		t.Fatalf("p100 %v", got)
	}
	if got := s.Quantile(0.99); got <= 60*time.Second || got > 2*time.Minute {
		t.Fatalf("p99 should be in the overflow bucket, got %v", got)
	}
	if got := s.Quantile(0.3); got > time.Millisecond {
		t.Fatalf("p30 %v should be under 1ms", got)
	}
	if s.Buckets[len(s.Buckets)-1].UpperBound != 0 {
		t.Fatal("overflow bucket must have UpperBound 0")
	}
	if got := s.Quantile(math.NaN()); got != 0 {
		t.Fatalf("NaN quantile %v", got)
	}
}

func TestHistogramMonotonic(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		h.Observe(time.Duration(r.Int64N(int64(10 * time.Second))))
	}
	s := h.Snapshot()
	prev := time.Duration(-1)
	for q := 0.0; q <= 1.0; q += 0.01 {
		v := s.Quantile(q)
		if v < prev {
			t.Fatalf("quantile not monotonic at %v: %v < %v", q, v, prev)
		}
		prev = v
	}
}
