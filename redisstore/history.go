package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
)

// DebtHistory is a debt with its recorded attempts, oldest first, with the
// dispositions set since (what DebtAttempts returns).
type DebtHistory struct {
	Debt     campaign.Debt
	Attempts []campaign.Attempt
}

const (
	// historyBatch is the number of debts one history script reads: a few
	// thousand Redis commands in one script, so other clients never wait
	// for more than one batch.
	historyBatch = 200
	// historyPage is the number of debts read per round trip: one SSCAN
	// page, and its batches in one pipeline.
	historyPage = 1000
	// statusBatch is the number of fields per HMGET of the debt statuses.
	statusBatch = 1000
)

// DebtHistories reads debts with their attempts, in the order of ids;
// unknown ids are left out. Debts are read 200 per script and 1000 per
// round trip, never one by one (see ScanDebtHistories).
func (s *Store) DebtHistories(ctx context.Context, campaignID string, ids []string) ([]DebtHistory, error) {
	if err := checkCampaign(campaignID); err != nil {
		return nil, err
	}
	out := make([]DebtHistory, 0, len(ids))
	var legacy []int
	for start := 0; start < len(ids); start += historyPage {
		page, old, err := s.readHistories(ctx, campaignID, ids[start:min(start+historyPage, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, i := range old {
			legacy = append(legacy, len(out)+i)
		}
		out = append(out, page...)
	}
	if err := s.fillLegacyAttempts(ctx, campaignID, out, legacy); err != nil {
		return nil, err
	}
	return out, nil
}

// ScanDebtHistories reads every debt of the campaign with its attempts and
// calls fn with them a page at a time (up to 1000 debts, in no particular
// order); every debt is passed exactly once. A campaign of n debts takes
// about n/1000 SSCANs and n/1000 pipelines, each of five scripts reading
// 200 debts: 100,000 debts are about 200 round trips.
//
// Debts whose attempts were recorded before the per-debt attempt index
// existed are passed last, after one read of the campaign's attempt log
// for all of them. An error from fn stops the scan and is returned.
func (s *Store) ScanDebtHistories(ctx context.Context, campaignID string, fn func(page []DebtHistory) error) error {
	if err := checkCampaign(campaignID); err != nil {
		return err
	}
	key := s.keys(campaignID).debts()
	seen := map[string]struct{}{}
	var legacy []DebtHistory
	var cursor uint64
	for {
		ids, next, err := s.rdb.SScan(ctx, key, cursor, "", historyPage).Result()
		if err != nil {
			return fmt.Errorf("redisstore: list debts of campaign %s: %w", campaignID, translate(err))
		}
		// SSCAN may return an element more than once.
		fresh := ids[:0]
		for _, id := range ids {
			if _, dup := seen[id]; !dup {
				seen[id] = struct{}{}
				fresh = append(fresh, id)
			}
		}
		for start := 0; start < len(fresh); start += historyPage {
			page, old, err := s.readHistories(ctx, campaignID, fresh[start:min(start+historyPage, len(fresh))])
			if err != nil {
				return err
			}
			if len(old) > 0 {
				keep := page[:0:0]
				for i, h := range page {
					if len(old) > 0 && old[0] == i {
						legacy, old = append(legacy, h), old[1:]
						continue
					}
					keep = append(keep, h)
				}
				page = keep
			}
			if len(page) > 0 {
				if err := fn(page); err != nil {
					return err
				}
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if len(legacy) == 0 {
		return nil
	}
	all := make([]int, len(legacy))
	for i := range all {
		all[i] = i
	}
	if err := s.fillLegacyAttempts(ctx, campaignID, legacy, all); err != nil {
		return err
	}
	return fn(legacy)
}

// readHistories reads up to historyPage debts in one pipeline of history
// scripts. It returns the debts found, in the order of ids, and the
// positions (in that result, ascending) of debts that have attempts but no
// entries in the per-debt index.
func (s *Store) readHistories(ctx context.Context, campaignID string, ids []string) ([]DebtHistory, []int, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	k := s.keys(campaignID)
	var calls []scriptCall
	for start := 0; start < len(ids); start += historyBatch {
		batch := ids[start:min(start+historyBatch, len(ids))]
		args := make([]any, 0, 1+len(batch))
		args = append(args, k.base)
		for _, id := range batch {
			args = append(args, id)
		}
		calls = append(calls, scriptCall{keys: []string{k.attempts(), k.dispositions(), k.debts()}, args: args})
	}
	cmds, err := s.runPipelined(ctx, historyScript, calls)
	if err != nil {
		return nil, nil, fmt.Errorf("redisstore: read %d debts of campaign %s: %w", len(ids), campaignID, translate(err))
	}
	out := make([]DebtHistory, 0, len(ids))
	var legacy []int
	for ci, cmd := range cmds {
		reply, err := cmd.Slice()
		if err != nil {
			return nil, nil, fmt.Errorf("redisstore: read debts of campaign %s: %w", campaignID, translate(err))
		}
		batch := calls[ci].args[1:]
		if len(reply) != len(batch) {
			return nil, nil, fmt.Errorf("redisstore: read debts of campaign %s: %d replies for %d debts", campaignID, len(reply), len(batch))
		}
		for i, r := range reply {
			id, _ := batch[i].(string)
			parts, _ := r.([]any)
			if len(parts) != 4 {
				return nil, nil, fmt.Errorf("redisstore: read debt %s of campaign %s: unexpected reply %v", id, campaignID, r)
			}
			state := pairs(parts[0])
			if len(state) == 0 {
				continue // not a debt (any more)
			}
			data, _ := parts[1].(string)
			d, err := decodeDebt(campaignID, id, state, data)
			if err != nil {
				return nil, nil, err
			}
			attempts, err := decodeEntries(campaignID, parts[2], parts[3])
			if err != nil {
				return nil, nil, err
			}
			if len(attempts) == 0 && d.Attempts > 0 {
				legacy = append(legacy, len(out))
			}
			out = append(out, DebtHistory{Debt: d, Attempts: attempts})
		}
	}
	return out, legacy, nil
}

// decodeEntries decodes attempt log entries and the dispositions set since.
func decodeEntries(campaignID string, entriesV, codesV any) ([]campaign.Attempt, error) {
	entries, _ := entriesV.([]any)
	codes, _ := codesV.([]any)
	out := make([]campaign.Attempt, 0, len(entries))
	for i, e := range entries {
		entry, _ := e.([]any)
		if len(entry) != 2 {
			return nil, fmt.Errorf("redisstore: attempt log of campaign %s: malformed entry %v", campaignID, e)
		}
		a, err := decodeAttempt(campaignID, pairs(entry[1]))
		if err != nil {
			return nil, err
		}
		if i < len(codes) {
			if code, _ := codes[i].(string); code != "" {
				a.Disposition = code
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// fillLegacyAttempts reads the campaign's attempt log once and gives the
// debts at the positions in which their attempts.
func (s *Store) fillLegacyAttempts(ctx context.Context, campaignID string, hs []DebtHistory, which []int) error {
	if len(which) == 0 {
		return nil
	}
	byDebt := make(map[string]int, len(which))
	for _, i := range which {
		byDebt[hs[i].Debt.ID] = i
	}
	after := ""
	for {
		page, next, err := s.Attempts(ctx, campaignID, after, historyPage)
		if err != nil {
			return err
		}
		for _, a := range page {
			if i, ok := byDebt[a.DebtID]; ok {
				hs[i].Attempts = append(hs[i].Attempts, a)
			}
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// DebtStatuses returns the collection status of each debt of ids, in their
// order (active for a debt without one), 1000 debts per HMGET, all in one
// pipeline.
func (g *Gate) DebtStatuses(ctx context.Context, campaignID string, ids []string) ([]compliance.DebtStatus, error) {
	if err := checkGateCampaign(campaignID); err != nil {
		return nil, err
	}
	out := make([]compliance.DebtStatus, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := g.s.rdb.Pipeline()
	var cmds []*redis.SliceCmd
	for start := 0; start < len(ids); start += statusBatch {
		batch := ids[start:min(start+statusBatch, len(ids))]
		fields := make([]string, len(batch))
		for i, id := range batch {
			fields[i] = debtField(campaignID, id)
		}
		cmds = append(cmds, pipe.HMGet(ctx, g.key("status"), fields...))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: read the status of %d debts of campaign %s: %w", len(ids), campaignID, err)
	}
	for _, cmd := range cmds {
		for _, v := range cmd.Val() {
			st, _ := v.(string)
			if st == "" {
				st = string(compliance.DebtActive)
			}
			out = append(out, compliance.DebtStatus(st))
		}
	}
	return out, nil
}

// historyScript reads debts with their attempts: for each, its state hash,
// its data, its entries in the attempt log (through its attempt index) and
// the dispositions set on them since.
//
// KEYS: log, dispositions, debts (the campaign's keys, for the slot).
// ARGV: key base, then debt ids. Returns one {state hash, data or false,
// entries, codes} per id.
var historyScript = redis.NewScript(luaLog + `
local kb = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local entries = indexed_entries(kb .. 'debt_attempts:' .. id, KEYS[1])
  out[#out + 1] = {redis.call('HGETALL', kb .. 'debt:' .. id), redis.call('GET', kb .. 'data:' .. id),
    entries, entry_codes(entries, KEYS[2])}
end
return out
`)
