package compliance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/duecall/duecall/phone"
)

// phoneZonesParsed is PhoneZones as it was: parse, then look up.
func phoneZonesParsed(e164 string) []string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil
	}
	names, _ := phonenumbers.GetTimezonesForNumber(num)
	out := names[:0:0]
	for _, n := range names {
		if n != unknownZone && n != "" {
			out = append(out, n)
		}
	}
	return out
}

// TestPhoneZonesOfNormalizedNumbers: for every number phone.Normalize
// writes, PhoneZones (which skips the parse) gives the zones of the parsed
// number.
func TestPhoneZonesOfNormalizedNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	regions := []string{"VN", "US", "GB", "DE", "IT", "AU", "BR", "RU", "IN", "CN", "MX", "CA", "FR", "ID", "AR"}
	checked := 0
	for i := 0; i < 20000 && checked < 2000; i++ {
		region := regions[rng.IntN(len(regions))]
		raw := fmt.Sprint(rng.Int64N(1e11) + 1e9)
		if i%3 == 0 {
			raw = "+" + fmt.Sprint(rng.Int64N(1e13)+1e9)
		}
		e164, err := phone.Normalize(raw, region)
		if err != nil {
			continue
		}
		checked++
		got, err := PhoneZones(e164)
		if err != nil {
			t.Fatal(err)
		}
		if want := phoneZonesParsed(e164); !slices.Equal(got, want) {
			t.Errorf("PhoneZones(%s) = %v; the parsed number has %v", e164, got, want)
		}
	}
	t.Logf("%d numbers checked", checked)
}

func BenchmarkPhoneZones(b *testing.B) {
	for b.Loop() {
		PhoneZones("+84912345678")
	}
}
