// Package report builds the reports call-centre staff work from, starting
// with the overdue-cases report: every debt of a campaign past its due date
// and not paid, with how overdue it is, what has been tried and what the
// debtor said, and a summary per ageing bucket.
//
// The package is pure: it takes debts, their attempt history and their
// compliance status (read by the caller, e.g. through
// redisstore.Store.ScanDebtHistories) and returns a Report, which Write
// renders as CSV, JSON or a text table. Reports hold debtors' names and
// numbers: write them to files readable by their owner only (WriteFile
// does), and never log them.
package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
)

// Date is a civil date (no time, no zone).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateLayout is how dates are written and read: 2006-01-02.
const DateLayout = "2006-01-02"

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		if len(s) == len(DateLayout) && s[4] == '-' && s[7] == '-' {
			return Date{}, fmt.Errorf("%q is not a real date; expected a date written YYYY-MM-DD, e.g. 2026-03-31", s)
		}
		return Date{}, fmt.Errorf("%q is not a date; expected YYYY-MM-DD, e.g. 2026-03-31", s)
	}
	return DateOf(t, time.UTC), nil
}

// DateOf is the date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes the date as YYYY-MM-DD ("" for the zero date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// daysSince is the number of days from o to d (positive when d is later).
func (d Date) daysSince(o Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	b := time.Date(o.Year, o.Month, o.Day, 0, 0, 0, 0, time.UTC)
	return int(a.Sub(b).Hours() / 24)
}

// Bucket is an ageing bucket of days past due.
type Bucket string

// The ageing buckets, in report order.
const (
	Bucket1To30  Bucket = "1-30"
	Bucket31To60 Bucket = "31-60"
	Bucket61To90 Bucket = "61-90"
	Bucket91Plus Bucket = "91+"
	// BucketTotal names the summary of every bucket.
	BucketTotal Bucket = "total"
)

// Buckets lists the ageing buckets in report order.
var Buckets = []Bucket{Bucket1To30, Bucket31To60, Bucket61To90, Bucket91Plus}

// BucketOf is the bucket of a debt days past due (days >= 1).
func BucketOf(days int) Bucket {
	switch {
	case days <= 30:
		return Bucket1To30
	case days <= 60:
		return Bucket31To60
	case days <= 90:
		return Bucket61To90
	}
	return Bucket91Plus
}

func bucketIndex(b Bucket) int { return slices.Index(Buckets, b) }

// NoContactDispositions are the wrap-up codes (of httpapi.Dispositions)
// that say a bridged call did not reach the debtor.
var NoContactDispositions = []string{"wrong_party", "wrong_number", "answering_machine", "no_contact"}

// Case is one debt as the report reads it.
type Case struct {
	Debt campaign.Debt
	// Attempts are the debt's recorded attempts with their dispositions,
	// in any order.
	Attempts []campaign.Attempt
	// Status is the debt's collection status ("" is active).
	Status compliance.DebtStatus
}

// Options say which report to build.
type Options struct {
	CampaignID string
	// AsOf is the day the report is for: a debt is overdue when its due
	// date is before it. Callers take today's date in Zone.
	AsOf Date
	// Zone is the campaign's time zone: times in the report are shown in
	// it (default UTC).
	Zone *time.Location
	// GeneratedAt is when the report was made (shown, not used).
	GeneratedAt time.Time
}

// Row is one overdue case. Times are in the report's zone; zero times
// mean "never" (or, for NextAttemptAt, "not queued").
type Row struct {
	DebtID      string   `json:"debt_id"`
	DebtorName  string   `json:"debtor_name"`
	Phones      []string `json:"phones"`
	DueDate     Date     `json:"due_date"`
	DaysPastDue int      `json:"days_past_due"`
	Bucket      Bucket   `json:"bucket"`
	// Amount is the debt's amount as imported.
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	// Attempts is the number of calls placed on the debt.
	Attempts int `json:"attempts"`
	// LastCallAt is when the last call was placed, LastOutcome its
	// outcome.
	LastCallAt  time.Time        `json:"last_call_at,omitzero"`
	LastOutcome campaign.Outcome `json:"last_outcome,omitempty"`
	// LastDisposition is the last wrap-up code an agent recorded
	// (promise_to_pay, refused, callback, disputed, ...), and
	// LastDispositionAt the end of the call it was recorded on.
	LastDisposition   string    `json:"last_disposition,omitempty"`
	LastDispositionAt time.Time `json:"last_disposition_at,omitzero"`
	// Contacted says whether the debtor was ever reached (right-party
	// contact): a call bridged to an agent whose disposition is not one
	// of NoContactDispositions.
	Contacted bool `json:"contacted"`
	// State is where the debt is in the dialer: queued (NextAttemptAt is
	// its next call), leased (being called) or finished (FinishReason
	// says why).
	State         campaign.DebtState `json:"state"`
	FinishReason  string             `json:"finish_reason,omitempty"`
	NextAttemptAt time.Time          `json:"next_attempt_at,omitzero"`
	// Status is the debt's collection status: active, disputed or
	// investigation (paid debts are not overdue cases).
	Status compliance.DebtStatus `json:"status"`
}

// Summary sums up the cases of one bucket (or all of them).
type Summary struct {
	Bucket Bucket `json:"bucket"`
	Cases  int    `json:"cases"`
	// Amounts are the exact sums of the cases' amounts, per currency.
	Amounts map[string]string `json:"amounts"`
	// Contacted counts the cases whose debtor was ever reached, and
	// ContactedPct is their share in percent (one decimal).
	Contacted    int     `json:"contacted"`
	ContactedPct float64 `json:"contacted_pct"`
	// PromisesToPay counts the cases whose last disposition is
	// promise_to_pay.
	PromisesToPay int `json:"promises_to_pay"`
	// InvalidAmounts counts cases whose amount is not a decimal number
	// (left out of Amounts).
	InvalidAmounts int `json:"invalid_amounts,omitempty"`
}

