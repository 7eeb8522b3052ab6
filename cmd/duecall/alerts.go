package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/redisstore"
	"github.com/duecall/duecall/service"
)

// openAlerts opens the alert store of the configured Redis.
func openAlerts(cmd *cobra.Command) (*gateSession, *redisstore.Alerts, error) {
	s, err := openGate(cmd)
	if err != nil {
		return nil, nil, err
	}
	x, err := service.NewAlertStore(s.cfg, s.store)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, x, nil
}

func newAlertsCmd() *cobra.Command {
	var unacked, asJSON bool
	var count int
	cmd := &cobra.Command{
		Use:   "alerts [--unacked]",
		Short: "List supervisor alerts (fraud suspected by an agent), newest first",
		Long: `List the supervisor alerts kept in Redis, newest first. An alert is raised when
an agent records the wrap-up code fraud_suspected: the debt's status becomes
investigation (it is not called again) and the alert is logged, listed here and
by GET /api/v1/alerts, and sent to alerts.webhook_url when it is set.
Acknowledge one with: duecall alerts ack ID --by NAME`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 1 || count > alerts.MaxListCount {
				return fmt.Errorf("--count %d: expected 1 to %d", count, alerts.MaxListCount)
			}
			s, x, err := openAlerts(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			list, err := x.List(cmd.Context(), alerts.ListOptions{Unacked: unacked, Count: count})
			if err != nil {
				return err
			}
			n, err := x.Unacked(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if list == nil {
					list = []alerts.Alert{}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"alerts": list, "unacked": n})
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tRAISED (UTC)\tKIND\tCAMPAIGN\tDEBT\tATTEMPT\tAGENT\tACKNOWLEDGED")
			for _, a := range list {
				acked := "-"
				if a.Acked() {
					acked = a.AckedBy + ", " + a.AckedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.At.UTC().Format(time.RFC3339), a.Kind,
					a.CampaignID, a.DebtID, a.AttemptID, a.AgentID, acked)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "%d unacknowledged alerts\n", n)
			return nil
		},
	}
	cmd.Flags().BoolVar(&unacked, "unacked", false, "only the alerts nobody acknowledged")
	cmd.Flags().IntVar(&count, "count", alerts.DefaultListCount, fmt.Sprintf("most alerts listed (1 to %d)", alerts.MaxListCount))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	config.RegisterFlags(cmd.Flags())

	var by string
	ack := &cobra.Command{
		Use:   "ack ID --by NAME",
		Short: "Acknowledge a supervisor alert",
		Long: `Acknowledge a supervisor alert (its ID is in the first column of duecall alerts).
Acknowledging it again changes nothing: the first acknowledgement stays.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := alerts.CheckAcker(by)
			if err != nil {
				return errors.New("--by is required: the name of the supervisor who acknowledges the alert")
			}
			s, x, err := openAlerts(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			now := time.Now()
			a, err := x.Ack(cmd.Context(), args[0], name, now)
			if err != nil {
				return err
			}
			when := a.AckedAt.UTC().Format(time.RFC3339)
			if a.AckedAt.UnixMilli() != now.UnixMilli() || a.AckedBy != name {
				fmt.Fprintf(cmd.OutOrStdout(), "alert %s was already acknowledged by %s at %s\n", a.ID, a.AckedBy, when)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "alert %s (%s, campaign %s, debt %s) acknowledged by %s at %s\n",
				a.ID, a.Kind, a.CampaignID, a.DebtID, a.AckedBy, when)
			return nil
		},
	}
	ack.Flags().StringVar(&by, "by", "", "name of the supervisor acknowledging the alert (required)")
	config.RegisterFlags(ack.Flags())
	cmd.AddCommand(ack)
	return cmd
}
