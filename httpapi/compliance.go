package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/phone"
)

// Compliance is what the compliance endpoints need: the do-not-call list,
// debt statuses, cease-communication flags and the audit
// (redisstore.Gate implements it).
type Compliance interface {
	AddDoNotCall(ctx context.Context, numbers []string, source string) (int, error)
	RemoveDoNotCall(ctx context.Context, numbers []string) (removed, reopened int, err error)
	DoNotCall(ctx context.Context, numbers []string) ([]compliance.Flag, error)
	SetDebtStatus(ctx context.Context, campaignID, debtID string, st compliance.DebtStatus, source string) (bool, error)
	SetCease(ctx context.Context, debtorKey string, on bool, source string) (int, error)
	DebtorKey(ctx context.Context, campaignID, debtID string) (string, error)
	Audit(ctx context.Context, campaignID, debtID string) (compliance.DebtAudit, error)
}

// maxNumbersPerRequest bounds a do-not-call request.
const maxNumbersPerRequest = 10_000

// EnableCompliance adds the compliance endpoints, served by c; numbers
// written without a country code are read in defaultRegion (ISO 3166-1,
// dialer.default_region). Call it before serving.
//
//	POST   /api/v1/dnc                                    {"numbers": [...], "source": "..."}
//	GET    /api/v1/dnc/{number}
//	DELETE /api/v1/dnc/{number}
//	POST   /api/v1/campaigns/{id}/debts/{debt}/status     {"status": "paid", "source": "..."}
//	POST   /api/v1/campaigns/{id}/debts/{debt}/cease      {"cease": true, "source": "..."}
//	POST   /api/v1/debtors/{key}/cease                    {"cease": true, "source": "..."}
//	GET    /api/v1/campaigns/{id}/debts/{debt}/audit
//
// Responses show numbers masked.
func (s *Server) EnableCompliance(c Compliance, defaultRegion string) {
	h := &complianceAPI{s: s, c: c, region: defaultRegion}
	s.mux.HandleFunc("POST /api/v1/dnc", h.addDNC)
	s.mux.HandleFunc("GET /api/v1/dnc/{number}", h.getDNC)
	s.mux.HandleFunc("DELETE /api/v1/dnc/{number}", h.removeDNC)
	s.mux.HandleFunc("POST /api/v1/campaigns/{id}/debts/{debt}/status", h.status)
	s.mux.HandleFunc("POST /api/v1/campaigns/{id}/debts/{debt}/cease", h.ceaseDebt)
	s.mux.HandleFunc("POST /api/v1/debtors/{key}/cease", h.ceaseDebtor)
	s.mux.HandleFunc("GET /api/v1/campaigns/{id}/debts/{debt}/audit", h.audit)
}

type complianceAPI struct {
	s      *Server
	c      Compliance
	region string
}

// normalize reads numbers as E.164; errors name the position, never the
// number.
func (h *complianceAPI) normalize(raw []string) ([]string, error) {
	out := make([]string, 0, len(raw))
	for i, n := range raw {
		e164, err := phone.Normalize(n, h.region)
		if err != nil {
			return nil, fmt.Errorf("number #%d: %w", i+1, err)
		}
		out = append(out, e164)
	}
	return out, nil
}

func source(given, def string) string {
	if s := strings.TrimSpace(given); s != "" {
		return s
	}
	return def
}

func masked(numbers []string) []string {
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = phone.Mask(n)
	}
	return out
}

func (h *complianceAPI) addDNC(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Numbers []string `json:"numbers"`
		Source  string   `json:"source"`
	}
	if err := decodeOptional(r, &body); err != nil {
		badBody(w, err)
		return
	}
	if len(body.Numbers) == 0 || len(body.Numbers) > maxNumbersPerRequest {
		writeError(w, http.StatusBadRequest, fmt.Errorf(`"numbers" must list 1 to %d numbers`, maxNumbersPerRequest))
		return
	}
	numbers, err := h.normalize(body.Numbers)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	added, err := h.c.AddDoNotCall(r.Context(), numbers, source(body.Source, "http api"))
	if err != nil {
		h.s.failed(w, "add to the do-not-call list", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"added": added, "numbers": masked(numbers)})
}

