// Package httpapi serves duecall's HTTP API: live status and KPI reports for
// supervisors, and the agent actions (log in, pause, ready, end call,
// record a disposition) that an agent's desktop or softphone panel calls.
//
// Routes (JSON in and out):
//
//	GET  /healthz                         process is up
//	GET  /readyz                          PBX connected and store healthy (503 otherwise)
//	GET  /api/v1/stats[?campaign=ID]      KPI counters and rates per campaign, day and agent, queue sizes, live figures
//	GET  /api/v1/status                   the dialer's live status (calls, agents, latency)
//	GET  /api/v1/agents                   agents and their states
//	GET  /api/v1/agents/{id}/call         the agent's current call: attempt and debt (the agent's screen)
//	POST /api/v1/agents/{id}/login        body {"campaign_id": "..."} (optional)
//	POST /api/v1/agents/{id}/logout
//	POST /api/v1/agents/{id}/pause
//	POST /api/v1/agents/{id}/ready
//	POST /api/v1/agents/{id}/hangup       end the agent's current debtor call (409 when the agent has none)
//	POST /api/v1/agents/{id}/disposition  body {"attempt_id": "...", "code": "promise_to_pay"}; only on
//	                                      the agent's own calls (403 otherwise)
//	GET  /api/v1/campaigns/{id}/attempts?after=ID&count=N   the attempt log, phones masked
//	GET  /api/v1/campaigns/{id}/reports/overdue[?as_of=YYYY-MM-DD&format=csv]   overdue cases
//	GET  /api/v1/alerts[?unacked=1&count=N]                 supervisor alerts, newest first
//	POST /api/v1/alerts/{id}/ack          body {"by": "supervisor name"}
//
// With compliance enabled (duecall serve):
//
//	POST   /api/v1/dnc                    body {"numbers": ["+84912345678", ...], "source": "..."}
//	GET    /api/v1/dnc/{number}           whether a number is on the do-not-call list
//	DELETE /api/v1/dnc/{number}
//	POST   /api/v1/campaigns/{id}/debts/{debt}/status   body {"status": "active|paid|disputed|investigation", "source": "..."}
//	POST   /api/v1/campaigns/{id}/debts/{debt}/cease    the debtor asked not to be called (cease-communication)
//	POST   /api/v1/debtors/{key}/cease
//	GET    /api/v1/campaigns/{id}/debts/{debt}/audit    why the debt was or was not called, with its attempts
//
// Every error is JSON, {"error": "..."} with Content-Type application/json:
// 400 a bad request body or value, 404 an unknown agent, campaign, attempt
// or route, 403 a disposition on another agent's call, 405 a route asked
// with another method (the Allow header lists the methods it takes), 409 an
// action the agent's state does not allow, 503 the engine, the PBX or Redis
// unavailable.
//
// The API has no authentication of its own: bind it to a private address
// (the default is 127.0.0.1:8080) or put it behind an authenticating proxy.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer"
)

// Engine is what the API needs from the dialer (dialer.Engine implements it).
type Engine interface {
	Login(ctx context.Context, agentID, campaignID string) error
	Logout(ctx context.Context, agentID string) error
	Pause(ctx context.Context, agentID string) error
	Ready(ctx context.Context, agentID string) error
	EndCall(ctx context.Context, agentID string) error
	Disposition(ctx context.Context, agentID, attemptID, code string) error
	Status(ctx context.Context) dialer.Status
}

var _ Engine = (*dialer.Engine)(nil)

// Dispositions are the wrap-up codes an agent may record. Anything else is
// refused with 400, so that reports stay comparable.
var Dispositions = []string{
	campaign.DispositionPromiseToPay, // debtor promised to pay
	"paid",                           // debtor says they already paid
	"refused",                        // debtor refuses to pay
	"callback",                       // debtor asked to be called later
	"wrong_party",                    // someone else answered
	"wrong_number",                   // the number is not the debtor's
	"answering_machine",              // a machine answered
	"disputed",                       // debtor disputes the debt
	"fraud_suspected",                // supervisor alert at once; the debt goes under investigation (EnableAlerts)
	"no_contact",                     // nobody on the line
	"other",
}

