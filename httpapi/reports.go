package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/duecall/duecall/report"
)

// Reports builds the reports (service.Reporter implements it).
type Reports interface {
	// Overdue builds a campaign's overdue-cases report as of a date (the
	// zero Date: today in the campaign's zone).
	Overdue(ctx context.Context, campaignID string, asOf report.Date) (report.Report, error)
}

// EnableReports adds the report endpoints, served by r. Call it before
// serving.
//
//	GET /api/v1/campaigns/{id}/reports/overdue[?as_of=YYYY-MM-DD][&format=json|csv]
//
// The reports show debtors' names and numbers in full (they are the call
// centre's work lists): keep the API on a private address or behind an
// authenticating proxy.
func (s *Server) EnableReports(r Reports) {
	h := &reportsAPI{s: s, r: r}
	s.mux.HandleFunc("GET /api/v1/campaigns/{id}/reports/overdue", h.overdue)
}

type reportsAPI struct {
	s *Server
	r Reports
}

func (h *reportsAPI) overdue(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !h.s.configured(w, id) {
		return
	}
	q := r.URL.Query()
	var asOf report.Date
	if v := q.Get("as_of"); v != "" {
		d, err := report.ParseDate(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("as_of: %w", err))
			return
		}
		asOf = d
	}
	format := q.Get("format")
	switch format {
	case "":
		format = report.FormatJSON
	case report.FormatJSON, report.FormatCSV:
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("format=%q is not a report format; expected json (the default) or csv", format))
		return
	}
	rep, err := h.r.Overdue(r.Context(), id, asOf)
	if err != nil {
		h.s.failed(w, "", err) // the error names the report and the campaign
		return
	}
	// The report holds personal data: no cache keeps a copy.
	w.Header().Set("Cache-Control", "no-store")
	if format == report.FormatJSON {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="overdue-%s-%s.csv"`, id, rep.AsOf))
	w.WriteHeader(http.StatusOK)
	if err := report.WriteCSV(w, rep); err != nil {
		h.s.log.Info("overdue report not fully sent", zap.String("campaign_id", id), zap.Error(err))
	}
}
