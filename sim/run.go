package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/pacing"
)

// Start is when every simulated day starts (a Monday, 09:00 UTC).
var Start = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// campaignID is the simulated campaign.
const campaignID = "sim"

// RunConfig is one simulated day.
type RunConfig struct {
	Scenario Scenario
	Pacing   pacing.Config
	Seed     uint64
	// Duration, when set, replaces the scenario's day length.
	Duration time.Duration
	// Logger receives the engine's logs (nil: none).
	Logger *zap.Logger
}

// Result is what one simulated day measured. Rates are fractions. Calls
// count when they were answered (or dialled) before the end of the day;
// talk and wrap-up are cut at the end of the day.
type Result struct {
	Scenario string
	Pacer    pacing.Mode
	Seed     uint64
	Agents   int
	Duration time.Duration

	Dials     int64 // debtor calls placed
	Live      int64 // answered by a person
	Machines  int64 // answered by a machine
	Connected int64 // live calls an agent took within the patience
	Abandoned int64 // live calls no agent took within the patience

	Talk   time.Duration // agents' time with debtors (machines included)
	WrapUp time.Duration

	LiveRate               float64 // live answers ÷ dials
	Occupancy              float64 // (talk + wrap-up) ÷ logged-in time
	AbandonRate            float64 // abandoned ÷ live answers, whole day
	AbandonRateWorstWindow float64 // the same over the worst 1-hour window
	TalkMinPerAgentHour    float64
	DialsPerAgentHour      float64
	LatencyP95             time.Duration // answer → agent, connected live calls

	// Engine is the dialer's own view of the campaign at the end (its
	// outcome counts include the calls still resolving after the day).
	Engine dialer.CampaignStatus
}

// drainAfter: the day's last calls are followed this long, so that those
// answered just before the end are resolved.
const drainAfter = 10 * time.Second

// Run simulates one day of a scenario with the production dialer engine
// (Synchronous) and a pacer built from cfg.Pacing.
func Run(cfg RunConfig) (Result, error) {
	sc := cfg.Scenario
	if cfg.Duration > 0 {
		sc.Duration = cfg.Duration
	}
	if err := sc.Validate(); err != nil {
		return Result{}, err
	}
	pc := cfg.Pacing
	if pc.Adaptive.Location == nil {
		pc.Adaptive.Location = time.UTC
	}
	pc, err := pc.Validate()
	if err != nil {
		return Result{}, fmt.Errorf("sim: %w", err)
	}
	clock := NewClock(Start)
	pop := NewPopulation(&sc, cfg.Seed)
	pbx := NewPBX(clock, &sc, pop, Start)
	store := NewStore(campaignID)
	var ids uint64
	opts := dialer.Options{
		Telephony: pbx, Store: store, Clock: clock, Logger: cfg.Logger, Owner: "sim",
		// Long leases: renewals are bookkeeping the simulation need not pay for.
		LeaseTTL:    30 * time.Minute,
		Synchronous: true,
		NewID: func(kind byte) string {
			ids++
			return fmt.Sprintf("dc%c-%032x", kind, ids)
		},
		Campaigns: []dialer.Campaign{{
			ID: campaignID, Name: "Simulation " + sc.Name, DialTemplate: "PJSIP/{number}@trunk",
			CallerID: "Sim <100>", OriginateTimeout: sc.OriginateTimeout,
			MaxLines:     max(sc.Agents*int(pacing.DefaultMaxLevel+2), 10),
			AbandonAfter: sc.Patience, AbandonSound: "sound:duecall-abandon", WrapUp: sc.WrapUp,
			Pacing: pc,
		}},
	}
	for i := range sc.Agents {
		opts.Agents = append(opts.Agents, dialer.Agent{ID: fmt.Sprintf("a%03d", i+1), Endpoint: fmt.Sprintf("PJSIP/agent%03d", i+1)})
	}
	e, err := dialer.New(opts)
	if err != nil {
		return Result{}, fmt.Errorf("sim: %w", err)
	}
	if err := e.Start(); err != nil {
		return Result{}, fmt.Errorf("sim: %w", err)
	}
	ctx := context.Background()
	for _, a := range opts.Agents {
		if err := e.Login(ctx, a.ID, ""); err != nil {
			return Result{}, fmt.Errorf("sim: %w", err)
		}
	}
	end := Start.Add(sc.Duration)
	for {
		t, ok := clock.Peek()
		if !ok || t.After(end.Add(drainAfter)) {
			break
		}
		clock.Next()
		e.Pump()
	}
	res := measure(&sc, pbx.Calls(), end)
	res.Pacer, res.Seed = pc.Mode, cfg.Seed
	if st := e.Status(ctx); len(st.Campaigns) == 1 {
		res.Engine = st.Campaigns[0]
	}
	return res, nil
}

