package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"

	"github.com/duecall/duecall/dialer"
)

// REST calls are made with net/http rather than through ari/v5's
// client/native: its requests take no context and have no timeout, and its
// RequestError keeps only the status line, dropping Asterisk's message
// ({"message":"Invalid endpoint specified"}, {"error":"Allocation failed"}).
// ari/v5's types still describe the requests and responses.

const maxErrorBody = 64 << 10

// apiError is a non-2xx answer from Asterisk. Unwrap returns the dialer
// sentinel the status maps to for the operation, if any.
type apiError struct {
	op      string // "DELETE /channels/{id}"
	status  int
	message string // Asterisk's text
	kind    error  // dialer.ErrNotFound, dialer.ErrConflict or nil
}

func (e *apiError) Error() string {
	return fmt.Sprintf("ari: %s: %d %s", e.op, e.status, e.message)
}

func (e *apiError) Unwrap() error { return e.kind }

// errorMessage extracts Asterisk's text from an error body: {"message":…}
// for most errors, {"error":…} for "Allocation failed", otherwise the
// (trimmed) body or the status text.
func errorMessage(status int, body []byte) string {
	var m struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		if m.Message != "" {
			return m.Message
		}
		if m.Error != "" {
			return m.Error
		}
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" || strings.HasPrefix(s, "<") { // empty or HTML
		return http.StatusText(status)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// do sends one request to Asterisk. path is relative to the ARI root and
// already escaped; query and body are optional; a 2xx answer is decoded
// into out when out is not nil. Errors never contain the query string
// (it may hold a phone number) nor the credentials.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	op := method + " " + path
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()

	u := c.restURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ari: %s: encode body: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("ari: %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.opts.Username, c.opts.Password)

	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL, which holds the query
		}
		return fmt.Errorf("ari: %s: %w", op, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
	}()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return &apiError{op: op, status: resp.StatusCode, message: errorMessage(resp.StatusCode, b)}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("ari: %s: decode response: %w", op, err)
	}
	return nil
}

// classify sets the dialer sentinel of an apiError according to rules,
// which map a status (and optionally a message substring) to a sentinel.
func classify(err error, rules ...rule) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	for _, r := range rules {
		if ae.status == r.status && (r.contains == "" || strings.Contains(strings.ToLower(ae.message), r.contains)) {
			ae.kind = r.kind
			break
		}
	}
	return err
}

type rule struct {
	status   int
	contains string // lower case; "" matches any message
	kind     error
}

// Rules shared by calls on channels and bridges that exist for us only
// while they are in the application.
var (
	notFound         = rule{http.StatusNotFound, "", dialer.ErrNotFound}
	notInStasis      = rule{http.StatusConflict, "not in stasis", dialer.ErrNotFound}
	channelNotFound  = rule{http.StatusBadRequest, "not found", dialer.ErrNotFound}
	unprocessable    = rule{http.StatusUnprocessableEntity, "", dialer.ErrNotFound}
	conflict         = rule{http.StatusConflict, "", dialer.ErrConflict}
	bridgeMembership = []rule{notFound, notInStasis, channelNotFound, unprocessable}
)

func pathID(id string) string { return url.PathEscape(id) }

// checkID refuses ids that are not dialer ids: events about them would be
// filtered out (see isOurID), so the call could never be followed.
func checkID(what, id string) error {
	if !isOurID(id) {
		return fmt.Errorf("ari: %s %q is not a dialer id (dialer.NewID)", what, id)
	}
	return nil
}

// timeoutSeconds rounds d up to whole seconds, at least 1.
func timeoutSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	return max(s, 1)
}