func (h *complianceAPI) pathNumber(w http.ResponseWriter, r *http.Request) (string, bool) {
	numbers, err := h.normalize([]string{r.PathValue("number")})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return "", false
	}
	return numbers[0], true
}

func (h *complianceAPI) getDNC(w http.ResponseWriter, r *http.Request) {
	n, ok := h.pathNumber(w, r)
	if !ok {
		return
	}
	flags, err := h.c.DoNotCall(r.Context(), []string{n})
	if err == nil && len(flags) != 1 {
		err = fmt.Errorf("%d answers for %s, want 1", len(flags), phone.Mask(n))
	}
	if err != nil {
		h.s.failed(w, "read the do-not-call list", err)
		return
	}
	f := flags[0]
	f.Number = phone.Mask(f.Number)
	writeJSON(w, http.StatusOK, f)
}

func (h *complianceAPI) removeDNC(w http.ResponseWriter, r *http.Request) {
	n, ok := h.pathNumber(w, r)
	if !ok {
		return
	}
	removed, reopened, err := h.c.RemoveDoNotCall(r.Context(), []string{n})
	if err != nil {
		h.s.failed(w, "remove from the do-not-call list", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": phone.Mask(n), "removed": removed == 1, "reopened": reopened})
}

// debtPath checks the campaign of a debt path.
func (h *complianceAPI) debtPath(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	id, debt := r.PathValue("id"), r.PathValue("debt")
	if !h.s.configured(w, id) {
		return "", "", false
	}
	return id, debt, true
}

func (h *complianceAPI) status(w http.ResponseWriter, r *http.Request) {
	id, debt, ok := h.debtPath(w, r)
	if !ok {
		return
	}
	var body struct {
		Status string `json:"status"`
		Source string `json:"source"`
	}
	if err := decodeOptional(r, &body); err != nil {
		badBody(w, err)
		return
	}
	st, err := compliance.ParseDebtStatus(body.Status)
	if err != nil || strings.TrimSpace(body.Status) == "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf(`"status" must be active, paid, disputed or investigation, not %q`, body.Status))
		return
	}
	reopened, err := h.c.SetDebtStatus(r.Context(), id, debt, st, source(body.Source, "http api"))
	if err != nil {
		h.s.failed(w, "set the debt's status", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaign_id": id, "debt_id": debt, "status": st, "reopened": reopened})
}

type ceaseBody struct {
	Cease  *bool  `json:"cease"`
	Source string `json:"source"`
}

func (h *complianceAPI) readCease(w http.ResponseWriter, r *http.Request) (ceaseBody, bool) {
	var body ceaseBody
	if err := decodeOptional(r, &body); err != nil {
		badBody(w, err)
		return body, false
	}
	if body.Cease == nil {
		writeError(w, http.StatusBadRequest, errors.New(`"cease" is required: true to stop all calls to the debtor, false to allow them again`))
		return body, false
	}
	return body, true
}

func (h *complianceAPI) setCease(w http.ResponseWriter, r *http.Request, key string, body ceaseBody) {
	reopened, err := h.c.SetCease(r.Context(), key, *body.Cease, source(body.Source, "http api"))
	if err != nil {
		h.s.failed(w, "set cease communication", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"debtor_key": key, "cease": *body.Cease, "reopened": reopened})
}

func (h *complianceAPI) ceaseDebt(w http.ResponseWriter, r *http.Request) {
	id, debt, ok := h.debtPath(w, r)
	if !ok {
		return
	}
	body, ok := h.readCease(w, r)
	if !ok {
		return
	}
	key, err := h.c.DebtorKey(r.Context(), id, debt)
	if err != nil {
		h.s.failed(w, "find the debt's debtor", err)
		return
	}
	h.setCease(w, r, key, body)
}

func (h *complianceAPI) ceaseDebtor(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readCease(w, r)
	if !ok {
		return
	}
	h.setCease(w, r, r.PathValue("key"), body)
}

func (h *complianceAPI) audit(w http.ResponseWriter, r *http.Request) {
	id, debt, ok := h.debtPath(w, r)
	if !ok {
		return
	}
	a, err := h.c.Audit(r.Context(), id, debt)
	if err != nil {
		h.s.failed(w, "audit", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
