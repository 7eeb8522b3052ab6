package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
)

func sample() Report {
	return Overdue([]Case{
		{Debt: campaign.Debt{ID: "D1", DebtorName: "Trần Thị Bình", Phones: []string{"+84912000001", "+84912000002"},
			Amount: "1500000", Currency: "VND", DueDate: day("2026-03-01"), State: campaign.StateQueued,
			NextAttemptAt: at("2026-04-01T02:00:00Z"), Attempts: 1},
			Attempts: []campaign.Attempt{{ID: "a1", Outcome: campaign.OutcomeBridged, OriginatedAt: at("2026-03-30T02:00:00Z"),
				BridgedAt: at("2026-03-30T02:00:10Z"), EndedAt: at("2026-03-30T02:05:00Z"), Disposition: campaign.DispositionPromiseToPay}}},
		{Debt: campaign.Debt{ID: "=cmd|' /C calc'!A0", DebtorName: "@SUM(A1)", Phones: []string{"+84912000003"},
			Amount: "20.5", Currency: "USD", DueDate: day("2025-12-01"), State: campaign.StateFinished, FinishReason: "max attempts"},
			Status: compliance.DebtDisputed},
	}, Options{CampaignID: "c1", AsOf: Date{2026, time.March, 31}, Zone: hcm, GeneratedAt: at("2026-03-31T01:00:00Z")})
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatCSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	want := [][]string{
		CSVHeader,
		{"'=cmd|' /C calc'!A0", "'@SUM(A1)", "+84912000003", "", "2025-12-01", "120", "91+", "20.5", "USD", "0", "", "", "", "", "no",
			"finished", "max attempts", "", "disputed"},
		{"D1", "Trần Thị Bình", "+84912000001", "+84912000002", "2026-03-01", "30", "1-30", "1500000", "VND", "1",
			"2026-03-30 09:00", "bridged", "promise_to_pay", "2026-03-30 09:05", "yes", "queued", "", "2026-04-01 09:00", "active"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("CSV\n got %q\nwant %q", recs, want)
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatJSON); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("the JSON does not parse back: %v\n%s", err, buf.String())
	}
	for _, want := range []string{`"as_of": "2026-03-31"`, `"due_date": "2026-03-01"`, `"last_call_at": "2026-03-30T09:00:00+07:00"`,
		`"amounts": {`, `"VND": "1500000"`, `"bucket": "91+"`, `"contacted_pct": 50`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("JSON has no %s:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), `"last_call_at": "0001`) {
		t.Errorf("JSON shows zero times:\n%s", buf.String())
	}
	if got.AsOf != (Date{2026, time.March, 31}) || len(got.Cases) != 2 || got.Total.Amounts["USD"] != "20.5" {
		t.Errorf("JSON read back: %+v", got)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatTable); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{"campaign c1 as of 2026-03-31 (Asia/Ho_Chi_Minh): 2 of 2 debts", "1500000 VND", "20.5 USD",
		"1 (50.0%)", "promise_to_pay 2026-03-30 09:05", "finished: max attempts", "queued until 2026-04-01 09:00"} {
		if !strings.Contains(s, want) {
			t.Errorf("table has no %q:\n%s", want, s)
		}
	}
	if err := Write(io.Discard, sample(), "xml"); err == nil || !strings.Contains(err.Error(), "table, csv, json") {
		t.Errorf("unknown format: %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName("c1", at("2026-03-31T01:02:03Z")))
	if filepath.Base(path) != "overdue-c1-20260331T010203Z.csv" {
		t.Errorf("file name %s", filepath.Base(path))
	}
	if err := WriteFile(path, func(w io.Writer) error { return WriteCSV(w, sample()) }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the report holds personal data", st.Mode().Perm())
	}
	// A failed write leaves neither the file nor a temporary file.
	failed := filepath.Join(dir, "failed.csv")
	boom := errors.New("boom")
	if err := WriteFile(failed, func(w io.Writer) error { w.Write([]byte("half")); return boom }); !errors.Is(err, boom) {
		t.Errorf("WriteFile = %v, want the writer's error", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v; want only the written report", names)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x.csv"), func(io.Writer) error { return nil }); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func TestLastFileTime(t *testing.T) {
	dir := t.TempDir()
	if last, err := LastFileTime(filepath.Join(dir, "none"), "c1"); err != nil || !last.IsZero() {
		t.Errorf("missing dir: %v, %v", last, err)
	}
	for _, name := range []string{
		FileName("c1", at("2026-03-30T01:00:00Z")),
		FileName("c1", at("2026-03-31T01:00:00Z")),
		FileName("c1-b", at("2026-04-02T01:00:00Z")), // another campaign
		FileName("c2", at("2026-04-03T01:00:00Z")),
		"overdue-c1-latest.csv",
		"." + FileName("c1", at("2026-04-04T01:00:00Z")) + ".tmp-123",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	last, err := LastFileTime(dir, "c1")
	if err != nil || !last.Equal(at("2026-03-31T01:00:00Z")) {
		t.Errorf("LastFileTime = %v, %v; want 2026-03-31T01:00:00Z", last, err)
	}
}
