package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The output formats of Write.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
)

// Formats lists the formats Write knows.
var Formats = []string{FormatTable, FormatCSV, FormatJSON}

// TimeLayout is how the CSV and the table write times, in the report's
// zone: spreadsheets read it as a date and time.
const TimeLayout = "2006-01-02 15:04"

// Write renders the report in one of Formats.
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case FormatCSV:
		return WriteCSV(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatTable:
		return WriteTable(w, r)
	}
	return fmt.Errorf("report format %q is not known; expected one of %s", format, strings.Join(Formats, ", "))
}

// CSVHeader are the columns of WriteCSV.
var CSVHeader = []string{
	"debt_id", "debtor_name", "phone", "other_phones", "due_date", "days_past_due", "bucket", "amount", "currency",
	"attempts", "last_call_at", "last_outcome", "last_disposition", "last_disposition_at", "contacted",
	"state", "finish_reason", "next_attempt_at", "status",
}

// WriteCSV writes one line per overdue case, in the report's order, under
// CSVHeader. Times are in the report's zone (TimeLayout), contacted is yes
// or no. Text that a spreadsheet would run as a formula (starting with =,
// +, -, @) is prefixed with a quote; phone numbers (E.164) are left alone.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, c := range r.Cases {
		phone, others := "", ""
		if len(c.Phones) > 0 {
			phone, others = c.Phones[0], strings.Join(c.Phones[1:], " ")
		}
		rec := []string{
			cell(c.DebtID), cell(c.DebtorName), phone, others, c.DueDate.String(), strconv.Itoa(c.DaysPastDue),
			string(c.Bucket), cell(c.Amount), cell(c.Currency), strconv.Itoa(c.Attempts), timeText(c.LastCallAt),
			string(c.LastOutcome), cell(c.LastDisposition), timeText(c.LastDispositionAt), yesNo(c.Contacted),
			string(c.State), cell(c.FinishReason), timeText(c.NextAttemptAt), string(c.Status),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses spreadsheet formulas in free text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(TimeLayout)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WriteJSON writes the whole report (summary and cases) as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the summary per bucket, then the cases, as text
// tables for a terminal.
func WriteTable(w io.Writer, r Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Overdue cases of campaign %s as of %s (%s): %d of %d debts\n\n",
		r.CampaignID, r.AsOf, r.Zone, r.Total.Cases, r.DebtsRead)
	fmt.Fprintln(tw, "DAYS PAST DUE\tCASES\tAMOUNT\tCONTACTED\tPROMISES TO PAY")
	for _, s := range append(slices.Clone(r.Buckets), r.Total) {
		amount := amountsText(s.Amounts)
		if s.InvalidAmounts > 0 {
			amount += fmt.Sprintf(" (%d amounts unreadable)", s.InvalidAmounts)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d (%.1f%%)\t%d\n", s.Bucket, s.Cases, amount, s.Contacted, s.ContactedPct, s.PromisesToPay)
	}
	if len(r.Cases) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "DEBT\tDEBTOR\tPHONE\tDUE\tDAYS\tAMOUNT\tATTEMPTS\tLAST CALL\tOUTCOME\tDISPOSITION\tCONTACTED\tSTATE\tSTATUS")
	}
	for _, c := range r.Cases {
		phone := ""
		if len(c.Phones) > 0 {
			phone = c.Phones[0]
		}
		disposition := c.LastDisposition
		if disposition != "" {
			disposition += " " + timeText(c.LastDispositionAt)
		}
		state := string(c.State)
		switch {
		case c.FinishReason != "":
			state += ": " + c.FinishReason
		case !c.NextAttemptAt.IsZero():
			state += " until " + timeText(c.NextAttemptAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			oneLine(c.DebtID), oneLine(c.DebtorName), phone, c.DueDate, c.DaysPastDue, oneLine(c.Amount), oneLine(c.Currency),
			c.Attempts, timeText(c.LastCallAt), c.LastOutcome, oneLine(disposition), yesNo(c.Contacted), oneLine(state), c.Status)
	}
	return tw.Flush()
}

// amountsText writes sums per currency, currencies in order: "13.00 USD,
// 1500000 VND".
func amountsText(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, strings.TrimSpace(m[cur]+" "+cur))
	}
	return strings.Join(parts, ", ")
}

// oneLine keeps a value on its table line and column.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
