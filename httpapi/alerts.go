package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/duecall/duecall/alerts"
)

// Alerts is what the alert endpoints need (alerts.Raiser implements it).
type Alerts interface {
	List(ctx context.Context, opts alerts.ListOptions) ([]alerts.Alert, error)
	Ack(ctx context.Context, id, by string, at time.Time) (alerts.Alert, error)
	Unacked(ctx context.Context) (int64, error)
}

// AlertList is the body of GET /api/v1/alerts.
type AlertList struct {
	Alerts []alerts.Alert `json:"alerts"` // newest first
	// Unacked counts every alert kept that nobody acknowledged (also
	// those beyond count).
	Unacked int64 `json:"unacked"`
}

// EnableAlerts adds the supervisor alert endpoints, served by a, and the
// unacknowledged count to GET /api/v1/stats ("unacked_alerts"). Call it
// before serving.
//
//	GET  /api/v1/alerts[?unacked=1][&count=N]   alerts newest first (count 1 to 10000, default 100)
//	POST /api/v1/alerts/{id}/ack                body {"by": "supervisor name"}; 404 for an unknown id
//
// Acknowledging an alert again changes nothing and answers 200 with the
// first acknowledgement. Alerts hold ids only, no debtor's name or number.
func (s *Server) EnableAlerts(a Alerts) {
	s.alerts = a
	h := &alertsAPI{s: s, a: a}
	s.mux.HandleFunc("GET /api/v1/alerts", h.list)
	s.mux.HandleFunc("POST /api/v1/alerts/{id}/ack", h.ack)
}

type alertsAPI struct {
	s *Server
	a Alerts
}

func (h *alertsAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var opts alerts.ListOptions
	switch v := q.Get("unacked"); v {
	case "", "0", "false":
	case "1", "true":
		opts.Unacked = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("unacked=%q: expected 1 (only alerts nobody acknowledged) or 0", v))
		return
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > alerts.MaxListCount {
			writeError(w, http.StatusBadRequest, fmt.Errorf("count=%q: expected a whole number from 1 to %d", v, alerts.MaxListCount))
			return
		}
		opts.Count = n
	}
	list, err := h.a.List(r.Context(), opts)
	if err != nil {
		h.s.failed(w, "list alerts", err)
		return
	}
	n, err := h.a.Unacked(r.Context())
	if err != nil {
		h.s.failed(w, "count unacknowledged alerts", err)
		return
	}
	if list == nil {
		list = []alerts.Alert{}
	}
	writeJSON(w, http.StatusOK, AlertList{Alerts: list, Unacked: n})
}

func (h *alertsAPI) ack(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
	}
	if err := decodeOptional(r, &body); err != nil {
		badBody(w, err)
		return
	}
	if _, err := alerts.CheckAcker(body.By); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf(`%w; send {"by": "supervisor name"}`, err))
		return
	}
	id := r.PathValue("id")
	a, err := h.a.Ack(r.Context(), id, body.By, h.s.now())
	if err != nil {
		h.s.failed(w, "acknowledge alert "+strconv.Quote(id), err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
