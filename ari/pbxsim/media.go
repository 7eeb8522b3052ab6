package pbxsim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// builtinSounds are the sounds playbacks know, with their durations
// (those of the Asterisk core sounds, rounded).
var builtinSounds = func() map[string]time.Duration {
	m := map[string]time.Duration{
		"hello-world":        1400 * time.Millisecond,
		"hello":              helloDur,
		"beep":               beepDur,
		"goodbye":            750 * time.Millisecond,
		"vm-goodbye":         1 * time.Second,
		"auth-thankyou":      800 * time.Millisecond,
		"agent-loginok":      1 * time.Second,
		"queue-thankyou":     1200 * time.Millisecond,
		"pls-hold-while-try": 2 * time.Second,
		"please-try-again":   1200 * time.Millisecond,
		"tt-monkeys":         12 * time.Second,
		"demo-congrats":      16 * time.Second,
		"conf-onlyperson":    2500 * time.Millisecond,
	}
	for i := 0; i <= 9; i++ {
		m["digits/"+strconv.Itoa(i)] = 500 * time.Millisecond
	}
	for i := 1; i <= 10; i++ {
		m["silence/"+strconv.Itoa(i)] = time.Duration(i) * time.Second
	}
	return m
}()

// mediaKind classifies one media URI.
type mediaKind int

const (
	mediaFinite   mediaKind = iota // plays for a duration
	mediaEndless                   // tone: plays until stopped
	mediaFailed                    // missing file: PlaybackFinished "failed"
	mediaVanishes                  // unknown scheme: started, never finishes
)

// classifyMedia returns how a media URI plays.
func (s *Server) classifyMedia(uri string) (mediaKind, time.Duration) {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return mediaVanishes, 0
	}
	perChar := func(valid func(rune) bool) (mediaKind, time.Duration) {
		if rest == "" {
			return mediaFailed, 0
		}
		for _, r := range rest {
			if !valid(r) {
				return mediaFailed, 0
			}
		}
		return mediaFinite, time.Duration(len(rest)) * 500 * time.Millisecond
	}
	switch scheme {
	case "sound":
		if d, ok := s.sounds[rest]; ok {
			return mediaFinite, d
		}
		return mediaFailed, 0
	case "tone":
		if rest == "" {
			return mediaFailed, 0
		}
		return mediaEndless, 0
	case "digits", "number":
		return perChar(func(r rune) bool { return r >= '0' && r <= '9' || r == '-' })
	case "characters":
		return perChar(func(r rune) bool { return r > ' ' && r < 0x7f })
	case "recording":
		// Recordings are not simulated, so none exists.
		return mediaFailed, 0
	default:
		return mediaVanishes, 0
	}
}

// play queues a playback on ch. The caller holds s.mu.
func (s *Server) play(ch *channel, id string, media []string, lang string) (playbackJSON, *apiError) {
	if len(media) == 0 {
		return playbackJSON{}, errMsg(http.StatusBadRequest, "Missing parameter media")
	}
	if id == "" {
		id = s.newUUID()
	}
	if s.playbacks[id] != nil {
		return playbackJSON{}, errMsg(http.StatusConflict, "Playback with id '"+id+"' already exists")
	}
	if lang == "" {
		lang = "en"
	}
	pb := &playback{id: id, media: media, target: ch, language: lang, state: "queued"}
	s.playbacks[id] = pb
	ch.playbacks = append(ch.playbacks, pb)
	snap := s.playbackSnapshot(pb)
	if len(ch.playbacks) == 1 {
		// Asterisk answers 201 before the channel's thread starts playing.
		pb.timer = s.after(0, func() { s.startPlayback(pb) })
	}
	return snap, nil
}

// startPlayback starts the current media item of pb.
func (s *Server) startPlayback(pb *playback) {
	pb.timer = nil
	pb.state = "playing"
	s.playbackEvent(pb, "PlaybackStarted")
	s.mediaReached(pb.target)
	kind, d := s.classifyMedia(pb.media[pb.idx])
	switch kind {
	case mediaFinite:
		pb.timer = s.after(d, func() { s.playbackItemDone(pb) })
	case mediaEndless:
	case mediaFailed:
		s.finishPlayback(pb, "failed")
	case mediaVanishes:
		pb.vanished = true
		s.removePlayback(pb)
	}
}

// playbackItemDone moves to the next media item or finishes.
func (s *Server) playbackItemDone(pb *playback) {
	pb.timer = nil
	if pb.idx+1 < len(pb.media) {
		pb.state = "continuing"
		s.playbackEvent(pb, "PlaybackContinuing")
		pb.idx++
		s.startPlayback(pb)
		return
	}
	s.finishPlayback(pb, "done")
}

