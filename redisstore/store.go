// Package redisstore implements campaign.Store on Redis (6.2 or later, or
// any server with Lua, streams and exclusive XRANGE), through a go-redis
// UniversalClient: a single server, Sentinel or Cluster.
//
// Key layout. All keys of a campaign share the hash tag {<campaignID>}, so
// they live in one Cluster slot and every Lua script touches one node:
//
//	<prefix>:{<c>}:debt:<id>       hash   a debt's dialing state (short values)
//	<prefix>:{<c>}:data:<id>       string a debt's imported data, JSON
//	<prefix>:{<c>}:debts           set    every debt ID of the campaign
//	<prefix>:{<c>}:queue           zset   queued debts, score campaign.Rules.Score
//	<prefix>:{<c>}:leases          zset   leased debts, score lease expiry (unix ms)
//	<prefix>:{<c>}:finished        set    finished debts
//	<prefix>:{<c>}:attempts        stream the attempt log, one entry per attempt
//	<prefix>:{<c>}:attempt_index   hash   attempt ID -> "<entry id>|<ok|lost>|<day>"
//	<prefix>:{<c>}:dispositions    hash   attempt ID -> wrap-up code set after the call
//	<prefix>:{<c>}:disposition_by  hash   attempt ID -> "<agent>|<unix ms>"
//	<prefix>:{<c>}:kpi:total       hash   counters of the campaign
//	<prefix>:{<c>}:kpi:day:<date>  hash   counters of one UTC day (of OriginatedAt)
//	<prefix>:{<c>}:kpi:agent:<a>   hash   counters of one agent
//	<prefix>:{<c>}:kpi:days        set    dates with counters
//	<prefix>:{<c>}:kpi:agents      set    agents with counters
//	<prefix>:{<c>}:debt_attempts:<id> list the log entry ids of a debt's attempts
//
// The queue score packs the next-attempt second and the debt's rank
// (campaign.Rules.Score). Claim, Release and lease expiry take no rules, so
// the rank is computed when a debt is imported (with the store's clock as
// "now" for days past due) and kept on the debt; every re-queue scores the
// debt from its next-attempt time and that rank.
//
// Claim, Renew, Release, Complete, UpsertDebts, SetDisposition and
// AddAgentTime are each one Lua script (EVALSHA, falling back to EVAL when
// the server lost its script cache), so each is atomic, and Complete adds
// an attempt to the log and to the counters in the same script: the
// counters always equal the log. Complete is idempotent per attempt ID.
// Times are stored as unix milliseconds.
//
// Gate (gate.go) enforces a campaign's compliance rules when a debt is
// claimed, on keys shared by every campaign; campaign.NewGatedStore puts
// it in front of the Store.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
)

var _ campaign.Store = (*Store)(nil)

const (
	// DefaultPrefix starts every key when Options.Prefix is empty.
	DefaultPrefix = "duecall"
	// upsertChunk is the number of debts per script call; the chunks of
	// one UpsertDebts call go in one pipeline.
	upsertChunk = 250
	// maxExpiredPerClaim bounds the expired leases one Claim re-queues.
	maxExpiredPerClaim = 100
	// dayLayout keys the per-day counters.
	dayLayout = "2006-01-02"
)

// Options configure a Store.
type Options struct {
	// Prefix starts every key (default "duecall"); several deployments can
	// share one Redis with different prefixes.
	Prefix string
	// Logger receives lease expiries and script reloads (default: none).
	Logger *zap.Logger
	// Now is the clock used for UpdatedAt and for the days past due that
	// rank imported debts (default time.Now).
	Now func() time.Time
}

// Store is a campaign.Store on Redis. It is safe for concurrent use, also
// by many processes sharing the same Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	log    *zap.Logger
	now    func() time.Time
}

