package dialer

import "context"

// Idle reports whether the engine has nothing left to do without the clock
// moving: no input queued, no worker running, no event waiting. It reports
// false before Run and true after it returned.
func (e *Engine) Idle(ctx context.Context) bool {
	if !e.started.Load() {
		return false
	}
	idle := false
	events := e.tel.Events()
	if err := e.do(ctx, func() {
		idle = e.outstanding == 0 && len(e.inbox) == 0 && len(e.later) == 0 && len(events) == 0
	}); err != nil {
		return err == ErrNotRunning
	}
	return idle
}
