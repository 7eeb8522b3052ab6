package redisstore

import "github.com/redis/go-redis/v9"

// Every script touches the keys of one campaign only; they share the
// campaign's hash tag, so they are in one slot and the scripts run on one
// Cluster node. Keys that a script derives (a debt found in the queue, the
// counters of an attempt's day) are built from the key base in ARGV.
//
// Numbers are turned into strings with string.format('%.0f'): Redis's
// tostring() prints 14 significant digits and would round queue scores.

// luaLib is prepended to the scripts that re-queue debts.
const luaLib = `
local function score(next_ms, rank)
  local sec = math.floor(tonumber(next_ms) / 1000)
  if sec < 0 then sec = 0 end
  return string.format('%.0f', sec * 1048576 + (1048575 - tonumber(rank)))
end

-- requeue puts a leased debt back in the queue at its next attempt time.
local function requeue(key, queue, leases, id, now)
  redis.call('ZREM', leases, id)
  local v = redis.call('HMGET', key, 'next', 'rank')
  if not v[1] then return end -- no such debt: drop the stray lease
  redis.call('ZADD', queue, score(v[1], v[2] or 0), id)
  redis.call('HSET', key, 'state', 'queued', 'updated', now)
  redis.call('HDEL', key, 'lease_token', 'lease_owner', 'lease_exp')
end
`

// luaLog is prepended to the scripts that read stream entries (the attempt
// log, the audit trail) and the dispositions set on attempts since.
const luaLog = `
-- entry_field returns the value of a field of a stream entry, or ''.
local function entry_field(e, name)
  local f = e[2]
  for j = 1, #f, 2 do if f[j] == name then return f[j + 1] end end
  return ''
end

-- indexed_entries returns the entries of stream whose ids the list holds,
-- in the list's order; entries trimmed from the stream are skipped.
local function indexed_entries(list, stream)
  local out = {}
  for _, sid in ipairs(redis.call('LRANGE', list, 0, -1)) do
    local e = redis.call('XRANGE', stream, sid, sid)
    if e[1] then out[#out + 1] = e[1] end
  end
  return out
end

-- entry_codes returns the disposition set since on each attempt log entry
-- ('' for none).
local function entry_codes(entries, dispositions)
  local out = {}
  for i, e in ipairs(entries) do
    out[i] = redis.call('HGET', dispositions, entry_field(e, 'id')) or ''
  end
  return out
end
`

// upsertScript creates or updates a chunk of debts. A debt is two keys:
// its imported data as JSON (data:<id>) and its dialing state as a hash
// of short values (debt:<id>), which Redis keeps in its compact encoding.
//
// KEYS: queue, debts. ARGV: key base, now ms, then per debt: id, data
// JSON, first attempt ms, rank. Returns {created, updated}.
var upsertScript = redis.NewScript(luaLib + `
local kb, now = ARGV[1], ARGV[2]
local created, updated = 0, 0
for i = 3, #ARGV, 4 do
  local id, data, first, rank = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local key = kb .. 'debt:' .. id
  local v = redis.call('HMGET', key, 'state', 'attempts', 'next')
  redis.call('SET', kb .. 'data:' .. id, data)
  if not v[1] then
    redis.call('HSET', key, 'state', 'queued', 'attempts', '0', 'phone', '0', 'next', first,
      'rank', rank, 'updated', now)
    redis.call('ZADD', KEYS[1], score(first, rank), id)
    redis.call('SADD', KEYS[2], id)
    created = created + 1
  else
    redis.call('HSET', key, 'rank', rank, 'updated', now)
    if v[1] == 'queued' then
      local next = v[3]
      if tonumber(v[2]) == 0 then
        next = first
        redis.call('HSET', key, 'next', next)
      end
      redis.call('ZADD', KEYS[1], score(next, rank), id)
    end
    updated = updated + 1
  end
end
return {created, updated}
`)

// debtScript reads a debt's state and data at once.
//
// KEYS: debt, data. Returns {state hash, data or false}.
var debtScript = redis.NewScript(`
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}
`)

