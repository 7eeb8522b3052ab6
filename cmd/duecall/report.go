package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/report"
	"github.com/duecall/duecall/service"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Build reports for the call centre's staff"}
	var campaignID, asOf, format, output string
	overdue := &cobra.Command{
		Use:   "overdue --campaign ID [--as-of YYYY-MM-DD] [--format table|csv|json] [--output FILE]",
		Short: "List a campaign's overdue cases, most overdue first, with a summary per ageing bucket",
		Long: `List every debt of the campaign that is past its due date and not paid: days
past due, ageing bucket (1-30, 31-60, 61-90, 91+), amount, calls placed, the
last call and its outcome, the last disposition (promise_to_pay, refused, ...),
whether the debtor was ever reached, the debt's queue state and its compliance
status; then the number of cases, amounts per currency, share contacted and
promises to pay per bucket. The as-of date and the times are in the campaign's
time zone (its compliance default_zone).

The report shows debtors' names and numbers: --output writes it to a file only
its owner can read (mode 0600). Formats: table (the default on the terminal),
csv (the default with --output; the cases only) or json (cases and summary).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var date report.Date
			if asOf != "" {
				d, err := report.ParseDate(asOf)
				if err != nil {
					return fmt.Errorf("--as-of: %w", err)
				}
				date = d
			}
			if format == "" {
				format = report.FormatTable
				if output != "" {
					format = report.FormatCSV
				}
			}
			if !slices.Contains(report.Formats, format) {
				return fmt.Errorf("--format %q is not a report format; expected one of %s", format, strings.Join(report.Formats, ", "))
			}
			cfg, err := loadConfig(cmd.Flags(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ids := make([]string, len(cfg.Campaigns))
			for i, c := range cfg.Campaigns {
				ids[i] = c.ID
			}
			switch {
			case campaignID == "" && len(ids) == 1:
				campaignID = ids[0]
			case campaignID == "":
				return fmt.Errorf("--campaign is required: the id of a configured campaign (configured: %s)", listOrNone(ids))
			case !slices.Contains(ids, campaignID):
				return fmt.Errorf("--campaign %q: no such campaign in the configuration (configured: %s)", campaignID, listOrNone(ids))
			}
			rep, err := buildOverdue(cmd.Context(), cfg, campaignID, date)
			if err != nil {
				return err
			}
			write := func(w io.Writer) error { return report.Write(w, rep, format) }
			if output == "" || output == "-" {
				return write(cmd.OutOrStdout())
			}
			if err := report.WriteFile(output, write); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d overdue cases of %d debts of campaign %s as of %s written to %s\n",
				rep.Total.Cases, rep.DebtsRead, campaignID, rep.AsOf, output)
			return nil
		},
	}
	overdue.Flags().StringVar(&campaignID, "campaign", "", "campaign id (optional when only one campaign is configured)")
	overdue.Flags().StringVar(&asOf, "as-of", "", "report date, YYYY-MM-DD (default today in the campaign's time zone)")
	overdue.Flags().StringVar(&format, "format", "", "table, csv or json (default table, or csv with --output)")
	overdue.Flags().StringVar(&output, "output", "", "write the report to this file (mode 0600) instead of standard output")
	config.RegisterFlags(overdue.Flags())
	cmd.AddCommand(overdue)
	return cmd
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "none; add one under campaigns"
	}
	return strings.Join(ids, ", ")
}

// buildOverdue reads the campaign's overdue report from the configured
// Redis.
func buildOverdue(ctx context.Context, cfg *config.Config, campaignID string, asOf report.Date) (report.Report, error) {
	s, err := openSession(ctx, cfg)
	if err != nil {
		return report.Report{}, err
	}
	defer s.Close()
	rep, err := service.NewReporter(cfg, s.store, s.gate)
	if err != nil {
		return report.Report{}, err
	}
	out, err := rep.Overdue(ctx, campaignID, asOf)
	if errors.Is(err, context.Canceled) {
		return report.Report{}, fmt.Errorf("interrupted: %w", err)
	}
	return out, err
}
