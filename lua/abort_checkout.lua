-- abort_checkout: a declined payment puts the hold back to active until its own expiry.
--
-- KEYS[1]  hold record hash        ({ev:<id>}:hold:<hold_id>)
-- KEYS[2]  hold expiry index zset  ({ev:<id>}:holds:exp)
-- KEYS[3]  checkouts index zset    ({ev:<id>}:holds:checkout)
-- ARGV[1]  hold id
-- ARGV[2]  Stripe PaymentIntent id that was declined
--
-- The payment_intent_id field stays so a retry with another card reuses the
-- same PaymentIntent. The hold re-enters the expiry index at its original
-- expires_at_ms (already past: the holds sweeper returns the seats promptly).
-- Returns 1 when the hold is active again, 0 when it was not in checkout
-- with this PaymentIntent (already settled another way: nothing to do).
local hold_key = KEYS[1]
local expiry_key = KEYS[2]
local checkouts_key = KEYS[3]
local hold_id = ARGV[1]
local payment_intent_id = ARGV[2]

local rec = redis.call('HMGET', hold_key, 'status', 'payment_intent_id', 'expires_at_ms')
if rec[1] ~= 'checking_out' or rec[2] ~= payment_intent_id then
  return 0
end
redis.call('HSET', hold_key, 'status', 'active')
redis.call('HDEL', hold_key, 'checkout_deadline_ms')
redis.call('ZREM', checkouts_key, hold_id)
redis.call('ZADD', expiry_key, tonumber(rec[3]), hold_id)
return 1