// claimScript returns expired leases to the queue (at most ARGV[7]) and
// leases the first due debt.
//
// KEYS: queue, leases. ARGV: key base, now ms, due score, expiry ms, token,
// owner, max expired. Returns {debt id or "", {expired ids}, {debt hash},
// debt data}.
var claimScript = redis.NewScript(luaLib + `
local kb, now = ARGV[1], ARGV[2]
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[7]))
for _, id in ipairs(expired) do
  requeue(kb .. 'debt:' .. id, KEYS[1], KEYS[2], id, now)
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, 1)
if #ids == 0 then return {'', expired, {}, ''} end
local id = ids[1]
local key = kb .. 'debt:' .. id
redis.call('ZREM', KEYS[1], id)
redis.call('ZADD', KEYS[2], ARGV[4], id)
redis.call('HSET', key, 'state', 'leased', 'lease_token', ARGV[5], 'lease_owner', ARGV[6],
  'lease_exp', ARGV[4], 'updated', now)
return {id, expired, redis.call('HGETALL', key), redis.call('GET', kb .. 'data:' .. id)}
`)

// renewScript extends a lease; an expired one is returned to the queue.
//
// KEYS: debt, leases, queue. ARGV: token, now ms, new expiry ms, debt id.
// Returns 1, or 0 when the lease is lost.
var renewScript = redis.NewScript(luaLib + `
local v = redis.call('HMGET', KEYS[1], 'state', 'lease_token', 'lease_exp')
if v[1] ~= 'leased' or v[2] ~= ARGV[1] then return 0 end
if tonumber(v[3]) <= tonumber(ARGV[2]) then
  requeue(KEYS[1], KEYS[3], KEYS[2], ARGV[4], ARGV[2])
  return 0
end
redis.call('HSET', KEYS[1], 'lease_exp', ARGV[3], 'updated', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
`)

// releaseScript returns a leased debt to the queue.
//
// KEYS: debt, leases, queue. ARGV: token, now ms, debt id. Returns 1, or 0
// when the lease is lost.
var releaseScript = redis.NewScript(luaLib + `
local v = redis.call('HMGET', KEYS[1], 'state', 'lease_token')
if v[1] ~= 'leased' or v[2] ~= ARGV[1] then return 0 end
requeue(KEYS[1], KEYS[3], KEYS[2], ARGV[3], ARGV[2])
return 1
`)

// completeScript records an attempt in the log and the counters and, if
// the lease is still held, applies the schedule. An attempt ID already in
// the log is not recorded again: the first call's result is returned, so
// that a call retried after a lost reply counts once.
//
// KEYS: debt, queue, leases, finished, log, index, kpi total, kpi day,
// kpi agent, kpi days, kpi agents, debt's attempt index. ARGV: token, debt id, attempt id, day,
// agent, now ms, finish (1/0), finish reason, next ms, phone index,
// outcome, number of log fields m, m log fields and values, then counter
// field/increment pairs. Returns "ok" or "lost".
var completeScript = redis.NewScript(luaLib + `
local prev = redis.call('HGET', KEYS[6], ARGV[3])
if prev then
  local _, status = string.match(prev, '^([^|]*)|([^|]*)|')
  return status
end
local m = tonumber(ARGV[12])
local fields = {}
for i = 13, 12 + m do fields[#fields + 1] = ARGV[i] end
local sid = redis.call('XADD', KEYS[5], '*', unpack(fields))
redis.call('RPUSH', KEYS[12], sid)

local scopes = {KEYS[7], KEYS[8]}
if ARGV[5] ~= '' then scopes[3] = KEYS[9] end
for i = 13 + m, #ARGV, 2 do
  local f, inc = ARGV[i], ARGV[i + 1]
  for _, k in ipairs(scopes) do
    if string.sub(f, -8) == '_seconds' then
      redis.call('HINCRBYFLOAT', k, f, inc)
    else
      redis.call('HINCRBY', k, f, inc)
    end
  end
end
redis.call('SADD', KEYS[10], ARGV[4])
if ARGV[5] ~= '' then redis.call('SADD', KEYS[11], ARGV[5]) end

local status = 'lost'
local v = redis.call('HMGET', KEYS[1], 'state', 'lease_token', 'rank')
if v[1] == 'leased' and v[2] == ARGV[1] then
  status = 'ok'
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HSET', KEYS[1], 'last_outcome', ARGV[11], 'updated', ARGV[6])
  redis.call('HDEL', KEYS[1], 'lease_token', 'lease_owner', 'lease_exp')
  if ARGV[7] == '1' then
    redis.call('HSET', KEYS[1], 'state', 'finished', 'finish_reason', ARGV[8])
    redis.call('SADD', KEYS[4], ARGV[2])
  else
    redis.call('HSET', KEYS[1], 'state', 'queued', 'next', ARGV[9], 'phone', ARGV[10])
    redis.call('ZADD', KEYS[2], score(ARGV[9], v[3] or 0), ARGV[2])
  end
end
redis.call('HSET', KEYS[6], ARGV[3], sid .. '|' .. status .. '|' .. ARGV[4])
return status
`)

