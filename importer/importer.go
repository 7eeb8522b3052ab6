package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/phone"
)

// ErrHeader is wrapped by the error Import returns when the file has no
// usable header: missing required columns, a column named twice, an empty
// or non-UTF-8 file.
var ErrHeader = errors.New("bad CSV header")

// DefaultBatchSize is the number of debts sent to the store at once when
// Options.BatchSize is 0.
const DefaultBatchSize = 500

// maxPrealloc caps what is allocated ahead for a batch, so that a huge
// BatchSize costs only what the file fills.
const maxPrealloc = 4096

// maxKeptErrors is the number of row errors kept in Summary.Errors.
const maxKeptErrors = 100

// Options configure an import.
type Options struct {
	// CampaignID is the campaign the debts belong to. It may be left empty
	// when Rules.CampaignID is set; when both are set they must agree.
	CampaignID string
	// Rules are passed to Store.UpsertDebts (they schedule new debts).
	Rules campaign.Rules
	// DefaultRegion is the ISO 3166 region ("VN") of phone numbers written
	// without a country code. Empty: every number must carry one.
	DefaultRegion string
	// BatchSize is the number of debts per UpsertDebts call
	// (DefaultBatchSize when 0). Memory use grows with it.
	BatchSize int
	// Comma is the field separator; 0 detects ',', ';' or tab from the
	// header line.
	Comma rune
	// Progress, if set, is called after every batch (and every BatchSize
	// rows when rows fail) and once at the end, from the goroutine running
	// Import.
	Progress func(Stats)
	// OnRowError, if set, is called for every row error, in file order,
	// from the goroutine running Import. Its Value is already masked.
	OnRowError func(RowError)
	// Logger receives debug logs of the batches (zap.NewNop() when nil).
	Logger *zap.Logger
	// Now is the clock of the timezone check (time.Now when nil): a
	// timezone column is compared with the numbers' zones over the year
	// from Now (see RowWarning).
	Now func() time.Time
}

// Stats is the progress of a running import.
type Stats struct {
	// BytesRead is how far into the file the import is, in bytes.
	BytesRead int64
	// Rows is the number of data rows read so far (blank rows included).
	Rows int
	// OK is the number of valid rows so far (stored or about to be).
	OK int
	// Failed is the number of rows refused so far.
	Failed int
}

// RowError says why one row of the file was refused. Value is the value
// that was refused, masked for phone numbers and debtor names (see
// phone.Mask and phone.MaskName), left out for notes and profile columns,
// and cut to 40 characters.
type RowError struct {
	Line   int    // line of the file where the row starts (the header is line 1)
	Column string // column name as in the documented header, "" for the whole row
	Value  string
	Reason string
}

