package redisstore

import "github.com/redis/go-redis/v9"

// The audit stream's entry ids are the server's clock: trimming by age
// (XTRIM MINID) is relative to the id of the entry just added, so it does
// not depend on the clocks of the duecall processes.
//
// The compliance scripts touch only the compliance keys, which share one
// hash tag of their own (see gate.go), so each runs on one Cluster node.
// The scripts that change a debt's queue state (reschedule, finish,
// reopen) touch only the campaign's keys, like the Store's scripts.

// luaAudit is prepended to the scripts that append to the audit trail.
const luaAudit = `
-- audit appends an entry of fields to the audit stream, trimmed to about
-- maxlen entries and, unless max_age is '0', to max_age ms before it, and
-- pushes its id on the debt's index list, kept to idx_len ids and expiring
-- after idx_ttl ms unless that is '0'. Returns the entry id.
local function audit(stream, index, maxlen, max_age, idx_len, idx_ttl, fields)
  local sid = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  if max_age ~= '0' then
    local ms = tonumber(string.match(sid, '^(%d+)-'))
    redis.call('XTRIM', stream, 'MINID', '~', string.format('%.0f', ms - tonumber(max_age)))
  end
  redis.call('LPUSH', index, sid)
  redis.call('LTRIM', index, 0, tonumber(idx_len) - 1)
  if idx_ttl ~= '0' then redis.call('PEXPIRE', index, idx_ttl) end
  return sid
end
`

// admitScript checks every compliance rule that depends on shared state
// for one claimed debt and, when all pass, counts the attempt and writes
// the audit record, atomically. The rules that need no shared state (the
// calling window in the debtor's zones) are evaluated in Go and passed in;
// the attempt caps arrive as ranges of attempt times (compliance.Limits)
// to count with ZCOUNT.
//
// KEYS: 1 status, 2 cease, 3 dnc, 4 totals, 5 debtor attempts, 6 debt
// attempts, 7 debt's last conversation, 8 audit stream, 9 debt's audit
// index, then per candidate number: its attempts, its last abandon.
//
// ARGV: 1 now ms, 2 member (lease token), 3 window open 1/0, 4 debt field
// "<campaign>/<debt>", 5 debtor key, 6 total cap (0: none), 7 keep attempt
// times from (ms), 8 attempt sets' ttl ms, 9 cool-off ms (0: none), 10
// abandon no-recall ms (0: none), 11 no-recall waived 1/0, 12 audit
// maxlen, 13 audit max age ms (0: none), 14 audit index length, 15 audit index ttl
// ms (0: none), 16 number of debtor/debt limits L, L x {scope r|d, min,
// max, cap}, number of numbers P, P x {e164, index, masked, number of
// limits M, M x {min, max, cap}}, number of audit fields F, F x {field,
// value}.
//
// Returns {1, phone index} when admitted, else {0, status, cease 1/0,
// total, debtor times, debt times, last conversation, {per number: dnc
// 1/0, times, last abandon}} where times are [member, ms, ...].
var admitScript = redis.NewScript(luaAudit + `
local now = tonumber(ARGV[1])
local ok = ARGV[3] == '1'
local field, dkey = ARGV[4], ARGV[5]
local total_cap, trim = tonumber(ARGV[6]), ARGV[7]
local cool, abandon, waived = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11] == '1'

local status = redis.call('HGET', KEYS[1], field)
if status and status ~= '' and status ~= 'active' then ok = false end
local cease = redis.call('HEXISTS', KEYS[2], dkey)
if cease == 1 then ok = false end
local total = tonumber(redis.call('HGET', KEYS[4], field) or '0')
if total_cap > 0 and total >= total_cap then ok = false end

local i = 16
local nl = tonumber(ARGV[i]); i = i + 1
for _ = 1, nl do
  local key = KEYS[5]
  if ARGV[i] == 'd' then key = KEYS[6] end
  if ok and redis.call('ZCOUNT', key, ARGV[i + 1], ARGV[i + 2]) >= tonumber(ARGV[i + 3]) then ok = false end
  i = i + 4
end
local conv = redis.call('GET', KEYS[7])
if ok and cool > 0 and conv and now < tonumber(conv) + cool then ok = false end

local np = tonumber(ARGV[i]); i = i + 1
local phones = {}
local chosen = 0
for p = 1, np do
  local e164, idx, masked, nlim = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local pz, ak = KEYS[8 + 2 * p], KEYS[9 + 2 * p]
  local pok = ok and chosen == 0
  local dnc = redis.call('HEXISTS', KEYS[3], e164)
  if dnc == 1 then pok = false end
  for _ = 1, nlim do
    if pok and redis.call('ZCOUNT', pz, ARGV[i], ARGV[i + 1]) >= tonumber(ARGV[i + 2]) then pok = false end
    i = i + 3
  end
  local ab = redis.call('GET', ak)
  if pok and abandon > 0 and not waived and ab and now < tonumber(ab) + abandon then pok = false end
  if pok then chosen = p end
  phones[p] = {idx, masked, dnc, ab or ''}
end

if chosen == 0 then
  local function times(key) return redis.call('ZRANGEBYSCORE', key, trim, '+inf', 'WITHSCORES') end
  local per = {}
  for p = 1, np do
    per[p] = {phones[p][3], times(KEYS[8 + 2 * p]), phones[p][4]}
  end
  return {0, status or '', cease, tostring(total), times(KEYS[5]), times(KEYS[6]), conv or '', per}
end

for _, k in ipairs({KEYS[5], KEYS[6], KEYS[8 + 2 * chosen]}) do
  redis.call('ZADD', k, ARGV[1], ARGV[2])
  redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. trim)
  redis.call('PEXPIRE', k, ARGV[8])
end
redis.call('HINCRBY', KEYS[4], field, 1)

local nf = tonumber(ARGV[i]); i = i + 1
local f = {}
for _ = 1, nf do
  f[#f + 1] = ARGV[i]; f[#f + 1] = ARGV[i + 1]
  i = i + 2
end
f[#f + 1] = 'phone'; f[#f + 1] = phones[chosen][2]
audit(KEYS[8], KEYS[9], ARGV[12], ARGV[13], ARGV[14], ARGV[15], f)
return {1, tonumber(phones[chosen][1])}
`)

