package campaign

// Counters are the KPI counters of one scope (a campaign, a day or an
// agent). Every field but the agent times is derived from the attempt log
// by Count, so the counters can always be checked against the log.
type Counters struct {
	Placed        int64   `json:"calls_placed"`
	Answered      int64   `json:"answered"`
	Bridged       int64   `json:"bridged"`
	Abandoned     int64   `json:"abandoned"`
	HungUpEarly   int64   `json:"answered_hangup"`
	Busy          int64   `json:"busy"`
	NoAnswer      int64   `json:"no_answer"`
	Congestion    int64   `json:"congestion"`
	InvalidNumber int64   `json:"invalid_number"`
	Failed        int64   `json:"failed"`
	PromiseToPay  int64   `json:"promise_to_pay"`
	TalkSeconds   float64 `json:"talk_seconds"`
	// Agent time, added by AddAgentTime.
	ReadySeconds  float64 `json:"ready_seconds"`
	WrapUpSeconds float64 `json:"wrapup_seconds"`
	PausedSeconds float64 `json:"paused_seconds"`
}

// DispositionPromiseToPay is the wrap-up code counted as a promise to pay.
const DispositionPromiseToPay = "promise_to_pay"

// DispositionFraudSuspected is the wrap-up code of an agent who suspects
// fraud: the debt goes under investigation (no more calls) and a
// supervisor is alerted at once (package alerts).
const DispositionFraudSuspected = "fraud_suspected"

// Count adds one attempt to the counters.
func (c *Counters) Count(a Attempt) {
	c.Placed++
	if a.Outcome.Answered() {
		c.Answered++
	}
	switch a.Outcome {
	case OutcomeBridged:
		c.Bridged++
	case OutcomeAbandoned:
		c.Abandoned++
	case OutcomeHungUpEarly:
		c.HungUpEarly++
	case OutcomeBusy:
		c.Busy++
	case OutcomeNoAnswer:
		c.NoAnswer++
	case OutcomeCongestion:
		c.Congestion++
	case OutcomeInvalidNumber:
		c.InvalidNumber++
	case OutcomeFailed:
		c.Failed++
	}
	if a.Disposition == DispositionPromiseToPay {
		c.PromiseToPay++
	}
	c.TalkSeconds += a.TalkSeconds()
}

// Add adds o to c.
func (c *Counters) Add(o Counters) {
	c.Placed += o.Placed
	c.Answered += o.Answered
	c.Bridged += o.Bridged
	c.Abandoned += o.Abandoned
	c.HungUpEarly += o.HungUpEarly
	c.Busy += o.Busy
	c.NoAnswer += o.NoAnswer
	c.Congestion += o.Congestion
	c.InvalidNumber += o.InvalidNumber
	c.Failed += o.Failed
	c.PromiseToPay += o.PromiseToPay
	c.TalkSeconds += o.TalkSeconds
	c.ReadySeconds += o.ReadySeconds
	c.WrapUpSeconds += o.WrapUpSeconds
	c.PausedSeconds += o.PausedSeconds
}

// KPIs are the rates derived from Counters. A rate whose denominator is
// zero is 0.
type KPIs struct {
	ContactRate       float64 `json:"contact_rate"`         // answered ÷ placed
	AbandonRate       float64 `json:"abandon_rate"`         // abandoned ÷ answered
	PromiseToPayRate  float64 `json:"promise_to_pay_rate"`  // promises ÷ bridged
	Occupancy         float64 `json:"occupancy"`            // (talk+wrap-up) ÷ (talk+wrap-up+ready)
	CallsPerAgentHour float64 `json:"calls_per_agent_hour"` // placed ÷ logged-in hours (talk+wrap-up+ready+paused)
}

// KPIs derives the rates.
func (c Counters) KPIs() KPIs {
	busy := c.TalkSeconds + c.WrapUpSeconds
	loggedIn := busy + c.ReadySeconds + c.PausedSeconds
	return KPIs{
		ContactRate:       ratio(float64(c.Answered), float64(c.Placed)),
		AbandonRate:       ratio(float64(c.Abandoned), float64(c.Answered)),
		PromiseToPayRate:  ratio(float64(c.PromiseToPay), float64(c.Bridged)),
		Occupancy:         ratio(busy, busy+c.ReadySeconds),
		CallsPerAgentHour: ratio(float64(c.Placed), loggedIn/3600),
	}
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Report is the KPI counters of a campaign.
type Report struct {
	CampaignID string              `json:"campaign_id"`
	Total      Counters            `json:"total"`
	Days       map[string]Counters `json:"days"`   // key: UTC date 2006-01-02
	Agents     map[string]Counters `json:"agents"` // key: agent id
}