// Error reads like
// `line 17, column phone: not a valid phone number for region VN (got "+849*****78")`.
func (e RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.Column != "" {
		b.WriteString(", column ")
		b.WriteString(e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Value != "" {
		fmt.Fprintf(&b, " (got %q)", e.Value)
	}
	return b.String()
}

// Unwrap returns campaign.ErrInvalid.
func (e RowError) Unwrap() error { return campaign.ErrInvalid }

// Summary is the outcome of an import. When Import returns an error, it
// counts what happened before the error.
type Summary struct {
	// Rows is the number of data rows read, blank rows included.
	// Without a fatal error, Rows == Imported + Failed + Skipped.
	Rows int
	// Imported is the number of valid rows written to the store. Rows that
	// repeat a debt_id count here too (they updated the debt).
	Imported int
	// Created and Updated are the store's counts. A debt_id repeated
	// within one batch is merged before it is sent, so Created+Updated can
	// be lower than Imported.
	Created int
	Updated int
	// Failed is the number of rows refused.
	Failed int
	// Skipped is the number of blank rows (every field empty), ignored.
	Skipped int
	// Duplicates is the number of valid rows whose debt_id appeared in an
	// earlier valid row of the file; the later row won.
	Duplicates int
	// ErrorCount is the number of row errors (a failed row may have
	// several); Errors holds the first 100 of them.
	ErrorCount int
	Errors     []RowError
	// Warned is the number of imported rows with warnings: stored as
	// written, but worth a look (see RowWarning). WarningCount is the
	// number of warnings; Warnings holds the first 100 of them.
	Warned       int
	WarningCount int
	Warnings     []RowWarning
}

// column identifies a documented column.
type column int

const (
	colDebtID column = iota
	colName
	colPhone
	colAmount
	colCurrency
	colDueDate
	colPhone2
	colPhone3
	colTimezone
	colPriority
	colNotes
	numColumns
)

// columnNames are the documented column names, required ones first.
var columnNames = [numColumns]string{
	"debt_id", "debtor_name", "phone", "amount", "currency", "due_date",
	"phone2", "phone3", "timezone", "priority", "notes",
}

const numRequired = int(colDueDate) + 1

// ExpectedHeader is the documented header: required columns, then
// optional ones.
const ExpectedHeader = "debt_id,debtor_name,phone,amount,currency,due_date[,phone2,phone3,timezone,priority,notes]"

// layout maps the file's columns to the documented ones.
type layout struct {
	fields  int             // fields per row
	index   [numColumns]int // field index of each documented column, -1 if absent
	profile []profileColumn
}

type profileColumn struct {
	index int
	name  string
}

func parseHeader(rec []string) (layout, error) {
	l := layout{fields: len(rec)}
	for i := range l.index {
		l.index[i] = -1
	}
	seen := make(map[string]int, len(rec))
	for i, raw := range rec {
		name := strings.TrimSpace(raw)
		if name == "" {
			continue
		}
		if !utf8.ValidString(name) {
			return layout{}, fmt.Errorf(`%w: column %d's name is not valid UTF-8 text; save the file as "CSV UTF-8"`, ErrHeader, i+1)
		}
		if strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return layout{}, fmt.Errorf("%w: column %d's name %q contains control characters", ErrHeader, i+1, name)
		}
		key := strings.ToLower(name)
		if j, dup := seen[key]; dup {
			return layout{}, fmt.Errorf("%w: column %q appears twice (columns %d and %d)", ErrHeader, name, j+1, i+1)
		}
		seen[key] = i
		known := false
		for c, cn := range columnNames {
			if key == cn {
				l.index[c] = i
				known = true
				break
			}
		}
		if !known {
			l.profile = append(l.profile, profileColumn{index: i, name: name})
		}
	}
	var missing []string
	for c := 0; c < numRequired; c++ {
		if l.index[c] < 0 {
			missing = append(missing, columnNames[c])
		}
	}
	if len(missing) > 0 {
		return layout{}, fmt.Errorf("%w: missing required column(s) %s; expected header: %s (any order, any case; other columns go to the debt's profile)",
			ErrHeader, strings.Join(missing, ", "), ExpectedHeader)
	}
	return l, nil
}

// importer is the state of one Import call.
type importer struct {
	opts   Options
	store  campaign.Store
	log    *zap.Logger
	layout layout
	clocks clocks
	sum    Summary
	ok     int // valid rows so far, including the pending batch

	lastProgress int // sum.Rows at the last Progress call
	lastLine     int // line where the last record read starts

	batch      []campaign.Debt
	batchIndex map[string]int // debt ID -> index in batch
	batchRows  int            // valid rows in batch, merged duplicates included
	batchFirst int            // line of the first row in batch
	batchLast  int            // line of the last row in batch
	seed       maphash.Seed
	seen       map[uint64]struct{} // hashes of the debt IDs of the file

	guard *guardReader
	csv   *csv.Reader
	bom   int64
}

// Import reads a debts CSV (see the package documentation for the format)
// from r and upserts its valid rows into store in batches. Invalid rows
// are reported in the Summary and through opts.OnRowError and skipped.
// Valid rows that may not be what was meant (see RowWarning) are imported
// and reported in the Summary's Warnings.
//
// The error is for what stops the import: a bad header (wrapping
// ErrHeader), a read error, a store error or ctx's end. Batches stored
// before it stay stored, and importing the file again is safe.
func Import(ctx context.Context, r io.Reader, store campaign.Store, opts Options) (Summary, error) {
	im, err := newImporter(store, opts)
	if err != nil {
		return Summary{}, err
	}
	err = im.run(ctx, r)
	return im.sum, err
}

func newImporter(store campaign.Store, opts Options) (*importer, error) {
	if store == nil {
		return nil, errors.New("importer: nil store")
	}
	switch {
	case opts.CampaignID == "" && opts.Rules.CampaignID == "":
		return nil, errors.New("importer: no campaign ID")
	case opts.CampaignID == "":
		opts.CampaignID = opts.Rules.CampaignID
	case opts.Rules.CampaignID == "":
		opts.Rules.CampaignID = opts.CampaignID
	case opts.CampaignID != opts.Rules.CampaignID:
		return nil, fmt.Errorf("importer: campaign ID %q differs from the rules' %q", opts.CampaignID, opts.Rules.CampaignID)
	}
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("importer: negative batch size %d", opts.BatchSize)
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.DefaultRegion != "" && !phone.KnownRegion(opts.DefaultRegion) {
		return nil, fmt.Errorf("importer: unknown default phone region %q", opts.DefaultRegion)
	}
	if opts.Comma != 0 && (opts.Comma == '"' || opts.Comma == '\r' || opts.Comma == '\n' || opts.Comma == utf8.RuneError || !utf8.ValidRune(opts.Comma)) {
		return nil, fmt.Errorf("importer: invalid separator %q", opts.Comma)
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return &importer{
		opts:       opts,
		store:      store,
		log:        log.With(zap.String("campaign_id", opts.CampaignID)),
		clocks:     newClocks(now()),
		batchIndex: make(map[string]int, min(opts.BatchSize, maxPrealloc)),
		seed:       maphash.MakeSeed(),
		seen:       make(map[uint64]struct{}),
	}, nil
}

func (im *importer) run(ctx context.Context, r io.Reader) error {
	im.guard = &guardReader{r: r}
	br, bom, comma, err := openSource(im.guard, im.opts.Comma)
	if err != nil {
		return err
	}
	im.bom = bom
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	im.csv = cr

	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the file is empty; expected a header line: %s", ErrHeader, ExpectedHeader)
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: line %d: %s", ErrHeader, pe.StartLine, csvReason(pe))
		}
		return im.readError(err)
	}
	if im.layout, err = parseHeader(header); err != nil {
		return err
	}
	im.mark()
	im.lastLine, _ = cr.FieldPos(0)

	for {
		if im.sum.Rows%256 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("importer: stopped after line %d: %w", im.lastLine, err)
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return im.readError(err)
			}
			im.mark()
			im.lastLine = pe.StartLine
			im.sum.Rows++
			im.fail([]RowError{{Line: pe.StartLine, Reason: csvReason(pe)}})
		} else {
			im.mark()
			im.lastLine, _ = cr.FieldPos(0) // a record has at least one field
			im.sum.Rows++
			if err := im.row(ctx, rec); err != nil {
				return err
			}
		}
		if im.sinceProgress() >= im.opts.BatchSize {
			im.progress()
		}
	}
	if err := im.flush(ctx); err != nil {
		return err
	}
	im.progress()
	return nil
}

