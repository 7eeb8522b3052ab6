package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/httpapi"
)

// Auto-login timing: how often the agents are looked at, and the backoff
// of one agent's login attempts (a phone that does not answer is not rung
// every second).
const (
	autoLoginPoll     = 200 * time.Millisecond
	autoLoginMinDelay = 200 * time.Millisecond
	autoLoginMaxDelay = 30 * time.Second
)

// apiEngine is the engine as the HTTP API drives it. It notes the agents
// logged out on purpose through the API, whom auto-login then leaves alone
// until they log in again.
type apiEngine struct {
	*dialer.Engine
	mu      sync.Mutex
	heldOut map[string]bool
}

var _ httpapi.Engine = (*apiEngine)(nil)

func newAPIEngine(e *dialer.Engine) *apiEngine {
	return &apiEngine{Engine: e, heldOut: map[string]bool{}}
}

// Login logs the agent in and lifts a hold of an earlier API logout.
func (e *apiEngine) Login(ctx context.Context, agentID, campaignID string) error {
	err := e.Engine.Login(ctx, agentID, campaignID)
	if err == nil {
		e.mu.Lock()
		delete(e.heldOut, agentID)
		e.mu.Unlock()
	}
	return err
}

// Logout logs the agent out and keeps auto-login from logging them back in.
// An agent who was logged out already (their phone hung up) is held out
// too: the request says the operator wants them out.
func (e *apiEngine) Logout(ctx context.Context, agentID string) error {
	err := e.Engine.Logout(ctx, agentID)
	if err == nil || errors.Is(err, dialer.ErrAgentState) {
		e.mu.Lock()
		e.heldOut[agentID] = true
		e.mu.Unlock()
	}
	return err
}

func (e *apiEngine) isHeldOut(agentID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.heldOut[agentID]
}

// autoLogin keeps the agents marked auto_login logged in for as long as
// Run runs: at start as soon as the PBX is reachable, and again whenever
// one is logged out by anything but a logout through the API (their phone
// did not answer or hung up, or Asterisk restarted and took every channel
// with it). Each agent's attempts back off from 200 ms to 30 s until the
// agent is ready again.
func (s *Service) autoLogin(ctx context.Context) {
	type pending struct {
		next  time.Time
		delay time.Duration
		tries int
	}
	agents := map[string]*pending{}
	for _, a := range s.cfg.Agents {
		if a.AutoLogin {
			agents[a.ID] = &pending{delay: autoLoginMinDelay}
		}
	}
	if len(agents) == 0 {
		return
	}
	tick := time.NewTicker(autoLoginPoll)
	defer tick.Stop()
	for {
		st := s.engine.Status(ctx)
		if st.Running && !st.Draining && st.PBXConnected {
			now := time.Now()
			for _, a := range st.Agents {
				p := agents[a.ID]
				switch {
				case p == nil:
				case a.State == dialer.AgentReady || a.State == dialer.AgentOnCall || a.State == dialer.AgentWrapUp || a.State == dialer.AgentPaused:
					p.delay, p.tries = autoLoginMinDelay, 0 // logged in: the next loss starts afresh
				case a.State != dialer.AgentLoggedOut, s.apiEngine.isHeldOut(a.ID), now.Before(p.next):
				default:
					p.tries++
					p.next = now.Add(p.delay)
					p.delay = min(2*p.delay, autoLoginMaxDelay)
					err := s.engine.Login(ctx, a.ID, "")
					switch {
					case err == nil:
						s.log.Info("auto login: calling the agent's phone", zap.String("agent_id", a.ID), zap.Int("attempt", p.tries))
					case errors.Is(err, dialer.ErrShuttingDown), errors.Is(err, dialer.ErrNotRunning), ctx.Err() != nil:
						return
					case errors.Is(err, dialer.ErrAgentState): // logged in meanwhile
					default:
						s.log.Warn("auto login failed; retrying", zap.String("agent_id", a.ID), zap.Error(err),
							zap.Duration("retry_in", p.delay))
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
