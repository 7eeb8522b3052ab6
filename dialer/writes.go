package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
)

// jobKind names a store write.
type jobKind int

const (
	jobComplete jobKind = iota
	jobDisposition
	jobAgentTime
)

// writeJob is one store write that must not be lost: it is retried with
// backoff until it succeeds or the engine gives up at shutdown.
type writeJob struct {
	kind     jobKind
	held     *heldLease // jobComplete
	attempt  campaign.Attempt
	sched    campaign.Schedule
	disp     disposition
	agentID  string
	ts       campaign.AgentTimeState
	at       time.Time
	seconds  float64
	tries    int
	delay    time.Duration
	inFlight bool
	timer    Timer
}

// desc describes the write for logs (built only when logged).
func (j *writeJob) desc() string {
	switch j.kind {
	case jobComplete:
		a := j.attempt
		return fmt.Sprintf("attempt %s (campaign %s, debt %s, outcome %s)", a.ID, a.CampaignID, a.DebtID, a.Outcome)
	case jobAgentTime:
		return fmt.Sprintf("agent %s %s time %.1fs (campaign %s)", j.agentID, j.ts, j.seconds, j.attempt.CampaignID)
	default:
		d := j.disp
		return fmt.Sprintf("disposition %s of attempt %s by agent %s", d.code, d.attemptID, d.agentID)
	}
}

// writeQueue holds the writes not yet done (loop-owned).
type writeQueue struct {
	e    *Engine
	jobs []*writeJob
}

func (q *writeQueue) empty() bool { return len(q.jobs) == 0 }

func (q *writeQueue) pendingAttempt(id string) *writeJob {
	for _, j := range q.jobs {
		if j.kind == jobComplete && j.attempt.ID == id {
			return j
		}
	}
	return nil
}

// complete queues Store.Complete of an attempt.
func (q *writeQueue) complete(h *heldLease, a campaign.Attempt, s campaign.Schedule) {
	q.add(&writeJob{kind: jobComplete, held: h, attempt: a, sched: s})
}

// agentTime queues Store.AddAgentTime.
func (q *writeQueue) agentTime(campaignID, agentID string, ts campaign.AgentTimeState, at time.Time, secs float64) {
	q.add(&writeJob{kind: jobAgentTime, attempt: campaign.Attempt{CampaignID: campaignID}, agentID: agentID, ts: ts,
		at: at, seconds: secs})
}

func (q *writeQueue) disposition(d disposition) {
	q.add(&writeJob{kind: jobDisposition, disp: d})
}

func (q *writeQueue) add(j *writeJob) {
	q.jobs = append(q.jobs, j)
	q.run(j)
}

func (q *writeQueue) remove(j *writeJob) {
	for i, x := range q.jobs {
		if x == j {
			q.jobs = append(q.jobs[:i], q.jobs[i+1:]...)
			return
		}
	}
}

// run starts one try of the job in a worker.
func (q *writeQueue) run(j *writeJob) {
	e := q.e
	j.inFlight = true
	j.tries++
	var lease campaign.Lease
	if j.held != nil {
		lease = j.held.lease
	}
	e.spawn(func(ctx context.Context) func() {
		var err error
		switch j.kind {
		case jobComplete:
			err = e.store.Complete(ctx, lease, j.attempt, j.sched)
		case jobDisposition:
			err = e.store.SetDisposition(ctx, j.disp.campaignID, j.disp.attemptID, j.disp.agentID, j.disp.code, j.disp.at)
		case jobAgentTime:
			err = e.store.AddAgentTime(ctx, j.attempt.CampaignID, j.agentID, j.ts, j.at, j.seconds)
		}
		return func() { q.done(j, err) }
	})
}

// done handles the result of one try.
func (q *writeQueue) done(j *writeJob, err error) {
	e := q.e
	j.inFlight = false
	if j.kind == jobComplete && errors.Is(err, campaign.ErrLeaseLost) {
		// The attempt is recorded; the debt was re-leased by someone else.
		e.log.Warn("attempt recorded but its lease was lost", zap.String("attempt_id", j.attempt.ID),
			zap.String("debt_id", j.attempt.DebtID))
		err = nil
	}
	if err == nil {
		if j.tries > 1 {
			e.log.Info("store write succeeded after retries", zap.String("write", j.desc()), zap.Int("tries", j.tries))
		}
		q.remove(j)
		if j.kind == jobComplete {
			delete(e.leases, leaseKey(j.held.lease))
			for _, d := range e.waitingDispositions[j.attempt.ID] {
				q.disposition(d)
			}
			delete(e.waitingDispositions, j.attempt.ID)
		}
		return
	}
	if errors.Is(err, campaign.ErrInvalid) || (j.kind == jobDisposition && errors.Is(err, campaign.ErrNotFound)) {
		e.log.Error("store rejected a write; dropping it", zap.String("write", j.desc()), zap.Error(err))
		q.remove(j)
		if j.kind == jobComplete {
			delete(e.leases, leaseKey(j.held.lease))
			delete(e.waitingDispositions, j.attempt.ID)
		}
		return
	}
	j.delay = backoff(j.delay)
	if j.tries == 1 {
		e.log.Warn("store write failed; retrying with backoff until it succeeds", zap.String("write", j.desc()),
			zap.Error(err), zap.Duration("retry_in", j.delay))
	} else {
		e.log.Debug("store write failed again", zap.String("write", j.desc()), zap.Error(err), zap.Duration("retry_in", j.delay))
	}
	if e.flushed {
		return // giving up; giveUp logged it
	}
	j.timer = e.after(j.delay, func() {
		j.timer = nil
		if !j.inFlight && !e.flushed && q.has(j) {
			q.run(j)
		}
	})
}

func (q *writeQueue) has(j *writeJob) bool {
	for _, x := range q.jobs {
		if x == j {
			return true
		}
	}
	return false
}

// giveUp logs every write that could not be done, at the shutdown deadline.
func (q *writeQueue) giveUp() {
	for _, j := range q.jobs {
		fields := []zap.Field{zap.String("write", j.desc()), zap.Int("tries", j.tries)}
		if j.kind == jobComplete {
			a := j.attempt
			fields = append(fields, zap.String("attempt_id", a.ID), zap.String("campaign_id", a.CampaignID),
				zap.String("debt_id", a.DebtID), zap.String("outcome", string(a.Outcome)), zap.String("agent_id", a.AgentID),
				zap.Int("cause", a.HangupCause), zap.Time("originated_at", a.OriginatedAt), zap.Time("ended_at", a.EndedAt),
				zap.Float64("talk_seconds", a.TalkSeconds()))
		}
		q.e.log.Error("store write lost at shutdown (store unavailable)", fields...)
	}
	for id, ds := range q.e.waitingDispositions {
		for _, d := range ds {
			q.e.log.Error("disposition lost at shutdown (its attempt was not written)", zap.String("attempt_id", id),
				zap.String("agent_id", d.agentID), zap.String("code", d.code))
		}
	}
	q.stopTimers()
}

func (q *writeQueue) stopTimers() {
	for _, j := range q.jobs {
		if j.timer != nil {
			j.timer.Stop()
			j.timer = nil
		}
	}
}