// Originate implements dialer.Telephony: POST /channels with the channel id
// chosen by the dialer, into our application. The callee half of a Local
// channel gets "<id>;2". It returns dialer.ErrDisconnected (wrapped) while
// the events WebSocket is down, because Asterisk answers and drops a call
// whose application has no WebSocket. A rejection by Asterisk is an
// *dialer.OriginateError carrying Asterisk's text; a 409 also matches
// dialer.ErrConflict. A transport error or timeout is returned as is: the
// channel may or may not exist then, and the dialer should hang it up.
func (c *Client) Originate(ctx context.Context, r dialer.OriginateRequest) error {
	if err := checkID("channel id", r.ChannelID); err != nil {
		return err
	}
	if r.Endpoint == "" {
		return fmt.Errorf("originate %s: endpoint is required", r.ChannelID)
	}
	for _, a := range r.AppArgs {
		if strings.Contains(a, ",") {
			return fmt.Errorf("originate %s: application argument %q contains a comma", r.ChannelID, a)
		}
	}
	if !c.Connected() {
		return fmt.Errorf("originate %s: %w", r.ChannelID, dialer.ErrDisconnected)
	}
	req := ari.OriginateRequest{
		Endpoint:  r.Endpoint,
		Timeout:   timeoutSeconds(r.Timeout),
		CallerID:  r.CallerID,
		App:       c.opts.Application,
		AppArgs:   strings.Join(r.AppArgs, ","),
		Formats:   c.opts.Formats,
		ChannelID: r.ChannelID,
		Variables: r.Variables,
	}
	query, body := originateParams(req)
	err := c.do(ctx, http.MethodPost, "/channels", query, body, nil)
	var ae *apiError
	if errors.As(err, &ae) {
		oe := &dialer.OriginateError{Status: ae.status, Reason: ae.message}
		if ae.status == http.StatusConflict {
			return fmt.Errorf("originate %s: %w: %w", r.ChannelID, dialer.ErrConflict, oe)
		}
		return fmt.Errorf("originate %s: %w", r.ChannelID, oe)
	}
	if err != nil {
		return fmt.Errorf("originate %s: %w", r.ChannelID, err)
	}
	c.log.Debug("originated", zap.String("channel_id", r.ChannelID), zap.String("endpoint", maskEndpoint(r.Endpoint)))
	return nil
}

// originateParams splits an originate request the way the recorded
// Asterisk sessions send it: scalars in the query, variables in a JSON body.
func originateParams(r ari.OriginateRequest) (url.Values, any) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("endpoint", r.Endpoint)
	set("app", r.App)
	set("appArgs", r.AppArgs)
	set("callerId", r.CallerID)
	set("channelId", r.ChannelID)
	set("otherChannelId", r.OtherChannelID)
	set("formats", r.Formats)
	if r.Timeout != 0 {
		q.Set("timeout", strconv.Itoa(r.Timeout))
	}
	if len(r.Variables) == 0 {
		return q, nil
	}
	return q, struct {
		Variables map[string]string `json:"variables"`
	}{r.Variables}
}

// Hangup implements dialer.Telephony: DELETE /channels/{id}.
func (c *Client) Hangup(ctx context.Context, channelID string) error {
	if channelID == "" {
		return errors.New("hang up: channel id is required")
	}
	err := c.do(ctx, http.MethodDelete, "/channels/"+pathID(channelID), nil, nil, nil)
	if err != nil {
		return fmt.Errorf("hang up %s: %w", channelID, classify(err, notFound))
	}
	return nil
}

// CreateBridge implements dialer.Telephony: POST /bridges, type mixing.
// A bridge id in use matches dialer.ErrConflict.
func (c *Client) CreateBridge(ctx context.Context, bridgeID string) error {
	if err := checkID("bridge id", bridgeID); err != nil {
		return err
	}
	q := url.Values{"type": {"mixing"}, "bridgeId": {bridgeID}}
	if err := c.do(ctx, http.MethodPost, "/bridges", q, nil, nil); err != nil {
		return fmt.Errorf("create bridge %s: %w", bridgeID, classify(err, conflict))
	}
	return nil
}

// AddToBridge implements dialer.Telephony: POST /bridges/{id}/addChannel.
// dialer.ErrNotFound when the bridge or the channel is gone, or the channel
// is no longer in the application (422).
func (c *Client) AddToBridge(ctx context.Context, bridgeID, channelID string) error {
	if bridgeID == "" || channelID == "" {
		return errors.New("add to bridge: bridge and channel ids are required")
	}
	q := url.Values{"channel": {channelID}}
	if err := c.do(ctx, http.MethodPost, "/bridges/"+pathID(bridgeID)+"/addChannel", q, nil, nil); err != nil {
		return fmt.Errorf("add %s to bridge %s: %w", channelID, bridgeID, classify(err, bridgeMembership...))
	}
	return nil
}

