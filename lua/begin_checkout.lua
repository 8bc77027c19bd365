-- begin_checkout: move an active hold of this user into checkout, once.
--
-- KEYS[1]  hold record hash        ({ev:<id>}:hold:<hold_id>)
-- KEYS[2]  hold expiry index zset  ({ev:<id>}:holds:exp)
-- KEYS[3]  checkouts index zset    ({ev:<id>}:holds:checkout)
-- KEYS[4]  hold lifecycle stream   ({ev:<id>}:holds:ends, for the Postgres ledger)
-- ARGV[1]  hold id
-- ARGV[2]  user id of the caller
-- ARGV[3]  Stripe PaymentIntent id
-- ARGV[4]  order id
-- ARGV[5]  now (epoch ms)
--
-- The checkout deadline is the hold's own expires_at_ms: the checkout sweeper
-- asks Stripe at that moment and extends it (bounded) only while Stripe is
-- still processing. The hold leaves the expiry index, so the holds sweeper
-- never expires a hold whose payment is undecided.
--
-- Returns {code, payment_intent_id, order_id, checkout_deadline_ms}:
--   1  began now
--   2  already in checkout or converted (fields are those of the first checkout)
--  -1  no such hold
--  -2  the hold belongs to another user
--  -3  the hold is not active (released or expired)
--  -4  the hold is active but past its expiry
local hold_key = KEYS[1]
local expiry_key = KEYS[2]
local checkouts_key = KEYS[3]
local stream_key = KEYS[4]
local hold_id = ARGV[1]
local user_id = ARGV[2]
local payment_intent_id = ARGV[3]
local order_id = ARGV[4]
local now_ms = tonumber(ARGV[5])

if redis.call('EXISTS', hold_key) == 0 then
  return {-1, '', '', 0}
end
local rec = redis.call('HMGET', hold_key, 'user_id', 'status', 'expires_at_ms',
  'payment_intent_id', 'order_id', 'checkout_deadline_ms')
local owner, status, expires_at_ms = rec[1], rec[2], tonumber(rec[3])
if owner ~= user_id then
  return {-2, '', '', 0}
end
if status == 'checking_out' or status == 'converted' then
  return {2, rec[4] or '', rec[5] or '', tonumber(rec[6]) or 0}
end
if status ~= 'active' then
  return {-3, '', '', 0}
end
if expires_at_ms <= now_ms then
  return {-4, '', '', 0}
end
redis.call('HSET', hold_key,
  'status', 'checking_out',
  'payment_intent_id', payment_intent_id,
  'order_id', order_id,
  'checkout_deadline_ms', expires_at_ms,
  'checkout_started_at_ms', now_ms)
redis.call('ZREM', expiry_key, hold_id)
redis.call('ZADD', checkouts_key, expires_at_ms, hold_id)
redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'checking_out', 'at_ms', now_ms)
return {1, payment_intent_id, order_id, expires_at_ms}
