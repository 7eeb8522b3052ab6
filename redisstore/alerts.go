package redisstore

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/campaign"
)

// Alerts keeps supervisor alerts (alerts.Store) in one Redis stream per
// duecall installation (key prefix), shared by every campaign and process.
//
// # Key layout
//
// Every key carries the hash tag {<prefix>/alerts}, so that each script
// runs on one node of a Redis Cluster:
//
//	<prefix>:{<prefix>/alerts}:stream                     stream  the alerts (XADD MAXLEN ~ AlertOptions.MaxLen); entry id = alert id
//	<prefix>:{<prefix>/alerts}:unacked                    zset    ids of the alerts kept that nobody acknowledged (score: ms of the id)
//	<prefix>:{<prefix>/alerts}:acks                       hash    alert id -> "<unix ms>|<acknowledged by>"
//	<prefix>:{<prefix>/alerts}:acked                      zset    ids in acks (score: ms of the id), to drop them with their alert
//	<prefix>:{<prefix>/alerts}:raised:<kind>:<c>/<a>      string  id of the alert of kind raised for attempt a of campaign c (AlertDedupTTL)
//
// The stream entry holds kind, campaign_id, debt_id, attempt_id, agent_id,
// at (unix ms) and note: ids only, never a debtor's name or number.
// Raising is one script: it looks up the raised key (idempotency per
// attempt), appends the entry, marks it unacknowledged and drops the
// acknowledgement state of the alerts the stream's length bound trimmed.
type Alerts struct {
	rdb    redis.UniversalClient
	base   string
	maxLen int64
}

var _ alerts.Store = (*Alerts)(nil)

// Alert retention.
const (
	// DefaultAlertMaxLen bounds the alert stream when AlertOptions.MaxLen
	// is 0 (approximately: Redis trims whole stream nodes).
	DefaultAlertMaxLen = 10_000
	// AlertDedupTTL is how long the alert raised for an attempt is
	// remembered: recording the same code on the same attempt within it
	// raises no second alert.
	AlertDedupTTL = 90 * 24 * time.Hour
)

// AlertOptions configure Alerts.
type AlertOptions struct {
	// MaxLen bounds the stream (XADD MAXLEN ~; default DefaultAlertMaxLen).
	MaxLen int64
}

// NewAlerts returns the alert store on the store's Redis, under its prefix.
func NewAlerts(s *Store, opts AlertOptions) (*Alerts, error) {
	if opts.MaxLen == 0 {
		opts.MaxLen = DefaultAlertMaxLen
	}
	if opts.MaxLen < 1 {
		return nil, fmt.Errorf("redisstore: alert stream bound %d: expected at least 1: %w", opts.MaxLen, campaign.ErrInvalid)
	}
	return &Alerts{rdb: s.rdb, base: s.prefix + ":{" + s.prefix + "/alerts}:", maxLen: opts.MaxLen}, nil
}

func (x *Alerts) key(name string) string { return x.base + name }

// alertLib parses stream ids.
const alertLib = `
local function sid(s)
  local ms, seq = string.match(s, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
`

// raiseAlertScript appends an alert unless one was raised for its attempt.
//
// KEYS: 1 stream, 2 unacked, 3 acked, 4 acks, 5 raised key of the attempt.
// ARGV: 1 max length, 2 ttl of the raised key (ms), 3... field, value.
// Returns {1, id} for a new alert, {0, id} for one raised before.
var raiseAlertScript = redis.NewScript(alertLib + `
local prev = redis.call('GET', KEYS[5])
if prev then return {0, prev} end
local f = {}
for i = 3, #ARGV do f[#f + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(f))
redis.call('SET', KEYS[5], id, 'PX', ARGV[2])
local ms = sid(id)
redis.call('ZADD', KEYS[2], string.format('%.0f', ms), id)
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
local fms, fseq = sid(first)
for k = 2, 3 do
  for _, x in ipairs(redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', string.format('%.0f', fms))) do
    local xms, xseq = sid(x)
    if xms < fms or (xms == fms and xseq < fseq) then
      redis.call('ZREM', KEYS[k], x)
      if k == 3 then redis.call('HDEL', KEYS[4], x) end
    end
  end
end
return {1, id}
`)

// ackAlertScript acknowledges an alert once.
//
// KEYS: 1 stream, 2 unacked, 3 acked, 4 acks. ARGV: 1 id, 2 "<ms>|<by>".
// Returns 0 for an unknown id, else {entry, ack meta}.
var ackAlertScript = redis.NewScript(alertLib + `
local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if not e[1] then return 0 end
local m = redis.call('HGET', KEYS[4], ARGV[1])
if not m then
  m = ARGV[2]
  redis.call('HSET', KEYS[4], ARGV[1], m)
  redis.call('ZADD', KEYS[3], string.format('%.0f', sid(ARGV[1])), ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {e[1], m}
`)

// listAlertsScript reads the newest alerts with their acknowledgements.
//
// KEYS: 1 stream, 2 unacked, 3 acks. ARGV: 1 "1" for unacknowledged ones
// only, 2 count. Returns a list of {entry, ack meta or ""}.
var listAlertsScript = redis.NewScript(`
local out = {}
if ARGV[1] == '1' then
  for _, id in ipairs(redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[2]) - 1)) do
    local e = redis.call('XRANGE', KEYS[1], id, id)
    if e[1] then out[#out + 1] = {e[1], ''} end
  end
else
  for _, e in ipairs(redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[2])) do
    out[#out + 1] = {e, redis.call('HGET', KEYS[3], e[1]) or ''}
  end
end
return out
`)

