package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
	"github.com/duecall/duecall/service"
)

// runCLI runs the root command with args and returns its output; its
// standard input holds a number, a comment and an empty line.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	out, errOut, err := executeWithInput(context.Background(), "0912000003\n# comment\n\n", args...)
	return out.String(), errOut.String(), err
}

// TestComplianceCommands manages the do-not-call list, a debt's status and
// a debtor's flag from the command line, and explains the debt with
// `duecall audit`.
func TestComplianceCommands(t *testing.T) {
	cleanEnv(t)
	rs := redistest.New(t)
	cfgPath := campaignConfig(t, rs, rs.URL(), `    compliance:
      preset: vn
      default_zone: America/New_York
`)
	cfg, _, err := config.Load(config.LoadOptions{File: cfgPath, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	gate, err := service.NewGate(cfg, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	debts := []campaign.Debt{
		{ID: "d1", CampaignID: "c1", DebtorName: "Trần Văn Bình", Phones: []string{"+84912000001"}, DueDate: due,
			Profile: map[string]string{"debtor_id": "B-77"}},
		{ID: "d2", CampaignID: "c1", DebtorName: "Lý Thị Hoa", Phones: []string{"+80012345678"}, DueDate: due},
	}
	if _, err := store.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1"}, debts); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--config", cfgPath)...)
		if err != nil {
			t.Fatalf("duecall %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	claim := func(now time.Time) (campaign.Lease, campaign.Admission) {
		t.Helper()
		l, err := store.Claim(ctx, "c1", "test", now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		adm, err := gate.Admit(ctx, l, now)
		if err != nil {
			t.Fatal(err)
		}
		return l, adm
	}

	// Numbers in national form are read in the default region (VN); one
	// comes from standard input.
	if out := run("dnc", "add", "0912000001", "+84912000002", "--file", "-", "--source", "letter of 2026-03-01"); !strings.Contains(out, "3 numbers added") {
		t.Errorf("dnc add: %q", out)
	}
	if out := run("dnc", "add", "0912000001"); !strings.Contains(out, "0 numbers added to the do-not-call list (1 already on it)") {
		t.Errorf("dnc add again: %q", out)
	}
	out := run("dnc", "list")
	if !strings.Contains(out, "+849******01") || strings.Contains(out, "+84912000001") || !strings.Contains(out, "3 numbers on the do-not-call list") ||
		!strings.Contains(out, "letter of 2026-03-01 (duecall cli") {
		t.Errorf("dnc list:\n%s", out)
	}
	if out := run("dnc", "list", "--show-numbers"); !strings.Contains(out, "+84912000001") {
		t.Errorf("dnc list --show-numbers:\n%s", out)
	}
	if out := run("dnc", "list", "0912000009"); !strings.Contains(out, "+849******09  no") {
		t.Errorf("dnc list of an unlisted number:\n%s", out)
	}
	_, _, err = runCLI(t, "dnc", "add", "12", "--config", cfgPath)
	if err == nil || !strings.Contains(err.Error(), "argument 1") {
		t.Errorf("dnc add of a bad number: %v", err)
	}

	// Tuesday 10:00 in Vietnam, 23:00 in New York: d1's number is on the
	// list (finished), d2's number has no zone and New York is closed.
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	for range 2 {
		l, adm := claim(now)
		if adm.Allowed {
			t.Fatalf("%s allowed", l.DebtID)
		}
	}
	out = run("audit", "--campaign", "c1", "--debt", "d1")
	for _, want := range []string{
		"Debt c1/d1: finished (compliance: do_not_call",
		"Debtor: id:B-77",
		"Do-not-call: +849******01 since",
		"not dialled: do_not_call (number +849******01 is on the do-not-call list); never eligible",
		"Attempts (0, oldest first):",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "+84912000001") || strings.Contains(out, "Trần") {
		t.Errorf("audit shows personal data in clear:\n%s", out)
	}
	out = run("audit", "--campaign", "c1", "--debt", "d2")
	for _, want := range []string{
		"not dialled: window (local time Mon 2026-03-09 23:00 EDT in America/New_York is outside the calling window 07:00-21:00)",
		"next eligible 2026-03-10T11:00:00Z",
		"zones America/New_York from default (number could not be placed in any zone; dialled in the campaign's default zone window)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("audit of d2 lacks %q:\n%s", want, out)
		}
	}
	// At 07:00 in New York d2 is called; its attempt shows in the audit.
	l, adm := claim(time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC))
	if !adm.Allowed || l.DebtID != "d2" {
		t.Fatalf("d2 at 07:00 New York: %+v", adm)
	}
	start := time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)
	a := campaign.Attempt{ID: "call-1", CampaignID: "c1", DebtID: "d2", Phone: "+80012345678", AgentID: "101", Outcome: campaign.OutcomeBridged,
		OriginatedAt: start, AnsweredAt: start.Add(5 * time.Second), BridgedAt: start.Add(6 * time.Second), EndedAt: start.Add(66 * time.Second)}
	if err := campaign.NewGatedStore(store, gate, 0).Complete(ctx, l, a, campaign.Schedule{Finish: true, FinishReason: "outcome bridged"}); err != nil {
		t.Fatal(err)
	}
	out = run("audit", "--campaign", "c1", "--debt", "d2")
	for _, want := range []string{"dialled; zones America/New_York from default", "2026-03-10T11:00:00Z +800******78 bridged agent 101 talked 60s [call-1]"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit of d2 lacks %q:\n%s", want, out)
		}
	}
	var ja compliance.DebtAudit
	if err := json.Unmarshal([]byte(run("audit", "--campaign", "c1", "--debt", "d2", "--json")), &ja); err != nil {
		t.Fatal(err)
	}
	if len(ja.Decisions) != 2 || len(ja.History) != 1 || ja.History[0].Phone != "+800******78" {
		t.Errorf("audit --json: %+v", ja)
	}

	// Taking the number off the list puts d1 back in the queue.
	if out := run("dnc", "remove", "+84912000001"); !strings.Contains(out, "1 numbers removed") || !strings.Contains(out, "1 debts back in the queue") {
		t.Errorf("dnc remove: %q", out)
	}
	// Disputed, then active again.
	if out := run("debt", "status", "--campaign", "c1", "--debt", "d1", "disputed", "--source", "email"); !strings.Contains(out, "status disputed") {
		t.Errorf("debt status: %q", out)
	}
	if _, adm := claim(now.Add(time.Minute)); adm.Rule != compliance.RuleDebtDisputed || !adm.Finished {
		t.Errorf("claim of a disputed debt: %+v", adm)
	}
	if out := run("audit", "--campaign", "c1", "--debt", "d1"); !strings.Contains(out, "Status: disputed since") || !strings.Contains(out, "email (duecall cli") {
		t.Errorf("audit after the status change:\n%s", out)
	}
	if out := run("debt", "status", "--campaign", "c1", "--debt", "d1", "active"); !strings.Contains(out, "back in the queue") {
		t.Errorf("debt status active: %q", out)
	}
	if _, _, err := runCLI(t, "debt", "status", "--campaign", "c1", "--debt", "d1", "settled", "--config", cfgPath); err == nil {
		t.Error("unknown status accepted")
	}
	if _, _, err := runCLI(t, "debt", "status", "--campaign", "c1", "--debt", "nope", "paid", "--config", cfgPath); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("status of an unknown debt: %v", err)
	}
	// Cease by debt, then by key.
	if out := run("debtor", "cease", "--campaign", "c1", "--debt", "d1"); !strings.Contains(out, "debtor id:B-77: cease communication") {
		t.Errorf("debtor cease: %q", out)
	}
	if _, adm := claim(now.Add(2 * time.Minute)); adm.Rule != compliance.RuleCeaseCommunication {
		t.Errorf("claim after cease: %+v", adm)
	}
	if out := run("debtor", "cease", "--debtor", "id:B-77", "--off"); !strings.Contains(out, "1 debts back in the queue") {
		t.Errorf("debtor cease --off: %q", out)
	}
	if _, _, err := runCLI(t, "debtor", "cease", "--config", cfgPath); err == nil {
		t.Error("cease without a debtor accepted")
	}
	if _, _, err := runCLI(t, "audit", "--campaign", "c1", "--debt", "nope", "--config", cfgPath); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("audit of an unknown debt: %v", err)
	}
}
