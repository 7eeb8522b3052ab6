package compliance

import (
	"time"

	"github.com/duecall/duecall/campaign"
)

// AbandonCounts counts a campaign's answered and abandoned calls among
// attempts that ended in the policy's AbandonWindow before now (the window
// (now-AbandonWindow, now]). The abandon rate is abandoned ÷ answered, as in
// campaign.Counters.KPIs; answered calls are bridged, abandoned and
// hung-up-early ones.
func (p Policy) AbandonCounts(attempts []campaign.Attempt, now time.Time) (answered, abandoned int) {
	from := now.Add(-p.AbandonWindow)
	for _, a := range attempts {
		end := a.EndedAt
		if end.IsZero() {
			end = a.OriginatedAt
		}
		if !end.After(from) || end.After(now) {
			continue
		}
		if a.Outcome.Answered() {
			answered++
		}
		if a.Outcome == campaign.OutcomeAbandoned {
			abandoned++
		}
	}
	return answered, abandoned
}

// MayRiskAbandon reports whether the campaign may place a call that could
// be abandoned (a predictive call with no agent reserved for it), given the
// answered and abandoned calls of the current abandon window: true when the
// policy has no abandon ceiling, or when the rate would stay at or under
// MaxAbandonRate even if that call were answered and abandoned. Otherwise
// the pacer must only place calls with an agent reserved (progressive).
//
// The rule is deliberately pessimistic: at the start of a window a campaign
// with a 3% ceiling dials progressively until it has 33 answered calls to
// absorb one abandon.
func (p Policy) MayRiskAbandon(answered, abandoned int) bool {
	if p.MaxAbandonRate <= 0 {
		return true
	}
	return float64(abandoned+1) <= p.MaxAbandonRate*float64(answered+1)
}