// New returns a Store on client.
func New(client redis.UniversalClient, opts Options) *Store {
	s := &Store{rdb: client, prefix: opts.Prefix, log: opts.Logger, now: opts.Now}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// keys names the keys of one campaign.
type keys struct{ base string }

func (s *Store) keys(campaignID string) keys {
	return keys{base: s.prefix + ":{" + campaignID + "}:"}
}

func (k keys) debt(id string) string    { return k.base + "debt:" + id }
func (k keys) data(id string) string    { return k.base + "data:" + id }
func (k keys) debts() string            { return k.base + "debts" }
func (k keys) queue() string            { return k.base + "queue" }
func (k keys) leases() string           { return k.base + "leases" }
func (k keys) finished() string         { return k.base + "finished" }
func (k keys) attempts() string         { return k.base + "attempts" }
func (k keys) attemptIndex() string     { return k.base + "attempt_index" }
func (k keys) dispositions() string     { return k.base + "dispositions" }
func (k keys) dispositionBy() string    { return k.base + "disposition_by" }
func (k keys) kpiTotal() string         { return k.base + "kpi:total" }
func (k keys) kpiDay(day string) string { return k.base + "kpi:day:" + day }
func (k keys) kpiAgent(a string) string { return k.base + "kpi:agent:" + a }
func (k keys) kpiDays() string          { return k.base + "kpi:days" }
func (k keys) kpiAgents() string        { return k.base + "kpi:agents" }
func (k keys) debtAttempts(id string) string {
	return k.base + "debt_attempts:" + id
}

// checkCampaign rejects IDs that would break the hash tag.
func checkCampaign(id string) error {
	if id == "" {
		return fmt.Errorf("redisstore: empty campaign id: %w", campaign.ErrInvalid)
	}
	if strings.ContainsAny(id, "{}") {
		return fmt.Errorf("redisstore: campaign id %q contains a brace: %w", id, campaign.ErrInvalid)
	}
	return nil
}

// UpsertDebts creates or updates debts (see campaign.Store). Debts go to
// Redis in chunks of a few hundred per script, all chunks of one call in
// one pipeline. Each chunk is atomic; on an error some chunks may have been
// applied, and the call can be retried as a whole (an upsert is
// idempotent, though a retry counts the already written debts as updated).
func (s *Store) UpsertDebts(ctx context.Context, rules campaign.Rules, debts []campaign.Debt) (campaign.UpsertResult, error) {
	var res campaign.UpsertResult
	if len(debts) == 0 {
		return res, nil
	}
	now := s.now()
	nowMs := strconv.FormatInt(now.UnixMilli(), 10)
	type chunk struct {
		campaignID string
		args       []any
		n          int
	}
	var chunks []*chunk
	open := map[string]*chunk{}
	for i := range debts {
		d := &debts[i]
		camp := rules.CampaignID
		if camp == "" {
			camp = d.CampaignID
		}
		if d.CampaignID != "" && d.CampaignID != camp {
			return res, fmt.Errorf("redisstore: upsert debt %q of campaign %q with the rules of %q: %w",
				d.ID, d.CampaignID, camp, campaign.ErrInvalid)
		}
		if err := checkCampaign(camp); err != nil {
			return res, err
		}
		if d.ID == "" {
			return res, fmt.Errorf("redisstore: upsert debt #%d of campaign %s without an id: %w", i, camp, campaign.ErrInvalid)
		}
		data, err := encodeData(*d)
		if err != nil {
			return res, fmt.Errorf("redisstore: encode debt %s: %w", d.ID, err)
		}
		c := open[camp]
		if c == nil || c.n == upsertChunk {
			c = &chunk{campaignID: camp, args: make([]any, 0, 2+4*upsertChunk)}
			c.args = append(c.args, s.keys(camp).base, nowMs)
			open[camp] = c
			chunks = append(chunks, c)
		}
		c.n++
		c.args = append(c.args, d.ID, data,
			strconv.FormatInt(rules.FirstAttempt(*d).UnixMilli(), 10), strconv.Itoa(rules.Rank(*d, now)))
	}

	calls := make([]scriptCall, len(chunks))
	for i, c := range chunks {
		k := s.keys(c.campaignID)
		calls[i] = scriptCall{keys: []string{k.queue(), k.debts()}, args: c.args}
	}
	cmds, err := s.runPipelined(ctx, upsertScript, calls)
	for _, cmd := range cmds {
		if cmd.Err() != nil {
			continue
		}
		v, cerr := cmd.Int64Slice()
		if cerr == nil && len(v) != 2 {
			cerr = fmt.Errorf("unexpected reply %v", cmd.Val())
		}
		if cerr != nil {
			if err == nil {
				err = cerr
			}
			continue
		}
		res.Created += int(v[0])
		res.Updated += int(v[1])
	}
	if err != nil {
		return res, fmt.Errorf("redisstore: upsert %d debts of campaign %s: %w", len(debts), chunks[0].campaignID, err)
	}
	return res, nil
}

// scriptCall is one script invocation in a pipeline.
type scriptCall struct {
	keys []string
	args []any
}

// runPipelined runs script once per call in one pipeline, with EVALSHA;
// calls that fail with NOSCRIPT (the server lost its script cache) are
// sent again with EVAL. It returns every command and the first error.
func (s *Store) runPipelined(ctx context.Context, script *redis.Script, calls []scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	pipe := s.rdb.Pipeline()
	for i, c := range calls {
		cmds[i] = script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below

	var again []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		s.log.Info("redis lost its script cache; sending scripts again", zap.Int("calls", len(again)))
		pipe := s.rdb.Pipeline()
		for _, i := range again {
			cmds[i] = script.Eval(ctx, pipe, calls[i].keys, calls[i].args...)
		}
		_, _ = pipe.Exec(ctx)
		// Load it for the next EVALSHA; a failure here only costs an EVAL.
		_ = script.Load(ctx, s.rdb).Err()
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return cmds, err
		}
	}
	return cmds, nil
}

