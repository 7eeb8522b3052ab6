package dialer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// TestFraudSuspectedStopsCalls runs the engine on the store the service
// builds (Redis store, compliance gate, escalation): an agent who records
// fraud_suspected puts the debt under investigation, so that it is not
// called again when its retry is due, and raises exactly one supervisor
// alert, although the code is recorded twice (during the call and after).
func TestFraudSuspectedStopsCalls(t *testing.T) {
	r := redistest.New(t)
	store := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	pol, _, err := compliance.Resolve(compliance.PresetNone, compliance.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	gate, err := redisstore.NewGate(store, redisstore.GateOptions{Default: &pol})
	if err != nil {
		t.Fatal(err)
	}
	x, err := redisstore.NewAlerts(store, redisstore.AlertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notified := make(chan alerts.Alert, 10)
	es := alerts.NewEscalatingStore(campaign.NewGatedStore(store, gate, 0), store, alerts.NewRaiser(x, nil, notifyFunc(func(a alerts.Alert) {
		notified <- a
	})))
	// Without the investigation, a bridged debt would be called again in
	// an hour.
	rules := campaign.Rules{CampaignID: campID, Retry: campaign.DefaultRetry()}
	rules.Retry[campaign.OutcomeBridged] = campaign.RetryRule{Action: campaign.RetryLater, Delay: time.Hour}
	h := newHarness(t, func(o *dialer.Options) {
		o.Store = es
		o.Campaigns[0].Rules = rules
	})
	ctx := context.Background()
	d := campaign.Debt{ID: "d1", CampaignID: campID, DebtorName: "Nguyen Van A", Phones: []string{"+84912345671"},
		Amount: "1500000", Currency: "VND", DueDate: t0.Add(-24 * time.Hour)}
	if _, err := store.UpsertDebts(ctx, rules, []campaign.Debt{d}); err != nil {
		t.Fatal(err)
	}
	h.login("a1")
	h.until("the debtor is called", 5*time.Second, func() bool { return len(h.debtorOriginates()) == 1 })
	call := h.debtorOriginates()[0].ChannelID
	h.until("the debtor talks to a1", 5*time.Second, func() bool { return h.agent("a1").State == dialer.AgentOnCall })

	// During the call: written right after the attempt.
	if err := h.e.Disposition(ctx, "a1", call, campaign.DispositionFraudSuspected); err != nil {
		t.Fatal(err)
	}
	if err := h.e.EndCall(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	// After the call, again: written at once, no second alert.
	if err := h.e.Disposition(ctx, "a1", call, campaign.DispositionFraudSuspected); err != nil {
		t.Fatal(err)
	}

	st, _, err := gate.DebtStatus(ctx, campID, "d1")
	if err != nil || st != compliance.DebtInvestigation {
		t.Fatalf("debt status %s, %v; want investigation", st, err)
	}
	// The retry falls due: the claim finishes the debt instead of dialling.
	h.clk.Advance(time.Hour)
	h.settle()
	h.advance(5 * time.Second)
	if n := len(h.debtorOriginates()); n != 1 {
		t.Fatalf("%d calls to the debtor; want 1 (no call after fraud_suspected)", n)
	}
	got, err := store.Debt(ctx, campID, "d1")
	if err != nil || got.State != campaign.StateFinished || !strings.Contains(got.FinishReason, compliance.RuleDebtInvestigation) {
		t.Fatalf("debt %s %q, %v; want finished by %s", got.State, got.FinishReason, err, compliance.RuleDebtInvestigation)
	}

	list, err := x.List(ctx, alerts.ListOptions{})
	if err != nil || len(list) != 1 {
		t.Fatalf("alerts %+v, %v; want exactly one", list, err)
	}
	a := list[0]
	if a.Kind != alerts.KindFraudSuspected || a.CampaignID != campID || a.DebtID != "d1" || a.AttemptID != call || a.AgentID != "a1" {
		t.Errorf("alert %+v", a)
	}
	if n, err := x.Unacked(ctx); err != nil || n != 1 {
		t.Errorf("Unacked = %d, %v; want 1", n, err)
	}
	if len(notified) != 1 {
		t.Errorf("notified %d times; want once", len(notified))
	}
	atts, _, err := store.Attempts(ctx, campID, "", 10)
	if err != nil || len(atts) != 1 || atts[0].Disposition != campaign.DispositionFraudSuspected {
		t.Errorf("attempts %+v, %v; want the one call with its disposition", atts, err)
	}
}

type notifyFunc func(alerts.Alert)

func (f notifyFunc) Notify(a alerts.Alert) { f(a) }
