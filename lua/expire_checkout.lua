-- expire_checkout: end a hold in checkout whose payment was abandoned or cancelled; seats back on sale.
--
-- KEYS[1]  hold record hash        ({ev:<id>}:hold:<hold_id>)
-- KEYS[2]  inventory hash          ({ev:<id>}:inv)
-- KEYS[3]  user seats hash         ({ev:<id>}:userseats)
-- KEYS[4]  checkouts index zset    ({ev:<id>}:holds:checkout)
-- KEYS[5]  hold expiry index zset  ({ev:<id>}:holds:exp)
-- KEYS[6]  hold lifecycle stream   ({ev:<id>}:holds:ends, for the Postgres ledger)
-- KEYS[7]  seat states hash        ({ev:<id>}:seats: a seated hold's seats go back too)
-- KEYS[8]  discount codes hash     ({ev:<id>}:discounts: the hold's code use goes back too)
-- KEYS[9]  ticket types hash       ({ev:<id>}:types: the hold's lines go back to their types)
-- KEYS[10]  seat rows hash          ({ev:<id>}:seatrows: the freed seats' rows count them)
-- ARGV[1]  hold id
-- ARGV[2]  Stripe PaymentIntent id the sweeper settled
-- ARGV[3]  now (epoch ms)
-- ARGV[4]  how long the ended record is kept (ms, >= 24 h)
--
-- Only a hold still in checkout with this PaymentIntent is touched: held -= q,
-- available += q, the user's seat count -= q, status expired.
-- Returns 1 when the seats went back on sale now, 0 when nothing was to do.
local hold_key = KEYS[1]
local inv_key = KEYS[2]
local user_seats_key = KEYS[3]
local checkouts_key = KEYS[4]
local expiry_key = KEYS[5]
local stream_key = KEYS[6]
local hold_id = ARGV[1]
local payment_intent_id = ARGV[2]
local now_ms = tonumber(ARGV[3])
local record_ttl_ms = tonumber(ARGV[4])
local states_key = KEYS[7]
local discounts_key = KEYS[8]
local types_key = KEYS[9]
local rows_key = KEYS[10]

-- include: _seats.lua
-- include: _discounts.lua
-- include: _types.lua

local rec = redis.call('HMGET', hold_key, 'status', 'payment_intent_id', 'section', 'quantity', 'user_id', 'seats', 'discount',
  'lines')
if rec[1] ~= 'checking_out' or rec[2] ~= payment_intent_id then
  redis.call('ZREM', checkouts_key, hold_id)
  return 0
end
local section, quantity, user_id = rec[3], tonumber(rec[4]), rec[5]
redis.call('HINCRBY', inv_key, section .. ':held', -quantity)
redis.call('HINCRBY', inv_key, section .. ':available', quantity)
if redis.call('HINCRBY', user_seats_key, user_id, -quantity) <= 0 then
  redis.call('HDEL', user_seats_key, user_id)
end
seats_free(states_key, rows_key, section, rec[6], hold_id)
discount_give_back(discounts_key, rec[7])
types_move(types_key, section, rec[8], 'held', 'available')
redis.call('HSET', hold_key, 'status', 'expired', 'ended_at_ms', now_ms)
redis.call('ZREM', checkouts_key, hold_id)
redis.call('ZREM', expiry_key, hold_id)
redis.call('PEXPIRE', hold_key, record_ttl_ms)
redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'expired', 'at_ms', now_ms)
return 1