// Raise appends the alert unless one of its kind was raised for its
// campaign and attempt within AlertDedupTTL (see alerts.Store).
func (x *Alerts) Raise(ctx context.Context, a alerts.Alert) (alerts.Alert, bool, error) {
	if err := a.Validate(); err != nil {
		return a, false, fmt.Errorf("redisstore: %w", err)
	}
	a.At = time.UnixMilli(a.At.UnixMilli()).UTC()
	a.ID, a.AckedBy, a.AckedAt = "", "", time.Time{}
	raised := x.key("raised:" + string(a.Kind) + ":" + a.CampaignID + "/" + a.AttemptID)
	keys := []string{x.key("stream"), x.key("unacked"), x.key("acked"), x.key("acks"), raised}
	args := []any{x.maxLen, durMs(AlertDedupTTL),
		"kind", string(a.Kind), "campaign_id", a.CampaignID, "debt_id", a.DebtID, "attempt_id", a.AttemptID,
		"agent_id", a.AgentID, "at", a.At.UnixMilli(), "note", a.Note}
	reply, err := raiseAlertScript.Run(ctx, x.rdb, keys, args...).Slice()
	if err != nil {
		return a, false, fmt.Errorf("redisstore: raise alert: %w", translate(err))
	}
	if len(reply) != 2 {
		return a, false, fmt.Errorf("redisstore: raise alert: unexpected reply %v", reply)
	}
	a.ID, _ = reply[1].(string)
	return a, toInt(reply[0]) == 1, nil
}

// List returns the alerts kept, newest first (see alerts.Store).
func (x *Alerts) List(ctx context.Context, opts alerts.ListOptions) ([]alerts.Alert, error) {
	n := opts.Count
	if n == 0 {
		n = alerts.DefaultListCount
	}
	if n < 1 || n > alerts.MaxListCount {
		return nil, fmt.Errorf("redisstore: list %d alerts: expected 1 to %d: %w", n, alerts.MaxListCount, campaign.ErrInvalid)
	}
	reply, err := listAlertsScript.Run(ctx, x.rdb, []string{x.key("stream"), x.key("unacked"), x.key("acks")},
		boolArg(opts.Unacked), n).Slice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list alerts: %w", translate(err))
	}
	out := make([]alerts.Alert, 0, len(reply))
	for _, r := range reply {
		l, _ := r.([]any)
		if len(l) != 2 {
			return nil, fmt.Errorf("redisstore: list alerts: malformed reply %v", r)
		}
		meta, _ := l[1].(string)
		a, err := decodeAlert(l[0], meta)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b alerts.Alert) int { return compareAlertIDs(b.ID, a.ID) })
	return out, nil
}

// alertID is the form of a stream entry id.
var alertID = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// Ack acknowledges an alert (see alerts.Store).
func (x *Alerts) Ack(ctx context.Context, id, by string, at time.Time) (alerts.Alert, error) {
	by, err := alerts.CheckAcker(by)
	if err != nil {
		return alerts.Alert{}, err
	}
	if !alertID.MatchString(id) {
		return alerts.Alert{}, fmt.Errorf("alert %q: %w (alert ids look like 1767225600000-0, as the alert list shows them)", id, campaign.ErrNotFound)
	}
	reply, err := ackAlertScript.Run(ctx, x.rdb, []string{x.key("stream"), x.key("unacked"), x.key("acked"), x.key("acks")},
		id, metaValue(at, by)).Result()
	if err != nil {
		return alerts.Alert{}, fmt.Errorf("redisstore: acknowledge alert %s: %w", id, translate(err))
	}
	l, ok := reply.([]any)
	if !ok {
		return alerts.Alert{}, fmt.Errorf("alert %s: %w (it may be older than the alerts kept)", id, campaign.ErrNotFound)
	}
	if len(l) != 2 {
		return alerts.Alert{}, fmt.Errorf("redisstore: acknowledge alert %s: unexpected reply %v", id, reply)
	}
	meta, _ := l[1].(string)
	return decodeAlert(l[0], meta)
}

// Unacked counts the alerts kept that nobody acknowledged.
func (x *Alerts) Unacked(ctx context.Context) (int64, error) {
	n, err := x.rdb.ZCard(ctx, x.key("unacked")).Result()
	if err != nil {
		return 0, fmt.Errorf("redisstore: count unacknowledged alerts: %w", translate(err))
	}
	return n, nil
}

// decodeAlert reads a stream entry ({id, fields}) and its ack meta.
func decodeAlert(entry any, meta string) (alerts.Alert, error) {
	e, _ := entry.([]any)
	if len(e) != 2 {
		return alerts.Alert{}, fmt.Errorf("redisstore: malformed alert entry %v", entry)
	}
	id, _ := e[0].(string)
	f := pairs(e[1])
	at, err := parseMs(f["at"])
	if err != nil {
		return alerts.Alert{}, fmt.Errorf("redisstore: alert %s: time %q: %w", id, f["at"], err)
	}
	a := alerts.Alert{ID: id, Kind: alerts.Kind(f["kind"]), CampaignID: f["campaign_id"], DebtID: f["debt_id"],
		AttemptID: f["attempt_id"], AgentID: f["agent_id"], At: at, Note: f["note"]}
	if meta != "" {
		a.AckedAt, a.AckedBy = parseMeta(meta)
	}
	return a, nil
}

// compareAlertIDs orders stream ids by time, then sequence.
func compareAlertIDs(a, b string) int {
	ams, aseq := splitID(a)
	bms, bseq := splitID(b)
	return cmp.Or(cmp.Compare(ams, bms), cmp.Compare(aseq, bseq), strings.Compare(a, b))
}

func splitID(id string) (uint64, uint64) {
	ms, seq, _ := strings.Cut(id, "-")
	m, _ := strconv.ParseUint(ms, 10, 64)
	s, _ := strconv.ParseUint(seq, 10, 64)
	return m, s
}
