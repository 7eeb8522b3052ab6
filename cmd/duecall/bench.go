package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/duecall/duecall/sim"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks (pacing)"}
	var (
		asJSON, short bool
		seeds         int
		output        string
	)
	pacingCmd := &cobra.Command{
		Use:   "pacing",
		Short: "Compare the pacers over simulated 8-hour days and write docs/BENCHMARKS.md",
		Long: `Run every pacer (progressive, power, adaptive, predictive) through every
scenario (S1-S6) of the discrete-event simulation, which drives the
production dialer engine on a virtual clock against a simulated PBX, for
several seeds (each seed's call population is replayed identically to every
pacer). Prints a table (medians with min-max) and writes it as Markdown to
--output (default docs/BENCHMARKS.md when ./docs exists). --json prints the
rows as a JSON array instead of the table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			stderr := cmd.ErrOrStderr()
			rows, err := sim.RunBenchmark(sim.BenchOptions{Seeds: seeds, Short: short,
				Progress: func(done, total int) {
					if isTerminal(stderr) {
						fmt.Fprintf(stderr, "\r\033[K%d/%d simulated days", done, total)
					}
				}})
			if isTerminal(stderr) {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "benchmark ran in %v\n", time.Since(start).Round(time.Millisecond))
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				err = enc.Encode(rows)
			} else {
				err = sim.WriteMarkdown(out, rows)
			}
			if err != nil {
				return err
			}
			path := output
			if !cmd.Flags().Changed("output") {
				if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
					return nil // not in a checkout: print only
				}
			}
			if path == "" || path == "-" {
				return nil
			}
			f, err := os.Create(path)
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			err = errors.Join(sim.WriteMarkdown(f, rows), f.Close())
			if err == nil {
				fmt.Fprintf(stderr, "wrote %s\n", path)
			}
			return err
		},
	}
	f := pacingCmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the rows as a JSON array")
	f.BoolVar(&short, "short", false, "1-hour days and 2 seeds (a smoke test)")
	f.IntVar(&seeds, "seeds", 0, "seeds per pacer and scenario (default 5, at least 5 for the published table)")
	f.StringVar(&output, "output", filepath.Join("docs", "BENCHMARKS.md"), `write the Markdown table here ("-": do not write)`)
	cmd.AddCommand(pacingCmd)
	return cmd
}