// Debt returns one debt, or campaign.ErrNotFound.
func (s *Store) Debt(ctx context.Context, campaignID, debtID string) (campaign.Debt, error) {
	if err := checkCampaign(campaignID); err != nil {
		return campaign.Debt{}, err
	}
	k := s.keys(campaignID)
	reply, err := debtScript.Run(ctx, s.rdb, []string{k.debt(debtID), k.data(debtID)}).Slice()
	if err != nil {
		return campaign.Debt{}, fmt.Errorf("redisstore: read debt %s of campaign %s: %w", debtID, campaignID, translate(err))
	}
	state := pairs(reply[0])
	if len(reply) != 2 || len(state) == 0 {
		return campaign.Debt{}, fmt.Errorf("redisstore: debt %s of campaign %s: %w", debtID, campaignID, campaign.ErrNotFound)
	}
	data, _ := reply[1].(string)
	return decodeDebt(campaignID, debtID, state, data)
}

// Claim leases the first due debt (see campaign.Store). Up to 100 expired
// leases are returned to the queue first.
func (s *Store) Claim(ctx context.Context, campaignID, owner string, now time.Time, ttl time.Duration) (campaign.Lease, error) {
	if err := checkCampaign(campaignID); err != nil {
		return campaign.Lease{}, err
	}
	if owner == "" || ttl <= 0 {
		return campaign.Lease{}, fmt.Errorf("redisstore: claim in campaign %s with owner %q and ttl %v: %w", campaignID, owner, ttl, campaign.ErrInvalid)
	}
	token, err := newToken()
	if err != nil {
		return campaign.Lease{}, err
	}
	k := s.keys(campaignID)
	expires := now.Add(ttl).UnixMilli()
	reply, err := claimScript.Run(ctx, s.rdb, []string{k.queue(), k.leases()},
		k.base, now.UnixMilli(), scoreString(campaign.DueScore(now)), expires, token, owner, maxExpiredPerClaim).Slice()
	if err != nil {
		return campaign.Lease{}, fmt.Errorf("redisstore: claim in campaign %s: %w", campaignID, translate(err))
	}
	if len(reply) != 4 {
		return campaign.Lease{}, fmt.Errorf("redisstore: claim in campaign %s: unexpected reply %v", campaignID, reply)
	}
	expired, _ := reply[1].([]any)
	for _, id := range expired {
		id, _ := id.(string)
		s.log.Info("lease expired; debt returned to the queue",
			zap.String("campaign_id", campaignID), zap.String("debt_id", id))
	}
	debtID, _ := reply[0].(string)
	if debtID == "" {
		return campaign.Lease{}, fmt.Errorf("redisstore: claim in campaign %s: %w", campaignID, campaign.ErrNoDebtDue)
	}
	data, _ := reply[3].(string)
	d, err := decodeDebt(campaignID, debtID, pairs(reply[2]), data)
	if err != nil {
		return campaign.Lease{}, err
	}
	return campaign.Lease{
		CampaignID: campaignID,
		DebtID:     debtID,
		Token:      token,
		Owner:      owner,
		ExpiresAt:  time.UnixMilli(expires).UTC(),
		Debt:       d,
	}, nil
}

