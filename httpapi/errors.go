package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/dialer"
)

// Every error of the API is a JSON object {"error": "..."} with Content-Type
// application/json: those of the handlers (writeError), and those of
// requests no route takes, which the mux would answer in plain text
// (unrouted).

// unrouted answers a request that no route takes: 405 with the Allow header
// of the mux when the path has routes for other methods, else 404. The mux
// decides which (h is the handler mux.Handler returned for the request);
// only its plain-text body is replaced.
func unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	where := r.Method + " " + r.URL.Path
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s: method not allowed; this route takes %s", where, allow))
		return
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("%s: no such route (the routes are /healthz, /readyz and those under /api/v1/, listed in the httpapi package documentation)", where))
}

// failed answers a request whose call to the compliance gate, the alert
// store or the reporter failed; what, unless "", says what the request was
// doing and starts the message. 404: what the request names does not
// exist; 400: the request is invalid; 504: the request's context ended;
// else 503, logged (the errors name campaigns, debts and alerts by id and
// mask numbers; the path, which may hold a number, is not logged).
func (s *Server) failed(w http.ResponseWriter, what string, err error) {
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case errors.Is(err, campaign.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, campaign.ErrInvalid), errors.Is(err, compliance.ErrSyntax):
		writeError(w, http.StatusBadRequest, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, err)
	default:
		s.log.Warn("request failed", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, err)
	}
}

// headerProbe records the status and headers a handler writes and drops
// the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }

func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// internalPrefixes start the errors of duecall's packages ("redisstore:
// read attempts of campaign c1: ..."): useful in the log, noise to the
// API's caller.
var internalPrefixes = []string{"redisstore", "dialer", "ari"}

// callerMessage is the message for the API's caller of an error of the
// engine or the store: for an attempt the campaign does not have, which
// attempt id to use instead; otherwise the error's own text without
// package prefixes. agentID is the agent of the request.
func callerMessage(err error, agentID string) string {
	var ae *dialer.AttemptError
	if errors.As(err, &ae) {
		if errors.Is(err, campaign.ErrNotFound) {
			return fmt.Sprintf("attempt %s is not known in campaign %s: use the attempt_id shown by GET /api/v1/agents/%s/call",
				ae.AttemptID, ae.CampaignID, agentID)
		}
		if errors.Is(err, campaign.ErrWrongAgent) {
			return fmt.Sprintf("attempt %s of campaign %s was not agent %s's call: agents record wrap-up codes only on calls they took",
				ae.AttemptID, ae.CampaignID, agentID)
		}
		return fmt.Sprintf("attempt %s of campaign %s: %s", ae.AttemptID, ae.CampaignID, withoutPrefixes(ae.Err.Error()))
	}
	return withoutPrefixes(err.Error())
}

// withoutPrefixes drops the package prefixes that start msg or one of its
// ": "-separated parts.
func withoutPrefixes(msg string) string {
	for _, p := range internalPrefixes {
		msg = strings.TrimPrefix(msg, p+": ")
		msg = strings.ReplaceAll(msg, ": "+p+": ", ": ")
	}
	return msg
}
