package campaign

import (
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"
)

var refTime = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

func TestRulesNext(t *testing.T) {
	twoPhones := Debt{Phones: []string{"+84900000001", "+84900000002"}}
	onSecond := Debt{Phones: twoPhones.Phones, PhoneIndex: 1}
	noPhones := Debt{}
	custom := Rules{Retry: map[Outcome]RetryRule{
		OutcomeNoAnswer: {Action: RetryNextPhone, Delay: 30 * time.Minute},
		OutcomeBusy:     {Action: RetryStop},
		OutcomeBridged:  {Action: RetryLater, Delay: 24 * time.Hour},
	}}
	capped := Rules{MaxAttempts: 3}

	tests := []struct {
		name     string
		rules    Rules
		debt     Debt
		attempts int
		outcome  Outcome
		want     Schedule
	}{
		// Default rules, one case per outcome.
		{"bridged stops", Rules{}, twoPhones, 1, OutcomeBridged, Schedule{Finish: true, FinishReason: "outcome bridged"}},
		{"abandoned in 72h", Rules{}, twoPhones, 1, OutcomeAbandoned, Schedule{NextAttemptAt: refTime.Add(72 * time.Hour)}},
		{"hung up early in 4h", Rules{}, twoPhones, 1, OutcomeHungUpEarly, Schedule{NextAttemptAt: refTime.Add(4 * time.Hour)}},
		{"busy in 15m", Rules{}, twoPhones, 1, OutcomeBusy, Schedule{NextAttemptAt: refTime.Add(15 * time.Minute)}},
		{"no answer in 2h", Rules{}, twoPhones, 1, OutcomeNoAnswer, Schedule{NextAttemptAt: refTime.Add(2 * time.Hour)}},
		{"congestion in 10m", Rules{}, twoPhones, 1, OutcomeCongestion, Schedule{NextAttemptAt: refTime.Add(10 * time.Minute)}},
		{"invalid number: next phone now", Rules{}, twoPhones, 1, OutcomeInvalidNumber, Schedule{NextAttemptAt: refTime, PhoneIndex: 1}},
		{"failed in 10m", Rules{}, twoPhones, 1, OutcomeFailed, Schedule{NextAttemptAt: refTime.Add(10 * time.Minute)}},

		// Phones.
		{"retry keeps the phone", Rules{}, onSecond, 2, OutcomeBusy, Schedule{NextAttemptAt: refTime.Add(15 * time.Minute), PhoneIndex: 1}},
		{"invalid last phone finishes", Rules{}, onSecond, 2, OutcomeInvalidNumber, Schedule{Finish: true, FinishReason: "no valid phone number left"}},
		{"no phone at all finishes", Rules{}, noPhones, 1, OutcomeInvalidNumber, Schedule{Finish: true, FinishReason: "no valid phone number left"}},
		{"custom next phone with delay", custom, twoPhones, 1, OutcomeNoAnswer, Schedule{NextAttemptAt: refTime.Add(30 * time.Minute), PhoneIndex: 1}},
		{"custom next phone past the last", custom, onSecond, 1, OutcomeNoAnswer, Schedule{Finish: true, FinishReason: "no valid phone number left"}},

		// Custom rules override defaults; unconfigured outcomes fall back.
		{"custom stop", custom, twoPhones, 1, OutcomeBusy, Schedule{Finish: true, FinishReason: "outcome busy"}},
		{"custom retry after bridge", custom, twoPhones, 1, OutcomeBridged, Schedule{NextAttemptAt: refTime.Add(24 * time.Hour)}},
		{"fallback to default", custom, twoPhones, 1, OutcomeCongestion, Schedule{NextAttemptAt: refTime.Add(10 * time.Minute)}},

		// Max attempts.
		{"below the cap", capped, twoPhones, 2, OutcomeNoAnswer, Schedule{NextAttemptAt: refTime.Add(2 * time.Hour)}},
		{"at the cap", capped, twoPhones, 3, OutcomeNoAnswer, Schedule{Finish: true, FinishReason: "max attempts (3) reached"}},
		{"past the cap", capped, twoPhones, 7, OutcomeBusy, Schedule{Finish: true, FinishReason: "max attempts (3) reached"}},
		{"cap before next phone", capped, twoPhones, 3, OutcomeInvalidNumber, Schedule{Finish: true, FinishReason: "max attempts (3) reached"}},
		{"stop outcome wins over the cap", capped, twoPhones, 3, OutcomeBridged, Schedule{Finish: true, FinishReason: "outcome bridged"}},
		{"no cap", Rules{}, twoPhones, 10000, OutcomeNoAnswer, Schedule{NextAttemptAt: refTime.Add(2 * time.Hour)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rules.Next(tc.debt, tc.attempts, tc.outcome, refTime)
			if got.Finish != tc.want.Finish || got.FinishReason != tc.want.FinishReason ||
				!got.NextAttemptAt.Equal(tc.want.NextAttemptAt) || got.PhoneIndex != tc.want.PhoneIndex {
				t.Errorf("Next = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDefaultRetryCoversEveryOutcome(t *testing.T) {
	def := DefaultRetry()
	for _, o := range Outcomes {
		r, ok := def[o]
		if !ok {
			t.Errorf("no default rule for %s", o)
			continue
		}
		switch r.Action {
		case RetryStop, RetryNextPhone:
		case RetryLater:
			if r.Delay <= 0 {
				t.Errorf("%s: retry without delay would redial at once", o)
			}
		default:
			t.Errorf("%s: unknown action %q", o, r.Action)
		}
	}
	// DefaultRetry returns a fresh map: changing it changes no rules.
	def[OutcomeBusy] = RetryRule{Action: RetryStop}
	if (Rules{}).Rule(OutcomeBusy).Action != RetryLater {
		t.Error("DefaultRetry shares its map")
	}
}

func TestFirstAttempt(t *testing.T) {
	due := time.Date(2025, 7, 15, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		remind time.Duration
		want   time.Time
	}{
		{0, due},
		{24 * time.Hour, due.AddDate(0, 0, -1)},
		{72 * time.Hour, due.AddDate(0, 0, -3)},
	} {
		if got := (Rules{RemindBefore: tc.remind}).FirstAttempt(Debt{DueDate: due}); !got.Equal(tc.want) {
			t.Errorf("RemindBefore %v: FirstAttempt %v, want %v", tc.remind, got, tc.want)
		}
	}
}

func TestDebtPhone(t *testing.T) {
	d := Debt{Phones: []string{"+84900000001", "+84900000002"}}
	for idx, want := range map[int]string{-1: "", 0: "+84900000001", 1: "+84900000002", 2: ""} {
		d.PhoneIndex = idx
		if got := d.Phone(); got != want {
			t.Errorf("PhoneIndex %d: Phone() = %q, want %q", idx, got, want)
		}
	}
}

func TestRankOrderPriority(t *testing.T) {
	r := Rules{Order: OrderPriority}
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	mk := func(prio int, amount string, daysAgo int) Debt {
		return Debt{Priority: prio, Amount: amount, DueDate: now.AddDate(0, 0, -daysAgo)}
	}
	// Each debt must rank strictly above the next.
	ordered := []struct {
		name string
		d    Debt
	}{
		{"priority 15 beats all", mk(15, "1", 0)},
		{"priority 3, huge amount", mk(3, "5000000000", 0)},
		{"priority 3, big amount, overdue", mk(3, "1500000", 200)},
		{"priority 3, big amount", mk(3, "1500000", 10)},
		{"priority 3, small amount, very overdue", mk(3, "20", 255)},
		{"priority 0, overdue", mk(0, "20", 30)},
		{"priority 0", mk(0, "20", 0)},
		{"priority 0, no amount", mk(0, "", 0)},
	}
	for i := 1; i < len(ordered); i++ {
		hi, lo := r.Rank(ordered[i-1].d, now), r.Rank(ordered[i].d, now)
		if hi <= lo {
			t.Errorf("%q (rank %d) should rank above %q (rank %d)", ordered[i-1].name, hi, ordered[i].name, lo)
		}
	}
}

func TestRankOrderDueDate(t *testing.T) {
	r := Rules{Order: OrderDueDate}
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	mk := func(prio int, amount string, daysAgo int) Debt {
		return Debt{Priority: prio, Amount: amount, DueDate: now.AddDate(0, 0, -daysAgo)}
	}
	ordered := []Debt{
		mk(0, "1", 90),        // most overdue first, whatever its priority
		mk(9, "1", 30),        // then priority
		mk(2, "9000000", 30),  // then amount
		mk(2, "100", 30),      //
		mk(15, "9999999", 1),  // barely overdue
		mk(15, "9999999", -5), // not yet due counts as 0 days
	}
	for i := 1; i < len(ordered); i++ {
		if hi, lo := r.Rank(ordered[i-1], now), r.Rank(ordered[i], now); hi <= lo {
			t.Errorf("debt %d (rank %d) should rank above debt %d (rank %d)", i-1, hi, i, lo)
		}
	}
}

func TestRankClampsAndDefaults(t *testing.T) {
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	r := Rules{}
	same := func(name string, a, b Debt) {
		t.Helper()
		if ra, rb := r.Rank(a, now), r.Rank(b, now); ra != rb {
			t.Errorf("%s: ranks %d and %d differ", name, ra, rb)
		}
	}
	same("negative priority is 0", Debt{Priority: -4}, Debt{Priority: 0})
	same("priority above 15 is 15", Debt{Priority: 99}, Debt{Priority: 15})
	same("days past due cap at 255", Debt{DueDate: now.AddDate(-3, 0, 0)}, Debt{DueDate: now.AddDate(0, 0, -255)})
	same("future due date is 0 days", Debt{DueDate: now.AddDate(0, 0, 9)}, Debt{DueDate: now})
	same("zero due date is 0 days", Debt{}, Debt{DueDate: now})
	same("empty order is priority", Debt{Priority: 4, Amount: "77"}, Debt{Priority: 4, Amount: "77"})
	if a, b := (Rules{}).Rank(Debt{Priority: 4, Amount: "77"}, now), (Rules{Order: OrderPriority}).Rank(Debt{Priority: 4, Amount: "77"}, now); a != b {
		t.Errorf("empty order rank %d, priority order rank %d", a, b)
	}
	if got := (Rules{Order: OrderFIFO}).Rank(Debt{Priority: 15, Amount: "99999999", DueDate: now.AddDate(0, 0, -100)}, now); got != 0 {
		t.Errorf("FIFO rank %d, want 0", got)
	}
	max := Debt{Priority: 15, Amount: "1e300", DueDate: now.AddDate(-5, 0, 0)}
	for _, o := range []Order{OrderPriority, OrderDueDate} {
		if got := (Rules{Order: o}).Rank(max, now); got != 1<<rankBits-1 {
			t.Errorf("%s: highest rank %d, want %d", o, got, 1<<rankBits-1)
		}
	}
}

func TestAmountBucket(t *testing.T) {
	for _, s := range []string{"", "abc", "-5", "0", "0.99", "NaN", "Inf", "-Inf", "1,500,000"} {
		if got := amountBucket(s); got != 0 {
			t.Errorf("amountBucket(%q) = %d, want 0", s, got)
		}
	}
	// Monotonic in the amount, and a tenth of a decade apart is a bucket.
	increasing := []string{"1", "1.5", "9.99", "10", "12.50", "100", "999", "1000", "1001", "1500000", "2750000.50", "1e12", "1e30"}
	prev := 0
	for _, s := range increasing {
		b := amountBucket(s)
		if b < prev {
			t.Errorf("amountBucket(%q) = %d, below the smaller amount's %d", s, b, prev)
		}
		prev = b
	}
	if amountBucket("100000") <= amountBucket("10000") {
		t.Error("a decade apart, same bucket")
	}
	if got := amountBucket("1e300"); got != 255 {
		t.Errorf("huge amount bucket %d, want 255", got)
	}
}

func TestScoreOrdersTimeThenRank(t *testing.T) {
	r := Rules{}
	now := refTime
	best := Debt{Priority: 15, Amount: "1e300", DueDate: now.AddDate(-2, 0, 0)}
	worst := Debt{}
	// A later second always scores higher, whatever the ranks.
	if a, b := r.Score(worst, refTime, now), r.Score(best, refTime.Add(time.Second), now); a >= b {
		t.Errorf("worst debt now %.0f >= best debt a second later %.0f", a, b)
	}
	// Within a second the higher rank scores lower; sub-second parts do
	// not count.
	if a, b := r.Score(best, refTime.Add(900*time.Millisecond), now), r.Score(worst, refTime, now); a >= b {
		t.Errorf("best %.0f >= worst %.0f in the same second", a, b)
	}
	if a, b := r.Score(best, refTime, now), r.Score(best, refTime.Add(999*time.Millisecond), now); a != b {
		t.Errorf("same second, different scores %.0f %.0f", a, b)
	}
	// Before 1970 clamps to 0.
	if a, b := r.Score(worst, time.Unix(-86400, 0), now), r.Score(worst, time.Unix(0, 0), now); a != b {
		t.Errorf("pre-epoch score %.0f, epoch score %.0f", a, b)
	}
}

func TestDueScore(t *testing.T) {
	r := Rules{}
	now := refTime.Add(400 * time.Millisecond)
	best := Debt{Priority: 15, Amount: "1e300", DueDate: refTime.AddDate(-2, 0, 0)}
	for _, tc := range []struct {
		at  time.Time
		due bool
	}{
		{refTime.Add(-time.Hour), true},
		{refTime.Add(-time.Second), true},
		{refTime, true},
		{refTime.Add(999 * time.Millisecond), true}, // same second as now
		{refTime.Add(time.Second), false},
		{refTime.Add(time.Hour), false},
	} {
		for _, d := range []Debt{best, {}} {
			if got := r.Score(d, tc.at, now) <= DueScore(now); got != tc.due {
				t.Errorf("at %v, now %v, rank %d: due = %v, want %v", tc.at, now, r.Rank(d, now), got, tc.due)
			}
		}
	}
}

func TestScoreTimeRoundTrip(t *testing.T) {
	r := Rules{}
	for _, at := range []time.Time{
		time.Unix(0, 0),
		refTime,
		refTime.Add(123456789 * time.Nanosecond),
		time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		for _, d := range []Debt{{}, {Priority: 15, Amount: "1e300", DueDate: at.AddDate(-1, 0, 0)}} {
			s := r.Score(d, at, at)
			if got, want := ScoreTime(s), at.Truncate(time.Second).UTC(); !got.Equal(want) {
				t.Errorf("ScoreTime(Score(%v)) = %v, want %v", at, got, want)
			}
			// The score is an exact integer: seconds and rank are recoverable.
			if s != math.Trunc(s) || int64(s)&(1<<rankBits-1) != int64(1<<rankBits-1-r.Rank(d, at)) {
				t.Errorf("score %.1f at %v does not hold the rank exactly", s, at)
			}
		}
	}
}

func TestRankRange(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	now := refTime
	for i := 0; i < 10000; i++ {
		d := Debt{
			Priority: rng.Intn(40) - 10,
			Amount:   []string{"", "x", "0", "1", "1e9", "123456.78", "-1", "1e400"}[rng.Intn(8)],
			DueDate:  now.Add(time.Duration(rng.Int63n(int64(2000*24*time.Hour))) - 1000*24*time.Hour),
		}
		for _, o := range []Order{OrderPriority, OrderDueDate, OrderFIFO, "unknown"} {
			if k := (Rules{Order: o}).Rank(d, now); k < 0 || k >= 1<<rankBits {
				t.Fatalf("%s rank of %+v = %d, out of range", o, d, k)
			}
		}
	}
}

// FuzzRankScore checks for any amount text, priority and due date that the
// rank fits its bits and the score round-trips its second.
func FuzzRankScore(f *testing.F) {
	for _, s := range []string{"1500000", "12.50", "", "NaN", "-Inf", "1e308", "0x1p-2", "9" + strings.Repeat("9", 400)} {
		f.Add(s, 3, int64(40), int64(1750000000))
	}
	f.Fuzz(func(t *testing.T, amount string, prio int, daysAgo int64, atSec int64) {
		if atSec < 0 || atSec >= 1<<32 || daysAgo < -100000 || daysAgo > 100000 {
			t.Skip()
		}
		at := time.Unix(atSec, 0).UTC()
		d := Debt{Amount: amount, Priority: prio, DueDate: at.Add(-time.Duration(daysAgo) * 24 * time.Hour)}
		for _, o := range []Order{OrderPriority, OrderDueDate, OrderFIFO} {
			r := Rules{Order: o}
			k := r.Rank(d, at)
			if k < 0 || k >= 1<<rankBits {
				t.Fatalf("rank %d out of range", k)
			}
			s := r.Score(d, at, at)
			if !ScoreTime(s).Equal(at) || s > DueScore(at) || s <= DueScore(at.Add(-time.Second)) {
				t.Fatalf("score %.0f of %v does not round-trip", s, at)
			}
		}
		if b := amountBucket(amount); b < 0 || b > 255 {
			t.Fatalf("bucket %d", b)
		}
	})
}
