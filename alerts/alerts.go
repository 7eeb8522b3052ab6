// Package alerts raises supervisor alerts. When an agent records a wrap-up
// code that needs a supervisor at once (fraud_suspected), an Alert is
// appended to a Store (at most once per attempt and kind), logged at WARN
// level with the debtor masked, and handed to Notifiers such as a Webhook,
// which deliver it in the background. Supervisors list alerts and
// acknowledge them.
//
// The package holds the domain types and the wiring that does not depend
// on Redis; redisstore.Alerts implements Store.
package alerts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Kind names what an alert is about.
type Kind string

// KindFraudSuspected: an agent suspects fraud on a call (the wrap-up code
// campaign.DispositionFraudSuspected). The debt is put under investigation
// and is not called again.
const KindFraudSuspected Kind = campaign.DispositionFraudSuspected

// KindOf returns the kind of alert an agent's wrap-up code raises, if any.
func KindOf(code string) (Kind, bool) {
	if code == campaign.DispositionFraudSuspected {
		return KindFraudSuspected, true
	}
	return "", false
}

// Alert is one supervisor alert. It holds ids, never a debtor's name or
// number.
type Alert struct {
	// ID is given by the Store when the alert is raised; it orders alerts
	// by the time they were raised.
	ID         string    `json:"id"`
	Kind       Kind      `json:"kind"`
	CampaignID string    `json:"campaign_id"`
	DebtID     string    `json:"debt_id"`
	AttemptID  string    `json:"attempt_id"`
	AgentID    string    `json:"agent_id"`
	At         time.Time `json:"at"`             // when the agent recorded it
	Note       string    `json:"note,omitempty"` // one line, no personal data
	// AckedBy and AckedAt are set once a supervisor acknowledged the alert.
	AckedBy string    `json:"acked_by,omitempty"`
	AckedAt time.Time `json:"acked_at,omitzero"`
}

// Acked reports whether a supervisor acknowledged the alert.
func (a Alert) Acked() bool { return !a.AckedAt.IsZero() }

// MaxFieldLength bounds the ids, the note and the acknowledger's name.
const MaxFieldLength = 256

// Validate checks an alert before it is raised; errors wrap
// campaign.ErrInvalid.
func (a Alert) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"kind", string(a.Kind)}, {"campaign_id", a.CampaignID}, {"debt_id", a.DebtID}, {"attempt_id", a.AttemptID},
	} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("alert: %s is empty: %w", f.name, campaign.ErrInvalid)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"kind", string(a.Kind)}, {"campaign_id", a.CampaignID}, {"debt_id", a.DebtID}, {"attempt_id", a.AttemptID},
		{"agent_id", a.AgentID}, {"note", a.Note},
	} {
		if len(f.v) > MaxFieldLength {
			return fmt.Errorf("alert: %s is longer than %d bytes: %w", f.name, MaxFieldLength, campaign.ErrInvalid)
		}
	}
	if a.At.IsZero() {
		return fmt.Errorf("alert: time is not set: %w", campaign.ErrInvalid)
	}
	return nil
}

// Note is the note of an alert raised from an agent's wrap-up code.
func Note(kind Kind, agentID string) string {
	switch kind {
	case KindFraudSuspected:
		return fmt.Sprintf("agent %s suspects fraud; the debt is under investigation and will not be called", agentID)
	}
	return fmt.Sprintf("agent %s recorded %s", agentID, kind)
}

// ListOptions select the alerts List returns.
type ListOptions struct {
	// Unacked keeps only the alerts nobody acknowledged.
	Unacked bool
	// Count is the most alerts returned (0: DefaultListCount).
	Count int
}

// Limits of List.
const (
	DefaultListCount = 100
	MaxListCount     = 10_000
)

// Store keeps alerts. Implementations must be safe for concurrent use, also
// by several processes sharing one backend.
type Store interface {
	// Raise appends the alert and returns it with its ID, and true. If an
	// alert of the same kind was already raised for the same campaign and
	// attempt, nothing is appended and Raise returns that alert's ID and
	// false: raising is idempotent per attempt.
	Raise(ctx context.Context, a Alert) (Alert, bool, error)
	// List returns the alerts still kept, newest first.
	List(ctx context.Context, opts ListOptions) ([]Alert, error)
	// Ack records that by acknowledged the alert at at and returns it.
	// Acknowledging it again changes nothing (the first acknowledgement
	// stays). An unknown id is campaign.ErrNotFound; an empty by is
	// campaign.ErrInvalid.
	Ack(ctx context.Context, id, by string, at time.Time) (Alert, error)
	// Unacked counts the alerts kept that nobody acknowledged.
	Unacked(ctx context.Context) (int64, error)
}

// Notifier is told of every new alert, after it was stored. Notify must
// not block: slow deliveries run in the background.
type Notifier interface {
	Notify(a Alert)
}

// CheckAcker checks the name of whoever acknowledges an alert.
func CheckAcker(by string) (string, error) {
	by = strings.TrimSpace(by)
	switch {
	case by == "":
		return "", fmt.Errorf(`alert acknowledgement: %w: "by" is empty; give the name of the supervisor who acknowledges it`, campaign.ErrInvalid)
	case len(by) > MaxFieldLength:
		return "", fmt.Errorf(`alert acknowledgement: %w: "by" is longer than %d bytes`, campaign.ErrInvalid, MaxFieldLength)
	case strings.ContainsFunc(by, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "", fmt.Errorf(`alert acknowledgement: %w: "by" contains control characters`, campaign.ErrInvalid)
	}
	return by, nil
}
