package importer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/duecall/duecall/phone"
)

func FuzzImport(f *testing.F) {
	for _, name := range []string{"testdata/sample.csv", "testdata/sample_invalid.csv"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false, uint8(2))
		// Short seeds fuzz faster: the header and a few rows, and a few
		// rows alone under the fuzz header.
		lines := bytes.SplitAfter(b, []byte("\n"))
		f.Add(bytes.Join(lines[:5], nil), false, uint8(0))
		f.Add(bytes.Join(lines[len(lines)-6:], nil), true, uint8(1))
	}
	f.Add([]byte("\xef\xbb\xbfdebt_id;debtor_name;phone;amount;currency;due_date\nD1;An;0912345678;1;VND;2025-01-01\n"), false, uint8(3))
	f.Add([]byte("D1,An,0912345678,,,1,VND,2025-01-01,,,\"a\nb\",x\nD1,An,0166 123 4567,,,2,vnd,1/2/2025,UTC,3,,\n"), true, uint8(0))
	f.Add([]byte("D1,\"An,0912345678\n"), true, uint8(0))
	f.Add([]byte("D3,An,0912345678,+1 415 555 0123,,1,VND,2025-01-01,America/New_York,3,,x\nD4,An,+800 1234 5678,,,1,VND,2025-01-01,Asia/Saigon,,,\n"), true, uint8(1))
	f.Add([]byte(",,,,,,,,,,,\n\n\r\nD2,B\"x,1\n"), true, uint8(5))
	f.Add([]byte(""), false, uint8(0))

	fuzzHeader := strings.Join(rowHeader, ",") + "\n"
	f.Fuzz(func(t *testing.T, data []byte, withHeader bool, batch uint8) {
		if withHeader {
			data = append([]byte(fuzzHeader), data...)
		}
		store := newFakeStore()
		var errs []RowError
		opts := testOptions()
		opts.BatchSize = int(batch%8) + 1
		opts.OnRowError = func(e RowError) { errs = append(errs, e) }
		sum, err := Import(context.Background(), bytes.NewReader(data), store, opts)
		if err != nil {
			switch {
			case errors.Is(err, ErrHeader):
				if sum.Rows != 0 || store.len() != 0 {
					t.Fatalf("rows read despite a bad header: %+v", sum)
				}
			case errors.Is(err, errRecordTooLarge):
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}

		// Every row is imported, refused or blank.
		if sum.Rows != sum.Imported+sum.Failed+sum.Skipped {
			t.Fatalf("rows %d != imported %d + failed %d + skipped %d", sum.Rows, sum.Imported, sum.Failed, sum.Skipped)
		}
		// Every refused row is reported, in file order, and only those.
		if len(errs) != sum.ErrorCount || sum.ErrorCount < sum.Failed {
			t.Fatalf("%d errors reported, ErrorCount %d, Failed %d", len(errs), sum.ErrorCount, sum.Failed)
		}
		failedRows := 0
		for i, e := range errs {
			if e.Line < 2 || e.Reason == "" {
				t.Fatalf("bad row error %+v", e)
			}
			if i == 0 || e.Line != errs[i-1].Line {
				failedRows++
				if i > 0 && e.Line < errs[i-1].Line {
					t.Fatalf("errors out of order: line %d after %d", e.Line, errs[i-1].Line)
				}
			}
		}
		if failedRows != sum.Failed {
			t.Fatalf("errors name %d rows, Failed is %d", failedRows, sum.Failed)
		}
		if want := min(len(errs), maxKeptErrors); len(sum.Errors) != want {
			t.Fatalf("kept %d errors, want %d", len(sum.Errors), want)
		}

		// Warnings are about imported rows only, kept like errors.
		if sum.Warned > sum.Imported || sum.WarningCount < sum.Warned || len(sum.Warnings) != min(sum.WarningCount, maxKeptWarnings) {
			t.Fatalf("warned %d of %d imported rows, %d warnings, %d kept", sum.Warned, sum.Imported, sum.WarningCount, len(sum.Warnings))
		}
		for i, w := range sum.Warnings {
			if w.Line < 2 || w.Column != "timezone" || w.Reason == "" || (i > 0 && w.Line < sum.Warnings[i-1].Line) {
				t.Fatalf("bad row warning %+v", w)
			}
		}

		// Every valid row is in the store, once per debt_id.
		n := store.len()
		if n != sum.Imported-sum.Duplicates || sum.Created != n {
			t.Fatalf("store has %d debts; imported %d, duplicates %d, created %d", n, sum.Imported, sum.Duplicates, sum.Created)
		}
		store.mu.Lock()
		defer store.mu.Unlock()
		for _, d := range store.debts {
			if d.CampaignID != testCampaign || parseDebtID(d.ID) != "" || parseName(d.DebtorName) != "" {
				t.Fatalf("stored invalid debt %+v", d)
			}
			if len(d.Phones) == 0 || len(d.Phones) > 3 {
				t.Fatalf("debt %s has %d phones", d.ID, len(d.Phones))
			}
			for _, p := range d.Phones {
				if again, err := phone.Normalize(p, ""); err != nil || again != p {
					t.Fatalf("debt %s phone %q is not E.164", d.ID, p)
				}
			}
			if a, reason := parseAmount(d.Amount); reason != "" || a != d.Amount {
				t.Fatalf("debt %s amount %q", d.ID, d.Amount)
			}
			if c, reason := parseCurrency(d.Currency); reason != "" || c != d.Currency {
				t.Fatalf("debt %s currency %q", d.ID, d.Currency)
			}
			if d.DueDate.IsZero() || d.DueDate.Location().String() != "UTC" || d.Priority < 0 || d.Priority > maxPriority {
				t.Fatalf("debt %s due %v priority %d", d.ID, d.DueDate, d.Priority)
			}
		}
	})
}
