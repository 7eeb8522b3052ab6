package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/demo"
	"github.com/duecall/duecall/service"
)

func newDemoCmd() *cobra.Command {
	var (
		opts    demo.Options
		asJSON  bool
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole debt-reminder campaign on embedded defaults (no Asterisk or Redis needed)",
		Long: `Run duecall end to end with everything embedded: an in-process Redis
(unless --redis-url), the PBX simulator (unless --ari-url), a synthetic
Vietnamese portfolio (+84 numbers, VND amounts, due dates around today) and
simulated agents who end each call after a random talk time and record a
disposition. It shows live progress on a terminal and ends with a KPI table
(--json prints the summary as JSON instead).

Against a real Asterisk loaded with deploy/asterisk/:
  duecall demo --ari-url http://pbx:8088/ari --ari-username duecall \
    --ari-password ... --dial-template 'Local/{number}@duecall-test' \
    --agent-template 'Local/agent-{id}@duecall-test' --debts 30 --duration 3m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// demo.Options fills zero values with defaults; on the command
			// line a zero is a mistake, so check the values as given.
			if err := opts.Validate(); err != nil {
				return err
			}
			if opts.ARIURL != "" {
				opts.Speed = 1
			}
			level := "error"
			if verbose {
				level = "debug"
			}
			log, err := service.NewLogger(config.Log{Level: level, Format: "console"}, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			opts.Logger = log
			out := cmd.OutOrStdout()
			progressTo := out
			if asJSON {
				progressTo = cmd.ErrOrStderr()
			}
			if isTerminal(progressTo) {
				opts.Progress = func(line string) {
					if line == "" {
						fmt.Fprint(progressTo, "\r\033[K")
						return
					}
					fmt.Fprint(progressTo, "\r\033[K"+line)
				}
			} else if !asJSON {
				last := time.Now()
				opts.Progress = func(line string) {
					if line != "" && time.Since(last) >= 5*time.Second {
						fmt.Fprintln(progressTo, strings.TrimSpace(line))
						last = time.Now()
					}
				}
			}
			if !asJSON {
				fmt.Fprintf(out, "duecall demo: %d debts, %d agents, %s pacing, %s at %gx speed (Ctrl-C to stop early)\n",
					opts.Debts, opts.Agents, opts.Pacing, opts.Duration, opts.Speed)
				fmt.Fprintln(out, demo.ComplianceNote)
			}
			sum, err := demo.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if asJSON {
				return sum.WriteJSON(out)
			}
			return sum.WriteTable(out)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Debts, "debts", 300, "synthetic debts to import")
	f.IntVar(&opts.Agents, "agents", 5, "simulated agents")
	f.DurationVar(&opts.Duration, "duration", 40*time.Second, "how long to dial (wall clock)")
	f.Float64Var(&opts.Speed, "speed", 20, "run the simulated PBX, agents and campaign timings this many times faster (1-100; 1 with --ari-url)")
	f.Uint64Var(&opts.Seed, "seed", 1, "random seed of the portfolio, the simulator and the agents")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	f.BoolVar(&verbose, "verbose", false, "log the dialer's debug output to stderr")
	f.StringVar(&opts.RedisURL, "redis-url", "", "use this Redis (under a fresh key prefix) instead of the embedded one")
	f.StringVar(&opts.ARIURL, "ari-url", "", "use this Asterisk ARI (http://host:8088/ari) instead of the simulator")
	f.StringVar(&opts.ARIUsername, "ari-username", config.DefaultARIUsername, "ARI user with --ari-url")
	f.StringVar(&opts.ARIPassword, "ari-password", "", "ARI password with --ari-url (or $DUECALL_ARI_PASSWORD)")
	f.StringVar(&opts.DialTemplate, "dial-template", "PJSIP/{number}@trunk", "debtor endpoint template: {number}, {e164} or {national}")
	f.StringVar(&opts.AgentTemplate, "agent-template", "PJSIP/agent{id}", "agent endpoint template; agents are 101, 102, ...")
	f.StringVar(&opts.Pacing, "pacing", "predictive", "pacing mode: progressive, power, adaptive or predictive")
	f.StringVar(&opts.HTTPListen, "http-listen", "127.0.0.1:0", "HTTP API address while the demo runs")
	cmd.PreRun = func(*cobra.Command, []string) {
		if opts.ARIPassword == "" {
			opts.ARIPassword = os.Getenv("DUECALL_ARI_PASSWORD")
		}
	}
	return cmd
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
