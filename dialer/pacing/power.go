package pacing

import "math"

// Power keeps Ratio calls on the way per ready agent: round(Ratio × ready
// agents) minus the calls already claiming, dialing, ringing or answered
// and waiting, never more than the free lines. Ratio 1 is progressive.
// It ignores how soon busy agents will be free, so with long ring times it
// idles agents and with short ones it abandons calls; it is the fixed-ratio
// mode of most dialers.
type Power struct {
	Ratio float64
}

// Lines implements Pacer.
func (p Power) Lines(st State) int {
	r := p.Ratio
	if !(r >= 1) { // also NaN
		r = 1
	}
	want := int(math.Floor(r*float64(st.AgentsIn(AgentReady)) + 0.5))
	n := want - st.Pending()
	return max(min(n, st.FreeLines()), 0)
}

// Report implements Reporter.
func (p Power) Report() Report { return Report{Mode: ModePower, DialLevel: p.Ratio} }