// Report is the overdue-cases report of one campaign.
type Report struct {
	CampaignID  string    `json:"campaign_id"`
	AsOf        Date      `json:"as_of"`
	Zone        string    `json:"zone"`
	GeneratedAt time.Time `json:"generated_at,omitzero"`
	// DebtsRead is the number of debts examined.
	DebtsRead int `json:"debts_read"`
	// Cases are the overdue cases, most days past due first (then by debt
	// id).
	Cases []Row `json:"cases"`
	// Buckets summarise the cases per ageing bucket, in the order of
	// Buckets (every bucket, also empty ones); Total all of them.
	Buckets []Summary `json:"buckets"`
	Total   Summary   `json:"total"`
}

// Builder builds a report from debts added one at a time, keeping only the
// overdue cases, so that a campaign can be read in pages.
type Builder struct {
	opts  Options
	read  int
	rows  []Row
	accs  [4]acc
	total acc
}

// acc accumulates a Summary.
type acc struct {
	cases, contacted, promises, invalid int
	sums                                map[string]*sum
}

func (a *acc) add(r Row, promise bool) {
	a.cases++
	if r.Contacted {
		a.contacted++
	}
	if promise {
		a.promises++
	}
	if a.sums == nil {
		a.sums = map[string]*sum{}
	}
	s := a.sums[r.Currency]
	if s == nil {
		s = &sum{}
	}
	if !s.add(r.Amount) {
		a.invalid++
		return
	}
	a.sums[r.Currency] = s
}

func (a *acc) summary(b Bucket) Summary {
	out := Summary{Bucket: b, Cases: a.cases, Amounts: map[string]string{}, Contacted: a.contacted,
		PromisesToPay: a.promises, InvalidAmounts: a.invalid}
	for cur, s := range a.sums {
		out.Amounts[cur] = s.String()
	}
	if a.cases > 0 {
		out.ContactedPct = math.Round(1000*float64(a.contacted)/float64(a.cases)) / 10
	}
	return out
}

// NewBuilder starts a report.
func NewBuilder(opts Options) *Builder {
	if opts.Zone == nil {
		opts.Zone = time.UTC
	}
	return &Builder{opts: opts, rows: []Row{}}
}

// Overdue builds the report of the given debts.
func Overdue(cases []Case, opts Options) Report {
	b := NewBuilder(opts)
	for _, c := range cases {
		b.Add(c)
	}
	return b.Report()
}

// Add examines one debt and keeps it if it is an overdue case: due before
// the as-of date and not paid.
func (b *Builder) Add(c Case) {
	b.read++
	d := c.Debt
	if d.DueDate.IsZero() || c.Status == compliance.DebtPaid {
		return
	}
	due := DateOf(d.DueDate, time.UTC) // midnight UTC of the due date
	days := b.opts.AsOf.daysSince(due)
	if days < 1 {
		return
	}
	status := c.Status
	if status == "" {
		status = compliance.DebtActive
	}
	loc := b.opts.Zone
	r := Row{
		DebtID: d.ID, DebtorName: d.DebtorName, Phones: d.Phones, DueDate: due, DaysPastDue: days, Bucket: BucketOf(days),
		Amount: d.Amount, Currency: d.Currency, Attempts: max(d.Attempts, len(c.Attempts)), LastOutcome: d.LastOutcome,
		State: d.State, FinishReason: d.FinishReason, Status: status,
	}
	if d.State == campaign.StateQueued && !d.NextAttemptAt.IsZero() {
		r.NextAttemptAt = d.NextAttemptAt.In(loc)
	}
	var last, lastCoded *campaign.Attempt
	for i := range c.Attempts {
		a := &c.Attempts[i]
		if last == nil || a.OriginatedAt.After(last.OriginatedAt) {
			last = a
		}
		if a.Disposition != "" && (lastCoded == nil || a.OriginatedAt.After(lastCoded.OriginatedAt)) {
			lastCoded = a
		}
		if a.Outcome == campaign.OutcomeBridged && !slices.Contains(NoContactDispositions, a.Disposition) {
			r.Contacted = true
		}
	}
	if last != nil {
		r.LastCallAt, r.LastOutcome = last.OriginatedAt.In(loc), last.Outcome
	}
	if lastCoded != nil {
		end := lastCoded.EndedAt
		if end.IsZero() {
			end = lastCoded.OriginatedAt
		}
		r.LastDisposition, r.LastDispositionAt = lastCoded.Disposition, end.In(loc)
	}
	promise := r.LastDisposition == campaign.DispositionPromiseToPay
	b.rows = append(b.rows, r)
	b.accs[bucketIndex(r.Bucket)].add(r, promise)
	b.total.add(r, promise)
}

// Report returns the report of the debts added so far.
func (b *Builder) Report() Report {
	rows := slices.Clone(b.rows)
	slices.SortFunc(rows, func(x, y Row) int {
		if c := cmp.Compare(y.DaysPastDue, x.DaysPastDue); c != 0 {
			return c
		}
		return cmp.Compare(x.DebtID, y.DebtID)
	})
	out := Report{
		CampaignID: b.opts.CampaignID, AsOf: b.opts.AsOf, Zone: b.opts.Zone.String(), GeneratedAt: b.opts.GeneratedAt,
		DebtsRead: b.read, Cases: rows, Total: b.total.summary(BucketTotal),
	}
	for i, bk := range Buckets {
		out.Buckets = append(out.Buckets, b.accs[i].summary(bk))
	}
	return out
}
