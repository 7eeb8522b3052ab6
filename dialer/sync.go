package dialer

import (
	"context"
	"errors"

	"go.uber.org/zap"
)

// This file holds the Synchronous mode (Options.Synchronous): the same
// engine code, driven from one goroutine. Simulations use it to run the
// production dialer on a virtual clock: a Telephony and a Store that
// complete inline, and a Clock whose timers fire from the simulation loop.
// Every input (a timer, an event, an API call) is handled as the loop in
// Run would handle it, followed by the same settle step (results of I/O,
// routing, pacing, shutdown progress).

// Start starts a Synchronous engine: it arms the engine's timers on the
// Clock, handles the telephony events already waiting and places the first
// calls, then returns. From then on, the caller drives the engine from one
// goroutine: it fires the Clock's timers (each one runs its input inline),
// calls Pump after anything that may have produced telephony events (a
// timer of the simulated PBX), and may call the API methods (Login,
// Status, ...), which run inline. Stop begins the shutdown.
func (e *Engine) Start() error {
	if !e.sync {
		return errors.New("dialer: Start is for a Synchronous engine; use Run")
	}
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("dialer: Start called twice")
	}
	e.ioCtx, e.ioCancel = context.WithCancel(context.Background())
	e.events = e.tel.Events()
	e.connected = e.tel.Connected()
	e.log.Info("dialer engine starting (synchronous)", zap.Int("campaigns", len(e.campList)),
		zap.Int("agents", len(e.agentList)), zap.Bool("pbx_connected", e.connected))
	e.armPoll()
	e.armRenew()
	e.armPacers()
	e.dirty = true
	e.syncInput(nil)
	return nil
}

// Pump handles the telephony events waiting on Telephony.Events (without
// blocking) of a Synchronous engine, with everything they lead to. It does
// nothing before Start or after the engine stopped.
func (e *Engine) Pump() {
	if !e.sync || !e.started.Load() {
		return
	}
	e.syncInput(nil)
}

// Stop begins the shutdown of a Synchronous engine, as cancelling Run's
// context does: no new calls; live calls may finish for DrainTimeout, then
// are hung up; agents are logged out; writes are flushed. The caller keeps
// firing the Clock's timers until Stopped reports true.
func (e *Engine) Stop() {
	if !e.sync || !e.started.Load() {
		return
	}
	e.syncInput(func() {
		if e.lc == lcRunning {
			e.log.Info("dialer engine draining", zap.Duration("drain_timeout", e.opts.DrainTimeout))
			e.beginDrain(e.opts.DrainTimeout)
		}
	})
}

// Stopped reports whether a Synchronous engine has finished its shutdown
// (or Run has returned).
func (e *Engine) Stopped() bool { return e.stopped() }

// Err is what Run returns (ErrReplaced, ErrTelephonyClosed); for a
// Synchronous engine, valid once Stopped reports true.
func (e *Engine) Err() error {
	if !e.stopped() {
		return nil
	}
	return e.runErr
}

func (e *Engine) stopped() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// syncInput handles one input of a Synchronous engine as Run's loop would.
func (e *Engine) syncInput(f func()) {
	if e.stopped() {
		return
	}
	if f != nil {
		f()
	}
	e.settle()
	e.pump()
	if e.finished() && !e.stopped() {
		e.stopTimers()
		e.ioCancel()
		close(e.done)
		e.log.Info("dialer engine stopped")
	}
}

// pump handles the waiting telephony events (Synchronous).
func (e *Engine) pump() {
	for e.events != nil {
		select {
		case ev, ok := <-e.events:
			if !ok {
				e.events = nil
				e.fatal(ErrTelephonyClosed)
				e.settle()
				return
			}
			e.handleEvent(ev)
			e.settle()
		default:
			return
		}
	}
}
