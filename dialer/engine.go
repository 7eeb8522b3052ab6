package dialer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
)

// lifecycle is where the engine is in its life.
type lifecycle int

const (
	lcRunning   lifecycle = iota
	lcDraining            // no new calls; live calls may finish until the drain deadline
	lcHangingUp           // live calls are being hung up
	lcClosing             // agents logged out; writes flushing
)

// Engine runs campaigns: see the package doc. Create it with New and start
// it with Run; its API methods may be called from any goroutine while Run
// runs.
type Engine struct {
	tel   Telephony
	store campaign.Store
	clock Clock
	log   *zap.Logger
	opts  Options

	inbox   chan func()   // worker results, timer fires, API commands
	done    chan struct{} // closed when the loop has exited
	started atomic.Bool
	wg      sync.WaitGroup // worker goroutines
	sync    bool           // Options.Synchronous
	events  <-chan Event   // Synchronous: the Telephony's events (nil once closed)

	// Everything below is owned by the loop goroutine.

	campaigns    map[string]*campaignRT
	campList     []*campaignRT
	agents       map[string]*agent
	agentList    []*agent
	calls        map[string]*call     // by channel id (= attempt id)
	agentChans   map[string]*agent    // agent channel id -> agent (current channels only)
	bridges      map[string]*agent    // agent bridge id -> agent (current bridges only)
	playbacks    map[string]*call     // playback id -> call
	retired      map[string]time.Time // ids whose late events are expected and ignored
	retiredQ     []retiredID          // retired ids in the order they were retired
	retiredQ0    int                  // first live entry of retiredQ
	routable     []*call              // calls answered, in the application, with no agent yet
	routeScratch []*call
	leases       map[string]*heldLease
	writes       writeQueue
	// dispositions waiting for their attempt to be written, by attempt id.
	waitingDispositions map[string][]disposition

	ioCtx    context.Context
	ioCancel context.CancelFunc
	// outstanding counts worker goroutines whose result has not been
	// handled yet; the loop exits only when it is 0.
	outstanding int
	later       []func() // inputs produced while handling an input
	dirty       bool     // re-run routing and pacing

	connected bool
	lc        lifecycle
	runErr    error
	drainTmr  Timer
	flushTmr  Timer
	flushed   bool // the flush deadline passed

	storeDown       bool
	storeDownSince  time.Time
	claimBackoff    time.Duration
	claimBlockedTil time.Time

	latency       Histogram
	unknownEvents int64
	invalidInputs int64
}

// New validates the options and returns an Engine; it does nothing until
// Run.
func New(opts Options) (*Engine, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		tel:                 opts.Telephony,
		store:               opts.Store,
		sync:                opts.Synchronous,
		clock:               opts.Clock,
		log:                 opts.Logger,
		opts:                opts,
		inbox:               make(chan func(), 4096),
		done:                make(chan struct{}),
		campaigns:           map[string]*campaignRT{},
		agents:              map[string]*agent{},
		calls:               map[string]*call{},
		agentChans:          map[string]*agent{},
		bridges:             map[string]*agent{},
		playbacks:           map[string]*call{},
		retired:             map[string]time.Time{},
		leases:              map[string]*heldLease{},
		waitingDispositions: map[string][]disposition{},
	}
	for _, c := range opts.Campaigns {
		tmpl, err := ParseDialTemplate(c.DialTemplate)
		if err != nil { // validated already
			return nil, err
		}
		rt := newCampaignRT(c, tmpl, e.log.With(zap.String("campaign_id", c.ID)))
		e.campaigns[c.ID] = rt
		e.campList = append(e.campList, rt)
	}
	for _, a := range opts.Agents {
		ag := &agent{cfg: a, log: e.log.With(zap.String("agent_id", a.ID)), pslot: -1}
		e.agents[a.ID] = ag
		e.agentList = append(e.agentList, ag)
	}
	e.writes.e = e
	return e, nil
}

