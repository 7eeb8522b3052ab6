package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/phone"
)

// Gate enforces the compliance rules of package compliance at the moment a
// debt is claimed (campaign.Gate), across campaigns and across processes
// sharing the Redis, and keeps the state the rules need: the attempt times
// of every debtor, debt and number, the last conversation of each debt,
// the last abandoned call of each number, the do-not-call list, the
// debtors' cease-communication flags, the debts' collection status, and
// the audit trail.
//
// # Key layout
//
// The compliance keys are shared by every campaign: a debtor's caps count
// across campaigns, and a number on the do-not-call list is blocked for
// all of them. They all carry one hash tag of their own, {<prefix>/compliance},
// so that one Lua script can check every rule and count the attempt
// atomically, also on Redis Cluster (where they all live on one node: one
// short admission script per call placed; BenchmarkGatedClaimComplete
// measures a claim through it). "<c>/<d>" is a campaign id and a debt id; "<h>" is the
// first 16 bytes of the SHA-256 of an E.164 number, in hex.
//
//	<prefix>:{<prefix>/compliance}:dnc               hash   E.164 number -> "<unix ms>|<source>"
//	<prefix>:{<prefix>/compliance}:cease             hash   debtor key -> "<unix ms>|<source>"
//	<prefix>:{<prefix>/compliance}:status            hash   <c>/<d> -> paid, disputed or investigation
//	<prefix>:{<prefix>/compliance}:status_meta       hash   <c>/<d> -> "<unix ms>|<source>" of the last change
//	<prefix>:{<prefix>/compliance}:totals            hash   <c>/<d> -> attempts ever admitted
//	<prefix>:{<prefix>/compliance}:at:r:<debtor key> zset   admitted attempts of a debtor (member lease token, score unix ms), 8 days
//	<prefix>:{<prefix>/compliance}:at:d:<c>/<d>      zset   the same for a debt
//	<prefix>:{<prefix>/compliance}:at:p:<h>          zset   the same for a number
//	<prefix>:{<prefix>/compliance}:conv:<c>/<d>      string end of the last conversation on the debt (unix ms)
//	<prefix>:{<prefix>/compliance}:ab:<h>            string last abandoned call to the number (unix ms)
//	<prefix>:{<prefix>/compliance}:calls:<c>         zset   the campaign's answered calls (member attempt id, score end ms)
//	<prefix>:{<prefix>/compliance}:abandons:<c>      zset   the campaign's abandoned calls
//	<prefix>:{<prefix>/compliance}:audit             stream the audit trail (compliance.Record fields)
//	<prefix>:{<prefix>/compliance}:audit:<c>/<d>     list   the debt's audit entry ids, newest first
//	<prefix>:{<prefix>/compliance}:park:n:<h>        set    <c>/<d> finished because the number is on the do-not-call list
//	<prefix>:{<prefix>/compliance}:park:c:<debtor>   set    <c>/<d> finished because the debtor asked to cease communication
//
// Attempt sets keep 8 days (the longest rolling cap is 7 days) and expire
// when idle; the last-conversation and last-abandon times expire after the
// longest cool-off or no-recall period configured (at least 30 days).
//
// # Admission
//
// Admit finds the debtor's zones and evaluates the calling window in Go
// (it needs no shared state), computes the attempt caps as ranges of
// attempt times (compliance.Policy.Limits), and runs one script that
// checks the debt's status, the debtor's cease flag, the debt's total, the
// debtor and debt caps and the cool-off, then, for each of the debt's
// numbers from the current one on, the do-not-call list, the number's
// caps and the no-recall period after an abandoned call. The first number
// that passes is counted in the debtor's, debt's and number's attempt
// sets in the same script, with an audit record. If none passes, the
// script returns the state it read, and Go runs compliance.Policy.CheckDebt
// on that snapshot for the rule, the reason and the next eligible time,
// writes the audit record, and reschedules the debt (or finishes it when
// no rule will pass by itself, parking it under the flag that blocks it so
// that clearing the flag puts it back in the queue).
//
// A Gate is safe for concurrent use, also by many processes sharing the
// Redis.
type Gate struct {
	s    *Store
	base string
	pol  map[string]compliance.Policy
	def  *compliance.Policy
	log  *zap.Logger
	now  func() time.Time

	auditMaxLen int64
	auditMaxAge time.Duration
	stateTTL    time.Duration
	callsKeep   time.Duration
}

var _ campaign.Gate = (*Gate)(nil)

