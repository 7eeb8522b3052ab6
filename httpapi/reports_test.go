package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/httpapi"
	"github.com/duecall/duecall/report"
)

// fakeReports returns a fixed report and remembers what it was asked.
type fakeReports struct {
	err      error
	campaign string
	asOf     report.Date
}

func (f *fakeReports) Overdue(_ context.Context, campaignID string, asOf report.Date) (report.Report, error) {
	f.campaign, f.asOf = campaignID, asOf
	if f.err != nil {
		return report.Report{}, f.err
	}
	if asOf.IsZero() {
		asOf = report.Date{Year: 2026, Month: time.March, Day: 31}
	}
	due := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	return report.Overdue([]report.Case{{Debt: campaign.Debt{ID: "D1", DebtorName: "Vũ Thị Lan", Phones: []string{"+84912000001"},
		Amount: "1500000", Currency: "VND", DueDate: due, State: campaign.StateQueued}}},
		report.Options{CampaignID: campaignID, AsOf: asOf}), nil
}

func TestOverdueReportEndpoint(t *testing.T) {
	f := &fakeReports{}
	api := httpapi.New(cmpEngine{}, nil, []string{"c1", "c2"}, nil)
	api.EnableReports(f)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}

	t.Run("json", func(t *testing.T) {
		rec := get("/api/v1/campaigns/c1/reports/overdue")
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("GET = %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q; the report holds personal data", rec.Header().Get("Cache-Control"))
		}
		var rep report.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if f.campaign != "c1" || !f.asOf.IsZero() || len(rep.Cases) != 1 || rep.Cases[0].DaysPastDue != 75 || rep.Total.Amounts["VND"] != "1500000" {
			t.Errorf("asked %s as of %v; report %+v", f.campaign, f.asOf, rep)
		}
	})
	t.Run("csv as of a date", func(t *testing.T) {
		rec := get("/api/v1/campaigns/c2/reports/overdue?as_of=2026-02-14&format=csv")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("GET = %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="overdue-c2-2026-02-14.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if f.campaign != "c2" || f.asOf != (report.Date{Year: 2026, Month: time.February, Day: 14}) {
			t.Errorf("asked %s as of %v", f.campaign, f.asOf)
		}
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || !slices.Equal(rows[0], report.CSVHeader) || rows[1][1] != "Vũ Thị Lan" || rows[1][5] != "30" {
			t.Errorf("CSV %q", rows)
		}
	})

	for _, tt := range []struct {
		name, path string
		err        error
		code       int
		want       []string
	}{
		{"unknown campaign", "/api/v1/campaigns/nope/reports/overdue", nil, 404, []string{`\"nope\"`, "c1, c2"}},
		{"not a date", "/api/v1/campaigns/c1/reports/overdue?as_of=31/03/2026", nil, 400, []string{"as_of", "YYYY-MM-DD"}},
		{"not a real date", "/api/v1/campaigns/c1/reports/overdue?as_of=2026-02-30", nil, 400, []string{"as_of", "not a real date"}},
		{"unknown format", "/api/v1/campaigns/c1/reports/overdue?format=xlsx", nil, 400, []string{`format=\"xlsx\"`, "json", "csv"}},
		{"redis down", "/api/v1/campaigns/c1/reports/overdue", errors.New("redis: connection refused"), 503, []string{"connection refused"}},
		{"not found by the reporter", "/api/v1/campaigns/c1/reports/overdue", fmt.Errorf("campaign: %w", campaign.ErrNotFound), 404, nil},
		{"timeout", "/api/v1/campaigns/c1/reports/overdue", context.DeadlineExceeded, 504, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.err = tt.err
			defer func() { f.err = nil }()
			rec := get(tt.path)
			if rec.Code != tt.code {
				t.Errorf("GET %s = %d, want %d\n%s", tt.path, rec.Code, tt.code, rec.Body)
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %s has no %s", rec.Body, w)
				}
			}
		})
	}
	if rec := get("/api/v1/campaigns/c1/reports/overdue"); rec.Code != http.StatusOK {
		t.Errorf("after the errors: %d", rec.Code)
	}
}

// TestNoContactDispositionsAreDispositions: the report's list of codes
// that are no contact names codes agents can record.
func TestNoContactDispositionsAreDispositions(t *testing.T) {
	for _, code := range report.NoContactDispositions {
		if !slices.Contains(httpapi.Dispositions, code) {
			t.Errorf("report.NoContactDispositions has %q, which is not in httpapi.Dispositions", code)
		}
	}
}

// TestUnknownCampaign: every route that names a campaign answers one the
// API does not serve with 404, naming it and the campaigns it serves.
func TestUnknownCampaign(t *testing.T) {
	api := httpapi.New(cmpEngine{}, nil, []string{"c1", "c2"}, nil)
	api.EnableReports(&fakeReports{})
	api.EnableCompliance(brokenCompliance{}, "VN")
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/api/v1/stats?campaign=nope", ""},
		{"GET", "/api/v1/campaigns/nope/attempts", ""},
		{"GET", "/api/v1/campaigns/nope/reports/overdue", ""},
		{"POST", "/api/v1/campaigns/nope/debts/d1/status", `{"status": "paid"}`},
		{"POST", "/api/v1/campaigns/nope/debts/d1/cease", `{"cease": true}`},
		{"GET", "/api/v1/campaigns/nope/debts/d1/audit", ""},
	} {
		code, body := cmpRequest(t, api, tt.method, tt.path, tt.body)
		if code != http.StatusNotFound || !strings.Contains(body, `campaign \"nope\" is not configured; configured campaigns: c1, c2`) {
			t.Errorf("%s %s = %d %s; want 404 naming the campaign and the configured ones", tt.method, tt.path, code, body)
		}
	}
}
