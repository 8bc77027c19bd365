-- restore_inventory: rebuild an event's lost inventory, live holds and per-user seats.
--
-- Used by reconcile when Redis lost the event (FLUSHALL, failover without AOF).
-- Runs only if the inventory hash is absent, so concurrent reconciles restore once.
--
-- KEYS[1]     inventory hash        {ev:<id>}:inv
-- KEYS[2]     per-user seats hash   {ev:<id>}:userseats
-- KEYS[3]     hold expiry zset      {ev:<id>}:holds:exp
-- KEYS[4]     checkouts zset        {ev:<id>}:holds:checkout
-- KEYS[5..n]  record hashes of the live holds {ev:<id>}:hold:<hold_id>, in payload order
--
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  retention of a hold record after its end (ms)
-- ARGV[3]  JSON payload:
--          {"sections": [[code, capacity, sold, held], ...],
--           "users": [[user_id, seats], ...],
--           "holds": [{"fields": {hash fields}, "index": "expiry"|"checkout",
--                      "score": epoch ms, "expires_at_ms": epoch ms}, ...]}
--
-- Returns {code, holds}:
--   1 RESTORED  everything written; holds = live holds restored
--   0 PRESENT   the inventory exists already; nothing written
local inv_key, users_key, expiry_key, checkout_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
local retention_ms = tonumber(ARGV[2])
local payload = cjson.decode(ARGV[3])

local PRESENT, RESTORED = 0, 1

if redis.call('EXISTS', inv_key) == 1 then
  return {PRESENT, 0}
end
for _, s in ipairs(payload.sections) do
  local code, capacity, sold, held = s[1], tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
  redis.call('HSET', inv_key,
    code .. ':capacity', capacity,
    code .. ':available', capacity - sold - held,
    code .. ':held', held,
    code .. ':sold', sold)
end
redis.call('DEL', users_key)
for _, u in ipairs(payload.users) do
  redis.call('HSET', users_key, u[1], u[2])
end
for i, h in ipairs(payload.holds) do
  local hold_key = KEYS[4 + i]
  for field, value in pairs(h.fields) do
    redis.call('HSET', hold_key, field, value)
  end
  redis.call('PEXPIRE', hold_key, math.max(tonumber(h.expires_at_ms) - now, 0) + retention_ms)
  if h.index == 'checkout' then
    redis.call('ZADD', checkout_key, h.score, h.fields.hold_id)
  else
    redis.call('ZADD', expiry_key, h.score, h.fields.hold_id)
  end
end
return {RESTORED, #payload.holds}
