package report

import "testing"

func TestSumIsExact(t *testing.T) {
	tests := []struct {
		name    string
		amounts []string
		want    string
		invalid int
	}{
		{"nothing", nil, "0", 0},
		{"integers", []string{"1500000", "2500000"}, "4000000", 0},
		// float64 has 15-16 significant digits: these VND sums lose their
		// last digits in floating point.
		{"billions of VND", []string{"999999999999999999", "1", "123456789012345678"}, "1123456789012345678", 0},
		{"many small VND amounts", repeat("1000000001", 100_000), "100000000100000", 0},
		{"cents", []string{"0.10", "0.20", "0.30"}, "0.60", 0},
		{"mixed scales keep the longest", []string{"12.5", "0.125", "1"}, "13.625", 0},
		{"trailing zeros are kept", []string{"12.50", "1"}, "13.50", 0},
		{"leading dot and trailing dot", []string{".5", "2."}, "2.5", 0},
		{"invalid amounts are counted, not added", []string{"100", "1,000", "", "abc", "-5", "1e3", "1.2.3", "."}, "100", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sum
			invalid := 0
			for _, a := range tt.amounts {
				if !s.add(a) {
					invalid++
				}
			}
			if got := s.String(); got != tt.want || invalid != tt.invalid {
				t.Errorf("sum = %s with %d invalid, want %s with %d", got, invalid, tt.want, tt.invalid)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
