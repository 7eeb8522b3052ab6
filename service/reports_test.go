package service_test

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/report"
	"github.com/duecall/duecall/service"
)

// overdueDebts are two overdue debts (one of them paid, so left out of
// the report) and one due in a month.
func overdueDebts(camp string) []campaign.Debt {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	return []campaign.Debt{
		{ID: "O-1", CampaignID: camp, DebtorName: "Lý Thị Overdue", Phones: []string{"+84912000101"}, Amount: "2500000",
			Currency: "VND", DueDate: today.AddDate(0, 0, -45)},
		{ID: "O-2", CampaignID: camp, DebtorName: "Đinh Văn Paid", Phones: []string{"+84912000102"}, Amount: "4321987",
			Currency: "VND", DueDate: today.AddDate(0, 0, -10)},
		{ID: "O-3", CampaignID: camp, DebtorName: "Mạc Thị Future", Phones: []string{"+84912000103"}, Amount: "5612348",
			Currency: "VND", DueDate: today.AddDate(0, 1, 0)},
	}
}

func TestReporterOverdue(t *testing.T) {
	rs := redistest.New(t)
	ctx := context.Background()
	cfg := baseConfig(t, rs, "http://"+freeAddr(t)+"/ari", testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Campaigns[0].Compliance.Preset = compliance.PresetVN
	store := newStore(rs)
	gate, err := service.NewGate(cfg, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpsertDebts(ctx, cfg.Campaigns[0].Rules(), overdueDebts("c1")); err != nil {
		t.Fatal(err)
	}
	if _, err := gate.SetDebtStatus(ctx, "c1", "O-2", compliance.DebtPaid, "test"); err != nil {
		t.Fatal(err)
	}
	rep, err := service.NewReporter(cfg, store, gate)
	if err != nil {
		t.Fatal(err)
	}
	if z := rep.Zone("c1").String(); z != "Asia/Ho_Chi_Minh" {
		t.Errorf("zone of a vn campaign %s", z)
	}
	got, err := rep.Overdue(ctx, "c1", report.Date{})
	if err != nil {
		t.Fatal(err)
	}
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	if today := report.DateOf(time.Now(), hcm); got.AsOf != today && got.AsOf != report.DateOf(time.Now().Add(-time.Minute), hcm) {
		t.Errorf("as of %s; want today in Ho Chi Minh City, %s", got.AsOf, today)
	}
	if got.DebtsRead != 3 || len(got.Cases) != 1 || got.Cases[0].DebtID != "O-1" || got.Cases[0].Bucket != report.Bucket31To60 {
		t.Errorf("report %+v; want O-1 only, in 31-60", got)
	}
	old, err := rep.Overdue(ctx, "c1", report.Date{Year: 2020, Month: time.January, Day: 1})
	if err != nil || old.Total.Cases != 0 {
		t.Errorf("as of 2020: %+v, %v; want no case", old.Cases, err)
	}
	_, err = rep.Overdue(ctx, "nope", report.Date{})
	if !errors.Is(err, campaign.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "configured: c1") {
		t.Errorf("unknown campaign: %v; want ErrNotFound naming it and the configured ones", err)
	}
}

// TestPeriodicOverdueReports runs the service with reports on and a short
// interval: report files appear, mode 0600, with the debtors' names, while
// the log says how many cases each holds and names nobody.
func TestPeriodicOverdueReports(t *testing.T) {
	rs := redistest.New(t)
	dir := filepath.Join(t.TempDir(), "reports") // created by the service
	cfg := baseConfig(t, rs, "http://"+freeAddr(t)+"/ari", testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Reports.Dir = dir
	// Shorter than config allows (1m): the test waits for a second file.
	cfg.Reports.Overdue.Every = 200 * time.Millisecond
	debts := overdueDebts("c1")
	if _, err := newStore(rs).UpsertDebts(context.Background(), cfg.Campaigns[0].Rules(), debts); err != nil {
		t.Fatal(err)
	}
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t)})

	var files []string
	waitFor(t, 30*time.Second, "two report files", func() bool {
		files, _ = filepath.Glob(filepath.Join(dir, "overdue-c1-*.csv"))
		return len(files) >= 2
	})
	r.shutdown(t)

	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("report directory: %v, %v; want mode 0700", st, err)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", f, st, err)
		}
	}
	in, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rows, err := csv.NewReader(in).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// None of the debts is paid here: O-1 and O-2 are overdue.
	if len(rows) != 3 || rows[1][0] != "O-1" || rows[1][1] != "Lý Thị Overdue" || rows[2][0] != "O-2" {
		t.Errorf("report rows %q", rows)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	l := logs.String()
	if !strings.Contains(l, `"msg":"overdue report written"`) || !strings.Contains(l, `"overdue":2`) || !strings.Contains(l, `"days_31_60":1`) {
		t.Errorf("no log line with the report's counts:\n%s", l)
	}
	var secrets []string
	for _, d := range debts {
		secrets = append(secrets, d.DebtorName, d.Amount)
		secrets = append(secrets, phoneSpellings(d.Phones[0])...)
	}
	logs.assertNoSecrets(t, "debtor's name, number or amount", secrets)
}

// TestPeriodicReportsResume: a restart writes the next report one interval
// after the newest one in the directory, not at once.
func TestPeriodicReportsResume(t *testing.T) {
	rs := redistest.New(t)
	dir := t.TempDir()
	recent := filepath.Join(dir, report.FileName("c1", time.Now().Add(-time.Minute)))
	if err := os.WriteFile(recent, []byte("earlier report\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, rs, "http://"+freeAddr(t)+"/ari", testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Reports.Dir = dir
	cfg.Reports.Overdue.Every = time.Hour
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t)})
	waitFor(t, 30*time.Second, "the report writer to start", func() bool {
		return strings.Contains(logs.String(), "periodic overdue reports on")
	})
	r.shutdown(t)
	files, _ := filepath.Glob(filepath.Join(dir, "overdue-c1-*.csv"))
	if len(files) != 1 || strings.Contains(logs.String(), "overdue report written") {
		t.Errorf("files %v after a restart a minute after the last report; want no new one before an hour", files)
	}
}

func TestReportDirNotWritable(t *testing.T) {
	rs := redistest.New(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, rs, "http://"+freeAddr(t)+"/ari", testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Reports.Dir = filepath.Join(file, "reports") // under a file: fails for root too
	svc, err := service.New(cfg, service.Options{})
	if err == nil {
		svc.Close()
		t.Fatal("service.New accepted a report directory it cannot create")
	}
	for _, want := range []string{"reports.dir", file, "not a directory", `set reports.dir to ""`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q; want it to contain %q", err, want)
		}
	}
	// Reports off: the directory is not looked at.
	cfg.Reports.Overdue.Every = 0
	svc, err = service.New(cfg, service.Options{})
	if err != nil {
		t.Fatalf("reports off: %v", err)
	}
	svc.Close()
}
