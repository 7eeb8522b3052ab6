package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// TestAlertsCommands lists and acknowledges supervisor alerts from the
// command line.
func TestAlertsCommands(t *testing.T) {
	cleanEnv(t)
	rs := redistest.New(t)
	cfgPath := campaignConfig(t, rs, rs.URL(), "")
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	x, err := redisstore.NewAlerts(store, redisstore.AlertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	var raised []alerts.Alert
	for i, att := range []string{"att-1", "att-2"} {
		a, _, err := x.Raise(context.Background(), alerts.Alert{Kind: alerts.KindFraudSuspected, CampaignID: "c1",
			DebtID: "d" + fmt.Sprint(i+1), AttemptID: att, AgentID: "101", At: at.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		raised = append(raised, a)
	}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--config", cfgPath)...)
		if err != nil {
			t.Fatalf("duecall %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}

	out := run("alerts")
	first, second := strings.Index(out, raised[1].ID), strings.Index(out, raised[0].ID)
	if first < 0 || second < first || !strings.Contains(out, "fraud_suspected") || !strings.Contains(out, "2 unacknowledged alerts") {
		t.Errorf("duecall alerts (want newest first):\n%s", out)
	}
	if out := run("alerts", "ack", raised[0].ID, "--by", "Supervisor Lan"); !strings.Contains(out, "acknowledged by Supervisor Lan") {
		t.Errorf("alerts ack: %q", out)
	}
	if out := run("alerts", "ack", raised[0].ID, "--by", "Other"); !strings.Contains(out, "already acknowledged by Supervisor Lan") {
		t.Errorf("alerts ack again: %q", out)
	}
	out = run("alerts", "--unacked")
	if strings.Contains(out, raised[0].ID) || !strings.Contains(out, raised[1].ID) || !strings.Contains(out, "1 unacknowledged alerts") {
		t.Errorf("duecall alerts --unacked:\n%s", out)
	}
	var body struct {
		Alerts  []alerts.Alert `json:"alerts"`
		Unacked int64          `json:"unacked"`
	}
	if err := json.Unmarshal([]byte(run("alerts", "--json")), &body); err != nil || len(body.Alerts) != 2 ||
		body.Alerts[1].AckedBy != "Supervisor Lan" || body.Unacked != 1 {
		t.Errorf("duecall alerts --json: %+v, %v", body, err)
	}

	// config check shows the webhook URL without its secrets.
	t.Setenv("DUECALL_ALERTS_WEBHOOK_URL", "https://hookuser:hookpass@hooks.example.com/duecall?token=s3cr3t")
	out = run("config", "check")
	if !strings.Contains(out, "webhook_url: https://******@hooks.example.com/duecall?token=******") {
		t.Errorf("config check does not show the redacted webhook URL:\n%s", out)
	}
	for _, secret := range []string{"hookuser", "hookpass", "s3cr3t"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check shows %q:\n%s", secret, out)
		}
	}
	t.Setenv("DUECALL_ALERTS_WEBHOOK_URL", "")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"alerts", "ack", raised[1].ID}, "--by is required"},
		{[]string{"alerts", "ack", "1767225600000-0", "--by", "Lan"}, "not found"},
		{[]string{"alerts", "--count", "0"}, "--count 0"},
	} {
		_, _, err := runCLI(t, append(tt.args, "--config", cfgPath)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("duecall %s = %v; want an error with %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}
