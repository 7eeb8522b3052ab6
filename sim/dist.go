package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// DistKind names a family of duration distributions.
type DistKind string

// Distribution families.
const (
	DistFixed       DistKind = "fixed"
	DistExponential DistKind = "exponential"
	DistLogNormal   DistKind = "lognormal"
)

// Dist is a distribution of durations.
type Dist struct {
	Kind DistKind
	Mean time.Duration
	SD   time.Duration // lognormal only
}

// Fixed is always d.
func Fixed(d time.Duration) Dist { return Dist{Kind: DistFixed, Mean: d} }

// Exponential has the given mean.
func Exponential(mean time.Duration) Dist { return Dist{Kind: DistExponential, Mean: mean} }

// LogNormal has the given mean and standard deviation (of the durations,
// not of their logarithm).
func LogNormal(mean, sd time.Duration) Dist { return Dist{Kind: DistLogNormal, Mean: mean, SD: sd} }

// Validate checks the parameters.
func (d Dist) Validate() error {
	switch d.Kind {
	case DistFixed:
		if d.Mean < 0 {
			return fmt.Errorf("fixed duration %v is negative", d.Mean)
		}
	case DistExponential:
		if d.Mean <= 0 {
			return fmt.Errorf("exponential mean %v must be positive", d.Mean)
		}
	case DistLogNormal:
		if d.Mean <= 0 || d.SD <= 0 {
			return fmt.Errorf("lognormal mean %v and sd %v must be positive", d.Mean, d.SD)
		}
	default:
		return fmt.Errorf("unknown distribution %q", d.Kind)
	}
	return nil
}

// Sample draws one duration.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.Kind {
	case DistExponential:
		return time.Duration(r.ExpFloat64() * float64(d.Mean))
	case DistLogNormal:
		m, s := float64(d.Mean), float64(d.SD)
		sigma2 := math.Log1p(s * s / (m * m))
		mu := math.Log(m) - sigma2/2
		return time.Duration(math.Exp(mu + math.Sqrt(sigma2)*r.NormFloat64()))
	default:
		return d.Mean
	}
}

// String describes the distribution ("exponential mean 240s").
func (d Dist) String() string {
	switch d.Kind {
	case DistExponential:
		return fmt.Sprintf("exponential mean %v", d.Mean)
	case DistLogNormal:
		return fmt.Sprintf("lognormal mean %v sd %v", d.Mean, d.SD)
	default:
		return fmt.Sprintf("fixed %v", d.Mean)
	}
}
