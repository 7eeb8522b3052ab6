package dialertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Store is an in-memory campaign.Store with the semantics of store.go:
// every debt is exactly one of queued, leased or finished; Claim takes the
// lowest-scored due debt (Rules.Score); the KPI counters are derived from
// the attempt log. Complete is idempotent by attempt id (a retried Complete
// whose first try went through records nothing twice).
//
// Failure injection: when ClaimErr, CompleteErr, RenewErr, ... return a
// non-nil error, the call fails with it and changes nothing.
type Store struct {
	ClaimErr       func() error
	CompleteErr    func(a campaign.Attempt) error
	RenewErr       func() error
	ReleaseErr     func() error
	DispositionErr func() error
	AgentTimeErr   func() error

	mu        sync.Mutex
	campaigns map[string]*storeCampaign
	calls     map[string]int // method -> calls
}

type storeCampaign struct {
	rules    campaign.Rules
	debts    map[string]*storeDebt
	attempts []campaign.Attempt
	byID     map[string]int // attempt id -> index
	report   campaign.Report
}

type storeDebt struct {
	debt  campaign.Debt
	score float64 // queue score, when queued
	lease campaign.Lease
	seq   int // import order
}

var _ campaign.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{campaigns: map[string]*storeCampaign{}, calls: map[string]int{}}
}

// Calls is how many times a method was called (failed calls included).
func (s *Store) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *Store) count(method string) {
	s.calls[method]++
}