// mark tells the guard that a record ended.
func (im *importer) mark() { im.guard.mark = im.bom + im.csv.InputOffset() }

func (im *importer) readError(err error) error {
	where := fmt.Sprintf("after line %d", im.lastLine)
	if im.lastLine == 0 {
		where = "in the header"
	}
	if errors.Is(err, errRecordTooLarge) {
		return fmt.Errorf("importer: the row %s: %w", where, err)
	}
	return fmt.Errorf("importer: read %s: %w", where, err)
}

// csvReason explains a CSV syntax error.
func csvReason(pe *csv.ParseError) string {
	var what string
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		what = `a '"' in a field that does not start with one (quote the whole field and double the '"' inside it)`
	case errors.Is(pe.Err, csv.ErrQuote):
		what = `a quoted field is not closed properly (a '"' must be doubled inside a quoted field, and the closing '"' must be followed by the separator or the end of the line)`
	default:
		what = pe.Err.Error()
	}
	if pe.Line != pe.StartLine {
		return fmt.Sprintf("CSV syntax error on line %d, character %d: %s", pe.Line, pe.Column, what)
	}
	return fmt.Sprintf("CSV syntax error at character %d: %s", pe.Column, what)
}

// sinceProgress is the number of rows read since the last Progress call.
func (im *importer) sinceProgress() int { return im.sum.Rows - im.lastProgress }

