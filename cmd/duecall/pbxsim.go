package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/duecall/duecall/ari/pbxsim"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/service"
)

func newPBXSimCmd() *cobra.Command {
	var (
		listen, username, password, app   string
		timeScale                         float64
		seed                              int64
		population                        bool
		answer, busy, congestion, invalid float64
		talkMean                          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "pbxsim",
		Short: "Run the ARI-speaking PBX simulator (a stand-in for Asterisk in tests and demos)",
		Long: `Run a PBX simulator that speaks Asterisk's REST Interface and events
WebSocket, so that duecall (or any ARI client) can be tried without Asterisk.

Callees are chosen by the LAST digit of the dialled number:
  1 rings 2 s, answers, stays up      2 busy              3 never answers
  4 congestion                        5 answers, hangs up after 5 s
  6 answering machine                 7 unallocated number
  8, 9, 0 ring 1-10 s, answer, hang up after a random talk time
Endpoints whose resource starts with "agent" (PJSIP/agent101) answer at once.
With --population, a seeded random population replaces the digit scheme.
--time-scale 0.1 runs every simulated duration ten times faster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := pbxsim.Config{Username: username, Password: password, Application: app, TimeScale: timeScale, Seed: seed}
			if population {
				cfg.Population = &pbxsim.Population{AnswerProb: answer, BusyProb: busy, CongestionProb: congestion,
					InvalidProb: invalid, TalkMean: talkMean}
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			log, err := service.NewLogger(config.Log{Level: "info", Format: "console"}, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cfg.Logger = log
			srv := pbxsim.New(cfg)
			defer srv.Close()
			base, err := srv.Listen(listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pbxsim: ARI at %s/ari (user %q), events at ws%s/ari/events; Ctrl-C to stop\n", base, username, base[len("http"):])
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8088", "address to serve ARI on")
	f.StringVar(&username, "username", config.DefaultARIUsername, "ARI username (empty: no authentication)")
	f.StringVar(&password, "password", config.ExamplePassword, "ARI password")
	f.StringVar(&app, "app", "", "accept only this ARI application name (default: any)")
	f.Float64Var(&timeScale, "time-scale", 1, "multiply every simulated duration by this (0.1 = ten times faster)")
	f.Int64Var(&seed, "seed", 1, "random seed")
	f.BoolVar(&population, "population", false, "use a seeded random population instead of the last-digit scheme")
	f.Float64Var(&answer, "answer-rate", 0.35, "population: probability that a person answers")
	f.Float64Var(&busy, "busy-rate", 0.05, "population: probability of busy")
	f.Float64Var(&congestion, "congestion-rate", 0.02, "population: probability of congestion")
	f.Float64Var(&invalid, "invalid-rate", 0.03, "population: probability of an unallocated number")
	f.DurationVar(&talkMean, "talk-mean", 90*time.Second, "population: mean talk time before the debtor hangs up")
	return cmd
}
