package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/websocket"

	"github.com/duecall/duecall/dialer"
)

// The events WebSocket is read by our own loop rather than ari/v5's:
// native.Connect blocks until Asterisk is up, its reader sends a nil event
// (and panics the bus) on an event type it does not know, and its stdbus
// drops events when a subscriber lags 100 behind.

// Timing of the WebSocket.
const (
	handshakeTimeout = 10 * time.Second
	// TCP keepalive finds a peer that vanished without closing (Asterisk
	// does not ping): about idle + interval*count.
	keepAliveIdle     = 10 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	// maxEventBytes bounds one event frame; a larger one is skipped.
	// Asterisk's events are a few kilobytes.
	maxEventBytes = 4 << 20
	// retryWarnEvery: while Asterisk stays unreachable, a warning is logged
	// every this many failed attempts (the first failure is an error).
	retryWarnEvery = 10
)

// errReplaced is returned by readLoop on ApplicationReplaced.
var errReplaced = errors.New("application replaced")

// Run connects the events WebSocket and keeps it connected until ctx ends
// or Close is called, then returns nil. After every connection it takes a
// Snapshot and emits EventConnected carrying it; when a connection ends
// (lost, or Run stopping) it emits EventDisconnected, and while ctx lives
// it reconnects with exponential backoff and jitter (MinBackoff to
// MaxBackoff; a connection that held at least MaxBackoff is retried at
// once). If Asterisk is unreachable, the first
// failure is logged as an error with the URL and the reason, and Run keeps
// trying.
//
// ApplicationReplaced (another client connected to the same application)
// is fatal: Run emits EventReplaced then EventDisconnected, and returns an
// error wrapping ErrApplicationReplaced.
//
// Run may not be called twice at once.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.running.CompareAndSwap(false, true) {
		c.mu.Unlock()
		return errors.New("ari: Run is already running")
	}
	c.runWG.Add(1)
	c.mu.Unlock()
	defer c.runWG.Done()
	defer c.running.Store(false)

	ctx, cancel := c.lifetime(ctx)
	defer cancel()

	bo := newBackoff(c.opts.MinBackoff, c.opts.MaxBackoff)
	failures := 0
	var downSince time.Time
	for {
		if ctx.Err() != nil {
			return nil
		}
		ws, snap, err := c.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			if downSince.IsZero() {
				downSince = time.Now()
			}
			delay := bo.next()
			fields := []zap.Field{zap.String("url", c.wsURL), zap.Error(err), zap.Int("attempt", failures), zap.Duration("retry_in", delay)}
			switch {
			case failures == 1:
				c.log.Error("cannot connect to Asterisk ARI; retrying", fields...)
			case failures%retryWarnEvery == 0:
				c.log.Warn("Asterisk ARI still unreachable; retrying", append(fields, zap.Duration("down_for", time.Since(downSince)))...)
			default:
				c.log.Debug("Asterisk ARI unreachable; retrying", fields...)
			}
			if !sleep(ctx, delay) {
				return nil
			}
			continue
		}

		c.stats.connects.Add(1)
		up := time.Now()
		fields := []zap.Field{zap.String("url", c.wsURL), zap.Int("channels", len(snap.Channels)), zap.Int("bridges", len(snap.Bridges))}
		if failures > 0 {
			fields = append(fields, zap.Int("failed_attempts", failures), zap.Duration("down_for", time.Since(downSince)))
		}
		c.log.Info("connected to Asterisk ARI", fields...)
		failures, downSince = 0, time.Time{}

		c.connected.Store(true)
		c.queue.pushForce(dialer.Event{Kind: dialer.EventConnected, Time: up, Snapshot: &snap})

		err = c.readLoop(ctx, ws)
		c.connected.Store(false)
		_ = ws.Close()

		if errors.Is(err, errReplaced) {
			now := time.Now()
			c.queue.pushForce(dialer.Event{Kind: dialer.EventReplaced, Time: now})
			c.queue.pushForce(dialer.Event{Kind: dialer.EventDisconnected, Time: now})
			return fmt.Errorf("ari: another client took over application %q (%w); each duecall process needs its own ari.application", c.opts.Application, ErrApplicationReplaced)
		}
		c.queue.pushForce(dialer.Event{Kind: dialer.EventDisconnected, Time: time.Now()})
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("lost the Asterisk ARI event connection; reconnecting", zap.String("url", c.wsURL), zap.Error(err), zap.Duration("was_up_for", time.Since(up)))

		// A connection that held for a while restarts the backoff and is
		// retried at once; one that failed quickly keeps backing off, so
		// a server that accepts and drops is not hammered.
		if time.Since(up) >= c.opts.MaxBackoff {
			bo.reset()
			continue
		}
		if !sleep(ctx, bo.next()) {
			return nil
		}
	}
}

