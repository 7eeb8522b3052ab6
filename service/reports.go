package service

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/redisstore"
	"github.com/duecall/duecall/report"
)

// Reporter builds the overdue-cases reports of the configured campaigns
// from Redis: every debt with its attempts (redisstore.ScanDebtHistories)
// and its compliance status (redisstore.Gate.DebtStatuses), a page of
// 1000 debts per round trip, never one by one. The HTTP API, `duecall
// report` and the periodic report files all use it.
type Reporter struct {
	store *redisstore.Store
	gate  *redisstore.Gate
	ids   []string
	zones map[string]*time.Location
	now   func() time.Time
}

// NewReporter returns a Reporter of the configured campaigns. A campaign's
// time zone, in which the as-of date is taken and times are shown, is the
// (first) default zone of its compliance policy: Asia/Ho_Chi_Minh for vn,
// America/New_York for us-regf, Europe/London for uk, UTC for none.
func NewReporter(cfg *config.Config, store *redisstore.Store, gate *redisstore.Gate) (*Reporter, error) {
	pols, err := Policies(cfg)
	if err != nil {
		return nil, err
	}
	r := &Reporter{store: store, gate: gate, zones: map[string]*time.Location{}, now: time.Now}
	for i, c := range cfg.Campaigns {
		zones, err := compliance.ParseZones(pols[c.ID].DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("campaigns[%d] (%s): compliance.default_zone: %w", i, c.ID, err)
		}
		r.ids = append(r.ids, c.ID)
		r.zones[c.ID] = zones[0]
	}
	return r, nil
}

// Campaigns are the ids of the campaigns the Reporter knows.
func (r *Reporter) Campaigns() []string { return slices.Clone(r.ids) }

// Zone is the time zone of a campaign's reports (UTC for an unknown one).
func (r *Reporter) Zone(campaignID string) *time.Location {
	if z := r.zones[campaignID]; z != nil {
		return z
	}
	return time.UTC
}

// Overdue builds the overdue-cases report of a campaign as of a date (the
// zero Date: today in the campaign's zone). An unknown campaign is an
// error wrapping campaign.ErrNotFound that lists the configured ones.
func (r *Reporter) Overdue(ctx context.Context, campaignID string, asOf report.Date) (report.Report, error) {
	zone, ok := r.zones[campaignID]
	if !ok {
		return report.Report{}, fmt.Errorf("campaign %q is not configured (configured: %s): %w",
			campaignID, strings.Join(r.ids, ", "), campaign.ErrNotFound)
	}
	now := r.now()
	if asOf.IsZero() {
		asOf = report.DateOf(now, zone)
	}
	b := report.NewBuilder(report.Options{CampaignID: campaignID, AsOf: asOf, Zone: zone, GeneratedAt: now.In(zone)})
	err := r.store.ScanDebtHistories(ctx, campaignID, func(page []redisstore.DebtHistory) error {
		ids := make([]string, len(page))
		for i, h := range page {
			ids[i] = h.Debt.ID
		}
		statuses, err := r.gate.DebtStatuses(ctx, campaignID, ids)
		if err != nil {
			return err
		}
		for i, h := range page {
			b.Add(report.Case{Debt: h.Debt, Attempts: h.Attempts, Status: statuses[i]})
		}
		return nil
	})
	if err != nil {
		return report.Report{}, fmt.Errorf("overdue report of campaign %s: %w", campaignID, err)
	}
	return b.Report(), nil
}

// reportWriter writes each campaign's overdue report to a file in
// reports.dir every reports.overdue.every.
type reportWriter struct {
	rep   *Reporter
	dir   string
	every time.Duration
	log   *zap.Logger
}

// reportRetry is how soon a failed report is tried again (at most every).
const reportRetry = time.Minute

// newReportWriter returns the periodic report writer, or nil when periodic
// reports are off. The directory is created if missing and must be
// writable: better to refuse to start than to find no reports a day later.
func newReportWriter(cfg *config.Config, rep *Reporter, log *zap.Logger) (*reportWriter, error) {
	r := cfg.Reports
	if r.Dir == "" || r.Overdue.Every <= 0 {
		return nil, nil
	}
	if err := checkReportDir(r.Dir); err != nil {
		return nil, fmt.Errorf("reports.dir: %q cannot hold reports: %w; create it writable by the user duecall runs as, "+
			"choose another directory, or set reports.dir to \"\" to write no report files", r.Dir, err)
	}
	return &reportWriter{rep: rep, dir: r.Dir, every: r.Overdue.Every, log: log}, nil
}

// checkReportDir creates dir (mode 0700) if missing and writes and removes
// a file in it.
func checkReportDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".duecall-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// run writes the reports until ctx is cancelled. A campaign's first report
// is due at start, or one interval after the newest report of it in the
// directory, so that restarts neither skip nor repeat reports.
func (w *reportWriter) run(ctx context.Context) {
	if w == nil {
		return
	}
	ids := w.rep.Campaigns()
	now := time.Now()
	next := make(map[string]time.Time, len(ids))
	for _, id := range ids {
		next[id] = now
		last, err := report.LastFileTime(w.dir, id)
		if err != nil {
			w.log.Warn("cannot list the earlier reports; writing one now", zap.String("dir", w.dir), zap.Error(err))
			continue
		}
		// A report stamped in the future (the clock went back) delays
		// the next by one interval at most.
		if due := last.Add(w.every); !last.IsZero() && due.After(now) {
			next[id] = now.Add(min(due.Sub(now), w.every))
		}
	}
	w.log.Info("periodic overdue reports on", zap.String("dir", w.dir), zap.Duration("every", w.every), zap.Int("campaigns", len(ids)))
	for len(ids) > 0 {
		first := next[ids[0]]
		for _, id := range ids {
			if next[id].Before(first) {
				first = next[id]
			}
		}
		timer := time.NewTimer(time.Until(first))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		for _, id := range ids {
			now := time.Now()
			if next[id].After(now) {
				continue
			}
			if err := w.write(ctx, id, now); err != nil {
				if ctx.Err() != nil {
					return
				}
				retry := min(w.every, reportRetry)
				w.log.Warn("overdue report failed; trying again later", zap.String("campaign_id", id),
					zap.Duration("retry_in", retry), zap.Error(err))
				next[id] = now.Add(retry)
				continue
			}
			next[id] = now.Add(w.every)
		}
	}
}

// write writes one campaign's report and logs its counts (never a name,
// number or amount).
func (w *reportWriter) write(ctx context.Context, campaignID string, now time.Time) error {
	rep, err := w.rep.Overdue(ctx, campaignID, report.Date{})
	if err != nil {
		return err
	}
	path := filepath.Join(w.dir, report.FileName(campaignID, now))
	if err := report.WriteFile(path, func(f io.Writer) error { return report.WriteCSV(f, rep) }); err != nil {
		return err
	}
	fields := []zap.Field{
		zap.String("campaign_id", campaignID), zap.String("file", path), zap.String("as_of", rep.AsOf.String()),
		zap.Int("debts", rep.DebtsRead), zap.Int("overdue", rep.Total.Cases),
	}
	for _, b := range rep.Buckets {
		fields = append(fields, zap.Int("days_"+strings.ReplaceAll(strings.ReplaceAll(string(b.Bucket), "-", "_"), "+", "_plus"), b.Cases))
	}
	fields = append(fields, zap.Int("contacted", rep.Total.Contacted), zap.Int("promises_to_pay", rep.Total.PromisesToPay),
		zap.Duration("took", time.Since(now)))
	w.log.Info("overdue report written", fields...)
	return nil
}
