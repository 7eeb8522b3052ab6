package alerts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/internal/syncbuf"
	"github.com/duecall/duecall/phone"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// logBuffer is a JSON log at debug level, safe for concurrent writes.
type logBuffer struct{ syncbuf.Buffer }

func (b *logBuffer) Sync() error { return nil }

func (b *logBuffer) logger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, b, zapcore.DebugLevel))
}

// recorder is a Notifier that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	got []alerts.Alert
}

func (r *recorder) Notify(a alerts.Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
}

func (r *recorder) alerts() []alerts.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alerts.Alert(nil), r.got...)
}

const (
	debtorName  = "Nguyễn Thị Hồng Nhung"
	debtorPhone = "+84912345678"
	otherPhone  = "+84987654321"
)

// env is a gated Redis store wrapped by an EscalatingStore, as the service
// builds it, with one debt called once (bridged, attempt "att-1").
type env struct {
	store *redisstore.Store
	gate  *redisstore.Gate
	x     *redisstore.Alerts
	s     *alerts.EscalatingStore
	notes *recorder
	logs  *logBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
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
	e := &env{store: store, gate: gate, x: x, notes: &recorder{}, logs: &logBuffer{}}
	e.s = alerts.NewEscalatingStore(campaign.NewGatedStore(store, gate, 0), store, alerts.NewRaiser(x, e.logs.logger(), e.notes))

	ctx := ctxT(t)
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	d := campaign.Debt{ID: "d1", CampaignID: "c1", DebtorName: debtorName, Phones: []string{debtorPhone, otherPhone},
		Amount: "100", Currency: "VND", DueDate: now.Add(-24 * time.Hour)}
	if _, err := e.s.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1"}, []campaign.Debt{d}); err != nil {
		t.Fatal(err)
	}
	l, err := e.s.Claim(ctx, "c1", "test", now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a := campaign.Attempt{ID: "att-1", CampaignID: "c1", DebtID: "d1", Phone: debtorPhone, AgentID: "101",
		Outcome: campaign.OutcomeBridged, OriginatedAt: now, AnsweredAt: now.Add(5 * time.Second),
		BridgedAt: now.Add(6 * time.Second), EndedAt: now.Add(time.Minute)}
	// Called again in an hour, unless something stops it.
	if err := e.s.Complete(ctx, l, a, campaign.Schedule{NextAttemptAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFraudSuspectedEscalates: the fraud_suspected code puts the debt
// under investigation, so that it is not called again, and raises exactly
// one alert, however often it is recorded; the log shows the debtor
// masked only.
func TestFraudSuspectedEscalates(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	at := time.Date(2026, 3, 10, 3, 1, 0, 0, time.UTC)
	for range 3 {
		if err := e.s.SetDisposition(ctx, "c1", "att-1", "101", campaign.DispositionFraudSuspected, at); err != nil {
			t.Fatal(err)
		}
	}
	st, _, err := e.gate.DebtStatus(ctx, "c1", "d1")
	if err != nil || st != compliance.DebtInvestigation {
		t.Fatalf("debt status %s, %v; want investigation", st, err)
	}
	// When it is due again, the claim finishes it instead of dialling it.
	if l, err := e.s.Claim(ctx, "c1", "test", at.Add(2*time.Hour), time.Minute); !errors.Is(err, campaign.ErrNoDebtDue) {
		t.Fatalf("claim after fraud_suspected = %+v, %v; want nothing due", l, err)
	}
	d, err := e.store.Debt(ctx, "c1", "d1")
	if err != nil || d.State != campaign.StateFinished || !strings.Contains(d.FinishReason, compliance.RuleDebtInvestigation) {
		t.Fatalf("debt %s %q, %v; want finished by %s", d.State, d.FinishReason, err, compliance.RuleDebtInvestigation)
	}

	list, err := e.x.List(ctx, alerts.ListOptions{})
	if err != nil || len(list) != 1 {
		t.Fatalf("alerts %+v, %v; want exactly one", list, err)
	}
	a := list[0]
	if a.Kind != alerts.KindFraudSuspected || a.CampaignID != "c1" || a.DebtID != "d1" || a.AttemptID != "att-1" ||
		a.AgentID != "101" || !a.At.Equal(at) || !strings.Contains(a.Note, "101") {
		t.Errorf("alert %+v", a)
	}
	if got := e.notes.alerts(); len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("notified %+v; want the alert once", got)
	}

	logs := e.logs.String()
	if n := strings.Count(logs, `"level":"warn"`); n != 1 || !strings.Contains(logs, "SUPERVISOR ALERT") {
		t.Errorf("%d WARN lines; want the alert once:\n%s", n, logs)
	}
	for _, masked := range []string{phone.MaskName(debtorName), phone.Mask(debtorPhone), phone.Mask(otherPhone), a.ID, "d1", "att-1"} {
		if !strings.Contains(logs, masked) {
			t.Errorf("the alert's log line lacks %q:\n%s", masked, logs)
		}
	}
	assertNoPersonalData(t, logs)
}

// assertNoPersonalData fails if the text holds the debtor's name (or a
// part of it) or a number in any spelling.
func assertNoPersonalData(t *testing.T, text string) {
	t.Helper()
	secrets := []string{debtorName, "Nhung", "Hồng"}
	for _, p := range []string{debtorPhone, otherPhone} {
		digits := strings.TrimPrefix(p, "+")
		secrets = append(secrets, p, digits, "0"+digits[2:], digits[3:])
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q appears unmasked in:\n%s", s, text)
		}
	}
}

// TestOtherCodesRaiseNothing: codes without an alert change nothing here;
// a disposition of an unknown attempt raises nothing.
func TestOtherCodesRaiseNothing(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	at := time.Date(2026, 3, 10, 3, 1, 0, 0, time.UTC)
	for _, code := range []string{"callback", "wrong_number", "refused", campaign.DispositionPromiseToPay} {
		if err := e.s.SetDisposition(ctx, "c1", "att-1", "101", code, at); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
	}
	if err := e.s.SetDisposition(ctx, "c1", "att-nope", "101", campaign.DispositionFraudSuspected, at); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("fraud_suspected on an unknown attempt = %v; want ErrNotFound", err)
	}
	if list, err := e.x.List(ctx, alerts.ListOptions{}); err != nil || len(list) != 0 {
		t.Errorf("alerts %+v, %v; want none", list, err)
	}
	if got := e.notes.alerts(); len(got) != 0 {
		t.Errorf("notified %+v", got)
	}
	if st, _, _ := e.gate.DebtStatus(ctx, "c1", "d1"); st != compliance.DebtActive {
		t.Errorf("status %s; want active", st)
	}
}