// Server is the HTTP API.
type Server struct {
	engine    Engine
	store     campaign.Store
	campaigns []string
	log       *zap.Logger
	now       func() time.Time
	mux       *http.ServeMux
	alerts    Alerts // nil until EnableAlerts
}

// New builds the API over an engine and a store for the given campaign ids.
func New(engine Engine, store campaign.Store, campaignIDs []string, log *zap.Logger) *Server {
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{engine: engine, store: store, campaigns: campaignIDs, log: log, now: time.Now, mux: http.NewServeMux()}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
// Requests no route takes get JSON errors too (see unrouted).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.mux.Handler(r); pattern == "" && r.RequestURI != "*" {
		unrouted(w, r, h)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.HandleFunc("GET /api/v1/stats", s.stats)
	s.mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.engine.Status(r.Context()))
	})
	s.mux.HandleFunc("GET /api/v1/agents", func(w http.ResponseWriter, r *http.Request) {
		agents := s.engine.Status(r.Context()).Agents
		if agents == nil {
			agents = []dialer.AgentStatus{} // a list, also when the engine is stopped
		}
		writeJSON(w, http.StatusOK, agents)
	})
	s.mux.HandleFunc("GET /api/v1/agents/{id}/call", s.agentCall)
	s.mux.HandleFunc("POST /api/v1/agents/{id}/login", s.login)
	s.mux.HandleFunc("POST /api/v1/agents/{id}/logout", s.agentAction(Engine.Logout))
	s.mux.HandleFunc("POST /api/v1/agents/{id}/pause", s.agentAction(Engine.Pause))
	s.mux.HandleFunc("POST /api/v1/agents/{id}/ready", s.agentAction(Engine.Ready))
	s.mux.HandleFunc("POST /api/v1/agents/{id}/hangup", s.agentAction(Engine.EndCall))
	s.mux.HandleFunc("POST /api/v1/agents/{id}/disposition", s.disposition)
	s.mux.HandleFunc("GET /api/v1/campaigns/{id}/attempts", s.attempts)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	st := s.engine.Status(r.Context())
	var problems []string
	switch {
	case !st.Running:
		// A stopped engine reports nothing else: do not blame the PBX or
		// Redis for it.
		problems = append(problems, "dialer engine is not running")
	default:
		if !st.PBXConnected {
			problems = append(problems, "not connected to the PBX (Asterisk ARI)")
		}
		if !st.StoreHealthy {
			problems = append(problems, "store (Redis) unreachable")
		}
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "problems": problems})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// CampaignStats is one campaign in the stats report.
type CampaignStats struct {
	ID     string                 `json:"id"`
	Name   string                 `json:"name,omitempty"`
	Total  Scope                  `json:"total"`
	Days   map[string]Scope       `json:"days"`
	Agents map[string]Scope       `json:"agents"`
	Queue  campaign.QueueStats    `json:"queue"`
	Live   *dialer.CampaignStatus `json:"live,omitempty"`
}

// Scope is counters with their derived rates.
type Scope struct {
	campaign.Counters
	campaign.KPIs
}

// Stats is the body of GET /api/v1/stats.
type Stats struct {
	GeneratedAt    time.Time            `json:"generated_at"`
	PBXConnected   bool                 `json:"pbx_connected"`
	StoreHealthy   bool                 `json:"store_healthy"`
	ConnectLatency dialer.LatencyStatus `json:"connect_latency"`
	Campaigns      []CampaignStats      `json:"campaigns"`
	// UnackedAlerts counts the supervisor alerts nobody acknowledged (GET
	// /api/v1/alerts); absent when alerts are not enabled.
	UnackedAlerts *int64 `json:"unacked_alerts,omitempty"`
}

func scope(c campaign.Counters) Scope { return Scope{Counters: c, KPIs: c.KPIs()} }