func (s *Store) camp(id string) *storeCampaign {
	c, ok := s.campaigns[id]
	if !ok {
		c = &storeCampaign{debts: map[string]*storeDebt{}, byID: map[string]int{},
			report: campaign.Report{CampaignID: id, Days: map[string]campaign.Counters{}, Agents: map[string]campaign.Counters{}}}
		c.rules.CampaignID = id
		s.campaigns[id] = c
	}
	return c
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// UpsertDebts implements campaign.Store.
func (s *Store) UpsertDebts(_ context.Context, rules campaign.Rules, debts []campaign.Debt) (campaign.UpsertResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("UpsertDebts")
	var res campaign.UpsertResult
	if rules.CampaignID == "" {
		return res, fmt.Errorf("upsert debts: %w: rules without campaign id", campaign.ErrInvalid)
	}
	for i, d := range debts {
		if d.ID == "" {
			return res, fmt.Errorf("upsert debts: %w: debt %d has no id", campaign.ErrInvalid, i)
		}
		if d.CampaignID != "" && d.CampaignID != rules.CampaignID {
			return res, fmt.Errorf("upsert debts: %w: debt %s belongs to campaign %s", campaign.ErrInvalid, d.ID, d.CampaignID)
		}
	}
	c := s.camp(rules.CampaignID)
	c.rules = rules
	now := time.Now()
	for _, d := range debts {
		d.CampaignID = rules.CampaignID
		old, ok := c.debts[d.ID]
		if !ok {
			d.State = campaign.StateQueued
			d.Attempts, d.PhoneIndex, d.LastOutcome, d.FinishReason = 0, 0, "", ""
			d.NextAttemptAt = rules.FirstAttempt(d)
			d.UpdatedAt = now
			sd := &storeDebt{debt: d, seq: len(c.debts)}
			sd.score = rules.Score(d, d.NextAttemptAt, now)
			c.debts[d.ID] = sd
			res.Created++
			continue
		}
		// Keep the dialing state.
		o := old.debt
		d.State, d.Attempts, d.PhoneIndex, d.NextAttemptAt = o.State, o.Attempts, o.PhoneIndex, o.NextAttemptAt
		d.LastOutcome, d.FinishReason, d.UpdatedAt = o.LastOutcome, o.FinishReason, now
		if d.State == campaign.StateQueued && d.Attempts == 0 {
			d.NextAttemptAt = rules.FirstAttempt(d)
		}
		old.debt = d
		if d.State == campaign.StateQueued {
			old.score = rules.Score(d, d.NextAttemptAt, now)
		}
		res.Updated++
	}
	return res, nil
}

// Debt implements campaign.Store.
func (s *Store) Debt(_ context.Context, campaignID, debtID string) (campaign.Debt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Debt")
	c, ok := s.campaigns[campaignID]
	if !ok {
		return campaign.Debt{}, fmt.Errorf("debt %s/%s: %w", campaignID, debtID, campaign.ErrNotFound)
	}
	d, ok := c.debts[debtID]
	if !ok {
		return campaign.Debt{}, fmt.Errorf("debt %s/%s: %w", campaignID, debtID, campaign.ErrNotFound)
	}
	return cloneDebt(d.debt), nil
}

func cloneDebt(d campaign.Debt) campaign.Debt {
	d.Phones = append([]string(nil), d.Phones...)
	if d.Profile != nil {
		p := make(map[string]string, len(d.Profile))
		for k, v := range d.Profile {
			p[k] = v
		}
		d.Profile = p
	}
	return d
}

// Claim implements campaign.Store.
func (s *Store) Claim(_ context.Context, campaignID, owner string, now time.Time, ttl time.Duration) (campaign.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Claim")
	if s.ClaimErr != nil {
		if err := s.ClaimErr(); err != nil {
			return campaign.Lease{}, err
		}
	}
	c, ok := s.campaigns[campaignID]
	if !ok {
		return campaign.Lease{}, campaign.ErrNoDebtDue
	}
	s.expire(c, now)
	due := campaign.DueScore(now)
	var best *storeDebt
	for _, d := range c.debts {
		if d.debt.State != campaign.StateQueued || d.score > due {
			continue
		}
		if best == nil || d.score < best.score || (d.score == best.score && d.seq < best.seq) {
			best = d
		}
	}
	if best == nil {
		return campaign.Lease{}, campaign.ErrNoDebtDue
	}
	best.debt.State = campaign.StateLeased
	best.debt.UpdatedAt = now
	best.lease = campaign.Lease{CampaignID: campaignID, DebtID: best.debt.ID, Token: token(), Owner: owner,
		ExpiresAt: now.Add(ttl)}
	l := best.lease
	l.Debt = cloneDebt(best.debt)
	return l, nil
}

// expire returns expired leases to the queue.
func (s *Store) expire(c *storeCampaign, now time.Time) {
	for _, d := range c.debts {
		if d.debt.State == campaign.StateLeased && !now.Before(d.lease.ExpiresAt) {
			// Back in the queue with the score it had: same time, same rank.
			d.debt.State = campaign.StateQueued
			d.lease = campaign.Lease{}
		}
	}
}

func (s *Store) leased(l campaign.Lease) (*storeCampaign, *storeDebt, bool) {
	c, ok := s.campaigns[l.CampaignID]
	if !ok {
		return nil, nil, false
	}
	d, ok := c.debts[l.DebtID]
	if !ok || d.debt.State != campaign.StateLeased || d.lease.Token != l.Token || l.Token == "" {
		return c, d, false
	}
	return c, d, true
}

// Renew implements campaign.Store.
func (s *Store) Renew(_ context.Context, l campaign.Lease, now time.Time, ttl time.Duration) (campaign.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Renew")
	if s.RenewErr != nil {
		if err := s.RenewErr(); err != nil {
			return campaign.Lease{}, err
		}
	}
	_, d, ok := s.leased(l)
	if !ok || !now.Before(d.lease.ExpiresAt) {
		return campaign.Lease{}, fmt.Errorf("renew %s/%s: %w", l.CampaignID, l.DebtID, campaign.ErrLeaseLost)
	}
	d.lease.ExpiresAt = now.Add(ttl)
	l.ExpiresAt = d.lease.ExpiresAt
	return l, nil
}

// Complete implements campaign.Store.
func (s *Store) Complete(_ context.Context, l campaign.Lease, a campaign.Attempt, next campaign.Schedule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Complete")
	if s.CompleteErr != nil {
		if err := s.CompleteErr(a); err != nil {
			return err
		}
	}
	if a.ID == "" || !a.Outcome.Valid() {
		return fmt.Errorf("complete: %w: attempt id %q outcome %q", campaign.ErrInvalid, a.ID, a.Outcome)
	}
	if a.CampaignID == "" {
		a.CampaignID = l.CampaignID
	}
	if a.DebtID == "" {
		a.DebtID = l.DebtID
	}
	c := s.camp(l.CampaignID)
	if _, dup := c.byID[a.ID]; dup {
		return nil // a retry of a Complete that went through
	}
	c.byID[a.ID] = len(c.attempts)
	c.attempts = append(c.attempts, a)
	s.countAttempt(c, a)
	_, d, ok := s.leased(l)
	if !ok {
		return fmt.Errorf("complete %s/%s: %w", l.CampaignID, l.DebtID, campaign.ErrLeaseLost)
	}
	d.lease = campaign.Lease{}
	d.debt.Attempts++
	d.debt.LastOutcome = a.Outcome
	d.debt.UpdatedAt = a.EndedAt
	if next.Finish {
		d.debt.State = campaign.StateFinished
		d.debt.FinishReason = next.FinishReason
		return nil
	}
	d.debt.State = campaign.StateQueued
	d.debt.NextAttemptAt = next.NextAttemptAt
	d.debt.PhoneIndex = next.PhoneIndex
	d.score = c.rules.Score(d.debt, next.NextAttemptAt, a.EndedAt)
	return nil
}

// attemptDay is the UTC day an attempt is counted under: its origination.
func attemptDay(a campaign.Attempt) string { return day(a.OriginatedAt) }

func (s *Store) countAttempt(c *storeCampaign, a campaign.Attempt) {
	c.report.Total.Count(a)
	dc := c.report.Days[attemptDay(a)]
	dc.Count(a)
	c.report.Days[attemptDay(a)] = dc
	if a.AgentID != "" {
		ac := c.report.Agents[a.AgentID]
		ac.Count(a)
		c.report.Agents[a.AgentID] = ac
	}
}

// Release implements campaign.Store.
func (s *Store) Release(_ context.Context, l campaign.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Release")
	if s.ReleaseErr != nil {
		if err := s.ReleaseErr(); err != nil {
			return err
		}
	}
	_, d, ok := s.leased(l)
	if !ok {
		return fmt.Errorf("release %s/%s: %w", l.CampaignID, l.DebtID, campaign.ErrLeaseLost)
	}
	d.lease = campaign.Lease{}
	d.debt.State = campaign.StateQueued // with the score it had
	return nil
}

// SetDisposition implements campaign.Store.
func (s *Store) SetDisposition(_ context.Context, campaignID, attemptID, agentID, code string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("SetDisposition")
	if s.DispositionErr != nil {
		if err := s.DispositionErr(); err != nil {
			return err
		}
	}
	if code == "" {
		return fmt.Errorf("set disposition: %w: empty code", campaign.ErrInvalid)
	}
	c, ok := s.campaigns[campaignID]
	if !ok {
		return fmt.Errorf("set disposition %s: %w", attemptID, campaign.ErrNotFound)
	}
	i, ok := c.byID[attemptID]
	if !ok {
		return fmt.Errorf("set disposition %s: %w", attemptID, campaign.ErrNotFound)
	}
	a := &c.attempts[i]
	if agentID != "" && a.AgentID != agentID {
		return fmt.Errorf("set disposition %s by agent %s: %w", attemptID, agentID, campaign.ErrWrongAgent)
	}
	old := a.Disposition
	a.Disposition = code
	delta := int64(0)
	if code == campaign.DispositionPromiseToPay && old != campaign.DispositionPromiseToPay {
		delta = 1
	} else if old == campaign.DispositionPromiseToPay && code != campaign.DispositionPromiseToPay {
		delta = -1
	}
	if delta != 0 {
		c.report.Total.PromiseToPay += delta
		dc := c.report.Days[attemptDay(*a)]
		dc.PromiseToPay += delta
		c.report.Days[attemptDay(*a)] = dc
		if a.AgentID != "" {
			ac := c.report.Agents[a.AgentID]
			ac.PromiseToPay += delta
			c.report.Agents[a.AgentID] = ac
		}
	}
	return nil
}

// AddAgentTime implements campaign.Store.
func (s *Store) AddAgentTime(_ context.Context, campaignID, agentID string, state campaign.AgentTimeState, at time.Time, seconds float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("AddAgentTime")
	if s.AgentTimeErr != nil {
		if err := s.AgentTimeErr(); err != nil {
			return err
		}
	}
	if seconds < 0 || agentID == "" {
		return fmt.Errorf("add agent time: %w: agent %q seconds %v", campaign.ErrInvalid, agentID, seconds)
	}
	add := func(c *campaign.Counters) {
		switch state {
		case campaign.AgentTimeReady:
			c.ReadySeconds += seconds
		case campaign.AgentTimeWrapUp:
			c.WrapUpSeconds += seconds
		case campaign.AgentTimePaused:
			c.PausedSeconds += seconds
		}
	}
	switch state {
	case campaign.AgentTimeReady, campaign.AgentTimeWrapUp, campaign.AgentTimePaused:
	default:
		return fmt.Errorf("add agent time: %w: state %q", campaign.ErrInvalid, state)
	}
	c := s.camp(campaignID)
	add(&c.report.Total)
	dc := c.report.Days[day(at)]
	add(&dc)
	c.report.Days[day(at)] = dc
	ac := c.report.Agents[agentID]
	add(&ac)
	c.report.Agents[agentID] = ac
	return nil
}

// Attempts implements campaign.Store.
func (s *Store) Attempts(_ context.Context, campaignID, afterID string, count int) ([]campaign.Attempt, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Attempts")
	c, ok := s.campaigns[campaignID]
	if !ok {
		return nil, "", nil
	}
	start := 0
	if afterID != "" {
		i, ok := c.byID[afterID]
		if !ok {
			return nil, "", fmt.Errorf("attempts after %s: %w", afterID, campaign.ErrNotFound)
		}
		start = i + 1
	}
	if count <= 0 {
		count = 100
	}
	end := min(start+count, len(c.attempts))
	out := append([]campaign.Attempt(nil), c.attempts[start:end]...)
	next := ""
	if end < len(c.attempts) && len(out) > 0 {
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// Counters implements campaign.Store.
func (s *Store) Counters(_ context.Context, campaignID string) (campaign.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("Counters")
	r := campaign.Report{CampaignID: campaignID, Days: map[string]campaign.Counters{}, Agents: map[string]campaign.Counters{}}
	c, ok := s.campaigns[campaignID]
	if !ok {
		return r, nil
	}
	r.Total = c.report.Total
	for k, v := range c.report.Days {
		r.Days[k] = v
	}
	for k, v := range c.report.Agents {
		r.Agents[k] = v
	}
	return r, nil
}

// QueueStats implements campaign.Store.
func (s *Store) QueueStats(_ context.Context, campaignID string, now time.Time) (campaign.QueueStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("QueueStats")
	var q campaign.QueueStats
	c, ok := s.campaigns[campaignID]
	if !ok {
		return q, nil
	}
	due := campaign.DueScore(now)
	for _, d := range c.debts {
		switch d.debt.State {
		case campaign.StateQueued:
			if d.score <= due {
				q.Due++
			} else {
				q.Scheduled++
				if at := campaign.ScoreTime(d.score); q.NextScheduledAt.IsZero() || at.Before(q.NextScheduledAt) {
					q.NextScheduledAt = at
				}
			}
		case campaign.StateLeased:
			q.Leased++
		case campaign.StateFinished:
			q.Finished++
		}
	}
	return q, nil
}

// DebtIDs implements campaign.Store.
func (s *Store) DebtIDs(_ context.Context, campaignID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("DebtIDs")
	c, ok := s.campaigns[campaignID]
	if !ok {
		return nil, nil
	}
	ids := make([]string, 0, len(c.debts))
	for id := range c.debts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// AllAttempts returns the campaign's attempt log (a test helper).
func (s *Store) AllAttempts(campaignID string) []campaign.Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.campaigns[campaignID]
	if !ok {
		return nil
	}
	return append([]campaign.Attempt(nil), c.attempts...)
}
