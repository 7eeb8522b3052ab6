package campaigntest

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

// testRandomOperations drives a store with a seeded random mix of every
// operation and checks after each step that no debt is handed to two
// holders at once, that lease owners get the answers the contract promises,
// and every so often that states, stats and counters are consistent.
func testRandomOperations(t *testing.T, s campaign.Store) {
	const (
		camp  = "c-random"
		debts = 40
		steps = 600
	)
	rng := rand.New(rand.NewSource(20240607))
	rules := rulesFor(camp)
	rules.MaxAttempts = 6
	rules.Retry = map[campaign.Outcome]campaign.RetryRule{
		campaign.OutcomeAbandoned: {Action: campaign.RetryLater, Delay: 20 * time.Minute},
		campaign.OutcomeNoAnswer:  {Action: campaign.RetryLater, Delay: 5 * time.Minute},
	}
	now := today().Add(8 * time.Hour)
	var all []campaign.Debt
	for i := 0; i < debts; i++ {
		d := newDebt(camp, fmt.Sprintf("d%02d", i), today().Add(time.Duration(rng.Intn(5)-3)*24*time.Hour+time.Duration(rng.Intn(600))*time.Minute))
		d.Priority = rng.Intn(5)
		d.Amount = fmt.Sprint(rng.Intn(5000000) + 1)
		all = append(all, d)
	}
	upsert(t, s, rules, all...)

	type grant struct {
		lease campaign.Lease
		ended bool
	}
	current := map[string]*grant{} // debt -> latest lease granted on it
	var held []*grant              // leases our "dialers" still hold
	var attemptIDs []string
	attemptAgents := map[string]string{} // who took each call ("": no agent)
	var times []agentTime
	ctx := testCtx(t)

	pick := func() (*grant, int) {
		if len(held) == 0 {
			return nil, -1
		}
		i := rng.Intn(len(held))
		return held[i], i
	}
	drop := func(i int) { held = append(held[:i], held[i+1:]...) }
	// isCurrent: the lease is still the latest granted on its debt and has
	// not been completed or released.
	isCurrent := func(g *grant) bool {
		c := current[g.lease.DebtID]
		return c == g && !g.ended
	}

	for step := 0; step < steps; step++ {
		now = now.Add(time.Duration(rng.Intn(40)) * time.Second)
		switch op := rng.Intn(100); {
		case op < 35: // claim
			ttl := time.Duration(30+rng.Intn(90)) * time.Second
			l, err := s.Claim(ctx, camp, fmt.Sprintf("dialer-%d", rng.Intn(3)), now, ttl)
			if errors.Is(err, campaign.ErrNoDebtDue) {
				continue
			}
			if err != nil {
				t.Fatalf("step %d: Claim: %v", step, err)
			}
			if c := current[l.DebtID]; c != nil && !c.ended && c.lease.ExpiresAt.After(now) {
				t.Fatalf("step %d: debt %s claimed while leased until %v (now %v)", step, l.DebtID, c.lease.ExpiresAt, now)
			}
			if l.Debt.State != campaign.StateLeased || l.Debt.NextAttemptAt.Unix() > now.Unix() {
				t.Fatalf("step %d: claimed debt %s state %s next %v at %v", step, l.DebtID, l.Debt.State, l.Debt.NextAttemptAt, now)
			}
			g := &grant{lease: l}
			current[l.DebtID] = g
			held = append(held, g)

		case op < 65: // complete
			g, i := pick()
			if g == nil {
				continue
			}
			o := campaign.Outcomes[rng.Intn(len(campaign.Outcomes))]
			id := fmt.Sprintf("r-%04d", step)
			a := newAttempt(g.lease, id, o, fmt.Sprintf("agent-%d", rng.Intn(4)), now.Add(-time.Duration(rng.Intn(120))*time.Second))
			next := rules.Next(g.lease.Debt, g.lease.Debt.Attempts+1, o, a.EndedAt)
			err := s.Complete(ctx, g.lease, a, next)
			attemptIDs = append(attemptIDs, id) // recorded either way
			attemptAgents[id] = a.AgentID
			switch {
			case err == nil:
				if !isCurrent(g) {
					t.Fatalf("step %d: Complete with a lease lost to another claim succeeded", step)
				}
			case errors.Is(err, campaign.ErrLeaseLost):
				if isCurrent(g) && g.lease.ExpiresAt.After(now) {
					t.Fatalf("step %d: Complete with a live lease: %v", step, err)
				}
			default:
				t.Fatalf("step %d: Complete: %v", step, err)
			}
			if err == nil {
				g.ended = true
			}
			drop(i)

		case op < 75: // release
			g, i := pick()
			if g == nil {
				continue
			}
			err := s.Release(ctx, g.lease)
			switch {
			case err == nil:
				if !isCurrent(g) {
					t.Fatalf("step %d: Release of a lease lost to another claim succeeded", step)
				}
				g.ended = true
			case errors.Is(err, campaign.ErrLeaseLost):
				if isCurrent(g) && g.lease.ExpiresAt.After(now) {
					t.Fatalf("step %d: Release of a live lease: %v", step, err)
				}
			default:
				t.Fatalf("step %d: Release: %v", step, err)
			}
			drop(i)

		case op < 85: // renew
			g, i := pick()
			if g == nil {
				continue
			}
			r, err := s.Renew(ctx, g.lease, now, time.Minute)
			switch {
			case err == nil:
				if !isCurrent(g) || !g.lease.ExpiresAt.After(now) {
					t.Fatalf("step %d: Renew of an expired or lost lease succeeded", step)
				}
				g.lease = r
			case errors.Is(err, campaign.ErrLeaseLost):
				if isCurrent(g) && g.lease.ExpiresAt.After(now) {
					t.Fatalf("step %d: Renew of a live lease: %v", step, err)
				}
				drop(i)
			default:
				t.Fatalf("step %d: Renew: %v", step, err)
			}

		case op < 90: // re-import some debts
			var batch []campaign.Debt
			for j := 0; j < 5; j++ {
				d := all[rng.Intn(len(all))]
				d.Amount = fmt.Sprint(rng.Intn(9000000) + 1)
				d.DueDate = d.DueDate.Add(time.Duration(rng.Intn(3)-1) * time.Hour)
				batch = append(batch, d)
			}
			upsert(t, s, rules, batch...)

		case op < 95: // disposition
			if len(attemptIDs) == 0 {
				continue
			}
			code := []string{campaign.DispositionPromiseToPay, "callback", "refused"}[rng.Intn(3)]
			id := attemptIDs[rng.Intn(len(attemptIDs))]
			if err := s.SetDisposition(ctx, camp, id, attemptAgents[id], code, now); err != nil {
				t.Fatalf("step %d: SetDisposition: %v", step, err)
			}

		default: // agent time
			at := agentTime{
				agent:   fmt.Sprintf("agent-%d", rng.Intn(4)),
				state:   []campaign.AgentTimeState{campaign.AgentTimeReady, campaign.AgentTimeWrapUp, campaign.AgentTimePaused}[rng.Intn(3)],
				at:      now,
				seconds: float64(rng.Intn(3000)) / 8,
			}
			if err := s.AddAgentTime(ctx, camp, at.agent, at.state, at.at, at.seconds); err != nil {
				t.Fatalf("step %d: AddAgentTime: %v", step, err)
			}
			times = append(times, at)
		}
		if step%100 == 99 {
			checkStates(t, s, camp, now)
			checkCounters(t, s, camp, times)
		}
	}
	checkStates(t, s, camp, now)
	if log := checkCounters(t, s, camp, times); len(log) != len(attemptIDs) {
		t.Errorf("attempt log has %d records, %d attempts were completed", len(log), len(attemptIDs))
	}
}