// Defaults and limits of the gate.
const (
	// DefaultAuditMaxLen is the audit stream's approximate length bound
	// when GateOptions.AuditMaxLen is 0.
	DefaultAuditMaxLen = 500_000
	// AuditIndexLength is how many audit entries are kept per debt.
	AuditIndexLength = 200
	// ReasonPrefix starts the finish reason of every debt the gate
	// finishes; Reopen puts such debts back in the queue.
	ReasonPrefix = "compliance: "
	// RuleInconsistent is the audit rule of a refusal where the Redis
	// script and the Go rules disagreed (a bug: the debt is retried a
	// minute later).
	RuleInconsistent = "gate_inconsistent"

	attemptKeep  = 8 * 24 * time.Hour
	minStateTTL  = 30 * 24 * time.Hour
	minCallsKeep = 24 * time.Hour
)

// GateOptions configure a Gate.
type GateOptions struct {
	// Policies are the campaigns' compliance policies, by campaign id.
	// Admit refuses to work for a campaign without one.
	Policies map[string]compliance.Policy
	// Default, when set, is the policy of campaigns not in Policies;
	// without it Admit fails (and nothing is dialled) for them.
	Default *compliance.Policy
	// AuditMaxLen bounds the audit stream (XADD MAXLEN ~; default
	// DefaultAuditMaxLen).
	AuditMaxLen int64
	// AuditMaxAge drops audit entries older than this (XTRIM MINID ~, by
	// the entries' ids, which are the Redis server's clock); 0 keeps them
	// until AuditMaxLen.
	AuditMaxAge time.Duration
	// Logger receives refusals at debug level and inconsistencies (default:
	// none).
	Logger *zap.Logger
	// Now is the wall clock used to date operator changes (default
	// time.Now). Admit and Record take their time from their arguments.
	Now func() time.Time
}

// NewGate returns a Gate on the store's Redis, under the store's prefix.
// Every policy is validated.
func NewGate(s *Store, opts GateOptions) (*Gate, error) {
	g := &Gate{
		s: s, base: s.prefix + ":{" + s.prefix + "/compliance}:", pol: map[string]compliance.Policy{},
		log: opts.Logger, now: opts.Now, auditMaxLen: opts.AuditMaxLen, auditMaxAge: opts.AuditMaxAge,
		stateTTL: minStateTTL, callsKeep: minCallsKeep,
	}
	if g.log == nil {
		g.log = zap.NewNop()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.auditMaxLen == 0 {
		g.auditMaxLen = DefaultAuditMaxLen
	}
	if g.auditMaxLen < 1 || g.auditMaxAge < 0 {
		return nil, fmt.Errorf("redisstore: audit retention %d entries, %v: %w", g.auditMaxLen, g.auditMaxAge, campaign.ErrInvalid)
	}
	for _, id := range slices.Sorted(maps.Keys(opts.Policies)) {
		p := opts.Policies[id]
		if err := checkGateCampaign(id); err != nil {
			return nil, err
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("redisstore: compliance policy of campaign %s: %w", id, err)
		}
		g.pol[id] = p
		g.stateTTL = max(g.stateTTL, 2*p.CoolOffAfterConversation, 2*p.AbandonNoRecall)
		g.callsKeep = max(g.callsKeep, p.AbandonWindow)
	}
	if opts.Default != nil {
		p := *opts.Default
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("redisstore: default compliance policy: %w", err)
		}
		g.def = &p
		g.stateTTL = max(g.stateTTL, 2*p.CoolOffAfterConversation, 2*p.AbandonNoRecall)
		g.callsKeep = max(g.callsKeep, p.AbandonWindow)
	}
	return g, nil
}

// Policy returns the policy of a campaign.
func (g *Gate) Policy(campaignID string) (compliance.Policy, bool) {
	if p, ok := g.pol[campaignID]; ok {
		return p, true
	}
	if g.def != nil {
		return *g.def, true
	}
	return compliance.Policy{}, false
}

func checkGateCampaign(id string) error {
	if err := checkCampaign(id); err != nil {
		return err
	}
	if strings.Contains(id, "/") {
		return fmt.Errorf("redisstore: campaign id %q contains a slash: %w", id, campaign.ErrInvalid)
	}
	return nil
}

// Keys of the compliance state.
func (g *Gate) key(parts ...string) string       { return g.base + strings.Join(parts, ":") }
func debtField(campaignID, debtID string) string { return campaignID + "/" + debtID }

