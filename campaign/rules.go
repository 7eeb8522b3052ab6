package campaign

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// RetryAction says what to do after an outcome.
type RetryAction string

const (
	// RetryLater calls the same number again after Delay.
	RetryLater RetryAction = "retry"
	// RetryNextPhone moves to the debtor's next number (after Delay), and
	// stops when there is none.
	RetryNextPhone RetryAction = "next_phone"
	// RetryStop ends dialing for the debt.
	RetryStop RetryAction = "stop"
)

// RetryRule is what happens after one outcome.
type RetryRule struct {
	Action RetryAction
	Delay  time.Duration
}

// Order names how due debts with the same next-attempt time are ordered.
type Order string

const (
	// OrderPriority: explicit priority, then higher amount, then more days
	// past due (the default).
	OrderPriority Order = "priority"
	// OrderDueDate: earliest due date (most days past due) first, then
	// explicit priority.
	OrderDueDate Order = "due_date"
	// OrderFIFO: no ranking; debts due in the same second are taken in
	// debt id order.
	OrderFIFO Order = "fifo"
)

// Rules are the parts of a campaign's configuration that decide when a debt
// is called and what happens after each attempt.
type Rules struct {
	CampaignID string
	// RemindBefore: a debt is due from DueDate - RemindBefore on.
	RemindBefore time.Duration
	// MaxAttempts ends dialing after this many attempts (0: no cap).
	MaxAttempts int
	Retry       map[Outcome]RetryRule
	Order       Order
}

// DefaultRetry are the retry rules used for outcomes a campaign does not
// configure.
func DefaultRetry() map[Outcome]RetryRule {
	return map[Outcome]RetryRule{
		OutcomeBridged:       {Action: RetryStop},
		OutcomeAbandoned:     {Action: RetryLater, Delay: 72 * time.Hour},
		OutcomeHungUpEarly:   {Action: RetryLater, Delay: 4 * time.Hour},
		OutcomeBusy:          {Action: RetryLater, Delay: 15 * time.Minute},
		OutcomeNoAnswer:      {Action: RetryLater, Delay: 2 * time.Hour},
		OutcomeCongestion:    {Action: RetryLater, Delay: 10 * time.Minute},
		OutcomeInvalidNumber: {Action: RetryNextPhone},
		OutcomeFailed:        {Action: RetryLater, Delay: 10 * time.Minute},
	}
}

// Rule returns the retry rule for an outcome, falling back to DefaultRetry.
func (r Rules) Rule(o Outcome) RetryRule {
	if rule, ok := r.Retry[o]; ok {
		return rule
	}
	return DefaultRetry()[o]
}

// FirstAttempt is when a new debt first becomes due: RemindBefore ahead of
// its due date (DueDate is midnight UTC of the due day, so with whole-day
// RemindBefore this is midnight UTC of the first reminder day).
func (r Rules) FirstAttempt(d Debt) time.Time {
	return d.DueDate.Add(-r.RemindBefore)
}

// Next decides the debt's schedule after an attempt with the given outcome
// ended at end. attempts is the number of attempts including this one.
func (r Rules) Next(d Debt, attempts int, o Outcome, end time.Time) Schedule {
	rule := r.Rule(o)
	switch rule.Action {
	case RetryLater, RetryNextPhone:
	case RetryStop:
		return Schedule{Finish: true, FinishReason: "outcome " + string(o)}
	default:
		// An unknown outcome or action must never become an immediate
		// redial loop.
		return Schedule{Finish: true, FinishReason: fmt.Sprintf("no retry rule for outcome %q", o)}
	}
	if r.MaxAttempts > 0 && attempts >= r.MaxAttempts {
		return Schedule{Finish: true, FinishReason: fmt.Sprintf("max attempts (%d) reached", r.MaxAttempts)}
	}
	idx := d.PhoneIndex
	if rule.Action == RetryNextPhone {
		idx++
		if idx >= len(d.Phones) {
			return Schedule{Finish: true, FinishReason: "no valid phone number left"}
		}
	}
	return Schedule{NextAttemptAt: end.Add(rule.Delay), PhoneIndex: idx}
}

// rankBits is the number of score bits below the second used for ordering
// debts due in the same second.
const rankBits = 20

// Score orders a debt in its campaign queue: the next-attempt time in whole
// seconds, then the debt's rank (lower score is dialled first). It fits a
// float64 exactly for times before the year 2106.
func (r Rules) Score(d Debt, at time.Time, now time.Time) float64 {
	sec := at.Unix()
	if sec < 0 {
		sec = 0
	}
	return float64(sec)*(1<<rankBits) + float64((1<<rankBits)-1-r.Rank(d, now))
}

// DueScore is the highest score that is due at now.
func DueScore(now time.Time) float64 {
	return float64(now.Unix()+1)*(1<<rankBits) - 1
}

// ScoreTime recovers the next-attempt time from a score.
func ScoreTime(score float64) time.Time {
	return time.Unix(int64(math.Floor(score/(1<<rankBits))), 0).UTC()
}

// Rank is a debt's priority in [0, 2^20): higher is dialled first among
// debts due in the same second. Under OrderPriority it packs the explicit
// priority (4 bits, 0..15), a logarithmic amount bucket (8 bits) and days
// past due (8 bits, 0..255).
func (r Rules) Rank(d Debt, now time.Time) int {
	prio := clamp(d.Priority, 0, 15)
	days := 0
	if !d.DueDate.IsZero() {
		days = clamp(int(now.Sub(d.DueDate).Hours()/24), 0, 255)
	}
	amount := amountBucket(d.Amount)
	switch r.Order {
	case OrderFIFO:
		return 0
	case OrderDueDate:
		return days<<12 | prio<<8 | amount
	default:
		return prio<<16 | amount<<8 | days
	}
}

// amountBucket maps an amount to 0..255, monotonic in the amount: 10 buckets
// per power of ten.
func amountBucket(s string) int {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return clamp(int(math.Log10(v)*10)+1, 0, 255)
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
