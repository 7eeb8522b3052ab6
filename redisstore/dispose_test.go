package redisstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/redisstore"
)

// TestGateDisposeStatus: the wrap-up codes that say a debt must not be
// called set its status, and its next claim finishes it; the others leave
// the debt alone.
func TestGateDisposeStatus(t *testing.T) {
	for _, tt := range []struct {
		code string
		want compliance.DebtStatus
		rule string // the rule that refuses the next claim; "" allowed
	}{
		{"paid", compliance.DebtPaid, compliance.RuleDebtPaid},
		{"disputed", compliance.DebtDisputed, compliance.RuleDebtDisputed},
		{"fraud_suspected", compliance.DebtInvestigation, compliance.RuleDebtInvestigation},
		{"callback", compliance.DebtActive, ""},
		{"wrong_number", compliance.DebtActive, ""},
		{campaign.DispositionPromiseToPay, compliance.DebtActive, ""},
	} {
		t.Run(tt.code, func(t *testing.T) {
			p := vnPolicy(t, nil)
			e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
			e.upsert(gdebt("c1", "d1", "", numA))
			now := local(10, 10, 0)
			l := e.call("c1", now, campaign.OutcomeBridged)
			attempt := fmt.Sprintf("att-%s-%d", l.DebtID, now.UnixNano())
			if err := e.gs.SetDisposition(ctxT(t), "c1", attempt, "agent-1", tt.code, now.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			st, flag, err := e.g.DebtStatus(ctxT(t), "c1", "d1")
			if err != nil || st != tt.want {
				t.Fatalf("status after %s: %s, %v; want %s", tt.code, st, err, tt.want)
			}
			if tt.want != compliance.DebtActive && (!strings.Contains(flag.Source, "agent-1") || !strings.Contains(flag.Source, tt.code)) {
				t.Errorf("status source %q does not name the agent and the code", flag.Source)
			}
			l2, adm := e.claimAdmit("c1", now.Add(5*time.Minute))
			if tt.rule == "" {
				if !adm.Allowed {
					t.Errorf("after %s the debt was refused: %s (%s)", tt.code, adm.Rule, adm.Reason)
				}
				return
			}
			if adm.Allowed || adm.Rule != tt.rule || !adm.Finished {
				t.Fatalf("after %s: admission %+v; want refused by %s and finished", tt.code, adm, tt.rule)
			}
			if d := e.debt("c1", l2.DebtID); d.State != campaign.StateFinished || !strings.HasPrefix(d.FinishReason, redisstore.ReasonPrefix+tt.rule) {
				t.Errorf("debt %s %q; want finished by %s", d.State, d.FinishReason, tt.rule)
			}
		})
	}
}

// TestGateDisposeKeepsInvestigation: once an agent flags suspected fraud,
// no later wrap-up code (by that agent, on that call or the next) clears
// the investigation or moves the time it began; only a status set on
// purpose does.
func TestGateDisposeKeepsInvestigation(t *testing.T) {
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": vnPolicy(t, nil)})
	e.upsert(gdebt("c1", "d1", "", numA))
	now := local(10, 10, 0)
	l := e.call("c1", now, campaign.OutcomeBridged)
	attempt := fmt.Sprintf("att-%s-%d", l.DebtID, now.UnixNano())
	if err := e.gs.SetDisposition(ctxT(t), "c1", attempt, "agent-1", "fraud_suspected", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, first, err := e.g.DebtStatus(ctxT(t), "c1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"fraud_suspected", "paid", "disputed", "callback"} {
		if err := e.gs.SetDisposition(ctxT(t), "c1", attempt, "agent-1", code, now.Add(time.Duration(i+2)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		st, flag, err := e.g.DebtStatus(ctxT(t), "c1", "d1")
		if err != nil || st != compliance.DebtInvestigation || !flag.Since.Equal(first.Since) || flag.Source != first.Source {
			t.Errorf("after %s: status %s since %v (%s), %v; want investigation since %v", code, st, flag.Since, flag.Source, err, first.Since)
		}
	}
	if _, err := e.g.SetDebtStatus(ctxT(t), "c1", "d1", compliance.DebtActive, "supervisor"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := e.g.DebtStatus(ctxT(t), "c1", "d1"); st != compliance.DebtActive {
		t.Errorf("status %s after the supervisor cleared it; want active", st)
	}
}

// TestGateDisposeRoundTrips: a wrap-up code that sets a status costs two
// round trips, finding the attempt's debt and the status script (which
// checks the current status itself), not a read of the status and of the
// debt besides.
func TestGateDisposeRoundTrips(t *testing.T) {
	p := vnPolicy(t, nil)
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": p})
	e.upsert(gdebt("c1", "d1", "", numA))
	now := local(10, 10, 0)
	l := e.call("c1", now, campaign.OutcomeBridged)
	attempt := fmt.Sprintf("att-%s-%d", l.DebtID, now.UnixNano())
	// The first disposition loads the scripts into the server's cache.
	if err := e.gs.SetDisposition(ctxT(t), "c1", attempt, "agent-1", "disputed", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	counted := redis.NewClient(e.r.Options())
	defer counted.Close()
	trips := &roundTrips{}
	counted.AddHook(trips)
	if err := counted.Ping(ctxT(t)).Err(); err != nil { // connect first
		t.Fatal(err)
	}
	trips.n.Store(0)
	cg, err := redisstore.NewGate(redisstore.New(counted, redisstore.Options{Prefix: e.r.Prefix()}),
		redisstore.GateOptions{Policies: map[string]compliance.Policy{"c1": p}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cg.Dispose(ctxT(t), "c1", attempt, "agent-1", "paid", now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := trips.n.Load(); n != 2 {
		t.Errorf("Dispose took %d round trips, want 2", n)
	}
	if st, _, err := e.g.DebtStatus(ctxT(t), "c1", "d1"); err != nil || st != compliance.DebtPaid {
		t.Errorf("status after paid: %s, %v; want paid", st, err)
	}
}