// finishPlayback ends pb with a final state and starts the next playback
// queued on the channel.
func (s *Server) finishPlayback(pb *playback, state string) {
	s.cancelTimer(pb.timer)
	pb.timer = nil
	pb.state = state
	s.playbackEvent(pb, "PlaybackFinished")
	s.removePlayback(pb)
}

// removePlayback forgets pb and starts the next queued playback.
func (s *Server) removePlayback(pb *playback) {
	delete(s.playbacks, pb.id)
	ch := pb.target
	wasCurrent := len(ch.playbacks) > 0 && ch.playbacks[0] == pb
	for i, other := range ch.playbacks {
		if other == pb {
			ch.playbacks = append(ch.playbacks[:i:i], ch.playbacks[i+1:]...)
			break
		}
	}
	if wasCurrent && len(ch.playbacks) > 0 && ch.alive {
		next := ch.playbacks[0]
		next.timer = s.after(0, func() { s.startPlayback(next) })
	}
}

// stopPlayback is DELETE /playbacks/{id}.
func (s *Server) stopPlayback(pb *playback) {
	if pb.state == "queued" {
		s.cancelTimer(pb.timer)
		pb.state = "canceled"
		s.removePlayback(pb)
		return
	}
	s.finishPlayback(pb, "done")
}

// stopPlaybacks ends the playbacks of a channel that goes away: the
// current one fails (the channel hung up under it), queued ones are
// dropped.
func (s *Server) stopPlaybacks(ch *channel) {
	pbs := ch.playbacks
	ch.playbacks = nil
	for i, pb := range pbs {
		s.cancelTimer(pb.timer)
		delete(s.playbacks, pb.id)
		if i == 0 && pb.state != "queued" {
			pb.state = "failed"
			s.playbackEvent(pb, "PlaybackFinished")
		}
	}
}

// sendDTMF delivers DTMF sent on ch to the other half of a Local pair when
// that half is in the application (ChannelDtmfReceived).
func (s *Server) sendDTMF(ch *channel, digits string, before, between, duration time.Duration) {
	c := ch.call
	if c == nil || c.far == nil {
		return
	}
	other := c.far
	if ch.far {
		other = c.ours
	}
	if !other.alive || !other.inStasis {
		return
	}
	at := before
	for _, r := range digits {
		if r == ',' {
			at += 500 * time.Millisecond
			continue
		}
		if !strings.ContainsRune("0123456789ABCDabcd*#", r) {
			continue
		}
		at += duration + between
		digit := strings.ToUpper(string(r))
		ms := int(duration / time.Millisecond)
		var t *simTimer
		t = s.after(at, func() {
			if other.alive {
				s.chanEvent(other, "ChannelDtmfReceived", kv{"digit", digit}, kv{"duration_ms", ms})
			}
			for i, x := range ch.dtmfTimers {
				if x == t {
					ch.dtmfTimers = append(ch.dtmfTimers[:i:i], ch.dtmfTimers[i+1:]...)
					break
				}
			}
		})
		ch.dtmfTimers = append(ch.dtmfTimers, t)
	}
}

// soundJSON is an ARI Sound.
type soundJSON struct {
	ID      string            `json:"id"`
	Text    string            `json:"text,omitempty"`
	Formats []soundFormatJSON `json:"formats"`
}

type soundFormatJSON struct {
	Language string `json:"language"`
	Format   string `json:"format"`
}

func (s *Server) soundList() []soundJSON {
	names := make([]string, 0, len(s.sounds))
	for n := range s.sounds {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]soundJSON, 0, len(names))
	for _, n := range names {
		out = append(out, soundJSON{ID: n, Formats: []soundFormatJSON{{Language: "en", Format: "slin"}}})
	}
	return out
}

// findPlayback finds a playback, or writes 404 and returns nil. The caller
// holds s.mu.
func (s *Server) findPlayback(w http.ResponseWriter, id string) *playback {
	pb := s.playbacks[id]
	if pb == nil {
		writeError(w, http.StatusNotFound, "Playback not found")
	}
	return pb
}

func hPlaybackGet(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.findPlayback(w, vars[0])
	if pb == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.playbackSnapshot(pb))
}

func hPlaybackStop(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.findPlayback(w, vars[0])
	if pb == nil {
		return
	}
	s.stopPlayback(pb)
	writeNoContent(w)
}

func hSoundList(s *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	s.mu.Lock()
	out := s.soundList()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func hSoundGet(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	_, ok := s.sounds[vars[0]]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Sound not found")
		return
	}
	writeJSON(w, http.StatusOK, soundJSON{ID: vars[0], Formats: []soundFormatJSON{{Language: "en", Format: "slin"}}})
}