func (im *importer) progress() {
	im.lastProgress = im.sum.Rows
	if im.opts.Progress == nil {
		return
	}
	im.opts.Progress(Stats{
		BytesRead: im.bom + im.csv.InputOffset(),
		Rows:      im.sum.Rows,
		OK:        im.ok,
		Failed:    im.sum.Failed,
	})
}

// fail records a failed row's errors.
func (im *importer) fail(errs []RowError) {
	im.sum.Failed++
	for _, e := range errs {
		im.sum.ErrorCount++
		if len(im.sum.Errors) < maxKeptErrors {
			im.sum.Errors = append(im.sum.Errors, e)
		}
		if im.opts.OnRowError != nil {
			im.opts.OnRowError(e)
		}
	}
}

// row validates one record and adds it to the batch.
func (im *importer) row(ctx context.Context, rec []string) error {
	line := im.lastLine
	if blank(rec) {
		im.sum.Skipped++
		return nil
	}
	if len(rec) != im.layout.fields {
		im.fail([]RowError{{Line: line, Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), im.layout.fields)}})
		return nil
	}
	d, errs := im.parse(line, rec)
	if len(errs) > 0 {
		im.fail(errs)
		return nil
	}
	im.ok++
	if w, ok := im.zoneWarning(line, d); ok {
		im.warn(w)
	}
	h := maphash.String(im.seed, d.ID)
	if _, dup := im.seen[h]; dup {
		im.sum.Duplicates++
	} else {
		im.seen[h] = struct{}{}
	}
	if len(im.batch) == 0 {
		im.batchFirst = line
	}
	im.batchRows++
	im.batchLast = line
	if i, ok := im.batchIndex[d.ID]; ok {
		im.batch[i] = d // the later row wins
	} else {
		im.batchIndex[d.ID] = len(im.batch)
		im.batch = append(im.batch, d)
	}
	if len(im.batch) >= im.opts.BatchSize {
		if err := im.flush(ctx); err != nil {
			return err
		}
		im.progress()
	}
	return nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// flush sends the batch to the store.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	res, err := im.store.UpsertDebts(ctx, im.opts.Rules, im.batch)
	if err != nil {
		return fmt.Errorf("importer: store %d debts of lines %d to %d: %w", len(im.batch), im.batchFirst, im.batchLast, err)
	}
	im.log.Debug("imported batch",
		zap.Int("debts", len(im.batch)), zap.Int("created", res.Created), zap.Int("updated", res.Updated),
		zap.Int("first_line", im.batchFirst))
	im.sum.Imported += im.batchRows
	im.sum.Created += res.Created
	im.sum.Updated += res.Updated
	// A new slice each time: the store may not keep the old one, but a
	// fresh slice makes sure the debts just stored can be collected.
	im.batch = make([]campaign.Debt, 0, min(im.opts.BatchSize, maxPrealloc))
	clear(im.batchIndex)
	im.batchRows = 0
	return nil
}