// Renew extends a lease to now+ttl, or returns campaign.ErrLeaseLost. A
// lease found expired is returned to the queue.
func (s *Store) Renew(ctx context.Context, lease campaign.Lease, now time.Time, ttl time.Duration) (campaign.Lease, error) {
	if err := checkCampaign(lease.CampaignID); err != nil {
		return lease, err
	}
	if ttl <= 0 {
		return lease, fmt.Errorf("redisstore: renew lease on debt %s with ttl %v: %w", lease.DebtID, ttl, campaign.ErrInvalid)
	}
	k := s.keys(lease.CampaignID)
	expires := now.Add(ttl).UnixMilli()
	ok, err := renewScript.Run(ctx, s.rdb, []string{k.debt(lease.DebtID), k.leases(), k.queue()},
		lease.Token, now.UnixMilli(), expires, lease.DebtID).Int64()
	if err != nil {
		return lease, fmt.Errorf("redisstore: renew lease on debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, translate(err))
	}
	if ok != 1 {
		return lease, fmt.Errorf("redisstore: renew lease on debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, campaign.ErrLeaseLost)
	}
	lease.ExpiresAt = time.UnixMilli(expires).UTC()
	return lease, nil
}

// Release returns a leased debt to the queue at its next attempt time.
func (s *Store) Release(ctx context.Context, lease campaign.Lease) error {
	if err := checkCampaign(lease.CampaignID); err != nil {
		return err
	}
	k := s.keys(lease.CampaignID)
	ok, err := releaseScript.Run(ctx, s.rdb, []string{k.debt(lease.DebtID), k.leases(), k.queue()},
		lease.Token, s.now().UnixMilli(), lease.DebtID).Int64()
	if err != nil {
		return fmt.Errorf("redisstore: release debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, translate(err))
	}
	if ok != 1 {
		return fmt.Errorf("redisstore: release debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, campaign.ErrLeaseLost)
	}
	return nil
}

// Complete records the attempt and applies the schedule (see
// campaign.Store). A lease that expired but was not yet claimed again
// still completes. The attempt needs an ID and an OriginatedAt; a second
// Complete with the same attempt ID records nothing and returns what the
// first returned, so a Complete whose reply was lost can be retried.
func (s *Store) Complete(ctx context.Context, lease campaign.Lease, a campaign.Attempt, next campaign.Schedule) error {
	if err := checkCampaign(lease.CampaignID); err != nil {
		return err
	}
	if err := checkAttempt(lease, &a, next); err != nil {
		return err
	}
	// The log keeps wall-clock milliseconds; count from exactly those
	// values, not from monotonic readings that a clock adjustment would make
	// disagree with the log.
	for _, t := range []*time.Time{&a.OriginatedAt, &a.AnsweredAt, &a.BridgedAt, &a.EndedAt} {
		if !t.IsZero() {
			*t = t.Round(0).Truncate(time.Millisecond)
		}
	}
	k := s.keys(lease.CampaignID)
	day := a.OriginatedAt.UTC().Format(dayLayout)
	finish, reason := "0", next.FinishReason
	if next.Finish {
		finish = "1"
		if reason == "" {
			reason = "finished"
		}
	}
	logFields := attemptFields(a)
	args := make([]any, 0, 12+len(logFields)+2*counterFieldCount)
	args = append(args, lease.Token, lease.DebtID, a.ID, day, a.AgentID, s.now().UnixMilli(),
		finish, reason, next.NextAttemptAt.UnixMilli(), next.PhoneIndex, string(a.Outcome), len(logFields))
	args = append(args, logFields...)
	var c campaign.Counters
	c.Count(a)
	args = append(args, counterIncrements(c)...)

	status, err := completeScript.Run(ctx, s.rdb, []string{
		k.debt(lease.DebtID), k.queue(), k.leases(), k.finished(), k.attempts(), k.attemptIndex(),
		k.kpiTotal(), k.kpiDay(day), k.kpiAgent(a.AgentID), k.kpiDays(), k.kpiAgents(), k.debtAttempts(lease.DebtID),
	}, args...).Text()
	if err != nil {
		return fmt.Errorf("redisstore: complete attempt %s on debt %s of campaign %s: %w", a.ID, lease.DebtID, lease.CampaignID, translate(err))
	}
	if status != "ok" {
		return fmt.Errorf("redisstore: complete attempt %s on debt %s of campaign %s (attempt recorded): %w",
			a.ID, lease.DebtID, lease.CampaignID, campaign.ErrLeaseLost)
	}
	return nil
}

func checkAttempt(lease campaign.Lease, a *campaign.Attempt, next campaign.Schedule) error {
	if a.CampaignID == "" {
		a.CampaignID = lease.CampaignID
	}
	if a.DebtID == "" {
		a.DebtID = lease.DebtID
	}
	var problem string
	switch {
	case lease.DebtID == "" || lease.Token == "":
		problem = "lease without debt or token"
	case a.ID == "":
		problem = "attempt without an id"
	case a.CampaignID != lease.CampaignID || a.DebtID != lease.DebtID:
		problem = fmt.Sprintf("attempt of %s/%s on a lease of %s/%s", a.CampaignID, a.DebtID, lease.CampaignID, lease.DebtID)
	case !a.Outcome.Valid():
		problem = fmt.Sprintf("unknown outcome %q", a.Outcome)
	case a.OriginatedAt.IsZero():
		problem = "attempt without OriginatedAt"
	case !next.Finish && next.NextAttemptAt.IsZero():
		problem = "schedule without a next attempt time"
	case !next.Finish && next.PhoneIndex < 0:
		problem = fmt.Sprintf("schedule with phone index %d", next.PhoneIndex)
	}
	if problem != "" {
		return fmt.Errorf("redisstore: complete attempt %q: %s: %w", a.ID, problem, campaign.ErrInvalid)
	}
	return nil
}

// SetDisposition records an agent's wrap-up code on an attempt (see
// campaign.Store). The promise is counted on the attempt's day and agent,
// as Counters.Count would count the attempt; setting the same code twice
// counts once, and replacing a promise takes it back.
func (s *Store) SetDisposition(ctx context.Context, campaignID, attemptID, agentID, code string, at time.Time) error {
	if err := checkCampaign(campaignID); err != nil {
		return err
	}
	if attemptID == "" || code == "" {
		return fmt.Errorf("redisstore: disposition %q on attempt %q: %w", code, attemptID, campaign.ErrInvalid)
	}
	k := s.keys(campaignID)
	ok, err := dispositionScript.Run(ctx, s.rdb,
		[]string{k.attemptIndex(), k.attempts(), k.dispositions(), k.dispositionBy(), k.kpiTotal()},
		k.base, attemptID, code, agentID, at.UnixMilli(), campaign.DispositionPromiseToPay).Int64()
	if err != nil {
		return fmt.Errorf("redisstore: disposition on attempt %s of campaign %s: %w", attemptID, campaignID, translate(err))
	}
	switch ok {
	case 1:
		return nil
	case -1:
		return fmt.Errorf("redisstore: disposition by agent %s on attempt %s of campaign %s: %w", agentID, attemptID, campaignID, campaign.ErrWrongAgent)
	}
	return fmt.Errorf("redisstore: disposition on attempt %s of campaign %s: %w", attemptID, campaignID, campaign.ErrNotFound)
}

// AddAgentTime adds an agent's seconds in a state to the counters of the
// campaign, the agent and the UTC day of at.
func (s *Store) AddAgentTime(ctx context.Context, campaignID, agentID string, state campaign.AgentTimeState, at time.Time, seconds float64) error {
	if err := checkCampaign(campaignID); err != nil {
		return err
	}
	var field string
	switch state {
	case campaign.AgentTimeReady:
		field = "ready_seconds"
	case campaign.AgentTimeWrapUp:
		field = "wrapup_seconds"
	case campaign.AgentTimePaused:
		field = "paused_seconds"
	default:
		return fmt.Errorf("redisstore: agent time in unknown state %q: %w", state, campaign.ErrInvalid)
	}
	if agentID == "" || seconds < 0 || math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return fmt.Errorf("redisstore: agent time %v s for agent %q: %w", seconds, agentID, campaign.ErrInvalid)
	}
	if seconds == 0 {
		return nil
	}
	k := s.keys(campaignID)
	day := at.UTC().Format(dayLayout)
	err := agentTimeScript.Run(ctx, s.rdb,
		[]string{k.kpiTotal(), k.kpiDay(day), k.kpiAgent(agentID), k.kpiDays(), k.kpiAgents()},
		field, strconv.FormatFloat(seconds, 'f', -1, 64), day, agentID).Err()
	if err != nil {
		return fmt.Errorf("redisstore: add %s for agent %s in campaign %s: %w", field, agentID, campaignID, translate(err))
	}
	return nil
}

// Attempts reads the attempt log in the order the attempts were recorded.
// afterID is the ID of an attempt (the next of the previous page); an
// unknown afterID is campaign.ErrNotFound.
func (s *Store) Attempts(ctx context.Context, campaignID, afterID string, count int) ([]campaign.Attempt, string, error) {
	if err := checkCampaign(campaignID); err != nil {
		return nil, "", err
	}
	if count <= 0 {
		return nil, "", fmt.Errorf("redisstore: read %d attempts: %w", count, campaign.ErrInvalid)
	}
	k := s.keys(campaignID)
	reply, err := attemptsScript.Run(ctx, s.rdb, []string{k.attemptIndex(), k.attempts(), k.dispositions()},
		afterID, count+1).Slice()
	if err != nil {
		return nil, "", fmt.Errorf("redisstore: read attempts of campaign %s: %w", campaignID, translate(err))
	}
	if len(reply) == 0 || reply[0] != "ok" {
		return nil, "", fmt.Errorf("redisstore: read attempts of campaign %s after %s: %w", campaignID, afterID, campaign.ErrNotFound)
	}
	out, err := decodeEntries(campaignID, reply[1], reply[2])
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > count {
		out = out[:count]
		next = out[count-1].ID
	}
	return out, next, nil
}

// Counters returns the campaign's KPI counters.
func (s *Store) Counters(ctx context.Context, campaignID string) (campaign.Report, error) {
	rep := campaign.Report{CampaignID: campaignID, Days: map[string]campaign.Counters{}, Agents: map[string]campaign.Counters{}}
	if err := checkCampaign(campaignID); err != nil {
		return rep, err
	}
	k := s.keys(campaignID)
	reply, err := countersScript.Run(ctx, s.rdb, []string{k.kpiTotal(), k.kpiDays(), k.kpiAgents()}, k.base).Slice()
	if err != nil {
		return rep, fmt.Errorf("redisstore: read counters of campaign %s: %w", campaignID, translate(err))
	}
	if len(reply) != 3 {
		return rep, fmt.Errorf("redisstore: read counters of campaign %s: unexpected reply %v", campaignID, reply)
	}
	if rep.Total, err = decodeCounters(pairs(reply[0])); err != nil {
		return rep, fmt.Errorf("redisstore: counters of campaign %s: %w", campaignID, err)
	}
	for _, scope := range []struct {
		list any
		into map[string]campaign.Counters
	}{{reply[1], rep.Days}, {reply[2], rep.Agents}} {
		l, _ := scope.list.([]any)
		for i := 0; i+1 < len(l); i += 2 {
			name, _ := l[i].(string)
			c, err := decodeCounters(pairs(l[i+1]))
			if err != nil {
				return rep, fmt.Errorf("redisstore: counters %s of campaign %s: %w", name, campaignID, err)
			}
			scope.into[name] = c
		}
	}
	return rep, nil
}

// QueueStats counts the campaign's debts by state at now. A lease that
// expired but was not yet taken back by a Claim counts as leased, as its
// debt's State says.
func (s *Store) QueueStats(ctx context.Context, campaignID string, now time.Time) (campaign.QueueStats, error) {
	if err := checkCampaign(campaignID); err != nil {
		return campaign.QueueStats{}, err
	}
	k := s.keys(campaignID)
	reply, err := statsScript.Run(ctx, s.rdb, []string{k.queue(), k.leases(), k.finished()},
		scoreString(campaign.DueScore(now))).Slice()
	if err != nil {
		return campaign.QueueStats{}, fmt.Errorf("redisstore: queue stats of campaign %s: %w", campaignID, translate(err))
	}
	var v [4]int64
	ok := len(reply) == 5
	for i := 0; ok && i < 4; i++ {
		v[i], ok = reply[i].(int64)
	}
	next, _ := reply[len(reply)-1].(string)
	if !ok {
		return campaign.QueueStats{}, fmt.Errorf("redisstore: queue stats of campaign %s: unexpected reply %v", campaignID, reply)
	}
	st := campaign.QueueStats{Due: v[0], Scheduled: v[1] - v[0], Leased: v[2], Finished: v[3]}
	if next != "" {
		score, err := strconv.ParseFloat(next, 64)
		if err != nil {
			return campaign.QueueStats{}, fmt.Errorf("redisstore: queue stats of campaign %s: score %q: %w", campaignID, next, err)
		}
		st.NextScheduledAt = campaign.ScoreTime(score)
	}
	return st, nil
}

// DebtIDs lists every debt ID of the campaign (SSCAN, in pages).
func (s *Store) DebtIDs(ctx context.Context, campaignID string) ([]string, error) {
	if err := checkCampaign(campaignID); err != nil {
		return nil, err
	}
	key := s.keys(campaignID).debts()
	var ids []string
	var cursor uint64
	for {
		page, next, err := s.rdb.SScan(ctx, key, cursor, "", 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstore: list debts of campaign %s: %w", campaignID, translate(err))
		}
		ids = append(ids, page...)
		if next == 0 {
			break
		}
		cursor = next
	}
	// SSCAN may return an element more than once.
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out, nil
}

// translate maps go-redis errors to domain errors.
func translate(err error) error {
	if errors.Is(err, redis.Nil) {
		return campaign.ErrNotFound
	}
	return err
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("redisstore: lease token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// scoreString formats a queue score (an integer below 2^53) exactly.
func scoreString(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }
