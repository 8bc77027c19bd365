-- reserve_seats: take seats for one hold, atomically (the hot path of an onsale).
--
-- KEYS[1]  event meta hash            {ev:<id>}:meta
-- KEYS[2]  inventory hash             {ev:<id>}:inv
-- KEYS[3]  per-user seats hash        {ev:<id>}:userseats
-- KEYS[4]  active sessions zset       {ev:<id>}:q:active
-- KEYS[5]  the new hold's record hash {ev:<id>}:hold:<hold_id>
-- KEYS[6]  hold expiry zset           {ev:<id>}:holds:exp
-- KEYS[7]  hold lifecycle stream      {ev:<id>}:holds:ends
-- KEYS[8]  idempotency record hash    {ev:<id>}:idem:holds:<user>:<key> (unused when ARGV[8] = '')
-- KEYS[9]  holds_account counter hash {ev:<id>}:rl:holds_account:<user> (unused when off)
-- KEYS[10] holds_ip counter hash      {ev:<id>}:rl:holds_ip:<address> (unused when off)
--
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  event id
-- ARGV[3]  user id
-- ARGV[4]  session id (from the verified admission token)
-- ARGV[5]  section code
-- ARGV[6]  quantity (seats, >= 1)
-- ARGV[7]  hold id (new)
-- ARGV[8]  idempotency fingerprint of the request body ('' = no Idempotency-Key)
-- ARGV[9]  idempotency record lifetime (ms, >= 24 h)
-- ARGV[10] retention of the hold record after its end (ms, >= 24 h)
-- ARGV[11] holds_account: hits allowed per window   ARGV[12] its window (ms; 0 or absent = off)
-- ARGV[13] holds_ip: hits allowed per window        ARGV[14] its window (ms; 0 or absent = off)
--
-- Returns {code, replayed, hold_id, expires_at_ms, amount_cents, currency, n1, n2}:
--   0 OK                   hold created (hold_id, expires_at_ms, amount_cents, currency)
--   1 NOT_ADMITTED         session unknown or revoked
--   2 ADMISSION_EXPIRED    session expired (score <= now)
--   3 SALE_NOT_OPEN        not published, paused, before onsale_at or at/after offsale_at,
--                          or the section paused by reconcile (meta paused:<section>, drift rule)
--   4 NO_SUCH_EVENT        no meta for the event in Redis
--   5 NO_SUCH_SECTION      section not in the inventory
--   6 LIMIT_PER_ORDER      quantity > max_per_order (n1 = max_per_order)
--   7 LIMIT_PER_USER       user's seats + quantity > max_per_user (n1 = max, n2 = seats now)
--   8 SOLD_OUT             fewer seats than quantity (n1 = seats available)
--   9 IDEMPOTENCY_CONFLICT the key was used with another body
--  10 RATE_LIMITED         a hold limit (app.core.ratelimit's names) is spent; n1 = seconds
--                          until a hit is allowed again; nothing is counted, reserved or recorded
-- replayed = 1 when the outcome is the recorded first outcome of this Idempotency-Key;
-- every outcome decided here (codes 0-8) is recorded, so a retry gets the same answer.
local meta_key, inv_key, users_key, sessions_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local hold_key, expiry_key, stream_key, idem_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]

local now = tonumber(ARGV[1])
local event_id = ARGV[2]
local user_id = ARGV[3]
local session_id = ARGV[4]
local section = ARGV[5]
local quantity = tonumber(ARGV[6])
local hold_id = ARGV[7]
local fingerprint = ARGV[8]
local idem_ttl_ms = tonumber(ARGV[9])
local retention_ms = tonumber(ARGV[10])

local OK, NOT_ADMITTED, ADMISSION_EXPIRED, SALE_NOT_OPEN = 0, 1, 2, 3
local NO_SUCH_EVENT, NO_SUCH_SECTION, LIMIT_PER_ORDER, LIMIT_PER_USER = 4, 5, 6, 7
local SOLD_OUT, IDEMPOTENCY_CONFLICT, RATE_LIMITED = 8, 9, 10

-- include: _rate_window.lua

-- The rate limits first, as they ran before everything when they were a round
-- trip of their own: every attempt that reaches this script counts, replays
-- included; a limited one is not recorded under its Idempotency-Key.
local retry_s = rate_limit(now, {
  {KEYS[9], tonumber(ARGV[11] or '0'), tonumber(ARGV[12] or '0')},
  {KEYS[10], tonumber(ARGV[13] or '0'), tonumber(ARGV[14] or '0')},
})
if retry_s > 0 then
  return {RATE_LIMITED, 0, '', 0, 0, '', retry_s, 0}