// phoneHash keys a number without writing it in clear in key names.
func phoneHash(e164 string) string {
	sum := sha256.Sum256([]byte(e164))
	return hex.EncodeToString(sum[:16])
}

// lowerMs is the first whole millisecond at or after t ("-inf" for the
// zero time); upperMs is the last whole millisecond before t ("+inf" for
// the zero time): an attempt time t in ms is in [since, until) exactly
// when lowerMs(since) <= t <= upperMs(until).
func lowerMs(t time.Time) string {
	if t.IsZero() {
		return "-inf"
	}
	return strconv.FormatInt(ceilMs(t), 10)
}

func upperMs(t time.Time) string {
	if t.IsZero() {
		return "+inf"
	}
	return strconv.FormatInt(ceilMs(t)-1, 10)
}

func ceilMs(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// durMs is d in whole milliseconds, rounded up: for times in whole
// milliseconds, now < last+d exactly when now-last < durMs(d).
func durMs(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// ceilSecond rounds t up to a whole second: the queue orders debts by
// second, and a debt rescheduled within the current second would be due
// again at once.
func ceilSecond(t time.Time) time.Time {
	s := t.Truncate(time.Second)
	if s.Before(t) {
		s = s.Add(time.Second)
	}
	return s
}

// auditTrim returns the maxlen, max age and index ttl arguments of the
// audit scripts.
func (g *Gate) auditTrim() (maxLen, maxAge, idxTTL string) {
	maxLen = strconv.FormatInt(g.auditMaxLen, 10)
	maxAge = strconv.FormatInt(durMs(g.auditMaxAge), 10)
	return maxLen, maxAge, maxAge
}

// Admit checks the leased debt against its campaign's policy at now (see
// campaign.Gate and the type's documentation). now is used at millisecond
// precision.
func (g *Gate) Admit(ctx context.Context, lease campaign.Lease, now time.Time) (campaign.Admission, error) {
	if err := checkGateCampaign(lease.CampaignID); err != nil {
		return campaign.Admission{}, err
	}
	pol, ok := g.Policy(lease.CampaignID)
	if !ok {
		return campaign.Admission{}, fmt.Errorf("redisstore: no compliance policy for campaign %s: %w", lease.CampaignID, campaign.ErrInvalid)
	}
	now = time.UnixMilli(now.UnixMilli()).UTC()
	debt := lease.Debt
	debt.ID, debt.CampaignID = lease.DebtID, lease.CampaignID
	field := debtField(lease.CampaignID, lease.DebtID)
	debtor := compliance.DebtorKey(debt)
	zones, source, zerr := compliance.ZonesForDebt(debt.Timezone, debt.Phones, pol.DefaultZone)
	if zerr != nil {
		zones, source = nil, ""
	}
	first := max(debt.PhoneIndex, 0)
	if first >= len(debt.Phones) {
		// No number left: nothing to count; CheckDebt says why.
		_, d := pol.CheckDebt(now, debt, zones, compliance.History{})
		return g.refuse(ctx, lease, pol, debt, now, -1, d, zones, source, zerr, refusalState{})
	}

	var trimFrom = now.Add(-attemptKeep).UnixMilli()
	keys := []string{
		g.key("status"), g.key("cease"), g.key("dnc"), g.key("totals"),
		g.key("at", "r", debtor), g.key("at", "d", field), g.key("conv", field),
		g.key("audit"), g.key("audit", field),
	}
	maxLen, maxAge, idxTTL := g.auditTrim()
	waived := "0"
	// The dialer reserves no agent before a call is answered, so the
	// reserved-agent exception to the no-recall rule never applies here.
	args := []any{
		now.UnixMilli(), lease.Token, boolArg(pol.Allowed(now, zones)), field, debtor, pol.Caps.PerDebtTotal,
		trimFrom, durMs(attemptKeep + 24*time.Hour), durMs(pol.CoolOffAfterConversation), durMs(pol.AbandonNoRecall),
		waived, maxLen, maxAge, AuditIndexLength, idxTTL,
	}
	// The caps as ranges of attempt times, computed once: a number's caps
	// differ from another number's only in the number, which the script
	// does not need (it has each number's attempt set).
	var common, perPhone []compliance.Limit
	for _, l := range pol.Limits(now, "", zones) {
		switch {
		case l.Scope == compliance.ScopePhone:
			perPhone = append(perPhone, l)
		case l.Rule != compliance.RuleCapDebtTotal:
			common = append(common, l)
		}
	}
	args = append(args, len(common))
	for _, l := range common {
		scope := "r"
		if l.Scope == compliance.ScopeDebt {
			scope = "d"
		}
		args = append(args, scope, lowerMs(l.Since), upperMs(l.Until), l.Max)
	}
	candidates := debt.Phones[first:]
	args = append(args, len(candidates))
	for j, ph := range candidates {
		h := phoneHash(ph)
		keys = append(keys, g.key("at", "p", h), g.key("ab", h))
		args = append(args, ph, first+j, phone.Mask(ph), len(perPhone))
		for _, l := range perPhone {
			args = append(args, lowerMs(l.Since), upperMs(l.Until), l.Max)
		}
	}
	rec := compliance.NewRecord(now, lease.CampaignID, lease.DebtID, "", zones, source, compliance.Decision{Allowed: true, NextEligible: now})
	fields := rec.Fields()
	delete(fields, "phone")
	names := slices.Sorted(maps.Keys(fields))
	args = append(args, len(names))
	for _, n := range names {
		args = append(args, n, fields[n])
	}

	reply, err := admitScript.Run(ctx, g.s.rdb, keys, args...).Slice()
	if err != nil {
		return campaign.Admission{}, fmt.Errorf("redisstore: compliance check of debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, translate(err))
	}
	if len(reply) == 2 && toInt(reply[0]) == 1 {
		return campaign.Admission{Allowed: true, PhoneIndex: int(toInt(reply[1]))}, nil
	}
	st, err := parseRefusal(reply, candidates)
	if err != nil {
		return campaign.Admission{}, fmt.Errorf("redisstore: compliance check of debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, err)
	}
	idx, d := pol.CheckDebt(now, debt, zones, st.history(debt, candidates))
	return g.refuse(ctx, lease, pol, debt, now, idx, d, zones, source, zerr, st)
}

// refusalState is the state the admission script read when it refused.
type refusalState struct {
	status  string
	cease   bool
	total   int
	debtor  []time.Time
	debt    []time.Time
	conv    time.Time
	dnc     []bool
	phones  [][]time.Time
	abandon []time.Time
}

func (st refusalState) history(debt campaign.Debt, candidates []string) compliance.History {
	h := compliance.History{
		DebtorAttempts:     st.debtor,
		DebtAttempts:       st.debt,
		LastConversation:   st.conv,
		CeaseCommunication: st.cease,
		DebtStatus:         compliance.DebtStatus(st.status),
		PhoneAttempts:      map[string][]time.Time{},
		LastAbandoned:      map[string]time.Time{},
		DoNotCall:          map[string]bool{},
	}
	// The attempt sets keep 8 days; the total cap counts from the debt's
	// counter. Attempts older than the sets stand in as the Unix epoch,
	// which no rolling or daily cap counts.
	for n := len(st.debt); n < st.total; n++ {
		h.DebtAttempts = append(h.DebtAttempts, time.UnixMilli(0).UTC())
	}
	for i, ph := range candidates {
		if i < len(st.phones) {
			h.PhoneAttempts[ph] = st.phones[i]
			h.LastAbandoned[ph] = st.abandon[i]
			h.DoNotCall[ph] = st.dnc[i]
		}
	}
	if h.DebtStatus == "" {
		h.DebtStatus = compliance.DebtActive
	}
	return h
}

func parseRefusal(reply []any, candidates []string) (refusalState, error) {
	var st refusalState
	if len(reply) != 8 || toInt(reply[0]) != 0 {
		return st, fmt.Errorf("unexpected reply %v", reply)
	}
	st.status, _ = reply[1].(string)
	st.cease = toInt(reply[2]) == 1
	st.total = int(toInt(reply[3]))
	var err error
	if st.debtor, err = scoreTimes(reply[4]); err != nil {
		return st, err
	}
	if st.debt, err = scoreTimes(reply[5]); err != nil {
		return st, err
	}
	if st.conv, err = msTime(reply[6]); err != nil {
		return st, err
	}
	per, _ := reply[7].([]any)
	if len(per) != len(candidates) {
		return st, fmt.Errorf("state of %d numbers, want %d", len(per), len(candidates))
	}
	for _, p := range per {
		l, _ := p.([]any)
		if len(l) != 3 {
			return st, fmt.Errorf("malformed number state %v", p)
		}
		times, err := scoreTimes(l[1])
		if err != nil {
			return st, err
		}
		ab, err := msTime(l[2])
		if err != nil {
			return st, err
		}
		st.dnc = append(st.dnc, toInt(l[0]) == 1)
		st.phones = append(st.phones, times)
		st.abandon = append(st.abandon, ab)
	}
	return st, nil
}

// scoreTimes reads a ZRANGE ... WITHSCORES reply of unix ms scores.
func scoreTimes(v any) ([]time.Time, error) {
	l, _ := v.([]any)
	out := make([]time.Time, 0, len(l)/2)
	for i := 1; i < len(l); i += 2 {
		s, _ := l[i].(string)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("attempt time %q", s)
		}
		out = append(out, time.UnixMilli(int64(f)).UTC())
	}
	return out, nil
}

func msTime(v any) (time.Time, error) {
	s, _ := v.(string)
	t, err := parseMs(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	return t, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// refuse writes the audit record of a refusal and gives the lease back:
// rescheduled to the decision's next eligible time, or finished (and
// parked under the flags that block it) when no rule passes by itself.
func (g *Gate) refuse(ctx context.Context, lease campaign.Lease, pol compliance.Policy, debt campaign.Debt, now time.Time,
	idx int, d compliance.Decision, zones []*time.Location, source string, zerr error, st refusalState) (campaign.Admission, error) {
	log := g.log.With(zap.String("campaign_id", lease.CampaignID), zap.String("debt_id", lease.DebtID))
	if d.Allowed {
		// The script refused but the rules allow the call on the same
		// state: they disagree, which is a bug. Fail closed and retry soon.
		log.Error("compliance script and rules disagree; the debt is retried in a minute")
		d = compliance.Decision{Rule: RuleInconsistent, Failed: []string{RuleInconsistent}, NextEligible: now.Add(time.Minute),
			Reason: "the Redis check refused a call that the rules allow; retried in a minute"}
	}
	number := ""
	if idx >= 0 && idx < len(debt.Phones) {
		number = debt.Phones[idx]
	}
	rec := compliance.NewRecord(now, lease.CampaignID, lease.DebtID, number, zones, source, d)
	if zerr != nil {
		rec.Note = "time zone: " + zerr.Error()
	}
	field := debtField(lease.CampaignID, lease.DebtID)
	never := d.Never() || idx < 0
	keys := []string{g.key("audit"), g.key("audit", field)}
	if never {
		if st.cease {
			keys = append(keys, g.key("park", "c", compliance.DebtorKey(debt)))
		}
		first := max(debt.PhoneIndex, 0)
		for i, dnc := range st.dnc {
			if dnc {
				keys = append(keys, g.key("park", "n", phoneHash(debt.Phones[first+i])))
			}
		}
	}
	maxLen, maxAge, idxTTL := g.auditTrim()
	args := []any{maxLen, maxAge, AuditIndexLength, idxTTL, field}
	f := rec.Fields()
	for _, n := range slices.Sorted(maps.Keys(f)) {
		args = append(args, n, f[n])
	}
	if err := auditScript.Run(ctx, g.s.rdb, keys, args...).Err(); err != nil {
		return campaign.Admission{}, fmt.Errorf("redisstore: audit debt %s of campaign %s: %w", lease.DebtID, lease.CampaignID, translate(err))
	}

	adm := campaign.Admission{PhoneIndex: max(idx, debt.PhoneIndex), Rule: d.Rule, Reason: d.Reason}
	var err error
	if never {
		adm.Finished = true
		err = g.s.FinishLease(ctx, lease, ReasonPrefix+d.Rule+": "+d.Reason)
	} else {
		adm.NextEligible = ceilSecond(d.NextEligible)
		err = g.s.Reschedule(ctx, lease, adm.NextEligible, idx)
	}
	switch {
	case errors.Is(err, campaign.ErrLeaseLost):
		// The lease expired meanwhile: the debt is back in the queue and
		// its next claim decides again.
		log.Warn("lease lost while rescheduling a debt that may not be called", zap.String("rule", d.Rule))
	case err != nil:
		return campaign.Admission{}, err
	}
	if adm.Finished {
		log.Info("debt finished: a compliance rule will not let it be called", zap.String("rule", d.Rule))
	} else {
		log.Debug("debt may not be called now; rescheduled", zap.String("rule", d.Rule), zap.Time("next_eligible", adm.NextEligible))
	}
	return adm, nil
}

// Record feeds an attempt's outcome into the rules' state (see
// campaign.Gate): a bridged call starts the debt's cool-off from its end,
// an abandoned call stops calls to its number for the no-recall period,
// and answered calls count toward the campaign's abandon rate. Replaying
// an attempt changes nothing.
func (g *Gate) Record(ctx context.Context, a campaign.Attempt) error {
	if err := checkGateCampaign(a.CampaignID); err != nil {
		return err
	}
	if a.ID == "" || !a.Outcome.Valid() {
		return fmt.Errorf("redisstore: record attempt %q with outcome %q: %w", a.ID, a.Outcome, campaign.ErrInvalid)
	}
	last := a.OriginatedAt
	for _, t := range []time.Time{a.AnsweredAt, a.BridgedAt, a.EndedAt} {
		if t.After(last) {
			last = t
		}
	}
	if !a.Outcome.Answered() {
		return nil // nothing of these rules depends on unanswered calls
	}
	end := a.EndedAt
	if end.IsZero() {
		end = last
	}
	field := debtField(a.CampaignID, a.DebtID)
	keys := []string{g.key("conv", field), g.key("ab", phoneHash(a.Phone)), g.key("calls", a.CampaignID), g.key("abandons", a.CampaignID)}
	err := recordScript.Run(ctx, g.s.rdb, keys, string(a.Outcome), last.UnixMilli(), durMs(g.stateTTL), a.ID, "1",
		end.Add(-g.callsKeep).UnixMilli(), durMs(g.callsKeep+24*time.Hour)).Err()
	if err != nil {
		return fmt.Errorf("redisstore: record attempt %s in the compliance state: %w", a.ID, translate(err))
	}
	return nil
}

// dispositionStatus maps the agent wrap-up codes that set a debt's status.
var dispositionStatus = map[string]compliance.DebtStatus{
	"paid":                             compliance.DebtPaid,
	"disputed":                         compliance.DebtDisputed,
	campaign.DispositionFraudSuspected: compliance.DebtInvestigation,
}

// Dispose sets the debt's status when an agent records a wrap-up code that
// says it is paid ("paid"), disputed ("disputed") or must be investigated
// ("fraud_suspected": investigation); other codes change nothing. A debt
// under investigation stays so whatever an agent codes later (only a
// supervisor's `duecall debt status` clears it), and a status the debt
// already has keeps the time and source it was first set with.
func (g *Gate) Dispose(ctx context.Context, campaignID, attemptID, agentID, code string, at time.Time) error {
	st, ok := dispositionStatus[code]
	if !ok {
		return nil
	}
	debtID, err := g.s.AttemptDebtID(ctx, campaignID, attemptID)
	if err != nil {
		return err
	}
	if err := checkGateCampaign(campaignID); err != nil {
		return err
	}
	// The attempt names the debt, so it exists; the check against the
	// current status is in the script, atomic with the write.
	return g.writeStatus(ctx, campaignID, debtID, st, metaValue(at, fmt.Sprintf("agent %s: disposition %s on attempt %s", agentID, code, attemptID)),
		compliance.DebtInvestigation)
}

// AbandonCounts counts the campaign's answered and abandoned calls that
// ended in (now-window, now], across every process (from what Record was
// given). window is the policy's AbandonWindow when 0.
func (g *Gate) AbandonCounts(ctx context.Context, campaignID string, now time.Time, window time.Duration) (answered, abandoned int64, err error) {
	if window <= 0 {
		p, _ := g.Policy(campaignID)
		window = p.AbandonWindow
	}
	if window <= 0 {
		window = minCallsKeep
	}
	lo, hi := "("+strconv.FormatInt(now.Add(-window).UnixMilli(), 10), strconv.FormatInt(now.UnixMilli(), 10)
	pipe := g.s.rdb.Pipeline()
	a := pipe.ZCount(ctx, g.key("calls", campaignID), lo, hi)
	b := pipe.ZCount(ctx, g.key("abandons", campaignID), lo, hi)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("redisstore: abandon counts of campaign %s: %w", campaignID, translate(err))
	}
	return a.Val(), b.Val(), nil
}

// MayRiskAbandon reports whether the campaign may place a call that could
// be abandoned now (compliance.Policy.MayRiskAbandon over the campaign's
// abandon window, counted across every process). A campaign without a
// policy, or without an abandon ceiling, always may.
func (g *Gate) MayRiskAbandon(ctx context.Context, campaignID string, now time.Time) (bool, error) {
	p, ok := g.Policy(campaignID)
	if !ok || p.MaxAbandonRate <= 0 {
		return true, nil
	}
	ans, ab, err := g.AbandonCounts(ctx, campaignID, now, p.AbandonWindow)
	if err != nil {
		return false, err
	}
	return p.MayRiskAbandon(int(ans), int(ab)), nil
}
