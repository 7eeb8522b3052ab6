// Package dialer is duecall's heart: it claims due debts from a
// campaign.Store, places calls through a Telephony (the PBX), connects
// answered debtors to the ready agent who has waited longest, plays the
// abandon message when no agent is free in time, and records exactly one
// campaign.Attempt per call.
//
// The Engine is a single-goroutine actor: one loop owns every call, agent
// and campaign; PBX events, timer fires, API commands and the results of
// blocking I/O (which runs in worker goroutines the engine owns) arrive on
// channels. A slow REST call or a store outage never stalls event handling.
// Time comes only from the injected Clock, so a simulation can drive the
// same code on a virtual clock: with Options.Synchronous the engine runs
// without goroutines (Start, Pump, Stop), its I/O completing inline, which
// is how package sim runs a whole day of the production engine in seconds.
//
// Each campaign's pacer (package pacing, selected by Campaign.Pacing) is
// asked how many calls to place whenever something changes, or on its own
// dial loop; the engine feeds it samples and finished attempts when it asks
// for them, and counts the campaign's abandon rate over a rolling window
// (Status).
//
// Each debtor call follows a pure state machine (next, in callstate.go);
// agents log in over a nailed-up channel that sits in the agent's own mixing
// bridge, so a debtor is connected by adding their channel to that bridge.
package dialer

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/dialer/pacing"
)

// Sentinel errors of the Engine's API.
var (
	// ErrUnknownAgent: no agent with that id is configured.
	ErrUnknownAgent = errors.New("unknown agent")
	// ErrUnknownCampaign: no campaign with that id is configured.
	ErrUnknownCampaign = errors.New("unknown campaign")
	// ErrAgentState: the agent's state does not allow the request; the
	// wrapping message says what state it is in and what is allowed.
	ErrAgentState = errors.New("agent state does not allow this")
	// ErrNotOnCall: the agent has no connected debtor call.
	ErrNotOnCall = errors.New("agent is not on a call")
	// ErrNotRunning: Run has not started or has returned.
	ErrNotRunning = errors.New("dialer engine is not running")
	// ErrShuttingDown: the engine is draining and takes no new logins.
	ErrShuttingDown = errors.New("dialer engine is shutting down")
	// ErrReplaced: another client took over the PBX application's event
	// connection (two dialers on one application); Run returns it.
	ErrReplaced = errors.New("PBX event connection taken over by another client")
	// ErrTelephonyClosed: the Telephony's event channel closed while the
	// engine was running; Run returns it.
	ErrTelephonyClosed = errors.New("telephony event channel closed")
)

// Pacer decides how many calls a campaign places; see package pacing.
type Pacer = pacing.Pacer

// AgentState is where an agent is (logged_out, connecting, ready, on_call,
// wrap_up, paused).
type AgentState = pacing.AgentState

// Agent states.
const (
	AgentLoggedOut  = pacing.AgentLoggedOut
	AgentConnecting = pacing.AgentConnecting
	AgentReady      = pacing.AgentReady
	AgentOnCall     = pacing.AgentOnCall
	AgentWrapUp     = pacing.AgentWrapUp
	AgentPaused     = pacing.AgentPaused
)

// Campaign is one campaign as the dialer runs it.
type Campaign struct {
	ID   string
	Name string
	// DialTemplate turns a debtor's number into the endpoint to originate:
	// "PJSIP/{number}@trunk"; {number} is the E.164 digits without "+",
	// {e164} with it, {national} the national form ("0912345678" for
	// +84912345678; best effort for other countries).
	DialTemplate string
	// CallerID shown to debtors ("Acme Collections <1900123>").
	CallerID string
	// OriginateTimeout is the ring time before no-answer (default 30 s).
	OriginateTimeout time.Duration
	// MaxLines caps the calls in progress (dialing, ringing, waiting,
	// talking, ending); required, at least 1.
	MaxLines int
	// AbandonAfter is how long an answered debtor waits for an agent
	// before the abandon message (default 2 s).
	AbandonAfter time.Duration
	// AbandonSound is the media played then ("sound:duecall-abandon");
	// "" hangs up without a message.
	AbandonSound string
	// WrapUp is the agent's time after a call before the next (0: none).
	WrapUp time.Duration
	// Rules decide the debt's schedule after each attempt. Rules.CampaignID
	// is set to ID when empty.
	Rules campaign.Rules
	// Pacing selects the campaign's pacer (pacing.mode and its settings)
	// when Pacer is nil, and sets the rolling window over which the
	// campaign's abandon rate is measured (Status, and pacers through
	// pacing.State). The zero value is progressive pacing, a 3 % target
	// and a 24 h window.
	Pacing pacing.Config
	// Pacer, when set, is used instead of one built from Pacing. A pacer
	// keeps state: never give one instance to two campaigns.
	Pacer Pacer
}

