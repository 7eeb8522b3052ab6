//go:build !linux

package redistest

import "os/exec"

// start starts cmd. Outside Linux there is no parent-death signal: a
// redis-server outlives a test binary that is killed before its cleanup
// runs (use Main in TestMain to stop the shared server on a normal exit).
func start(cmd *exec.Cmd) error { return cmd.Start() }