// auditScript appends one audit record and indexes it under its debt, and
// parks the debt in the given sets (debts finished by a flag that an
// operator may clear, so that clearing it puts them back in the queue).
//
// KEYS: 1 audit stream, 2 debt's audit index, 3.. park sets. ARGV: 1
// maxlen, 2 max age ms (0: none), 3 index length, 4 index ttl ms (0: none), 5 debt
// field, then field/value pairs. Returns the entry id.
var auditScript = redis.NewScript(luaAudit + `
local f = {}
for i = 6, #ARGV do f[#f + 1] = ARGV[i] end
local sid = audit(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], f)
for k = 3, #KEYS do redis.call('SADD', KEYS[k], ARGV[5]) end
return sid
`)

// recordScript feeds an attempt's outcome into the rules' state: the end
// of a conversation on the debt, the last abandoned call to the number,
// and the campaign's answered and abandoned calls (for its abandon rate).
// Times only move forward, so replaying an attempt changes nothing.
//
// KEYS: 1 debt's last conversation, 2 number's last abandon, 3 campaign's
// answered calls, 4 campaign's abandoned calls. ARGV: 1 outcome, 2 end of
// the attempt ms, 3 ttl of the last-times ms, 4 attempt id, 5 answered 1/0,
// 6 keep calls from (ms), 7 ttl of the call sets ms.
var recordScript = redis.NewScript(`
local function setmax(k)
  local cur = redis.call('GET', k)
  if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
    redis.call('SET', k, ARGV[2], 'PX', ARGV[3])
  end
end
if ARGV[1] == 'bridged' then setmax(KEYS[1]) end
if ARGV[1] == 'abandoned' then setmax(KEYS[2]) end
if ARGV[5] == '1' then
  local sets = {KEYS[3]}
  if ARGV[1] == 'abandoned' then sets[2] = KEYS[4] end
  for _, k in ipairs(sets) do
    redis.call('ZADD', k, ARGV[2], ARGV[4])
    redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. ARGV[6])
    redis.call('PEXPIRE', k, ARGV[7])
  end
end
return 1
`)

