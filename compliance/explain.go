package compliance

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Flag is an entry of a compliance list (a number on the do-not-call list,
// a debtor's cease-communication flag, a debt's status change): whether it
// is set, since when and by whom.
type Flag struct {
	// Number is the E.164 number of a do-not-call entry; masked wherever
	// it is shown, unless the list itself was asked for.
	Number string    `json:"number,omitempty"`
	Set    bool      `json:"set"`
	Since  time.Time `json:"since,omitzero"`
	Source string    `json:"source,omitempty"`
}

// DebtAudit explains why a debt was or was not called: its queue state,
// the flags that stop calls, the gate's decisions still in the audit trail
// and every recorded attempt. It holds masked numbers only.
type DebtAudit struct {
	CampaignID    string             `json:"campaign_id"`
	DebtID        string             `json:"debt_id"`
	State         campaign.DebtState `json:"state"`
	FinishReason  string             `json:"finish_reason,omitempty"`
	NextAttemptAt time.Time          `json:"next_attempt_at,omitzero"`
	Attempts      int                `json:"attempts"`
	PhoneIndex    int                `json:"phone_index"`
	// Phones are the debt's numbers, masked.
	Phones []string `json:"phones"`
	// DebtorKey identifies the debtor across debts and campaigns
	// (DebtorKey; never a number in clear).
	DebtorKey string     `json:"debtor_key"`
	Status    DebtStatus `json:"status"`
	// StatusChange is the last change of Status (Set while not active).
	StatusChange Flag `json:"status_change"`
	Cease        Flag `json:"cease_communication"`
	// DoNotCall lists the debt's numbers on the do-not-call list, masked.
	DoNotCall []Flag `json:"do_not_call"`
	// Decisions are the gate's decisions on the debt, oldest first, as far
	// as the audit retention keeps them.
	Decisions []Record `json:"decisions"`
	// History are the debt's recorded attempts, oldest first, numbers
	// masked.
	History []campaign.Attempt `json:"history"`
}

// WriteText writes the audit for people, as `duecall audit` prints it.
func (a DebtAudit) WriteText(w io.Writer) error {
	var b strings.Builder
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(&b, "Debt %s/%s: %s", a.CampaignID, a.DebtID, a.State)
	switch {
	case a.State == campaign.StateFinished:
		fmt.Fprintf(&b, " (%s)", a.FinishReason)
	case !a.NextAttemptAt.IsZero():
		fmt.Fprintf(&b, ", next attempt %s", ts(a.NextAttemptAt))
	}
	fmt.Fprintf(&b, "; %d attempts; numbers %s", a.Attempts, strings.Join(a.Phones, ", "))
	if a.PhoneIndex >= 0 && a.PhoneIndex < len(a.Phones) {
		fmt.Fprintf(&b, " (next: %s)", a.Phones[a.PhoneIndex])
	}
	fmt.Fprintf(&b, "\nDebtor: %s\n", a.DebtorKey)
	flag := func(name string, f Flag, set string) {
		fmt.Fprintf(&b, "%s: %s", name, set)
		if !f.Since.IsZero() {
			fmt.Fprintf(&b, " since %s", ts(f.Since))
		}
		if f.Source != "" {
			fmt.Fprintf(&b, " (%s)", f.Source)
		}
		b.WriteString("\n")
	}
	flag("Status", a.StatusChange, string(a.Status))
	if a.Cease.Set {
		flag("Cease communication", a.Cease, "yes")
	} else {
		b.WriteString("Cease communication: no\n")
	}
	if len(a.DoNotCall) == 0 {
		b.WriteString("Do-not-call: none of the debt's numbers\n")
	}
	for _, f := range a.DoNotCall {
		flag("Do-not-call", f, f.Number)
	}
	fmt.Fprintf(&b, "\nDecisions (%d, oldest first):\n", len(a.Decisions))
	if len(a.Decisions) == 0 {
		b.WriteString("  none in the audit trail\n")
	}
	for _, r := range a.Decisions {
		b.WriteString("  " + r.String() + "\n")
	}
	fmt.Fprintf(&b, "\nAttempts (%d, oldest first):\n", len(a.History))
	if len(a.History) == 0 {
		b.WriteString("  none\n")
	}
	for _, at := range a.History {
		fmt.Fprintf(&b, "  %s %s %s", ts(at.OriginatedAt), at.Phone, at.Outcome)
		if at.AgentID != "" {
			fmt.Fprintf(&b, " agent %s", at.AgentID)
		}
		if talk := at.TalkSeconds(); talk > 0 {
			fmt.Fprintf(&b, " talked %.0fs", talk)
		}
		if at.Disposition != "" {
			fmt.Fprintf(&b, " disposition %s", at.Disposition)
		}
		if at.Reason != "" {
			fmt.Fprintf(&b, " (%s)", at.Reason)
		}
		fmt.Fprintf(&b, " [%s]\n", at.ID)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
