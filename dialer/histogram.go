package dialer

import (
	"math"
	"sort"
	"time"
)

// Histogram bucket bounds: log-spaced, histPerDecade buckets per power of
// ten, from histMin to histMax. Values below histMin fall into the first
// bucket, values above histMax into an overflow bucket.
const (
	histMin       = time.Millisecond
	histMax       = 60 * time.Second
	histPerDecade = 10
)

// histBounds are the upper bounds of the buckets (the overflow bucket has
// none).
var histBounds = func() []time.Duration {
	var b []time.Duration
	for i := 0; ; i++ {
		v := time.Duration(float64(histMin) * math.Pow(10, float64(i)/histPerDecade))
		if v >= histMax {
			b = append(b, histMax)
			return b
		}
		b = append(b, v)
	}
}()

// Histogram counts durations in fixed log-spaced buckets from 1 ms to 60 s
// (10 per decade, so a quantile is within about 12 % of the truth). The
// zero value is ready to use. It is not safe for concurrent use: the
// engine's loop owns it and hands out Snapshots.
type Histogram struct {
	counts   []uint64 // len(histBounds)+1, the last is the overflow bucket
	count    uint64
	sum      time.Duration
	min, max time.Duration
}

// Observe adds one duration (negative ones count as 0).
func (h *Histogram) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if h.counts == nil {
		h.counts = make([]uint64, len(histBounds)+1)
	}
	i := sort.Search(len(histBounds), func(i int) bool { return histBounds[i] >= d })
	h.counts[i]++
	if h.count == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.count++
	h.sum += d
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1), 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration { return h.Snapshot().Quantile(q) }

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.count }

// Snapshot copies the histogram.
func (h *Histogram) Snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Count: h.count, Sum: h.sum, Min: h.min, Max: h.max}
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		b := Bucket{Count: c}
		if i < len(histBounds) {
			b.UpperBound = histBounds[i]
		}
		if i > 0 {
			b.LowerBound = histBounds[i-1]
		}
		s.Buckets = append(s.Buckets, b)
	}
	return s
}

// Bucket is one non-empty bucket of a HistogramSnapshot: the values in
// (LowerBound, UpperBound]. UpperBound 0 marks the overflow bucket (above
// 60 s).
type Bucket struct {
	LowerBound time.Duration `json:"lower_bound_ns"`
	UpperBound time.Duration `json:"upper_bound_ns"`
	Count      uint64        `json:"count"`
}

// HistogramSnapshot is a copy of a Histogram; only non-empty buckets are
// kept.
type HistogramSnapshot struct {
	Count   uint64        `json:"count"`
	Sum     time.Duration `json:"sum_ns"`
	Min     time.Duration `json:"min_ns"`
	Max     time.Duration `json:"max_ns"`
	Buckets []Bucket      `json:"buckets,omitempty"`
}

// Mean is the mean of the observations, 0 when empty.
func (s HistogramSnapshot) Mean() time.Duration {
	if s.Count == 0 {
		return 0
	}
	return s.Sum / time.Duration(s.Count)
}

// Quantile estimates the q-quantile (q is clamped to [0, 1]) by geometric
// interpolation inside the bucket that holds it, clamped to the observed
// minimum and maximum. It returns 0 when empty.
func (s HistogramSnapshot) Quantile(q float64) time.Duration {
	if s.Count == 0 {
		return 0
	}
	if math.IsNaN(q) || q <= 0 {
		return s.Min
	}
	if q >= 1 {
		return s.Max
	}
	rank := q * float64(s.Count) // the rank-th smallest value, 1-based, fractional
	var seen float64
	for _, b := range s.Buckets {
		c := float64(b.Count)
		if seen+c < rank {
			seen += c
			continue
		}
		lo, hi := b.LowerBound, b.UpperBound
		if lo < s.Min {
			lo = s.Min
		}
		if hi == 0 || hi > s.Max {
			hi = s.Max
		}
		if hi <= lo {
			return hi
		}
		frac := (rank - seen) / c
		var v float64
		if lo <= 0 {
			v = float64(hi) * frac
		} else {
			v = float64(lo) * math.Pow(float64(hi)/float64(lo), frac)
		}
		return clampDur(time.Duration(v), s.Min, s.Max)
	}
	return s.Max
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		return lo
	}
	if d > hi {
		return hi
	}
	return d
}
