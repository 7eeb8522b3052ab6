package dialertest

import (
	"context"

	"github.com/duecall/duecall/dialer"
)

// Telephony is a dialer.Telephony made of function fields. A nil field
// succeeds and does nothing (Snapshot returns an empty snapshot). Events
// returns EventsCh; Connected returns true unless ConnectedFunc says
// otherwise.
type Telephony struct {
	OriginateFunc        func(ctx context.Context, req dialer.OriginateRequest) error
	HangupFunc           func(ctx context.Context, channelID string) error
	CreateBridgeFunc     func(ctx context.Context, bridgeID string) error
	AddToBridgeFunc      func(ctx context.Context, bridgeID, channelID string) error
	RemoveFromBridgeFunc func(ctx context.Context, bridgeID, channelID string) error
	DestroyBridgeFunc    func(ctx context.Context, bridgeID string) error
	PlayFunc             func(ctx context.Context, channelID, playbackID, media string) error
	SnapshotFunc         func(ctx context.Context) (dialer.Snapshot, error)
	ConnectedFunc        func() bool
	EventsCh             chan dialer.Event
}

var _ dialer.Telephony = (*Telephony)(nil)

// Originate implements dialer.Telephony.
func (t *Telephony) Originate(ctx context.Context, req dialer.OriginateRequest) error {
	if t.OriginateFunc == nil {
		return nil
	}
	return t.OriginateFunc(ctx, req)
}

// Hangup implements dialer.Telephony.
func (t *Telephony) Hangup(ctx context.Context, channelID string) error {
	if t.HangupFunc == nil {
		return nil
	}
	return t.HangupFunc(ctx, channelID)
}

// CreateBridge implements dialer.Telephony.
func (t *Telephony) CreateBridge(ctx context.Context, bridgeID string) error {
	if t.CreateBridgeFunc == nil {
		return nil
	}
	return t.CreateBridgeFunc(ctx, bridgeID)
}

// AddToBridge implements dialer.Telephony.
func (t *Telephony) AddToBridge(ctx context.Context, bridgeID, channelID string) error {
	if t.AddToBridgeFunc == nil {
		return nil
	}
	return t.AddToBridgeFunc(ctx, bridgeID, channelID)
}

// RemoveFromBridge implements dialer.Telephony.
func (t *Telephony) RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error {
	if t.RemoveFromBridgeFunc == nil {
		return nil
	}
	return t.RemoveFromBridgeFunc(ctx, bridgeID, channelID)
}

// DestroyBridge implements dialer.Telephony.
func (t *Telephony) DestroyBridge(ctx context.Context, bridgeID string) error {
	if t.DestroyBridgeFunc == nil {
		return nil
	}
	return t.DestroyBridgeFunc(ctx, bridgeID)
}

// Play implements dialer.Telephony.
func (t *Telephony) Play(ctx context.Context, channelID, playbackID, media string) error {
	if t.PlayFunc == nil {
		return nil
	}
	return t.PlayFunc(ctx, channelID, playbackID, media)
}

// Snapshot implements dialer.Telephony.
func (t *Telephony) Snapshot(ctx context.Context) (dialer.Snapshot, error) {
	if t.SnapshotFunc == nil {
		return dialer.Snapshot{}, nil
	}
	return t.SnapshotFunc(ctx)
}

// Events implements dialer.Telephony.
func (t *Telephony) Events() <-chan dialer.Event { return t.EventsCh }

// Connected implements dialer.Telephony.
func (t *Telephony) Connected() bool {
	if t.ConnectedFunc == nil {
		return true
	}
	return t.ConnectedFunc()
}