// RemoveFromBridge implements dialer.Telephony: POST
// /bridges/{id}/removeChannel. dialer.ErrNotFound when the bridge or the
// channel is gone, or the channel is not in the bridge (422).
func (c *Client) RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error {
	if bridgeID == "" || channelID == "" {
		return errors.New("remove from bridge: bridge and channel ids are required")
	}
	q := url.Values{"channel": {channelID}}
	if err := c.do(ctx, http.MethodPost, "/bridges/"+pathID(bridgeID)+"/removeChannel", q, nil, nil); err != nil {
		return fmt.Errorf("remove %s from bridge %s: %w", channelID, bridgeID, classify(err, bridgeMembership...))
	}
	return nil
}

// DestroyBridge implements dialer.Telephony: DELETE /bridges/{id}. 404
// "Bridge not found" (a second DELETE, as recorded in transcript 06) is
// dialer.ErrNotFound; so is a 409, which the transcripts' README lists for
// a bridge no longer in the Stasis application but no recording shows.
func (c *Client) DestroyBridge(ctx context.Context, bridgeID string) error {
	if bridgeID == "" {
		return errors.New("destroy bridge: bridge id is required")
	}
	if err := c.do(ctx, http.MethodDelete, "/bridges/"+pathID(bridgeID), nil, nil, nil); err != nil {
		return fmt.Errorf("destroy bridge %s: %w", bridgeID, classify(err, notFound, rule{http.StatusConflict, "", dialer.ErrNotFound}))
	}
	return nil
}

// Play implements dialer.Telephony: POST /channels/{id}/play. dialer.ErrNotFound
// when the channel is gone or no longer in the application.
func (c *Client) Play(ctx context.Context, channelID, playbackID, media string) error {
	if channelID == "" {
		return errors.New("play: channel id is required")
	}
	if playbackID == "" {
		return fmt.Errorf("play on %s: playback id is required", channelID)
	}
	if media == "" {
		return fmt.Errorf("play on %s: media is required", channelID)
	}
	q := url.Values{"media": {media}, "playbackId": {playbackID}}
	var pb ari.PlaybackData
	if err := c.do(ctx, http.MethodPost, "/channels/"+pathID(channelID)+"/play", q, nil, &pb); err != nil {
		return fmt.Errorf("play %s on %s: %w", playbackID, channelID, classify(err, notFound, notInStasis))
	}
	return nil
}

// Snapshot implements dialer.Telephony: GET /channels and GET /bridges,
// keeping only dialer ids (see isOurID). Bridges list only our channels.
func (c *Client) Snapshot(ctx context.Context) (dialer.Snapshot, error) {
	// Only what belongs to our application: another duecall process on the
	// same Asterisk (with its own application) has channels with ids of
	// the same shape, and the dialer hangs up "orphans" it finds here.
	var app ari.ApplicationData
	if err := c.do(ctx, http.MethodGet, "/applications/"+url.PathEscape(c.opts.Application), nil, nil, &app); err != nil {
		return dialer.Snapshot{}, fmt.Errorf("snapshot: application %s: %w", c.opts.Application, err)
	}
	mine := make(map[string]bool, len(app.ChannelIDs)+len(app.BridgeIDs))
	for _, id := range app.ChannelIDs {
		mine[id] = true
	}
	for _, id := range app.BridgeIDs {
		mine[id] = true
	}
	var chans []wireChannel
	if err := c.do(ctx, http.MethodGet, "/channels", nil, nil, &chans); err != nil {
		return dialer.Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	var bridges []ari.BridgeData
	if err := c.do(ctx, http.MethodGet, "/bridges", nil, nil, &bridges); err != nil {
		return dialer.Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	var s dialer.Snapshot
	for _, ch := range chans {
		if isOurID(ch.ID) && mine[ch.ID] {
			s.Channels = append(s.Channels, dialer.ChannelInfo{ID: ch.ID, State: ch.State})
		}
	}
	for _, b := range bridges {
		if !isOurID(b.ID) || !mine[b.ID] {
			continue
		}
		bi := dialer.BridgeInfo{ID: b.ID}
		for _, id := range b.ChannelIDs {
			if isOurID(id) {
				bi.Channels = append(bi.Channels, id)
			}
		}
		s.Bridges = append(s.Bridges, bi)
	}
	return s, nil
}
