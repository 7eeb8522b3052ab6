package pacing

import (
	"fmt"
	"math"
	"time"
)

// This file ports the logic of VICIdial's adaptive predictive controller:
// bin/AST_VDadapt.pl (count_agents_lines, calculate_drops,
// calculate_dial_level) and the dial loop of bin/AST_VDauto_dial.pl, as
// described in their public sources. It is a re-implementation of the
// behaviour, not a translation of the code.
//
// Mapping of VICIdial's agent statuses to duecall's: READY is AgentReady;
// INCALL/QUEUE is AgentOnCall. VICIdial puts an agent in PAUSED while they
// disposition the call after hanging up, so duecall's AgentWrapUp counts as
// paused: neither busy nor ready. VICIdial's vicidial_auto_calls rows
// (SENT, RINGING, LIVE, XFER, CLOSER: from the dial until the agent's hang
// up) are every call of the campaign that uses a line; its LIVE calls
// (answered, waiting in the queue for an agent) are CallWaiting.

// VICIdial's timings.
const (
	// AdaptiveSampleEvery: the controller's loop runs every second.
	AdaptiveSampleEvery = time.Second
	// AdaptiveDialEvery: the auto-dial loop places calls every 2.5 s.
	AdaptiveDialEvery = 2500 * time.Millisecond
	// adaptiveSamples: the differential averages the last 15 samples.
	adaptiveSamples = 15
	// adaptiveLevelEvery: the dial level is recalculated every 15 loops.
	adaptiveLevelEvery = 15
	// adaptiveDropsEvery: the drop counts are refreshed every 60 loops.
	adaptiveDropsEvery = 60
	// Drop rules: halve the level when more than 50 % of the last
	// minute's calls dropped (with more than 20 calls), and apply the drop
	// mode when the day's drop rate is over the limit (with more than 50
	// calls today).
	adaptiveMinuteMinCalls = 20
	adaptiveMinuteDropPct  = 50.0
	adaptiveDayMinCalls    = 50
)

// Adaptive is a port of VICIdial's adaptive predictive controller. Every
// second it samples the ready agents, the answered calls waiting for an
// agent and the working (busy or ready) agents, and keeps the last 15
// samples. Every 15 s it moves the dial level by the averaged differential
// (ready − waiting + dl_diff_target) relative to the average working
// agents, scaled by the intensity setting, within [1, max level]; it halves
// the level when over half of the last minute's calls dropped, and applies
// its drop mode when the day's drops exceed the limit as a share of the
// day's answered calls. Every 2.5 s its dial loop places round(level ×
// working agents) − calls in progress. Create it with New (ModeAdaptive).
type Adaptive struct {
	cfg    AdaptiveConfig
	limit  float64 // adaptive_dropped_percentage, in percent
	latest int     // adaptive_latest_server_time as HHMM
	level  float64 // auto_dial_level

	ready, waiting, total [adaptiveSamples]int
	samples               int // samples taken so far (stat_count)
	levelUpdater          int // diff_ratio_updater
	dropUpdater           int // drop_count_updater

	// Results for the drop statistics.
	minute []minuteCall // results ended in the last minute (and a bit)
	day    int          // yyyymmdd of "today" in cfg.Location
	today  dayCounts
	// The drop statistics as of the last refresh (once a minute).
	stats adaptiveDrops
	note  string
}

type minuteCall struct {
	placed, ended time.Time
	dropped       bool
}

type dayCounts struct{ calls, answers, drops int64 }

// adaptiveDrops are the drop statistics calculate_drops produces.
type adaptiveDrops struct {
	CallsOneMin, DropsOneMin int64
	CallsToday, AnswersToday int64
	DropsToday               int64
}

var (
	_ Cadenced = (*Adaptive)(nil)
	_ Sampler  = (*Adaptive)(nil)
	_ Recorder = (*Adaptive)(nil)
	_ Reporter = (*Adaptive)(nil)
)

