package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/importer"
	"github.com/duecall/duecall/service"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "duecall",
		Short:         "Predictive dialer for debt-collection call centres (Asterisk ARI + Redis)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newDemoCmd(), newImportCmd(), newPBXSimCmd(), newConfigCmd(), newVersionCmd(), newBenchCmd())
	root.AddCommand(newAuditCmd(), newDNCCmd(), newDebtCmd(), newDebtorCmd()) // compliance.go
	root.AddCommand(newReportCmd())                                           // report.go
	root.AddCommand(newAlertsCmd())                                           // alerts.go
	return root
}

// loadConfig loads the configuration with the command's flags and prints
// the warnings.
func loadConfig(fs *pflag.FlagSet, stderr io.Writer) (*config.Config, error) {
	cfg, warns, err := config.Load(config.LoadOptions{Flags: fs})
	for _, w := range warns {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the dialer against Asterisk (ARI) and Redis",
		Long: `Run the dialer: connect to Asterisk's ARI and to Redis, log in the agents
marked auto_login, dial the configured campaigns' due debts, bridge answered
calls to agents and serve the HTTP API (stats, agent actions).

Asterisk or Redis being unreachable is not fatal: duecall logs a clear error,
dials nothing, and resumes when they are back. A Redis that refuses the
password at startup is: serve exits saying which keys set it. SIGINT/SIGTERM
stop dialing and let live calls finish; a second signal exits at once.`,
		Args: cobra.NoArgs,
	}
	config.RegisterFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loadConfig(cmd.Flags(), cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		log, err := service.NewLogger(cfg.Log, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		defer log.Sync() //nolint:errcheck
		if len(cfg.Campaigns) == 0 {
			log.Warn("no campaigns configured: nothing will be dialled (see deploy/duecall.example.yaml)")
		}
		svc, err := service.New(cfg, service.Options{Logger: log})
		if err != nil {
			return err
		}
		defer svc.Close()
		log.Info("HTTP API listening", zap.String("addr", svc.Addr()))
		return svc.Run(cmd.Context())
	}
	return cmd
}

func newImportCmd() *cobra.Command {
	var campaignID string
	var batch int
	cmd := &cobra.Command{
		Use:   "import --campaign ID FILE.csv",
		Short: "Import debts from a CSV file into a campaign's queue",
		Long: `Import debts from a CSV file (use - for standard input).

Header (any order, case-insensitive): debt_id,debtor_name,phone,amount,currency,due_date
Optional: phone2,phone3,timezone,priority,notes; any other column is kept as the
debtor's profile for the agent's screen. Phone numbers are normalised to E.164
with dialer.default_region (VN: old 11-digit mobiles are renumbered).

Invalid rows are reported with their line, column and reason and skipped; valid
rows import. Re-importing a debt_id updates the debt. A row whose timezone
keeps a different clock from every zone of its numbers (calling hours follow
the timezone) is imported with a warning, listed after the errors. Exit
status: 0 all rows imported (with or without warnings), 2 some rows failed,
1 the import could not run.`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&campaignID, "campaign", "", "campaign id (must be configured)")
	cmd.Flags().IntVar(&batch, "batch", 500, "debts written to Redis per round trip")
	config.RegisterFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if campaignID == "" {
			return errors.New("--campaign is required: the id of a campaign in the configuration")
		}
		cfg, err := loadConfig(cmd.Flags(), cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		camp, ok := cfg.Campaign(campaignID)
		if !ok {
			ids := make([]string, len(cfg.Campaigns))
			for i, c := range cfg.Campaigns {
				ids[i] = c.ID
			}
			return fmt.Errorf("--campaign %q: no such campaign in the configuration (configured: %v)", campaignID, ids)
		}
		log, err := service.NewLogger(cfg.Log, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		in, size, err := openInput(args[0], cmd.InOrStdin())
		if err != nil {
			return err
		}
		defer in.Close()
		rdb, store, err := service.OpenStore(cmd.Context(), cfg, log)
		if err != nil {
			return err
		}
		defer rdb.Close()
		out := cmd.OutOrStdout()
		opts := importer.Options{CampaignID: campaignID, Rules: camp.Rules(), DefaultRegion: cfg.Dialer.DefaultRegion, BatchSize: batch, Logger: log}
		var bar *importer.ProgressBar
		if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			bar = importer.NewProgressBar(out, size)
			opts.Progress = bar.Update
		}
		sum, err := importer.Import(cmd.Context(), in, store, opts)
		if bar != nil {
			bar.Finish()
		}
		if werr := sum.Write(out); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return fmt.Errorf("import %s: %w", args[0], err)
		}
		if sum.Failed > 0 {
			return exitError{code: 2}
		}
		return nil
	}
	return cmd
}

func openInput(name string, stdin io.Reader) (io.ReadCloser, int64, error) {
	if name == "-" {
		return io.NopCloser(stdin), -1, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print the effective values, secrets redacted",
		Args:  cobra.NoArgs,
	}
	config.RegisterFlags(check.Flags())
	check.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loadConfig(cmd.Flags(), cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		if _, err := service.Campaigns(cfg, 1); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), "# effective configuration (defaults < file < DUECALL_* environment < flags); secrets redacted")
		return cfg.WriteYAML(cmd.OutOrStdout(), true)
	}
	cmd.AddCommand(check)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "duecall %s\n", v)
		},
	}
}
