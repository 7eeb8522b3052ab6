// Command duecall is a predictive dialer for debt-collection call centres:
// it calls due debts from Redis queues through Asterisk (ARI), bridges
// answered calls to free agents and records every outcome against KPIs.
//
// Run `duecall help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	default:
		fmt.Fprintln(os.Stderr, "duecall:", err)
		os.Exit(1)
	}
}

// signalContext is cancelled by the first SIGINT or SIGTERM (the dialer then
// stops dialing and drains its live calls); a second signal exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		fmt.Fprintln(os.Stderr, "duecall: stopping: no new calls, live calls may finish (signal again to exit now)")
		cancel()
		<-ch
		fmt.Fprintln(os.Stderr, "duecall: second signal: exiting now; live calls are left to Asterisk and their leases expire")
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
