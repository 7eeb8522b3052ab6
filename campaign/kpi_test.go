package campaign

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestCountersCount(t *testing.T) {
	start := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	bridged := Attempt{Outcome: OutcomeBridged, OriginatedAt: start, AnsweredAt: start.Add(5 * time.Second),
		BridgedAt: start.Add(7 * time.Second), EndedAt: start.Add(97*time.Second + 500*time.Millisecond)}
	tests := []struct {
		name string
		a    Attempt
		want Counters
	}{
		{"bridged", bridged, Counters{Placed: 1, Answered: 1, Bridged: 1, TalkSeconds: 90.5}},
		{"bridged with promise", func() Attempt { a := bridged; a.Disposition = DispositionPromiseToPay; return a }(),
			Counters{Placed: 1, Answered: 1, Bridged: 1, PromiseToPay: 1, TalkSeconds: 90.5}},
		{"other disposition", func() Attempt { a := bridged; a.Disposition = "callback"; return a }(),
			Counters{Placed: 1, Answered: 1, Bridged: 1, TalkSeconds: 90.5}},
		{"abandoned", Attempt{Outcome: OutcomeAbandoned}, Counters{Placed: 1, Answered: 1, Abandoned: 1}},
		{"hung up early is answered, not abandoned", Attempt{Outcome: OutcomeHungUpEarly}, Counters{Placed: 1, Answered: 1, HungUpEarly: 1}},
		{"busy", Attempt{Outcome: OutcomeBusy}, Counters{Placed: 1, Busy: 1}},
		{"no answer", Attempt{Outcome: OutcomeNoAnswer}, Counters{Placed: 1, NoAnswer: 1}},
		{"congestion", Attempt{Outcome: OutcomeCongestion}, Counters{Placed: 1, Congestion: 1}},
		{"invalid number", Attempt{Outcome: OutcomeInvalidNumber}, Counters{Placed: 1, InvalidNumber: 1}},
		{"failed", Attempt{Outcome: OutcomeFailed}, Counters{Placed: 1, Failed: 1}},
		{"bridged, end unknown", func() Attempt { a := bridged; a.EndedAt = time.Time{}; return a }(),
			Counters{Placed: 1, Answered: 1, Bridged: 1}},
		{"end before bridge", func() Attempt { a := bridged; a.EndedAt = a.BridgedAt.Add(-time.Second); return a }(),
			Counters{Placed: 1, Answered: 1, Bridged: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Counters
			c.Count(tc.a)
			if c != tc.want {
				t.Errorf("Count = %+v, want %+v", c, tc.want)
			}
		})
	}
}

func TestCountersCountEveryOutcomeOnce(t *testing.T) {
	var c Counters
	for _, o := range Outcomes {
		c.Count(Attempt{Outcome: o})
	}
	byOutcome := c.Bridged + c.Abandoned + c.HungUpEarly + c.Busy + c.NoAnswer + c.Congestion + c.InvalidNumber + c.Failed
	if c.Placed != int64(len(Outcomes)) || byOutcome != c.Placed || c.Answered != 3 {
		t.Errorf("one attempt per outcome: %+v", c)
	}
}

// TestCountersAddEveryField fills every field with a distinct value by
// reflection, so a field added to Counters but forgotten in Add fails here.
func TestCountersAddEveryField(t *testing.T) {
	var o Counters
	v := reflect.ValueOf(&o).Elem()
	for i := 0; i < v.NumField(); i++ {
		switch f := v.Field(i); f.Kind() {
		case reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Float64:
			f.SetFloat(float64(i) + 0.5)
		default:
			t.Fatalf("field %s of kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
	var c Counters
	c.Add(o)
	c.Add(o)
	cv := reflect.ValueOf(c)
	for i := 0; i < cv.NumField(); i++ {
		name := cv.Type().Field(i).Name
		switch f := cv.Field(i); f.Kind() {
		case reflect.Int64:
			if f.Int() != 2*int64(i+1) {
				t.Errorf("Add: %s = %d, want %d", name, f.Int(), 2*(i+1))
			}
		case reflect.Float64:
			if f.Float() != 2*(float64(i)+0.5) {
				t.Errorf("Add: %s = %v, want %v", name, f.Float(), 2*(float64(i)+0.5))
			}
		}
	}
}

func TestKPIs(t *testing.T) {
	tests := []struct {
		name string
		c    Counters
		want KPIs
	}{
		{"all zero: no division by zero", Counters{}, KPIs{}},
		{"calls but nobody answered", Counters{Placed: 10, NoAnswer: 10}, KPIs{}},
		{"answered, none bridged", Counters{Placed: 4, Answered: 2, Abandoned: 1, HungUpEarly: 1},
			KPIs{ContactRate: 0.5, AbandonRate: 0.5}},
		{"agent time only", Counters{ReadySeconds: 3600}, KPIs{}},
		{"paused only", Counters{PausedSeconds: 1800}, KPIs{}},
		{"full shift", Counters{
			Placed: 120, Answered: 48, Bridged: 40, Abandoned: 2, HungUpEarly: 6, PromiseToPay: 10,
			TalkSeconds: 3 * 3600, WrapUpSeconds: 3600, ReadySeconds: 2 * 3600, PausedSeconds: 2 * 3600,
		}, KPIs{
			ContactRate:       0.4,
			AbandonRate:       2.0 / 48,
			PromiseToPayRate:  0.25,
			Occupancy:         4.0 / 6,
			CallsPerAgentHour: 15,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.KPIs()
			gv, wv := reflect.ValueOf(got), reflect.ValueOf(tc.want)
			for i := 0; i < gv.NumField(); i++ {
				g, w := gv.Field(i).Float(), wv.Field(i).Float()
				if math.IsNaN(g) || math.IsInf(g, 0) || math.Abs(g-w) > 1e-12 {
					t.Errorf("%s = %v, want %v", gv.Type().Field(i).Name, g, w)
				}
			}
		})
	}
}

func TestAttemptTalkSeconds(t *testing.T) {
	b := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		a    Attempt
		want float64
	}{
		{Attempt{}, 0},
		{Attempt{BridgedAt: b, EndedAt: b.Add(61500 * time.Millisecond)}, 61.5},
		{Attempt{BridgedAt: b, EndedAt: b}, 0},
		{Attempt{BridgedAt: b}, 0},
		{Attempt{EndedAt: b}, 0},
	} {
		if got := tc.a.TalkSeconds(); got != tc.want {
			t.Errorf("TalkSeconds(%+v) = %v, want %v", tc.a, got, tc.want)
		}
	}
}