// Run runs the engine until ctx is cancelled, then shuts down: it stops
// originating, lets live calls finish for up to Options.DrainTimeout, hangs
// up the rest and records their attempts, logs the agents out (hangs up
// their channels, destroys their bridges), retries unwritten attempts for
// up to Options.FlushTimeout, waits for every worker and returns. It
// returns nil after a requested shutdown, or an error wrapping ErrReplaced
// or ErrTelephonyClosed when the PBX connection was lost for good (after
// the same shutdown, without the drain). Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	if e.sync {
		return errors.New("dialer: Run is not used by a Synchronous engine: call Start")
	}
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("dialer: Run called twice")
	}
	defer close(e.done)
	e.ioCtx, e.ioCancel = context.WithCancel(context.WithoutCancel(ctx))
	defer e.ioCancel()
	e.connected = e.tel.Connected()
	e.log.Info("dialer engine starting", zap.Int("campaigns", len(e.campList)),
		zap.Int("agents", len(e.agentList)), zap.Bool("pbx_connected", e.connected))
	events := e.tel.Events()
	ctxDone := ctx.Done()
	e.armPoll()
	e.armRenew()
	e.armPacers()
	e.dirty = true
	e.settle()
	for !e.finished() {
		select {
		case <-ctxDone:
			ctxDone = nil
			e.log.Info("dialer engine draining", zap.Duration("drain_timeout", e.opts.DrainTimeout))
			e.beginDrain(e.opts.DrainTimeout)
		case ev, ok := <-events:
			if !ok {
				events = nil
				e.fatal(ErrTelephonyClosed)
				break
			}
			e.handleEvent(ev)
		case f := <-e.inbox:
			f()
		}
		e.settle()
	}
	e.stopTimers()
	e.ioCancel()
	e.wg.Wait()
	e.log.Info("dialer engine stopped")
	return e.runErr
}

// settle runs the inputs queued while handling one, then routing, pacing
// and the shutdown progress, until nothing changes.
func (e *Engine) settle() {
	for i := 0; ; i++ {
		for len(e.later) > 0 {
			f := e.later[0]
			e.later = e.later[1:]
			f()
		}
		if !e.dirty || i > 20 {
			break
		}
		e.dirty = false
		e.route()
		e.pace()
	}
	e.progressShutdown()
}

// enqueue queues an input to be handled after the current one.
func (e *Engine) enqueue(f func()) { e.later = append(e.later, f) }

// spawn runs f in a worker goroutine; the function it returns is then run
// on the loop. f gets a context bounded by OpTimeout and cancelled when Run
// gives up.
func (e *Engine) spawn(f func(ctx context.Context) func()) {
	if e.sync {
		// Inline; the result is handled after the current input, as it
		// would be when it came back from a worker.
		e.outstanding++
		res := f(e.ioCtx)
		e.enqueue(func() {
			e.outstanding--
			if res != nil {
				res()
			}
		})
		return
	}
	e.outstanding++
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx, cancel := context.WithTimeout(e.ioCtx, e.opts.OpTimeout)
		res := f(ctx)
		cancel()
		// The loop runs until outstanding is 0, so this send is received.
		e.inbox <- func() {
			e.outstanding--
			if res != nil {
				res()
			}
		}
	}()
}

// after runs f on the loop after d (of the engine's Clock).
func (e *Engine) after(d time.Duration, f func()) Timer {
	if e.sync {
		return e.clock.AfterFunc(d, func() { e.syncInput(f) })
	}
	return e.clock.AfterFunc(d, func() {
		select {
		case e.inbox <- f:
		case <-e.done:
		}
	})
}

// now is the engine's time.
func (e *Engine) now() time.Time { return e.clock.Now() }