// BuildStats reads the KPI counters of the campaigns from the store and
// joins them with the engine's live status.
func BuildStats(ctx context.Context, engine Engine, store campaign.Store, campaignIDs []string, now time.Time) (Stats, error) {
	st := engine.Status(ctx)
	out := Stats{GeneratedAt: now.UTC(), PBXConnected: st.PBXConnected, StoreHealthy: st.StoreHealthy, ConnectLatency: st.Latency}
	for _, id := range campaignIDs {
		// The queue first: a call's counters and its debt's new state are
		// written in one step, so counters read after the queue include
		// every call of every debt the queue counts as finished.
		q, err := store.QueueStats(ctx, id, now)
		if err != nil {
			return Stats{}, fmt.Errorf("read queue of campaign %s: %w", id, err)
		}
		rep, err := store.Counters(ctx, id)
		if err != nil {
			return Stats{}, fmt.Errorf("read KPI counters of campaign %s: %w", id, err)
		}
		cs := CampaignStats{ID: id, Total: scope(rep.Total), Days: map[string]Scope{}, Agents: map[string]Scope{}, Queue: q}
		for d, c := range rep.Days {
			cs.Days[d] = scope(c)
		}
		for a, c := range rep.Agents {
			cs.Agents[a] = scope(c)
		}
		for i := range st.Campaigns {
			if st.Campaigns[i].ID == id {
				live := st.Campaigns[i]
				cs.Live = &live
				cs.Name = live.Name
			}
		}
		out.Campaigns = append(out.Campaigns, cs)
	}
	return out, nil
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	ids := s.campaigns
	if c := r.URL.Query().Get("campaign"); c != "" {
		if !s.configured(w, c) {
			return
		}
		ids = []string{c}
	}
	st, err := BuildStats(r.Context(), s.engine, s.store, ids, s.now())
	if err != nil {
		s.log.Warn("stats failed", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	if s.alerts != nil {
		n, err := s.alerts.Unacked(r.Context())
		if err != nil {
			s.log.Warn("stats failed", zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("count unacknowledged alerts: %w", err))
			return
		}
		st.UnackedAlerts = &n
	}
	writeJSON(w, http.StatusOK, st)
}

// AgentCall is the body of GET /api/v1/agents/{id}/call.
type AgentCall struct {
	Agent dialer.AgentStatus `json:"agent"`
	Debt  *DebtView          `json:"debt,omitempty"`
}

// DebtView is what the agent's screen shows of the debt being called.
type DebtView struct {
	ID         string            `json:"id"`
	CampaignID string            `json:"campaign_id"`
	DebtorName string            `json:"debtor_name"`
	Phone      string            `json:"phone"`
	Amount     string            `json:"amount"`
	Currency   string            `json:"currency"`
	DueDate    string            `json:"due_date"`
	Attempts   int               `json:"attempts"`
	Notes      string            `json:"notes,omitempty"`
	Profile    map[string]string `json:"profile,omitempty"`
}

func (s *Server) agentCall(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st := s.engine.Status(r.Context())
	for _, a := range st.Agents {
		if a.ID != id {
			continue
		}
		out := AgentCall{Agent: a}
		debtID := a.DebtID
		if debtID == "" && a.State == dialer.AgentWrapUp {
			debtID = a.LastDebtID // the call just ended: the wrap-up screen
		}
		if debtID != "" && a.CampaignID != "" {
			d, err := s.store.Debt(r.Context(), a.CampaignID, debtID)
			if err != nil && !errors.Is(err, campaign.ErrNotFound) {
				writeError(w, http.StatusServiceUnavailable, fmt.Errorf("read debt: %w", err))
				return
			}
			if err == nil {
				out.Debt = &DebtView{ID: d.ID, CampaignID: d.CampaignID, DebtorName: d.DebtorName, Phone: d.Phone(),
					Amount: d.Amount, Currency: d.Currency, DueDate: d.DueDate.Format("2006-01-02"),
					Attempts: d.Attempts, Notes: d.Notes, Profile: d.Profile}
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("agent %q: %w", id, dialer.ErrUnknownAgent))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		CampaignID string `json:"campaign_id"`
	}
	if err := decodeOptional(r, &body); err != nil {
		badBody(w, err)
		return
	}
	s.result(w, r, s.engine.Login(r.Context(), r.PathValue("id"), body.CampaignID))
}

func (s *Server) agentAction(f func(Engine, context.Context, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.result(w, r, f(s.engine, r.Context(), r.PathValue("id")))
	}
}

func (s *Server) disposition(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AttemptID string `json:"attempt_id"`
		Code      string `json:"code"`
	}
	if err := decodeOptional(r, &body); err != nil {
		badBody(w, err)
		return
	}
	if body.AttemptID == "" {
		writeError(w, http.StatusBadRequest, errors.New(`"attempt_id" is required: the attempt id shown in GET /api/v1/agents/{id}/call`))
		return
	}
	if !contains(Dispositions, body.Code) {
		writeError(w, http.StatusBadRequest, fmt.Errorf("disposition code %q is not known; use one of %v", body.Code, Dispositions))
		return
	}
	s.result(w, r, s.engine.Disposition(r.Context(), r.PathValue("id"), body.AttemptID, body.Code))
}

func (s *Server) attempts(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.configured(w, id) {
		return
	}
	count := 100
	if v := r.URL.Query().Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("count=%q: expected a whole number from 1 to 10000", v))
			return
		}
		count = n
	}
	after := r.URL.Query().Get("after")
	list, next, err := s.store.Attempts(r.Context(), id, after, count)
	switch {
	case errors.Is(err, campaign.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Errorf("after=%q: no such attempt in campaign %s (use the \"next\" of the previous page)", after, id))
		return
	case errors.Is(err, campaign.ErrInvalid):
		writeError(w, http.StatusBadRequest, fmt.Errorf("read attempts: %w", err))
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("read attempts: %w", err))
		return
	}
	if list == nil {
		list = []campaign.Attempt{}
	}
	for i := range list {
		list[i].Phone = dialer.MaskPhone(list[i].Phone)
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": list, "next": next})
}

