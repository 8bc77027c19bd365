-- extend_checkout: push a checkout's deadline while Stripe is still processing its payment.
--
-- KEYS[1]  hold record hash        ({ev:<id>}:hold:<hold_id>)
-- KEYS[2]  checkouts index zset    ({ev:<id>}:holds:checkout)
-- ARGV[1]  hold id
-- ARGV[2]  Stripe PaymentIntent id
-- ARGV[3]  new deadline (epoch ms); the caller caps it at the documented bound
--
-- Returns 1 when extended, 0 when the hold is no longer in checkout with this payment.
local hold_key = KEYS[1]
local checkouts_key = KEYS[2]
local hold_id = ARGV[1]
local payment_intent_id = ARGV[2]
local deadline_ms = tonumber(ARGV[3])

local rec = redis.call('HMGET', hold_key, 'status', 'payment_intent_id')
if rec[1] ~= 'checking_out' or rec[2] ~= payment_intent_id then
  return 0
end
redis.call('HSET', hold_key, 'checkout_deadline_ms', deadline_ms)
redis.call('ZADD', checkouts_key, deadline_ms, hold_id)
return 1