// do runs f on the loop and waits for it; f must not block.
func (e *Engine) do(ctx context.Context, f func()) error {
	if !e.started.Load() {
		return ErrNotRunning
	}
	if e.sync {
		if e.stopped() {
			return ErrNotRunning
		}
		e.syncInput(f)
		return nil
	}
	fin := make(chan struct{})
	g := func() { f(); close(fin) }
	select {
	case e.inbox <- g:
	case <-e.done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-fin:
		return nil
	case <-e.done:
		// The loop may have run g just before exiting.
		select {
		case <-fin:
			return nil
		default:
			return ErrNotRunning
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// armPoll re-runs pacing every PollInterval and sweeps old retired ids.
func (e *Engine) armPoll() {
	e.after(e.opts.PollInterval, func() {
		e.dirty = true
		e.sweepRetired()
		if e.lc < lcClosing {
			e.armPoll()
		}
	})
}

// retiredID is an entry of the retired ids' queue.
type retiredID struct {
	id string
	at time.Time
}

// sweepRetired forgets retired ids after retiredTTL (oldest first, so a
// sweep costs only what it forgets).
func (e *Engine) sweepRetired() {
	now := e.now()
	q := e.retiredQ
	i := e.retiredQ0
	for ; i < len(q) && now.Sub(q[i].at) > retiredTTL; i++ {
		if t, ok := e.retired[q[i].id]; ok && !t.After(q[i].at) {
			delete(e.retired, q[i].id)
		}
		q[i] = retiredID{}
	}
	if i > len(q)/2 {
		n := copy(q, q[i:])
		e.retiredQ, e.retiredQ0 = q[:n], 0
		return
	}
	e.retiredQ0 = i
}

func (e *Engine) retire(id string) {
	if id != "" {
		now := e.now()
		e.retired[id] = now
		e.retiredQ = append(e.retiredQ, retiredID{id: id, at: now})
	}
}

// canOriginate reports whether new calls may be placed.
func (e *Engine) canOriginate() bool {
	return e.lc == lcRunning && e.connected && e.tel.Connected()
}

// fatal ends the engine after a permanent loss of the PBX connection.
func (e *Engine) fatal(err error) {
	if e.runErr == nil {
		e.runErr = fmt.Errorf("dialer: %w", err)
	}
	e.connected = false
	e.log.Error("PBX connection lost for good; shutting down without drain", zap.Error(err))
	e.beginDrain(0)
}

// beginDrain stops originating and arms the drain deadline.
func (e *Engine) beginDrain(timeout time.Duration) {
	if e.lc == lcRunning {
		e.lc = lcDraining
	}
	if e.lc != lcDraining {
		return
	}
	if timeout <= 0 {
		e.hangUpAll()
		return
	}
	e.drainTmr = e.after(timeout, func() {
		if e.lc == lcDraining {
			e.log.Warn("drain timeout: hanging up the calls still in progress", zap.Int("calls", len(e.calls)))
			e.hangUpAll()
		}
	})
}

// hangUpAll hangs up every live call.
func (e *Engine) hangUpAll() {
	e.lc = lcHangingUp
	for _, c := range e.sortedCalls() {
		e.step(c, callInput{Kind: inHangupNow, Reason: "dialer shutting down"})
	}
}

// progressShutdown moves the shutdown on when its current stage is done.
func (e *Engine) progressShutdown() {
	switch e.lc {
	case lcDraining, lcHangingUp:
		if len(e.calls) > 0 || e.claiming() > 0 {
			return
		}
		if e.drainTmr != nil {
			e.drainTmr.Stop()
		}
		e.lc = lcClosing
		for _, a := range e.agentList {
			if a.state != AgentLoggedOut {
				e.logoutAgent(a, "dialer shutting down", false)
			}
		}
		e.flushTmr = e.after(e.opts.FlushTimeout, func() {
			e.flushed = true
			e.writes.giveUp()
			e.ioCancel()
		})
	}
}

// finished reports whether the loop may exit.
func (e *Engine) finished() bool {
	if e.lc != lcClosing || len(e.calls) > 0 || e.outstanding > 0 {
		return false
	}
	return e.writes.empty() || e.flushed
}

func (e *Engine) stopTimers() {
	for _, c := range e.calls {
		if c.timer != nil {
			c.timer.Stop()
		}
	}
	for _, a := range e.agentList {
		if a.wrapTimer != nil {
			a.wrapTimer.Stop()
		}
	}
	if e.flushTmr != nil {
		e.flushTmr.Stop()
	}
	e.writes.stopTimers()
}

func (e *Engine) claiming() int {
	n := 0
	for _, rt := range e.campList {
		n += rt.claiming
	}
	return n
}

func (e *Engine) sortedCalls() []*call {
	out := make([]*call, 0, len(e.calls))
	for _, c := range e.calls {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].placedAt.Equal(out[j].placedAt) {
			return out[i].placedAt.Before(out[j].placedAt)
		}
		return out[i].id < out[j].id
	})
	return out
}

// backoff doubles d within [backoffMin, backoffMax].
func backoff(d time.Duration) time.Duration {
	if d < backoffMin {
		return backoffMin
	}
	return min(2*d, backoffMax)
}
