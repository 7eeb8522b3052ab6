package alerts

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/phone"
)

// Raiser raises alerts: it stores each one once (Store.Raise), logs a new
// one at WARN level and hands it to the notifiers. It is safe for
// concurrent use.
type Raiser struct {
	store     Store
	log       *zap.Logger
	notifiers []Notifier
}

// NewRaiser returns a Raiser on store; log may be nil.
func NewRaiser(store Store, log *zap.Logger, notifiers ...Notifier) *Raiser {
	if log == nil {
		log = zap.NewNop()
	}
	return &Raiser{store: store, log: log, notifiers: notifiers}
}

// Store is the store alerts are raised in.
func (r *Raiser) Store() Store { return r.store }

// DebtFunc reads the debt of an alert, for the log line.
type DebtFunc func(ctx context.Context) (campaign.Debt, error)

// Raise stores the alert and, if it is new, logs it at WARN level and
// notifies. It returns the alert with its ID and whether it is new; an
// alert already raised for the attempt is neither logged at WARN nor sent
// again.
//
// debt, when not nil, is called for a new alert only: the log line then
// shows the debtor's name and numbers masked (phone.MaskName, phone.Mask),
// so that a supervisor reading the log can tell calls apart without the
// log holding personal data. A failure to read the debt is logged, not
// returned.
func (r *Raiser) Raise(ctx context.Context, a Alert, debt DebtFunc) (Alert, bool, error) {
	if err := a.Validate(); err != nil {
		return a, false, err
	}
	stored, created, err := r.store.Raise(ctx, a)
	if err != nil {
		return a, false, fmt.Errorf("raise the %s alert of attempt %s (campaign %s): %w", a.Kind, a.AttemptID, a.CampaignID, err)
	}
	fields := []zap.Field{
		zap.String("alert_id", stored.ID), zap.String("kind", string(stored.Kind)), zap.String("campaign_id", stored.CampaignID),
		zap.String("debt_id", stored.DebtID), zap.String("attempt_id", stored.AttemptID), zap.String("agent_id", stored.AgentID),
	}
	if !created {
		r.log.Info("supervisor alert already raised for this attempt; not raised again", fields...)
		return stored, false, nil
	}
	fields = append(fields, zap.Time("at", stored.At), zap.String("note", stored.Note))
	if debt != nil {
		d, err := debt(ctx)
		if err != nil {
			fields = append(fields, zap.NamedError("debt_error", err))
		} else {
			masked := make([]string, len(d.Phones))
			for i, p := range d.Phones {
				masked[i] = phone.Mask(p)
			}
			fields = append(fields, zap.String("debtor", phone.MaskName(d.DebtorName)), zap.Strings("phones", masked))
		}
	}
	r.log.Warn("SUPERVISOR ALERT: "+string(stored.Kind)+"; acknowledge it with POST /api/v1/alerts/{id}/ack or duecall alerts ack", fields...)
	for _, n := range r.notifiers {
		n.Notify(stored)
	}
	return stored, true, nil
}

// Ack acknowledges an alert in the store (see Store.Ack) and logs it.
func (r *Raiser) Ack(ctx context.Context, id, by string, at time.Time) (Alert, error) {
	a, err := r.store.Ack(ctx, id, by, at)
	if err != nil {
		return a, err
	}
	r.log.Info("supervisor alert acknowledged", zap.String("alert_id", a.ID), zap.String("acked_by", a.AckedBy),
		zap.Time("acked_at", a.AckedAt))
	return a, nil
}

// List lists the alerts of the store (see Store.List).
func (r *Raiser) List(ctx context.Context, opts ListOptions) ([]Alert, error) {
	return r.store.List(ctx, opts)
}

// Unacked counts the unacknowledged alerts of the store (see Store.Unacked).
func (r *Raiser) Unacked(ctx context.Context) (int64, error) { return r.store.Unacked(ctx) }
