package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/phone"
)

// Flag is a compliance list entry (compliance.Flag).
type Flag = compliance.Flag

func metaValue(at time.Time, source string) string {
	return strconv.FormatInt(at.UnixMilli(), 10) + "|" + source
}

func parseMeta(s string) (time.Time, string) {
	ms, source, _ := strings.Cut(s, "|")
	t, err := parseMs(ms)
	if err != nil {
		return time.Time{}, source
	}
	return t, source
}

// isE164 reports whether s is "+" and 8 to 15 digits.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkNumbers(numbers []string) error {
	for i, n := range numbers {
		if !isE164(n) {
			return fmt.Errorf("redisstore: number #%d %q is not E.164 (normalise it first): %w", i+1, phone.Mask(n), campaign.ErrInvalid)
		}
	}
	return nil
}

// AddDoNotCall puts numbers (E.164) on the do-not-call list. It takes
// effect at the next claim of any debt with one of them, already queued
// debts included. Numbers already listed keep their original date and
// source. It returns how many numbers were added.
func (g *Gate) AddDoNotCall(ctx context.Context, numbers []string, source string) (int, error) {
	if err := checkNumbers(numbers); err != nil {
		return 0, err
	}
	meta := metaValue(g.now(), source)
	pipe := g.s.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(numbers))
	for i, n := range numbers {
		cmds[i] = pipe.HSetNX(ctx, g.key("dnc"), n, meta)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("redisstore: add to the do-not-call list: %w", translate(err))
	}
	added := 0
	for _, c := range cmds {
		if c.Val() {
			added++
		}
	}
	return added, nil
}

// RemoveDoNotCall takes numbers off the do-not-call list and puts the debts
// that were finished because of them back in the queue (their next claim
// checks every rule again). It returns how many numbers were listed and
// how many debts were reopened.
func (g *Gate) RemoveDoNotCall(ctx context.Context, numbers []string) (removed, reopened int, err error) {
	if err := checkNumbers(numbers); err != nil {
		return 0, 0, err
	}
	for _, n := range numbers {
		r, o, err := g.unpark(ctx, g.key("dnc"), g.key("park", "n", phoneHash(n)), n)
		removed += r
		reopened += o
		if err != nil {
			return removed, reopened, fmt.Errorf("redisstore: remove %s from the do-not-call list: %w", phone.Mask(n), err)
		}
	}
	return removed, reopened, nil
}

// unpark clears a flag and reopens the debts parked under it.
func (g *Gate) unpark(ctx context.Context, hash, park, field string) (removed, reopened int, err error) {
	reply, err := unparkScript.Run(ctx, g.s.rdb, []string{hash, park}, field).Slice()
	if err != nil {
		return 0, 0, translate(err)
	}
	if len(reply) != 2 {
		return 0, 0, fmt.Errorf("unexpected reply %v", reply)
	}
	removed = int(toInt(reply[0]))
	parked, _ := reply[1].([]any)
	now := g.now()
	var errs []error
	for _, p := range parked {
		f, _ := p.(string)
		c, d, ok := strings.Cut(f, "/")
		if !ok {
			continue
		}
		done, err := g.s.Reopen(ctx, c, d, ReasonPrefix, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if done {
			reopened++
			g.log.Info("debt back in the queue: the flag that blocked it was cleared", zap.String("campaign_id", c), zap.String("debt_id", d))
		}
	}
	return removed, reopened, errors.Join(errs...)
}

// DoNotCall reports, for each number, whether it is on the do-not-call
// list, since when and why.
func (g *Gate) DoNotCall(ctx context.Context, numbers []string) ([]Flag, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	vals, err := g.s.rdb.HMGet(ctx, g.key("dnc"), numbers...).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: read the do-not-call list: %w", translate(err))
	}
	out := make([]Flag, len(numbers))
	for i, n := range numbers {
		out[i].Number = n
		if s, ok := vals[i].(string); ok {
			out[i].Set = true
			out[i].Since, out[i].Source = parseMeta(s)
		}
	}
	return out, nil
}

