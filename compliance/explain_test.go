package compliance

import (
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
)

func TestDebtAuditWriteText(t *testing.T) {
	at := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	zones, source, err := ZonesForDebt("", []string{"+84912345678"}, "UTC")
	if err != nil {
		t.Fatal(err)
	}
	refused := NewRecord(at, "c1", "d1", "+84912345678", zones, source, Decision{Rule: RuleCapDebtorDay,
		Reason: "the debtor already had 5 attempts", Failed: []string{RuleCapDebtorDay}, NextEligible: at.Add(21 * time.Hour), NextRule: RuleWindow})
	a := DebtAudit{
		CampaignID: "c1", DebtID: "d1", State: campaign.StateQueued, NextAttemptAt: at.Add(21 * time.Hour), Attempts: 1,
		Phones: []string{"+849******78"}, DebtorKey: "id:X", Status: DebtActive,
		Cease:     Flag{Set: true, Since: at, Source: "letter"},
		Decisions: []Record{refused},
		History: []campaign.Attempt{{ID: "a1", Phone: "+849******78", Outcome: campaign.OutcomeBridged, AgentID: "7",
			OriginatedAt: at.Add(-time.Hour), BridgedAt: at.Add(-time.Hour + 10*time.Second), EndedAt: at.Add(-time.Hour + 70*time.Second),
			Disposition: "callback"}},
	}
	var b strings.Builder
	if err := a.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"Debt c1/d1: queued, next attempt 2026-03-11T00:00:00Z; 1 attempts; numbers +849******78 (next: +849******78)",
		"Debtor: id:X",
		"Status: active\n",
		"Cease communication: yes since 2026-03-10T03:00:00Z (letter)",
		"Do-not-call: none of the debt's numbers",
		"Decisions (1, oldest first):\n  2026-03-10T03:00:00Z debt c1/d1 number +849******78: not dialled: cap_debtor_day",
		"next eligible 2026-03-11T00:00:00Z (end of window); zones Asia/Ho_Chi_Minh from phone",
		"2026-03-10T02:00:00Z +849******78 bridged agent 7 talked 60s disposition callback [a1]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "912345678") {
		t.Errorf("text shows a number in clear:\n%s", got)
	}
	b.Reset()
	if err := (DebtAudit{CampaignID: "c", DebtID: "d", State: campaign.StateFinished, FinishReason: "compliance: debt_paid: the debt is paid"}).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"finished (compliance: debt_paid", "none in the audit trail", "Attempts (0, oldest first):\n  none"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("empty audit lacks %q:\n%s", want, b.String())
		}
	}
}