// newAdaptive returns an Adaptive for a validated config.
func newAdaptive(cfg Config) *Adaptive {
	latest, _ := parseHHMM(cfg.Adaptive.LatestServerTime)
	return &Adaptive{
		cfg: cfg.Adaptive, limit: cfg.MaxAbandonRate * 100, latest: latest, level: 1,
		// Set past 60 so that the first loop takes a baseline drop count,
		// as VICIdial does.
		dropUpdater: adaptiveDropsEvery + 1,
	}
}

// Level is the current dial level.
func (a *Adaptive) Level() float64 { return a.level }

// DialEvery implements Cadenced: 2.5 s.
func (a *Adaptive) DialEvery() time.Duration { return AdaptiveDialEvery }

// SampleEvery implements Sampler: 1 s.
func (a *Adaptive) SampleEvery() time.Duration { return AdaptiveSampleEvery }

// Lines implements Pacer: the auto-dial loop's round(level × (busy + ready
// agents)) − calls in progress.
func (a *Adaptive) Lines(st State) int {
	agents := st.AgentsIn(AgentReady) + st.AgentsIn(AgentOnCall)
	goal := int(math.RoundToEven(a.level * float64(agents)))
	n := goal - st.LinesInUse()
	return max(min(n, st.FreeLines()), 0)
}

// Sample implements Sampler: one pass of the controller's 1-second loop.
func (a *Adaptive) Sample(st State) {
	ready := st.AgentsIn(AgentReady)
	i := a.samples % adaptiveSamples
	a.ready[i] = ready
	a.waiting[i] = st.CallsIn(CallWaiting)
	a.total[i] = ready + st.AgentsIn(AgentOnCall)
	a.samples++
	k := min(a.samples, adaptiveSamples) // fewer while warming up
	var sr, sw, stot int
	for j := range k {
		sr += a.ready[j]
		sw += a.waiting[j]
		stot += a.total[j]
	}
	readyAvg := float64(sr) / float64(k)
	waitingAvg := float64(sw) / float64(k)
	totalAvg := float64(stot) / float64(k)
	if totalAvg > 0 {
		if a.dropUpdater >= adaptiveDropsEvery {
			a.refreshDrops(st.Now)
			a.dropUpdater = 0
		}
		if a.levelUpdater >= adaptiveLevelEvery {
			in := adaptiveInput{
				Level: a.level, Differential: readyAvg - waitingAvg, AgentsAvg: totalAvg,
				Drops: a.stats, HHMM: hhmm(st.Now.In(a.cfg.Location)),
			}
			a.level, a.note = adaptiveLevel(in, a.cfg, a.limit, a.latest)
			a.levelUpdater = 0
		}
	}
	a.levelUpdater++
	a.dropUpdater++
}

// Record implements Recorder: the attempt counts toward the drop
// statistics (VICIdial's vicidial_log).
func (a *Adaptive) Record(r Result) {
	if !r.Dialed {
		return
	}
	a.minute = append(a.minute, minuteCall{placed: r.PlacedAt, ended: r.EndedAt, dropped: r.Abandoned()})
	d := dayKey(r.PlacedAt.In(a.cfg.Location))
	if d > a.day {
		a.day, a.today = d, dayCounts{}
	}
	if d < a.day {
		return // placed before today
	}
	a.today.calls++
	if r.Answered() {
		a.today.answers++
	}
	if r.Abandoned() {
		a.today.drops++
	}
}