// statusScript sets or clears a debt's collection status ("active"
// clears it) with when and by whom. When ARGV[4] is not "", a debt that
// already has the status, or has the status ARGV[4], is left alone (its
// time and source too): an agent's wrap-up code neither restarts a status
// nor clears an investigation.
//
// KEYS: status, status meta. ARGV: debt field, status, meta, status to
// keep or "". Returns the previous status or "".
var statusScript = redis.NewScript(`
local prev = redis.call('HGET', KEYS[1], ARGV[1]) or ''
local cur = prev
if cur == '' then cur = 'active' end
if ARGV[4] ~= '' and (cur == ARGV[2] or cur == ARGV[4]) then return prev end
if ARGV[2] == 'active' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return prev
`)

// unparkScript clears a flag (a number from the do-not-call list, a
// debtor's cease-communication flag) and returns the debts parked under
// it.
//
// KEYS: flag hash, park set. ARGV: flag field. Returns {removed 1/0,
// {debt fields}}.
var unparkScript = redis.NewScript(`
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
local parked = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return {removed, parked}
`)

// auditReadScript reads a debt's audit entries, newest first.
//
// KEYS: audit stream, debt's audit index. Returns a list of entries
// (XRANGE replies); entries trimmed from the stream are skipped.
var auditReadScript = redis.NewScript(luaLog + `
return indexed_entries(KEYS[2], KEYS[1])
`)

// rescheduleScript returns a leased debt to the queue at a new time and
// number without counting an attempt (a compliance rule blocked the call).
//
// KEYS: debt, leases, queue. ARGV: token, now ms, debt id, next ms, phone
// index. Returns 1, or 0 when the lease is lost.
var rescheduleScript = redis.NewScript(luaLib + `
local v = redis.call('HMGET', KEYS[1], 'state', 'lease_token', 'rank')
if v[1] ~= 'leased' or v[2] ~= ARGV[1] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'queued', 'next', ARGV[4], 'phone', ARGV[5], 'updated', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease_token', 'lease_owner', 'lease_exp')
redis.call('ZADD', KEYS[3], score(ARGV[4], v[3] or 0), ARGV[3])
return 1
`)

// finishLeaseScript finishes a leased debt without counting an attempt.
//
// KEYS: debt, leases, finished. ARGV: token, now ms, debt id, reason,
// phone index. Returns 1, or 0 when the lease is lost.
var finishLeaseScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'state', 'lease_token')
if v[1] ~= 'leased' or v[2] ~= ARGV[1] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'finished', 'finish_reason', ARGV[4], 'phone', ARGV[5], 'updated', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease_token', 'lease_owner', 'lease_exp')
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`)

// reopenScript puts a finished debt back in the queue if its finish
// reason starts with the given prefix (a debt finished by a compliance rule
// whose flag was cleared). It is due again from the time it was due when
// it was finished (the gate finishes a debt without changing it), so it is
// due at once whatever the caller's clock.
//
// KEYS: debt, finished, queue. ARGV: now ms, debt id, reason prefix.
// Returns 1 when reopened, else 0.
var reopenScript = redis.NewScript(luaLib + `
local v = redis.call('HMGET', KEYS[1], 'state', 'finish_reason', 'rank', 'next')
if v[1] ~= 'finished' then return 0 end
if string.sub(v[2] or '', 1, string.len(ARGV[3])) ~= ARGV[3] then return 0 end
local next = v[4] or ARGV[1]
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'queued', 'next', next, 'updated', ARGV[1])
redis.call('HDEL', KEYS[1], 'finish_reason')
redis.call('ZADD', KEYS[3], score(next, v[3] or 0), ARGV[2])
return 1
`)

// attemptDebtScript finds the debt of an attempt through the attempt
// index.
//
// KEYS: index, log. ARGV: attempt id. Returns the debt id or "".
var attemptDebtScript = redis.NewScript(luaLog + `
local ix = redis.call('HGET', KEYS[1], ARGV[1])
if not ix then return '' end
local sid = string.match(ix, '^([^|]*)|')
local e = redis.call('XRANGE', KEYS[2], sid, sid)
if not e[1] then return '' end
return entry_field(e[1], 'debt')
`)