// measure computes a day's figures from the PBX's ground truth.
func measure(sc *Scenario, calls []CallRecord, end time.Time) Result {
	r := Result{Scenario: sc.Name, Agents: sc.Agents, Duration: sc.Duration}
	start := end.Add(-sc.Duration)
	minutes := int((sc.Duration + time.Minute - 1) / time.Minute)
	ans := make([]int64, minutes)
	abd := make([]int64, minutes)
	var lat []time.Duration
	for i := range calls {
		c := &calls[i]
		if c.PlacedAt.Before(end) {
			r.Dials++
		}
		if !c.BridgedAt.IsZero() && c.BridgedAt.Before(end) {
			stop := c.EndedAt
			if stop.IsZero() || stop.After(end) {
				stop = end
			}
			r.Talk += stop.Sub(c.BridgedAt)
			if !c.EndedAt.IsZero() && c.EndedAt.Before(end) {
				r.WrapUp += min(sc.WrapUp, end.Sub(c.EndedAt))
			}
		}
		if c.AnsweredAt.IsZero() || !c.AnsweredAt.Before(end) {
			continue
		}
		if c.Class == ClassMachine {
			r.Machines++
			continue
		}
		r.Live++
		m := min(int(c.AnsweredAt.Sub(start)/time.Minute), minutes-1)
		ans[m]++
		if !c.BridgedAt.IsZero() && c.BridgedAt.Sub(c.AnsweredAt) <= sc.Patience {
			r.Connected++
			lat = append(lat, c.BridgedAt.Sub(c.AnsweredAt))
		} else {
			r.Abandoned++
			abd[m]++
		}
	}
	hours := sc.Duration.Hours()
	agentHours := float64(sc.Agents) * hours
	r.Occupancy = (r.Talk + r.WrapUp).Hours() / agentHours
	r.TalkMinPerAgentHour = r.Talk.Minutes() / agentHours
	r.DialsPerAgentHour = float64(r.Dials) / agentHours
	if r.Dials > 0 {
		r.LiveRate = float64(r.Live) / float64(r.Dials)
	}
	if r.Live > 0 {
		r.AbandonRate = float64(r.Abandoned) / float64(r.Live)
	}
	r.AbandonRateWorstWindow = worstWindow(ans, abd, 60)
	if len(lat) > 0 {
		slices.Sort(lat)
		r.LatencyP95 = lat[min(int(float64(len(lat))*0.95), len(lat)-1)]
	}
	return r
}

// worstWindow is the highest abandoned ÷ answered over windows of w
// consecutive minutes (the whole run when it is shorter).
func worstWindow(ans, abd []int64, w int) float64 {
	w = min(w, len(ans))
	var a, b int64
	worst := 0.0
	for i := range ans {
		a += ans[i]
		b += abd[i]
		if i >= w {
			a -= ans[i-w]
			b -= abd[i-w]
		}
		if i >= w-1 && a > 0 {
			worst = max(worst, float64(b)/float64(a))
		}
	}
	return worst
}
