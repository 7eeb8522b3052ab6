package report

import (
	"math/big"
	"strings"
)

// sum is an exact sum of non-negative decimal amounts as the importer
// stores them ("1500000", "12.50"): a big integer of units of 10^-scale,
// where scale is the most decimals of any amount added, so the sum is
// written with as many decimals as the amounts ("12.50" + "1" = "13.50").
// float64 would round VND sums beyond 2^53 (about 9·10^15).
type sum struct {
	units big.Int
	scale int
}

var ten = big.NewInt(10)

// add adds a decimal amount; it reports false (and adds nothing) when s is
// not digits with at most one ".".
func (s *sum) add(a string) bool {
	intPart, frac, _ := strings.Cut(a, ".")
	if intPart == "" && frac == "" || !digits(intPart) || !digits(frac) {
		return false
	}
	var v big.Int
	if _, ok := v.SetString("0"+intPart+frac, 10); !ok {
		return false
	}
	switch {
	case len(frac) > s.scale:
		s.units.Mul(&s.units, pow10(len(frac)-s.scale))
		s.scale = len(frac)
	case len(frac) < s.scale:
		v.Mul(&v, pow10(s.scale-len(frac)))
	}
	s.units.Add(&s.units, &v)
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(ten, big.NewInt(int64(n)), nil)
}

// String writes the sum as a decimal with the sum's scale.
func (s *sum) String() string {
	t := s.units.String()
	if s.scale == 0 {
		return t
	}
	if len(t) <= s.scale {
		t = strings.Repeat("0", s.scale-len(t)+1) + t
	}
	return t[:len(t)-s.scale] + "." + t[len(t)-s.scale:]
}