// refreshDrops is calculate_drops: the calls and drops of the last minute
// (by the time the call was placed) and of today.
func (a *Adaptive) refreshDrops(now time.Time) {
	cut := now.Add(-time.Minute)
	keep := a.minute[:0]
	var st adaptiveDrops
	for _, c := range a.minute {
		if c.ended.Before(cut) {
			continue // ended over a minute ago: placed even earlier
		}
		keep = append(keep, c)
		if c.placed.After(cut) {
			st.CallsOneMin++
			if c.dropped {
				st.DropsOneMin++
			}
		}
	}
	a.minute = keep
	if dayKey(now.In(a.cfg.Location)) > a.day {
		a.day, a.today = dayKey(now.In(a.cfg.Location)), dayCounts{}
	}
	st.CallsToday, st.AnswersToday, st.DropsToday = a.today.calls, a.today.answers, a.today.drops
	a.stats = st
}

// Report implements Reporter.
func (a *Adaptive) Report() Report {
	return Report{Mode: ModeAdaptive, DialLevel: a.level, Note: a.note}
}

// adaptiveInput is what one calculate_dial_level reads.
type adaptiveInput struct {
	Level        float64 // the current auto_dial_level
	Differential float64 // ready_diff_avg − waiting_diff_avg over the samples
	AgentsAvg    float64 // total_agents_avg over the samples
	Drops        adaptiveDrops
	HHMM         int // the server's current time as hours×100 + minutes
}

// adaptiveLevel is calculate_dial_level: the next dial level and a note
// naming the drop rule that applied ("" when none did). limit is the drop
// percentage (3 for 3 %), latest the latest server time as HHMM.
func adaptiveLevel(in adaptiveInput, cfg AdaptiveConfig, limit float64, latest int) (float64, string) {
	target := in.Differential + cfg.DLDiffTarget
	var pctRaw float64
	if target != 0 && in.AgentsAvg != 0 {
		pctRaw = target / in.AgentsAvg * 100
	}
	intensityMul := cfg.Intensity / 100
	var intensityDiff float64
	if pctRaw < 0 {
		intensityDiff = pctRaw * math.Abs(intensityMul-1)
	} else {
		intensityDiff = pctRaw * (intensityMul + 1)
	}
	level := round3(in.Level * (intensityDiff/100 + 1))
	if level > cfg.MaxLevel {
		level = cfg.MaxLevel
	}
	if level < 1 {
		level = 1
	}
	note := ""
	d := in.Drops
	if d.CallsOneMin > adaptiveMinuteMinCalls && pct(d.DropsOneMin, d.CallsOneMin) > adaptiveMinuteDropPct {
		level /= 2
		note = fmt.Sprintf("over half of the last minute's %d calls dropped: level halved", d.CallsOneMin)
	}
	if d.CallsToday > adaptiveDayMinCalls && pct(d.DropsToday, d.AnswersToday) > limit {
		dayPct := pct(d.DropsToday, d.AnswersToday)
		switch cfg.DropMode {
		case DropHard:
			level = 1
			note = fmt.Sprintf("today's drop rate %.2f%% over %.2f%%: hard limit, level 1.0", dayPct, limit)
		case DropAverage:
			level /= 2
			note = fmt.Sprintf("today's drop rate %.2f%% over %.2f%%: level halved", dayPct, limit)
		case DropTapered:
			left := latest - in.HHMM // VICIdial subtracts HHMM numbers
			if left < 0 {
				level = 1
				note = fmt.Sprintf("today's drop rate %.2f%% over %.2f%% after the latest server time: level 1.0", dayPct, limit)
			} else {
				rate := 1.0
				if left <= 1000 {
					rate = float64(left) / 1000
				}
				level *= rate
				note = fmt.Sprintf("today's drop rate %.2f%% over %.2f%%: level tapered by %.3f", dayPct, limit, rate)
			}
		}
	}
	if level < 1 {
		level = 1
	}
	return round3(level), note
}

// pct is VICIdial's percentage with two decimals (0 when den is 0).
func pct(num, den int64) float64 {
	if den <= 0 || num <= 0 {
		return 0
	}
	return math.Round(float64(num)/float64(den)*100*100) / 100
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func hhmm(t time.Time) int { return t.Hour()*100 + t.Minute() }

func dayKey(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }
