package dialer

import (
	"strings"

	"go.uber.org/zap"
)

// handleEvent routes one telephony event.
func (e *Engine) handleEvent(ev Event) {
	switch ev.Kind {
	case EventConnected:
		e.connected = true
		e.dirty = true
		e.log.Info("PBX connected")
		if ev.Snapshot == nil {
			e.log.Warn("PBX connected without a snapshot: cannot resync")
			return
		}
		e.resync(*ev.Snapshot)
		return
	case EventDisconnected:
		if e.connected {
			e.log.Warn("PBX disconnected: no new calls until it is back; calls in progress go on")
		}
		e.connected = false
		return
	case EventReplaced:
		e.fatal(ErrReplaced)
		return
	case EventBridgeDestroyed:
		if a, ok := e.bridges[ev.BridgeID]; ok {
			delete(e.bridges, ev.BridgeID)
			a.bridgeUp = false
			e.logoutAgent(a, "agent bridge destroyed", false)
			return
		}
		if _, ok := e.retired[ev.BridgeID]; ok {
			delete(e.retired, ev.BridgeID)
			return
		}
		e.unknown(ev)
		return
	case EventPlaybackFinished:
		if c, ok := e.playbacks[ev.PlaybackID]; ok {
			delete(e.playbacks, ev.PlaybackID)
			e.retire(ev.PlaybackID)
			if ev.State == "failed" {
				c.log.Warn("abandon message could not be played (missing file?)")
			}
			e.step(c, callInput{Kind: inPlaybackFinished})
			return
		}
		if _, ok := e.retired[ev.PlaybackID]; ok {
			return
		}
		e.unknown(ev)
		return
	}
	if c, ok := e.calls[ev.ChannelID]; ok {
		e.callEvent(c, ev)
		return
	}
	if a, ok := e.agentChans[ev.ChannelID]; ok {
		e.agentEvent(a, ev)
		return
	}
	if _, ok := e.retired[ev.ChannelID]; ok {
		if ev.Kind == EventChannelDestroyed {
			delete(e.retired, ev.ChannelID)
		}
		return
	}
	e.unknown(ev)
}

// unknown counts and ignores an event for an id the engine does not know.
func (e *Engine) unknown(ev Event) {
	e.unknownEvents++
	e.log.Debug("event for unknown id ignored", zap.Stringer("event", ev.Kind), zap.String("channel_id", ev.ChannelID),
		zap.String("bridge_id", ev.BridgeID), zap.String("playback_id", ev.PlaybackID))
}

// callEvent translates an event of a debtor channel into a machine input.
func (e *Engine) callEvent(c *call, ev Event) {
	var in callInput
	switch ev.Kind {
	case EventDialStatus:
		in = callInput{Kind: inDialStatus, DialStatus: ev.DialStatus}
	case EventRinging:
		in = callInput{Kind: inRinging}
	case EventAnswered:
		in = callInput{Kind: inAnswered}
	case EventStasisStart:
		in = callInput{Kind: inStasisStart, Up: ev.State == "Up"}
	case EventStasisEnd:
		in = callInput{Kind: inStasisEnd}
	case EventHangupRequest:
		in = callInput{Kind: inHangupRequest, Cause: ev.Cause, Soft: ev.Soft}
	case EventChannelDestroyed:
		in = callInput{Kind: inDestroyed, Cause: ev.Cause}
		if c.st.Reason == "" && ev.CauseText != "" {
			c.st.Reason = ev.CauseText
		}
	case EventEnteredBridge:
		if c.agent == nil || ev.BridgeID != c.agent.bridgeID {
			c.log.Debug("debtor entered an unexpected bridge", zap.String("bridge_id", ev.BridgeID))
			return
		}
		in = callInput{Kind: inEnteredBridge}
	case EventLeftBridge:
		in = callInput{Kind: inLeftBridge}
	default:
		e.unknown(ev)
		return
	}
	e.step(c, in)
}

// ourID reports whether id looks like one NewID made (kind d, a or b).
func ourID(id string, kinds string) bool {
	return len(id) == IDLength && strings.HasPrefix(id, "dc") && id[3] == '-' && strings.IndexByte(kinds, id[2]) >= 0
}

// resync reconciles the engine with the PBX after a (re)connect: calls and
// agents missing from the snapshot are ended, events missed while
// disconnected are made up for, and channels or bridges of ours that the
// engine does not know (left over by a crash) are hung up or destroyed.
func (e *Engine) resync(snap Snapshot) {
	chans := make(map[string]string, len(snap.Channels))
	for _, ch := range snap.Channels {
		chans[ch.ID] = ch.State
	}
	inBridge := map[string]string{} // channel -> bridge
	bridges := map[string]bool{}
	for _, b := range snap.Bridges {
		bridges[b.ID] = true
		for _, ch := range b.Channels {
			inBridge[ch] = b.ID
		}
	}
	ended := 0
	for _, c := range e.sortedCalls() {
		if c.originating {
			continue // not necessarily in the PBX yet
		}
		state, ok := chans[c.id]
		if !ok {
			ended++
			c.log.Warn("call lost while the PBX connection was down; ending it", zap.Stringer("phase", c.st.Phase))
			e.step(c, callInput{Kind: inResyncMissing})
			continue
		}
		// An Up channel of the application is in Stasis (originate-to-app
		// channels enter it right after the answer): make up for a missed
		// answer or StasisStart.
		if state == "Up" && (!c.st.Stasis || c.st.Phase == phDialing || c.st.Phase == phRinging) {
			e.step(c, callInput{Kind: inStasisStart, Up: true})
		}
		if c.st.Phase == phDialing && state == "Ringing" {
			e.step(c, callInput{Kind: inRinging})
		}
		if c.st.Phase == phBridging && c.agent != nil && inBridge[c.id] == c.agent.bridgeID {
			e.step(c, callInput{Kind: inEnteredBridge})
		}
	}
	for _, a := range e.agentList {
		if a.state == AgentLoggedOut || a.originating {
			continue
		}
		state, ok := chans[a.channelID]
		switch {
		case !ok:
			e.logoutAgent(a, "agent channel lost while the PBX connection was down", true)
		case a.bridgeUp && !bridges[a.bridgeID]:
			a.bridgeUp = false
			e.logoutAgent(a, "agent bridge lost while the PBX connection was down", false)
		case a.state == AgentConnecting && state == "Up":
			e.setupAgentBridge(a)
		}
	}
	orphans := 0
	for _, ch := range snap.Channels {
		if !ourID(ch.ID, "da") {
			continue
		}
		if _, ok := e.calls[ch.ID]; ok {
			continue
		}
		if _, ok := e.agentChans[ch.ID]; ok {
			continue
		}
		orphans++
		e.log.Warn("hanging up a channel of ours the engine does not know (left over?)", zap.String("channel_id", ch.ID))
		e.retire(ch.ID)
		e.hangupChannel(ch.ID, nil)
	}
	for _, b := range snap.Bridges {
		if !ourID(b.ID, "b") {
			continue
		}
		if _, ok := e.bridges[b.ID]; ok {
			continue
		}
		orphans++
		e.log.Warn("destroying a bridge of ours the engine does not know (left over?)", zap.String("bridge_id", b.ID))
		e.retire(b.ID)
		e.destroyBridge(b.ID, e.log)
	}
	e.log.Info("resynced with the PBX", zap.Int("channels", len(snap.Channels)), zap.Int("bridges", len(snap.Bridges)),
		zap.Int("calls_ended", ended), zap.Int("orphans_cleaned", orphans))
}