// result writes the outcome of an agent action: 200, or the error's status
// with a message for the caller (callerMessage); the full error of a
// failure of duecall itself (500) goes to the log.
func (s *Server) result(w http.ResponseWriter, r *http.Request, err error) {
	var status int
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	case errors.Is(err, dialer.ErrUnknownAgent), errors.Is(err, dialer.ErrUnknownCampaign), errors.Is(err, campaign.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, campaign.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, dialer.ErrAgentState), errors.Is(err, dialer.ErrNotOnCall):
		status = http.StatusConflict
	case errors.Is(err, campaign.ErrWrongAgent):
		status = http.StatusForbidden
	case errors.Is(err, dialer.ErrNotRunning), errors.Is(err, dialer.ErrShuttingDown), errors.Is(err, dialer.ErrDisconnected):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
	default:
		s.log.Warn("agent action failed", zap.String("path", r.URL.Path), zap.Error(err))
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]string{"error": callerMessage(err, r.PathValue("id"))})
}

// decodeOptional decodes a JSON body if there is one; unknown fields are
// errors so that typos are caught.
func decodeOptional(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("request body: %w", err)
	}
	if dec.More() {
		return errors.New("request body: unexpected data after the JSON object")
	}
	return nil
}

// badBody answers a request whose body could not be read: 413 when it is
// too large, else 400.
func badBody(w http.ResponseWriter, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, err)
		return
	}
	writeError(w, http.StatusBadRequest, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError writes {"error": "..."}: err's text without the package
// prefixes of duecall's errors.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": withoutPrefixes(err.Error())})
}

// configured reports whether the campaign is one the API serves; when it
// is not, it answers 404 naming those it serves.
func (s *Server) configured(w http.ResponseWriter, campaignID string) bool {
	if contains(s.campaigns, campaignID) {
		return true
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("campaign %q is not configured; configured campaigns: %s", campaignID, strings.Join(s.campaigns, ", ")))
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
