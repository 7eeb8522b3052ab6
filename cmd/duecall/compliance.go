package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/duecall/duecall/compliance"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/phone"
	"github.com/duecall/duecall/redisstore"
	"github.com/duecall/duecall/service"
)

// gateSession is the configured Redis, checked, with the store and the
// compliance gate on it: what the commands that manage the compliance
// lists, read the audit, the alerts or the reports work on.
type gateSession struct {
	cfg   *config.Config
	rdb   redis.UniversalClient
	store *redisstore.Store
	gate  *redisstore.Gate
}

// openGate loads the command's configuration and opens its gate session.
func openGate(cmd *cobra.Command) (*gateSession, error) {
	cfg, err := loadConfig(cmd.Flags(), cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	return openSession(cmd.Context(), cfg)
}

// openSession opens the gate session of a loaded configuration.
func openSession(ctx context.Context, cfg *config.Config) (*gateSession, error) {
	rdb, store, err := service.OpenStore(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	gate, err := service.NewGate(cfg, store, nil)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return &gateSession{cfg: cfg, rdb: rdb, store: store, gate: gate}, nil
}

func (s *gateSession) Close() error { return s.rdb.Close() }

// readNumbers normalises the numbers given as arguments and, with file,
// read from it (one per line, "-" for standard input; empty lines and
// lines starting with # are skipped). Errors name the position, never the
// number.
func readNumbers(args []string, file string, stdin io.Reader, region string) ([]string, error) {
	raw := append([]string(nil), args...)
	where := make([]string, len(args))
	for i := range args {
		where[i] = fmt.Sprintf("argument %d", i+1)
	}
	if file != "" {
		in, _, err := openInput(file, stdin)
		if err != nil {
			return nil, err
		}
		defer in.Close()
		sc := bufio.NewScanner(in)
		for line := 1; sc.Scan(); line++ {
			t := strings.TrimSpace(sc.Text())
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			raw = append(raw, t)
			where = append(where, fmt.Sprintf("%s line %d", file, line))
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
	}
	if len(raw) == 0 {
		return nil, errors.New("no number given: pass numbers as arguments or --file")
	}
	out := make([]string, 0, len(raw))
	var errs []error
	for i, r := range raw {
		n, err := phone.Normalize(r, region)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where[i], err))
			continue
		}
		out = append(out, n)
	}
	return out, errors.Join(errs...)
}

func newDNCCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dnc",
		Short: "Manage the do-not-call list (all campaigns)",
		Long: `Manage the do-not-call list shared by every campaign and every duecall process
on the Redis. A number added is not dialled from the very next claim of any debt,
debts already in the queue included; a debt left with no number to call is
finished, and removing the number puts it back in the queue.

Numbers are read like the importer reads them: E.164, or national numbers in
dialer.default_region.`,
	}
	var source, file string
	add := &cobra.Command{
		Use:   "add [NUMBER...]",
		Short: "Put numbers on the do-not-call list",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openGate(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			numbers, err := readNumbers(args, file, cmd.InOrStdin(), s.cfg.Dialer.DefaultRegion)
			if err != nil {
				return err
			}
			added, err := s.gate.AddDoNotCall(cmd.Context(), numbers, cliSource(source))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d numbers added to the do-not-call list (%d already on it)\n", added, len(numbers)-added)
			return nil
		},
	}
	remove := &cobra.Command{
		Use:   "remove [NUMBER...]",
		Short: "Take numbers off the do-not-call list",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openGate(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			numbers, err := readNumbers(args, file, cmd.InOrStdin(), s.cfg.Dialer.DefaultRegion)
			if err != nil {
				return err
			}
			removed, reopened, err := s.gate.RemoveDoNotCall(cmd.Context(), numbers)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d numbers removed from the do-not-call list (%d were not on it); %d debts back in the queue\n",
				removed, len(numbers)-removed, reopened)
			return nil
		},
	}
	var show bool
	list := &cobra.Command{
		Use:   "list [NUMBER...]",
		Short: "Show the do-not-call list, or whether the given numbers are on it",
		Long: `Show the do-not-call list, or whether the given numbers are on it. Numbers are
masked unless --show-numbers is given (the list itself is personal data).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openGate(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			var flags []compliance.Flag
			if len(args) > 0 || file != "" {
				numbers, err := readNumbers(args, file, cmd.InOrStdin(), s.cfg.Dialer.DefaultRegion)
				if err != nil {
					return err
				}
				flags, err = s.gate.DoNotCall(cmd.Context(), numbers)
				if err != nil {
					return err
				}
			} else if flags, err = s.gate.DoNotCallList(cmd.Context()); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NUMBER\tLISTED\tSINCE\tSOURCE")
			for _, f := range flags {
				n := f.Number
				if !show {
					n = phone.Mask(n)
				}
				listed, since := "no", ""
				if f.Set {
					listed = "yes"
					since = f.Since.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n, listed, since, f.Source)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(args) == 0 && file == "" {
				fmt.Fprintf(cmd.OutOrStdout(), "%d numbers on the do-not-call list\n", len(flags))
			}
			return nil
		},
	}
	list.Flags().BoolVar(&show, "show-numbers", false, "print the numbers in full")
	for _, c := range []*cobra.Command{add, remove, list} {
		c.Flags().StringVar(&file, "file", "", "also read numbers from this file, one per line (- for standard input)")
		config.RegisterFlags(c.Flags())
		cmd.AddCommand(c)
	}
	add.Flags().StringVar(&source, "source", "", "why or on whose request (kept with the entry)")
	return cmd
}

// cliSource is the source recorded for a change made with a command.
func cliSource(given string) string {
	who := os.Getenv("USER")
	if who == "" {
		who = "unknown user"
	}
	if s := strings.TrimSpace(given); s != "" {
		return s + " (duecall cli, " + who + ")"
	}
	return "duecall cli, " + who
}

func newDebtCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "debt", Short: "Manage debts"}
	var campaignID, debtID, source string
	status := &cobra.Command{
		Use:   "status --campaign C --debt ID active|paid|disputed|investigation",
		Short: "Set a debt's collection status",
		Long: `Set a debt's collection status. paid, disputed and investigation stop all calls
on the debt from its next claim (it is then finished); active allows them again
and puts the debt back in the queue if the status had finished it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if campaignID == "" || debtID == "" {
				return errors.New("--campaign and --debt are required")
			}
			st, err := compliance.ParseDebtStatus(args[0])
			if err != nil {
				return err
			}
			s, err := openGate(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			reopened, err := s.gate.SetDebtStatus(cmd.Context(), campaignID, debtID, st, cliSource(source))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "debt %s/%s: status %s", campaignID, debtID, st)
			if reopened {
				fmt.Fprint(cmd.OutOrStdout(), "; back in the queue")
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	status.Flags().StringVar(&campaignID, "campaign", "", "campaign id")
	status.Flags().StringVar(&debtID, "debt", "", "debt id")
	status.Flags().StringVar(&source, "source", "", "why or on whose request (kept with the status)")
	config.RegisterFlags(status.Flags())
	cmd.AddCommand(status)
	return cmd
}

func newDebtorCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "debtor", Short: "Manage debtors"}
	var debtor, campaignID, debtID, source string
	var off bool
	cease := &cobra.Command{
		Use:   "cease (--debtor KEY | --campaign C --debt ID) [--off]",
		Short: "Stop (or with --off allow again) every call to a debtor",
		Long: `Set the debtor's cease-communication flag: no debt of the debtor, in any
campaign, is dialled from its next claim. --off clears it and puts the debts it
finished back in the queue.

The debtor is named by key (id:<debtor_id> when the import has a debtor_id
column), or by one of their debts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (debtor == "") == (campaignID == "" || debtID == "") {
				return errors.New("name the debtor with --debtor KEY, or with --campaign and --debt")
			}
			s, err := openGate(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			key := debtor
			if key == "" {
				if key, err = s.gate.DebtorKey(cmd.Context(), campaignID, debtID); err != nil {
					return err
				}
			}
			reopened, err := s.gate.SetCease(cmd.Context(), key, !off, cliSource(source))
			if err != nil {
				return err
			}
			if off {
				fmt.Fprintf(cmd.OutOrStdout(), "debtor %s may be called again; %d debts back in the queue\n", key, reopened)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "debtor %s: cease communication; no more calls\n", key)
			}
			return nil
		},
	}
	cease.Flags().StringVar(&debtor, "debtor", "", "debtor key (id:<debtor_id>, as duecall audit shows it)")
	cease.Flags().StringVar(&campaignID, "campaign", "", "campaign of a debt of the debtor")
	cease.Flags().StringVar(&debtID, "debt", "", "a debt of the debtor")
	cease.Flags().BoolVar(&off, "off", false, "clear the flag")
	cease.Flags().StringVar(&source, "source", "", "why or on whose request (kept with the flag)")
	config.RegisterFlags(cease.Flags())
	cmd.AddCommand(cease)
	return cmd
}

func newAuditCmd() *cobra.Command {
	var campaignID, debtID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [--campaign C] --debt ID",
		Short: "Explain why a debt was or was not called",
		Long: `Explain why a debt was or was not called: its queue state, its status, the
debtor's cease-communication flag, its numbers on the do-not-call list, every
decision of the compliance rules still in the audit trail (the rule, the reason,
the next eligible time, the time zones used and where they came from) and every
recorded attempt. Numbers are masked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if debtID == "" {
				return errors.New("--debt is required: the debt_id of the imported row")
			}
			s, err := openGate(cmd)
			if err != nil {
				return err
			}
			defer s.Close()
			if campaignID == "" {
				if len(s.cfg.Campaigns) != 1 {
					return fmt.Errorf("--campaign is required: %d campaigns are configured", len(s.cfg.Campaigns))
				}
				campaignID = s.cfg.Campaigns[0].ID
			}
			a, err := s.gate.Audit(cmd.Context(), campaignID, debtID)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(a)
			}
			return a.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&campaignID, "campaign", "", "campaign id (optional when only one campaign is configured)")
	cmd.Flags().StringVar(&debtID, "debt", "", "debt id")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	config.RegisterFlags(cmd.Flags())
	return cmd
}