// connect dials the WebSocket and takes the snapshot that follows every
// connection. The caller owns the returned connection.
func (c *Client) connect(ctx context.Context) (*websocket.Conn, dialer.Snapshot, error) {
	cfg, err := websocket.NewConfig(c.wsURL, "http://localhost/")
	if err != nil {
		return nil, dialer.Snapshot{}, fmt.Errorf("websocket config: %w", err)
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.opts.Username+":"+c.opts.Password)))
	cfg.Dialer = &net.Dialer{
		Timeout: handshakeTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
	}
	dctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	ws, err := cfg.DialContext(dctx)
	cancel()
	if err != nil {
		// websocket.DialError holds the Config, whose header holds the
		// password: keep only the cause. It does not unwrap either.
		var de *websocket.DialError
		if errors.As(err, &de) {
			err = de.Err
		}
		err = fmt.Errorf("websocket %s: %w", c.wsURL, err)
		if errors.Is(err, websocket.ErrBadStatus) {
			return nil, dialer.Snapshot{}, c.diagnoseRefusal(ctx, err)
		}
		return nil, dialer.Snapshot{}, err
	}
	ws.MaxPayloadBytes = maxEventBytes
	snap, err := c.Snapshot(ctx)
	if err != nil {
		_ = ws.Close()
		return nil, dialer.Snapshot{}, fmt.Errorf("resync after connecting: %w", err)
	}
	return ws, snap, nil
}

// diagnoseRefusal explains a refused WebSocket upgrade, which x/net reports
// only as "bad status": a REST call with the same credentials tells a 401
// from the rest.
func (c *Client) diagnoseRefusal(ctx context.Context, err error) error {
	perr := c.do(ctx, http.MethodGet, "/asterisk/ping", nil, nil, nil)
	var ae *apiError
	switch {
	case errors.As(perr, &ae) && ae.status == http.StatusUnauthorized:
		return fmt.Errorf("%w (REST answers %d %s: check the ARI username and password)", err, ae.status, ae.message)
	case perr == nil:
		return fmt.Errorf("%w (REST works with these credentials: check WebsocketURL)", err)
	default:
		return fmt.Errorf("%w (REST check failed too: %v)", err, perr)
	}
}

// readLoop reads events until the connection fails, ctx ends or the
// application is replaced. Every message is decoded in order; what cannot
// be used is counted and skipped.
func (c *Client) readLoop(ctx context.Context, ws *websocket.Conn) error {
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	defer stop()
	warnedFull := false
	for {
		var data []byte
		if err := websocket.Message.Receive(ws, &data); err != nil {
			if errors.Is(err, websocket.ErrFrameTooLarge) {
				// x/net skips the frame; the stream goes on.
				c.stats.received.Add(1)
				c.stats.malformed.Add(1)
				c.log.Warn("skipping an oversized ARI event frame", zap.Error(err))
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		c.stats.received.Add(1)
		ev, res, err := decodeEvent(data, time.Now())
		switch res {
		case resultDeliver:
			if !warnedFull && c.queue.len() >= c.queue.max {
				warnedFull = true
				c.log.Warn("event reader is blocked: the dialer is not keeping up with ARI events", zap.Int("queued", c.queue.max))
			}
			if err := c.queue.push(ctx, ev); err != nil {
				return err
			}
		case resultReplaced:
			return errReplaced // Run reports it
		case resultIgnored:
			c.stats.ignored.Add(1)
		case resultUnknown:
			c.stats.unknown.Add(1)
			c.log.Debug("skipping ARI event of unknown type", zap.Error(err), zap.Int("bytes", len(data)))
		case resultMalformed:
			c.stats.malformed.Add(1)
			c.log.Debug("skipping malformed ARI event", zap.Error(err), zap.Int("bytes", len(data)))
		}
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff is exponential with "equal jitter": each delay is drawn in
// [cur/2, cur], then cur doubles up to max.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, cur: min}
}

func (b *backoff) next() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	half := d / 2
	return half + rand.N(d-half+1)
}

func (b *backoff) reset() { b.cur = b.min }