end

if fingerprint ~= '' then
  local seen = redis.call('HMGET', idem_key, 'fp', 'code', 'hold_id', 'expires_at_ms',
    'amount_cents', 'currency', 'n1', 'n2')
  if seen[1] then
    if seen[1] ~= fingerprint then
      return {IDEMPOTENCY_CONFLICT, 0, '', 0, 0, '', 0, 0}
    end
    return {tonumber(seen[2]), 1, seen[3], tonumber(seen[4]), tonumber(seen[5]), seen[6],
      tonumber(seen[7]), tonumber(seen[8])}
  end
end

-- Record the decided outcome under the Idempotency-Key, then return it.
local function outcome(code, id, expires_at_ms, amount, currency, n1, n2)
  if fingerprint ~= '' then
    redis.call('HSET', idem_key, 'fp', fingerprint, 'code', code, 'hold_id', id,
      'expires_at_ms', expires_at_ms, 'amount_cents', amount, 'currency', currency,
      'n1', n1, 'n2', n2)
    redis.call('PEXPIRE', idem_key, idem_ttl_ms)
  end
  return {code, 0, id, expires_at_ms, amount, currency, n1, n2}
end

local session_expiry = redis.call('ZSCORE', sessions_key, session_id)
if not session_expiry then
  return outcome(NOT_ADMITTED, '', 0, 0, '', 0, 0)
end
if tonumber(session_expiry) <= now then
  return outcome(ADMISSION_EXPIRED, '', 0, 0, '', 0, 0)
end

local meta = redis.call('HMGET', meta_key, 'status', 'onsale_at_ms', 'offsale_at_ms',
  'max_per_order', 'max_per_user', 'hold_ttl_s', 'currency', 'price:' .. section,
  'paused:' .. section)
if not meta[1] then
  return outcome(NO_SUCH_EVENT, '', 0, 0, '', 0, 0)
end
if meta[1] ~= 'published' or now < tonumber(meta[2]) or now >= tonumber(meta[3])
    or meta[9] == '1' then
  return outcome(SALE_NOT_OPEN, '', 0, 0, '', 0, 0)
end

local available = redis.call('HGET', inv_key, section .. ':available')
if not available or not meta[8] then
  return outcome(NO_SUCH_SECTION, '', 0, 0, '', 0, 0)
end
available = tonumber(available)

local max_per_order = tonumber(meta[4])
if quantity > max_per_order then
  return outcome(LIMIT_PER_ORDER, '', 0, 0, '', max_per_order, 0)
end
local max_per_user = tonumber(meta[5])
local user_seats = tonumber(redis.call('HGET', users_key, user_id) or '0')
if user_seats + quantity > max_per_user then
  return outcome(LIMIT_PER_USER, '', 0, 0, '', max_per_user, user_seats)
end
if available < quantity then
  return outcome(SOLD_OUT, '', 0, 0, '', available, 0)
end

local expires_at_ms = now + tonumber(meta[6]) * 1000
local amount = tonumber(meta[8]) * quantity
local currency = meta[7]

redis.call('HINCRBY', inv_key, section .. ':available', -quantity)
redis.call('HINCRBY', inv_key, section .. ':held', quantity)
redis.call('HINCRBY', users_key, user_id, quantity)
redis.call('HSET', hold_key,
  'hold_id', hold_id, 'event_id', event_id, 'user_id', user_id, 'section', section,
  'quantity', quantity, 'amount_cents', amount, 'currency', currency, 'status', 'active',
  'created_at_ms', now, 'expires_at_ms', expires_at_ms, 'session_id', session_id)
-- The record outlives the hold; the expiry index, not this TTL, returns the seats.
redis.call('PEXPIRE', hold_key, expires_at_ms - now + retention_ms)
redis.call('ZADD', expiry_key, expires_at_ms, hold_id)
-- The ledger writer copies this into Postgres (reconcile's source of live holds).
redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'active', 'at_ms', now,
  'user_id', user_id, 'section', section, 'quantity', quantity, 'amount_cents', amount,
  'currency', currency, 'created_at_ms', now, 'expires_at_ms', expires_at_ms)
return outcome(OK, hold_id, expires_at_ms, amount, currency, 0, 0)
