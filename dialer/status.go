package dialer

import (
	"context"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer/pacing"
)

// Status is a snapshot of the engine, for the API and dashboards.
type Status struct {
	Running       bool             `json:"running"`
	Draining      bool             `json:"draining"`
	PBXConnected  bool             `json:"pbx_connected"`
	StoreHealthy  bool             `json:"store_healthy"`
	Campaigns     []CampaignStatus `json:"campaigns"`
	Agents        []AgentStatus    `json:"agents"`
	Latency       LatencyStatus    `json:"connect_latency"`
	UnknownEvents int64            `json:"unknown_events"`
	// InvalidInputs counts events that made no sense in a call's state
	// (ignored; a sign of an adapter or PBX oddity).
	InvalidInputs int64 `json:"invalid_inputs"`
	// PendingWrites counts store writes (attempts, dispositions, agent
	// time) not done yet; they are retried until they succeed.
	PendingWrites int `json:"pending_writes"`
}

// CampaignStatus is one campaign's live figures (this process only).
type CampaignStatus struct {
	ID               string                     `json:"id"`
	Name             string                     `json:"name"`
	Placed           int64                      `json:"placed"`    // calls originated
	Completed        int64                      `json:"completed"` // attempts recorded
	Dialing          int                        `json:"dialing"`   // claiming or dialing
	Ringing          int                        `json:"ringing"`
	AnsweredWaiting  int                        `json:"answered_waiting"`
	OnCall           int                        `json:"on_call"` // connecting or talking
	LinesInUse       int                        `json:"lines_in_use"`
	MaxLines         int                        `json:"max_lines"`
	AgentsReady      int                        `json:"agents_ready"`
	AgentsOnCall     int                        `json:"agents_on_call"`
	AgentsWrapUp     int                        `json:"agents_wrap_up"`
	AgentsPaused     int                        `json:"agents_paused"`
	AgentsConnecting int                        `json:"agents_connecting"`
	Answered         int64                      `json:"answered"`
	Abandoned        int64                      `json:"abandoned"`
	AbandonRate      float64                    `json:"abandon_rate"` // abandoned ÷ answered
	Outcomes         map[campaign.Outcome]int64 `json:"outcomes"`
	// Pacing is the pacer's mode, dial level and note.
	Pacing pacing.Report `json:"pacing"`
	// MaxAbandonRate is the campaign's abandon target (pacing.max_abandon_rate).
	MaxAbandonRate float64 `json:"max_abandon_rate"`
	// AbandonWindowSeconds is the rolling window (pacing.abandon_window)
	// of the Window* figures.
	AbandonWindowSeconds float64 `json:"abandon_window_seconds"`
	WindowAnswered       int64   `json:"window_answered"`
	WindowAbandoned      int64   `json:"window_abandoned"`
	// WindowAbandonRate is abandoned ÷ answered over the window (this
	// process only), the figure the target applies to.
	WindowAbandonRate float64 `json:"window_abandon_rate"`
}

// AgentStatus is one agent's state.
type AgentStatus struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CampaignID string     `json:"campaign_id,omitempty"`
	State      AgentState `json:"state"`
	Since      time.Time  `json:"since"`
	AttemptID  string     `json:"attempt_id,omitempty"` // the current call
	DebtID     string     `json:"debt_id,omitempty"`
	// LastAttemptID and LastDebtID are the last call the agent talked on
	// (what a wrap-up screen shows and a disposition names).
	LastAttemptID string `json:"last_attempt_id,omitempty"`
	LastDebtID    string `json:"last_debt_id,omitempty"`
}

// LatencyStatus summarises the connect latency (debtor answered → debtor in
// the agent's bridge), in milliseconds.
type LatencyStatus struct {
	Count uint64  `json:"count"`
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// Histogram is the full histogram.
	Histogram HistogramSnapshot `json:"histogram"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Status returns a snapshot of the engine. When the engine is not running
// (or ctx ends first) it returns a Status with Running false.
func (e *Engine) Status(ctx context.Context) Status {
	var st Status
	if err := e.do(ctx, func() { st = e.status() }); err != nil {
		return Status{}
	}
	return st
}

func (e *Engine) status() Status {
	st := Status{
		Running: true, Draining: e.lc != lcRunning, PBXConnected: e.connected && e.tel.Connected(),
		StoreHealthy: !e.storeDown, UnknownEvents: e.unknownEvents, InvalidInputs: e.invalidInputs,
		PendingWrites: len(e.writes.jobs),
	}
	h := e.latency.Snapshot()
	st.Latency = LatencyStatus{Count: h.Count, P50Ms: ms(h.Quantile(0.5)), P90Ms: ms(h.Quantile(0.9)),
		P99Ms: ms(h.Quantile(0.99)), MaxMs: ms(h.Max), Histogram: h}
	byID := map[*campaignRT]*CampaignStatus{}
	for _, rt := range e.campList {
		cs := CampaignStatus{ID: rt.cfg.ID, Name: rt.cfg.Name, Placed: rt.placed, Completed: rt.completed,
			MaxLines: rt.cfg.MaxLines, Answered: rt.answered, Abandoned: rt.abandoned,
			Dialing: rt.claiming, LinesInUse: rt.claiming, Outcomes: map[campaign.Outcome]int64{}}
		for o, n := range rt.outcomes {
			cs.Outcomes[o] = n
		}
		if rt.answered > 0 {
			cs.AbandonRate = float64(rt.abandoned) / float64(rt.answered)
		}
		w := rt.window.Counts(e.now())
		cs.Pacing = e.pacingReport(rt)
		cs.MaxAbandonRate = rt.cfg.Pacing.MaxAbandonRate
		cs.AbandonWindowSeconds = w.Span.Seconds()
		cs.WindowAnswered, cs.WindowAbandoned, cs.WindowAbandonRate = w.Answered, w.Abandoned, w.Rate()
		st.Campaigns = append(st.Campaigns, cs)
	}
	for i, rt := range e.campList {
		byID[rt] = &st.Campaigns[i]
	}
	for _, c := range e.calls {
		cs := byID[c.camp]
		cs.LinesInUse++
		switch c.st.Phase {
		case phDialing:
			cs.Dialing++
		case phRinging:
			cs.Ringing++
		case phWaiting:
			cs.AnsweredWaiting++
		case phBridging, phBridged:
			cs.OnCall++
		}
	}
	for _, a := range e.agentList {
		as := AgentStatus{ID: a.cfg.ID, Name: a.cfg.Name, State: a.state, Since: a.since}
		if a.camp != nil {
			as.CampaignID = a.camp.cfg.ID
			cs := byID[a.camp]
			switch a.state {
			case AgentReady:
				cs.AgentsReady++
			case AgentOnCall:
				cs.AgentsOnCall++
			case AgentWrapUp:
				cs.AgentsWrapUp++
			case AgentPaused:
				cs.AgentsPaused++
			case AgentConnecting:
				cs.AgentsConnecting++
			}
		}
		if a.call != nil {
			as.AttemptID = a.call.id
			as.DebtID = a.call.held.lease.DebtID
		}
		as.LastAttemptID, as.LastDebtID = a.lastAttemptID, a.lastDebtID
		st.Agents = append(st.Agents, as)
	}
	return st
}