// dispositionScript sets an attempt's wrap-up code and moves the
// promise-to-pay count by the difference to its previous code.
//
// KEYS: index, log, dispositions, disposition authors, kpi total. ARGV: key
// base, attempt id, code, agent id, at ms, promise code. Returns 1, 0 when
// the attempt is unknown, or -1 when an agent id is given and the attempt
// was not that agent's call.
var dispositionScript = redis.NewScript(luaLog + `
local ix = redis.call('HGET', KEYS[1], ARGV[2])
if not ix then return 0 end
local sid, _, day = string.match(ix, '^([^|]*)|([^|]*)|(.*)$')
local agent, code = '', ''
local e = redis.call('XRANGE', KEYS[2], sid, sid)
if e[1] then
  agent, code = entry_field(e[1], 'agent'), entry_field(e[1], 'disposition')
end
if ARGV[4] ~= '' and agent ~= ARGV[4] then return -1 end
local set = redis.call('HGET', KEYS[3], ARGV[2])
if set then code = set end
local delta = 0
if ARGV[3] == ARGV[6] then delta = delta + 1 end
if code == ARGV[6] then delta = delta - 1 end
if delta ~= 0 then
  redis.call('HINCRBY', KEYS[5], 'promise_to_pay', delta)
  redis.call('HINCRBY', ARGV[1] .. 'kpi:day:' .. day, 'promise_to_pay', delta)
  if agent ~= '' then
    redis.call('HINCRBY', ARGV[1] .. 'kpi:agent:' .. agent, 'promise_to_pay', delta)
  end
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4] .. '|' .. ARGV[5])
return 1
`)

// agentTimeScript adds agent seconds to the campaign, day and agent.
//
// KEYS: kpi total, kpi day, kpi agent, kpi days, kpi agents. ARGV: field,
// seconds, day, agent.
var agentTimeScript = redis.NewScript(`
for i = 1, 3 do redis.call('HINCRBYFLOAT', KEYS[i], ARGV[1], ARGV[2]) end
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], ARGV[4])
return 1
`)

// attemptsScript reads a page of the attempt log with the dispositions set
// since.
//
// KEYS: index, log, dispositions. ARGV: after attempt id or "", count.
// Returns {"ok", entries, codes} or {"notfound"}.
var attemptsScript = redis.NewScript(luaLog + `
local start = '-'
if ARGV[1] ~= '' then
  local ix = redis.call('HGET', KEYS[1], ARGV[1])
  if not ix then return {'notfound'} end
  start = '(' .. string.match(ix, '^([^|]*)|')
end
local entries = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', tonumber(ARGV[2]))
return {'ok', entries, entry_codes(entries, KEYS[3])}
`)

// countersScript reads every counter scope of a campaign at once.
//
// KEYS: kpi total, kpi days, kpi agents. ARGV: key base. Returns {total,
// {day, counters, ...}, {agent, counters, ...}}.
var countersScript = redis.NewScript(`
local days, agents = {}, {}
for _, d in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  days[#days + 1] = d
  days[#days + 1] = redis.call('HGETALL', ARGV[1] .. 'kpi:day:' .. d)
end
for _, a in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  agents[#agents + 1] = a
  agents[#agents + 1] = redis.call('HGETALL', ARGV[1] .. 'kpi:agent:' .. a)
end
return {redis.call('HGETALL', KEYS[1]), days, agents}
`)

// statsScript counts debts by state.
//
// KEYS: queue, leases, finished. ARGV: due score. Returns {due, queued,
// leased, finished}.
var statsScript = redis.NewScript(`
local next = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {
  redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1]),
  redis.call('ZCARD', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('SCARD', KEYS[3]),
  next[2] or '',
}
`)
