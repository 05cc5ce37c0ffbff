/**
 * The Lua scripts of the Redis backend. Every write is one script: it checks the
 * compares, bumps the revision counter, stores `"<revision> <value>"` per key in
 * one hash, keeps a sorted index for prefix listing and an expiry set for TTLs,
 * and appends the whole change to a stream under the id `<revision>-0`.
 * KEYS: 1 revision, 2 data, 3 index, 4 expiry, 5 changes stream, 6 epoch.
 */

const COMMON = `
local rk, dk, ik, xk, sk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local changes = {}
local deleted = 0
local function split(stored)
  local sp = string.find(stored, ' ', 1, true)
  return string.sub(stored, 1, sp - 1), string.sub(stored, sp + 1)
end
local function current()
  return tonumber(redis.call('GET', rk) or '0')
end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function remove(key)
  local stored = redis.call('HGET', dk, key)
  if not stored then return end
  local r, v = split(stored)
  redis.call('HDEL', dk, key)
  redis.call('ZREM', ik, key)
  redis.call('ZREM', xk, key)
  changes[#changes + 1] = {'d', key, '', r, v}
  deleted = deleted + 1
end
local function finish(rev, maxlen)
  if #changes == 0 then return {1, rev - 1, 0} end
  redis.call('SET', rk, rev)
  redis.call('XADD', sk, 'MAXLEN', '~', maxlen, rev .. '-0', 'e', cjson.encode(changes))
  return {1, rev, deleted}
end
`;

/** ARGV: maxlen, compare count, (key, revision)*, then (type p|d|D, key, value, ttl ms or '')*. */
export const COMMIT = `${COMMON}
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  local stored = redis.call('HGET', dk, ARGV[i])
  local have = 0
  if stored then have = tonumber((split(stored))) end
  if have ~= tonumber(ARGV[i + 1]) then return {0, current(), 0} end
  i = i + 2
end
local rev = current() + 1
local now
while i <= #ARGV do
  local t, key, value, ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  if t == 'p' then
    local stored = redis.call('HGET', dk, key)
    local pr, pv = '0', ''
    if stored then pr, pv = split(stored) end
    redis.call('HSET', dk, key, rev .. ' ' .. value)
    redis.call('ZADD', ik, 0, key)
    if ttl ~= '' then
      now = now or nowMs()
      redis.call('ZADD', xk, now + tonumber(ttl), key)
    else
      redis.call('ZREM', xk, key)
    end
    changes[#changes + 1] = {'p', key, value, pr, pv}
  elseif t == 'd' then
    remove(key)
  else
    for _, k in ipairs(redis.call('ZRANGEBYLEX', ik, '[' .. key, '[' .. key .. '\\255')) do remove(k) end
  end
end
return finish(rev, ARGV[1])
`;

/** Deletes up to 500 expired keys under one revision. ARGV: maxlen. */
export const REAP = `${COMMON}
local keys = redis.call('ZRANGEBYSCORE', xk, '-inf', nowMs(), 'LIMIT', 0, 500)
if #keys == 0 then return {1, current(), 0} end
local rev = current() + 1
for _, k in ipairs(keys) do remove(k) end
return finish(rev, ARGV[1])
`;

/** ARGV: prefix, a new epoch in case there is none. Returns epoch, revision, then key, stored pairs. */
export const RANGE = `
local rk, dk, ik, ek = KEYS[1], KEYS[2], KEYS[3], KEYS[6]
redis.call('SET', ek, ARGV[2], 'NX')
local keys = redis.call('ZRANGEBYLEX', ik, '[' .. ARGV[1], '[' .. ARGV[1] .. '\\255')
local out = {redis.call('GET', ek), tonumber(redis.call('GET', rk) or '0')}
for _, k in ipairs(keys) do
  out[#out + 1] = k
  out[#out + 1] = redis.call('HGET', dk, k)
end
return out
`;

/** ARGV: a new epoch in case there is none. Returns epoch, revision, id of the oldest change kept. */
export const WATCH_START = `
local rk, sk, ek = KEYS[1], KEYS[5], KEYS[6]
redis.call('SET', ek, ARGV[1], 'NX')
local first = redis.call('XRANGE', sk, '-', '+', 'COUNT', 1)
local id = ''
if first[1] then id = first[1][1] end
return {redis.call('GET', ek), tonumber(redis.call('GET', rk) or '0'), id}
`;