// Agent is one agent who may log in.
type Agent struct {
	ID   string
	Name string
	// Endpoint is the agent's phone ("PJSIP/agent1", "Local/agent-1@agents").
	Endpoint string
	// CampaignID is the campaign the agent logs in to by default.
	CampaignID string
}

// Options configure an Engine.
type Options struct {
	Telephony Telephony      // required
	Store     campaign.Store // required
	Clock     Clock          // nil: RealClock
	Logger    *zap.Logger    // nil: zap.NewNop()
	// Owner names this dialer process in leases (required).
	Owner string
	// LeaseTTL is the lease time on claimed debts (default 60 s); leases of
	// live calls are renewed every LeaseTTL/3.
	LeaseTTL time.Duration
	// DrainTimeout is how long live calls may go on after Run's context is
	// cancelled before they are hung up (default 30 s).
	DrainTimeout time.Duration
	// FlushTimeout is how long, after the calls are gone, attempts that
	// could not be written yet are retried before Run gives up and logs
	// them (default 10 s).
	FlushTimeout time.Duration
	// PollInterval is how often pacing is re-checked when nothing happens
	// (default 250 ms).
	PollInterval time.Duration
	// AgentTimeout is how long an agent's phone rings at login (default 30 s).
	AgentTimeout time.Duration
	// OpTimeout bounds each PBX or store request (default 10 s).
	OpTimeout time.Duration
	Campaigns []Campaign
	Agents    []Agent
	// Synchronous runs the engine without goroutines, for simulations: use
	// Start instead of Run; Telephony and Store calls run inline on the
	// caller's goroutine (they must not block and must not call the engine
	// back), timers fire when the Clock runs them (from the same
	// goroutine), and telephony events are handled by Pump. The API methods
	// (Login, Status, ...) run inline too. See Start.
	Synchronous bool
	// NewID makes the engine's channel, bridge and playback ids (nil:
	// NewID). A simulation passes a deterministic one; every id must have
	// IDLength characters and be unique.
	NewID func(kind byte) string
}

// Defaults.
const (
	DefaultLeaseTTL         = 60 * time.Second
	DefaultDrainTimeout     = 30 * time.Second
	DefaultFlushTimeout     = 10 * time.Second
	DefaultPollInterval     = 250 * time.Millisecond
	DefaultAgentTimeout     = 30 * time.Second
	DefaultOpTimeout        = 10 * time.Second
	DefaultOriginateTimeout = 30 * time.Second
	DefaultAbandonAfter     = 2 * time.Second
)

// Timing constants of the call machine.
const (
	// playbackTimeout: hang up an abandoned call even if PlaybackFinished
	// never comes (an unsupported media scheme never finishes).
	playbackTimeout = 15 * time.Second
	// ringGrace: a call still dialing or ringing this long after its
	// originate timeout is hung up (lost events).
	ringGrace = 30 * time.Second
	// bridgeGuard: an AddToBridge not confirmed by then is given up.
	bridgeGuard = 10 * time.Second
	// endGuard: a call being hung up is forgotten after this even if no
	// ChannelDestroyed comes.
	endGuard = 10 * time.Second
	// backoff of the store (Claim) and of retried writes.
	backoffMin = time.Second
	backoffMax = 30 * time.Second
	// recentWindow is the number of recent attempts pacing statistics use.
	recentWindow = 100
	// retiredTTL: ids of finished calls and logged-out agents are
	// remembered this long so that their late events are not counted as
	// unknown.
	retiredTTL = 10 * time.Minute
)

// validate checks o and fills in defaults.
func (o *Options) validate() error {
	if o.Telephony == nil {
		return errors.New("dialer: Options.Telephony is required")
	}
	if o.Store == nil {
		return errors.New("dialer: Options.Store is required")
	}
	if o.Owner == "" {
		return errors.New("dialer: Options.Owner is required (it names this process in leases)")
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.NewID == nil {
		o.NewID = NewID
	}
	def := func(d *time.Duration, v time.Duration, name string) error {
		if *d < 0 {
			return fmt.Errorf("dialer: %s must not be negative", name)
		}
		if *d == 0 {
			*d = v
		}
		return nil
	}
	for _, x := range []struct {
		d    *time.Duration
		v    time.Duration
		name string
	}{
		{&o.LeaseTTL, DefaultLeaseTTL, "LeaseTTL"},
		{&o.DrainTimeout, DefaultDrainTimeout, "DrainTimeout"},
		{&o.FlushTimeout, DefaultFlushTimeout, "FlushTimeout"},
		{&o.PollInterval, DefaultPollInterval, "PollInterval"},
		{&o.AgentTimeout, DefaultAgentTimeout, "AgentTimeout"},
		{&o.OpTimeout, DefaultOpTimeout, "OpTimeout"},
	} {
		if err := def(x.d, x.v, x.name); err != nil {
			return err
		}
	}
	if o.LeaseTTL < 3*time.Second {
		return fmt.Errorf("dialer: LeaseTTL %v is too short (at least 3s)", o.LeaseTTL)
	}
	if len(o.Campaigns) == 0 {
		return errors.New("dialer: at least one campaign is required")
	}
	seen := map[string]bool{}
	for i := range o.Campaigns {
		c := &o.Campaigns[i]
		if c.ID == "" {
			return fmt.Errorf("dialer: campaign %d has no ID", i)
		}
		if seen[c.ID] {
			return fmt.Errorf("dialer: campaign %s defined twice", c.ID)
		}
		seen[c.ID] = true
		if _, err := ParseDialTemplate(c.DialTemplate); err != nil {
			return fmt.Errorf("dialer: campaign %s: %w", c.ID, err)
		}
		if c.MaxLines < 1 {
			return fmt.Errorf("dialer: campaign %s: max_lines must be at least 1", c.ID)
		}
		for _, x := range []struct {
			d    *time.Duration
			v    time.Duration
			name string
		}{
			{&c.OriginateTimeout, DefaultOriginateTimeout, "originate timeout"},
			{&c.AbandonAfter, DefaultAbandonAfter, "abandon_after"},
		} {
			if err := def(x.d, x.v, "campaign "+c.ID+" "+x.name); err != nil {
				return err
			}
		}
		if c.WrapUp < 0 {
			return fmt.Errorf("dialer: campaign %s: wrap-up must not be negative", c.ID)
		}
		if c.Rules.CampaignID == "" {
			c.Rules.CampaignID = c.ID
		} else if c.Rules.CampaignID != c.ID {
			return fmt.Errorf("dialer: campaign %s: rules belong to campaign %s", c.ID, c.Rules.CampaignID)
		}
		pc, err := c.Pacing.Validate()
		if err != nil {
			return fmt.Errorf("dialer: campaign %s: %w", c.ID, err)
		}
		c.Pacing = pc
		if c.Pacer == nil {
			p, err := pacing.New(pc)
			if err != nil {
				return fmt.Errorf("dialer: campaign %s: %w", c.ID, err)
			}
			c.Pacer = p
		}
	}
	seenAgent := map[string]bool{}
	for i := range o.Agents {
		a := &o.Agents[i]
		if a.ID == "" {
			return fmt.Errorf("dialer: agent %d has no ID", i)
		}
		if seenAgent[a.ID] {
			return fmt.Errorf("dialer: agent %s defined twice", a.ID)
		}
		seenAgent[a.ID] = true
		if a.Endpoint == "" {
			return fmt.Errorf("dialer: agent %s has no endpoint", a.ID)
		}
		if a.CampaignID == "" && len(o.Campaigns) == 1 {
			a.CampaignID = o.Campaigns[0].ID
		}
		if a.CampaignID != "" && !seen[a.CampaignID] {
			return fmt.Errorf("dialer: agent %s: %w %q", a.ID, ErrUnknownCampaign, a.CampaignID)
		}
	}
	return nil
}