// failingStore fails Raise until told otherwise.
type failingStore struct {
	alerts.Store
	fail bool
}

func (f *failingStore) Raise(ctx context.Context, a alerts.Alert) (alerts.Alert, bool, error) {
	if f.fail {
		return a, false, errors.New("redis: connection refused")
	}
	return f.Store.Raise(ctx, a)
}

// TestEscalationRetried: when the alert cannot be stored, SetDisposition
// fails (the dialer retries it) and the retry raises the alert once.
func TestEscalationRetried(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	fs := &failingStore{Store: e.x, fail: true}
	s := alerts.NewEscalatingStore(campaign.NewGatedStore(e.store, e.gate, 0), e.store, alerts.NewRaiser(fs, e.logs.logger(), e.notes))
	at := time.Date(2026, 3, 10, 3, 1, 0, 0, time.UTC)
	if err := s.SetDisposition(ctx, "c1", "att-1", "101", campaign.DispositionFraudSuspected, at); err == nil ||
		!strings.Contains(err.Error(), "att-1") {
		t.Fatalf("SetDisposition with the alert store down = %v; want an error naming the attempt", err)
	}
	fs.fail = false
	for range 2 {
		if err := s.SetDisposition(ctx, "c1", "att-1", "101", campaign.DispositionFraudSuspected, at); err != nil {
			t.Fatal(err)
		}
	}
	if list, _ := e.x.List(ctx, alerts.ListOptions{}); len(list) != 1 {
		t.Errorf("%d alerts; want 1", len(list))
	}
	if got := e.notes.alerts(); len(got) != 1 {
		t.Errorf("notified %d times; want 1", len(got))
	}
}

func TestKindOf(t *testing.T) {
	for _, tt := range []struct {
		code string
		want alerts.Kind
		ok   bool
	}{
		{"fraud_suspected", alerts.KindFraudSuspected, true},
		{"wrong_number", "", false},
		{"disputed", "", false},
		{"", "", false},
	} {
		if k, ok := alerts.KindOf(tt.code); k != tt.want || ok != tt.ok {
			t.Errorf("KindOf(%q) = %q, %v; want %q, %v", tt.code, k, ok, tt.want, tt.ok)
		}
	}
}