// DoNotCallList returns the whole do-not-call list, sorted by number.
func (g *Gate) DoNotCallList(ctx context.Context) ([]Flag, error) {
	var out []Flag
	var cursor uint64
	for {
		page, next, err := g.s.rdb.HScan(ctx, g.key("dnc"), cursor, "", 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstore: read the do-not-call list: %w", translate(err))
		}
		for i := 0; i+1 < len(page); i += 2 {
			f := Flag{Number: page[i], Set: true}
			f.Since, f.Source = parseMeta(page[i+1])
			out = append(out, f)
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	slices.SortFunc(out, func(a, b Flag) int { return strings.Compare(a.Number, b.Number) })
	return slices.CompactFunc(out, func(a, b Flag) bool { return a.Number == b.Number }), nil
}

// DebtorKey returns the key of the debtor of a debt (compliance.DebtorKey),
// or campaign.ErrNotFound.
func (g *Gate) DebtorKey(ctx context.Context, campaignID, debtID string) (string, error) {
	d, err := g.s.Debt(ctx, campaignID, debtID)
	if err != nil {
		return "", err
	}
	return compliance.DebtorKey(d), nil
}

// SetCease sets (on) or clears a debtor's cease-communication flag, by
// debtor key (compliance.DebtorKey: "id:<debtor_id>", "phone:<hash>" or
// "debt:<campaign>/<debt>"). Setting it takes effect at the next claim of
// any of the debtor's debts; clearing it puts the debts finished because
// of it back in the queue. It returns how many debts were reopened.
func (g *Gate) SetCease(ctx context.Context, debtorKey string, on bool, source string) (reopened int, err error) {
	if strings.TrimSpace(debtorKey) == "" {
		return 0, fmt.Errorf("redisstore: cease communication: empty debtor key: %w", campaign.ErrInvalid)
	}
	if on {
		if err := g.s.rdb.HSet(ctx, g.key("cease"), debtorKey, metaValue(g.now(), source)).Err(); err != nil {
			return 0, fmt.Errorf("redisstore: set cease communication: %w", translate(err))
		}
		return 0, nil
	}
	_, reopened, err = g.unpark(ctx, g.key("cease"), g.key("park", "c", debtorKey), debtorKey)
	if err != nil {
		return reopened, fmt.Errorf("redisstore: clear cease communication: %w", err)
	}
	return reopened, nil
}

// Cease returns a debtor's cease-communication flag.
func (g *Gate) Cease(ctx context.Context, debtorKey string) (Flag, error) {
	v, err := g.s.rdb.HGet(ctx, g.key("cease"), debtorKey).Result()
	if errors.Is(err, redis.Nil) {
		return Flag{}, nil
	}
	if err != nil {
		return Flag{}, fmt.Errorf("redisstore: read cease communication: %w", err)
	}
	f := Flag{Set: true}
	f.Since, f.Source = parseMeta(v)
	return f, nil
}

// SetDebtStatus sets a debt's collection status. paid, disputed and
// investigation stop calls from the debt's next claim; active lets it be
// called again and, if the gate had finished it, puts it back in the queue.
// It returns campaign.ErrNotFound for an unknown debt, and reports whether
// the debt was reopened.
func (g *Gate) SetDebtStatus(ctx context.Context, campaignID, debtID string, st compliance.DebtStatus, source string) (bool, error) {
	if err := checkGateCampaign(campaignID); err != nil {
		return false, err
	}
	st, err := compliance.ParseDebtStatus(string(st))
	if err != nil {
		return false, fmt.Errorf("redisstore: %w: %w", err, campaign.ErrInvalid)
	}
	if _, err := g.s.Debt(ctx, campaignID, debtID); err != nil {
		return false, err
	}
	if err := g.writeStatus(ctx, campaignID, debtID, st, metaValue(g.now(), source), ""); err != nil {
		return false, err
	}
	if st != compliance.DebtActive {
		return false, nil
	}
	return g.s.Reopen(ctx, campaignID, debtID, ReasonPrefix, g.now())
}

// writeStatus runs statusScript: it sets st with meta unless keep is not ""
// and the debt already has st or keep.
func (g *Gate) writeStatus(ctx context.Context, campaignID, debtID string, st compliance.DebtStatus, meta string, keep compliance.DebtStatus) error {
	err := statusScript.Run(ctx, g.s.rdb, []string{g.key("status"), g.key("status_meta")}, debtField(campaignID, debtID),
		string(st), meta, string(keep)).Err()
	if err != nil {
		return fmt.Errorf("redisstore: set status of debt %s of campaign %s: %w", debtID, campaignID, translate(err))
	}
	return nil
}

// DebtStatus returns a debt's collection status and when it was last set.
func (g *Gate) DebtStatus(ctx context.Context, campaignID, debtID string) (compliance.DebtStatus, Flag, error) {
	field := debtField(campaignID, debtID)
	pipe := g.s.rdb.Pipeline()
	st := pipe.HGet(ctx, g.key("status"), field)
	meta := pipe.HGet(ctx, g.key("status_meta"), field)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", Flag{}, fmt.Errorf("redisstore: read status of debt %s of campaign %s: %w", debtID, campaignID, err)
	}
	status := compliance.DebtStatus(st.Val())
	if status == "" {
		status = compliance.DebtActive
	}
	var f Flag
	if m := meta.Val(); m != "" {
		f.Set = status != compliance.DebtActive
		f.Since, f.Source = parseMeta(m)
	}
	return status, f, nil
}

// DebtAudit explains a debt (compliance.DebtAudit).
type DebtAudit = compliance.DebtAudit

// Audit explains a debt (see DebtAudit); campaign.ErrNotFound for an
// unknown debt.
func (g *Gate) Audit(ctx context.Context, campaignID, debtID string) (DebtAudit, error) {
	if err := checkGateCampaign(campaignID); err != nil {
		return DebtAudit{}, err
	}
	// The debt and its attempts in one read.
	hs, err := g.s.DebtHistories(ctx, campaignID, []string{debtID})
	if err != nil {
		return DebtAudit{}, err
	}
	if len(hs) == 0 {
		return DebtAudit{}, fmt.Errorf("redisstore: debt %s of campaign %s: %w", debtID, campaignID, campaign.ErrNotFound)
	}
	d := hs[0].Debt
	out := DebtAudit{
		CampaignID: campaignID, DebtID: debtID, State: d.State, FinishReason: d.FinishReason, Attempts: d.Attempts,
		PhoneIndex: d.PhoneIndex, DebtorKey: compliance.DebtorKey(d), Phones: []string{}, DoNotCall: []Flag{},
		Decisions: []compliance.Record{}, History: []campaign.Attempt{},
	}
	if d.State == campaign.StateQueued {
		out.NextAttemptAt = d.NextAttemptAt
	}
	for _, p := range d.Phones {
		out.Phones = append(out.Phones, phone.Mask(p))
	}
	if out.Status, out.StatusChange, err = g.DebtStatus(ctx, campaignID, debtID); err != nil {
		return out, err
	}
	if out.Cease, err = g.Cease(ctx, out.DebtorKey); err != nil {
		return out, err
	}
	dnc, err := g.DoNotCall(ctx, d.Phones)
	if err != nil {
		return out, err
	}
	for _, f := range dnc {
		if f.Set {
			f.Number = phone.Mask(f.Number)
			out.DoNotCall = append(out.DoNotCall, f)
		}
	}
	if out.Decisions, err = g.Decisions(ctx, campaignID, debtID); err != nil {
		return out, err
	}
	for _, a := range hs[0].Attempts {
		a.Phone = phone.Mask(a.Phone)
		out.History = append(out.History, a)
	}
	return out, nil
}

// Decisions returns the gate's decisions on a debt still in the audit
// trail, oldest first.
func (g *Gate) Decisions(ctx context.Context, campaignID, debtID string) ([]compliance.Record, error) {
	field := debtField(campaignID, debtID)
	reply, err := auditReadScript.Run(ctx, g.s.rdb, []string{g.key("audit"), g.key("audit", field)}).Slice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: read the audit of debt %s of campaign %s: %w", debtID, campaignID, translate(err))
	}
	out := make([]compliance.Record, 0, len(reply))
	for i := len(reply) - 1; i >= 0; i-- {
		entry, _ := reply[i].([]any)
		if len(entry) != 2 {
			return nil, fmt.Errorf("redisstore: audit of debt %s: malformed entry %v", debtID, reply[i])
		}
		r, err := compliance.ParseRecord(pairs(entry[1]))
		if err != nil {
			return nil, fmt.Errorf("redisstore: audit of debt %s: %w", debtID, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// AuditLen returns the number of entries in the audit stream.
func (g *Gate) AuditLen(ctx context.Context) (int64, error) {
	n, err := g.s.rdb.XLen(ctx, g.key("audit")).Result()
	if err != nil {
		return 0, fmt.Errorf("redisstore: audit length: %w", translate(err))
	}
	return n, nil
}
