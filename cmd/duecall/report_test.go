package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
	"github.com/duecall/duecall/report"
)

func TestReportOverdue(t *testing.T) {
	cleanEnv(t)
	rs := redistest.New(t)
	ctx := context.Background()
	cfg := campaignConfig(t, rs, rs.URL(), "")
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	due := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	if _, err := store.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1"}, []campaign.Debt{
		{ID: "R1", DebtorName: "Hoàng Văn Nam", Phones: []string{"+84912000201"}, Amount: "1500000", Currency: "VND", DueDate: due("2026-03-01")},
		{ID: "R2", DebtorName: "Bùi Thị Hoa", Phones: []string{"+84912000202"}, Amount: "999999999999999999", Currency: "VND", DueDate: due("2025-11-01")},
		{ID: "R3", DebtorName: "Paid Person", Phones: []string{"+84912000203"}, Amount: "5", Currency: "VND", DueDate: due("2025-11-01")},
		{ID: "R4", DebtorName: "Not Due", Phones: []string{"+84912000204"}, Amount: "5", Currency: "VND", DueDate: due("2026-04-15")},
	}); err != nil {
		t.Fatal(err)
	}
	vn, err := compliance.Preset(compliance.PresetVN)
	if err != nil {
		t.Fatal(err)
	}
	gate, err := redisstore.NewGate(store, redisstore.GateOptions{Default: &vn})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gate.SetDebtStatus(ctx, "c1", "R3", compliance.DebtPaid, "test"); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, error) {
		out, errOut, err := execute(ctx, append([]string{"report", "overdue", "--config", cfg}, args...)...)
		return out.String(), errOut.String(), err
	}

	t.Run("csv", func(t *testing.T) {
		out, errOut, err := run("--campaign", "c1", "--as-of", "2026-03-31", "--format", "csv")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("not CSV: %v\n%s", err, out)
		}
		if len(rows) != 3 || rows[1][0] != "R2" || rows[1][1] != "Bùi Thị Hoa" || rows[1][2] != "+84912000202" || rows[1][5] != "150" ||
			rows[2][0] != "R1" || rows[2][5] != "30" {
			t.Errorf("CSV rows %q; want R2 (150 days) then R1 (30 days)", rows)
		}
	})
	t.Run("json, the only campaign by default", func(t *testing.T) {
		out, errOut, err := run("--as-of", "2026-03-31", "--format", "json")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if rep.CampaignID != "c1" || rep.DebtsRead != 4 || rep.Total.Cases != 2 || rep.Total.Amounts["VND"] != "1000000000001499999" {
			t.Errorf("report %+v", rep)
		}
	})
	t.Run("table", func(t *testing.T) {
		out, errOut, err := run("--campaign", "c1", "--as-of", "2026-03-31")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		for _, want := range []string{"as of 2026-03-31 (Asia/Ho_Chi_Minh): 2 of 4 debts", "91+", "1-30", "Hoàng Văn Nam"} {
			if !strings.Contains(out, want) {
				t.Errorf("table has no %q:\n%s", want, out)
			}
		}
	})
	t.Run("to a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "overdue.csv")
		out, errOut, err := run("--campaign", "c1", "--as-of", "2026-03-31", "--output", path)
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		if !strings.Contains(out, "2 overdue cases of 4 debts") || strings.Contains(out, "Hoàng") {
			t.Errorf("output %q; want the counts only", out)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("report file: %v, %v; want mode 0600", st, err)
		}
		data, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(data), strings.Join(report.CSVHeader, ",")+"\n") || !strings.Contains(string(data), "Hoàng Văn Nam") {
			t.Errorf("file is not the CSV report:\n%s", data)
		}
	})

	dead := "--redis-url=redis://" + freeAddr(t) + "/0" // checked before Redis is reached
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"not a date", []string{"--campaign", "c1", "--as-of", "31/03/2026", dead}, []string{"--as-of", `"31/03/2026"`, "YYYY-MM-DD"}},
		{"not a real date", []string{"--campaign", "c1", "--as-of", "2026-02-30", dead}, []string{"--as-of", "not a real date"}},
		{"unknown campaign", []string{"--campaign", "nope", dead}, []string{`--campaign "nope"`, "configured: c1"}},
		{"unknown format", []string{"--format", "xml", dead}, []string{`--format "xml"`, "table, csv, json"}},
		{"redis down", []string{dead}, []string{"unreachable"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(tt.args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q has no %q", err, w)
				}
			}
		})
	}
}
