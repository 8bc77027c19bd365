-- convert_hold: turn a paid hold into sold seats, once; a late payment retakes seats if any are left.
--
-- KEYS[1]  hold record hash        ({ev:<id>}:hold:<hold_id>)
-- KEYS[2]  inventory hash          ({ev:<id>}:inv)
-- KEYS[3]  user seats hash         ({ev:<id>}:userseats)
-- KEYS[4]  hold expiry index zset  ({ev:<id>}:holds:exp)
-- KEYS[5]  checkouts index zset    ({ev:<id>}:holds:checkout)
-- KEYS[6]  hold lifecycle stream   ({ev:<id>}:holds:ends, for the Postgres ledger)
-- KEYS[7]  event meta hash         ({ev:<id>}:meta: max_per_user for a late payment)
-- KEYS[8]  seat states hash        ({ev:<id>}:seats: a seated hold's seats are sold)
-- KEYS[9]  discount codes hash     ({ev:<id>}:discounts: a late payment retakes its code's use)
-- KEYS[10] ticket types hash       ({ev:<id>}:types: the hold's lines are sold per type)
-- KEYS[11] seat rows hash          ({ev:<id>}:seatrows: seats a late payment retakes leave their rows' counts)
-- ARGV[1]  hold id
-- ARGV[2]  Stripe PaymentIntent id (authorized)
-- ARGV[3]  order id
-- ARGV[4]  user id           (from the PaymentIntent metadata; used when the record is gone)
-- ARGV[5]  section code      (idem)
-- ARGV[6]  quantity (seats)  (idem)
-- ARGV[7]  now (epoch ms)
-- ARGV[8]  how long the converted record is kept (ms, >= 24 h)
-- ARGV[9]  event id
-- ARGV[10] the hold's seats, comma-separated ('' = general admission or unknown; used when
--          the record is gone). A late payment of a seated hold retakes exactly its seats,
--          only when all are still free.
-- ARGV[11] the hold's lines by ticket type ('TYPE:q,...'; '' = none; used when the record
--          is gone). A late payment retakes its lines only when every type has them left.
--
-- active / checking_out -> converted: held -= q, sold += q (user seats unchanged).
-- released / expired / record gone (late payment): if the section has q seats
-- available and the buyer's seats + q stay within max_per_user: available -= q,
-- sold += q, user seats += q, record converted; otherwise nothing changes (the
-- payment is refunded: a late payment never buys past the per-user limit).
-- Returns:
--   1  converted now
--   2  already converted with this PaymentIntent (a retried job)
--   3  late payment: seats retaken and converted now
--  -1  late payment and not enough seats left, or its discount code has no use left
--      (the money paid was the discounted amount: refunded, the code never passes its uses)
--  -2  the hold is converted or in checkout with another PaymentIntent
--  -3  late payment and the buyer's seats + q would pass max_per_user
local hold_key = KEYS[1]
local inv_key = KEYS[2]
local user_seats_key = KEYS[3]
local expiry_key = KEYS[4]
local checkouts_key = KEYS[5]
local stream_key = KEYS[6]
local meta_key = KEYS[7]
local hold_id = ARGV[1]
local payment_intent_id = ARGV[2]
local order_id = ARGV[3]
local user_id = ARGV[4]
local section = ARGV[5]
local quantity = tonumber(ARGV[6])
local now_ms = tonumber(ARGV[7])
local record_ttl_ms = tonumber(ARGV[8])
local event_id = ARGV[9]
local states_key = KEYS[8]
local discounts_key = KEYS[9]
local types_key = KEYS[10]
local rows_key = KEYS[11]

-- include: _seats.lua
-- include: _discounts.lua
-- include: _types.lua

local rec = redis.call('HMGET', hold_key, 'status', 'payment_intent_id', 'section', 'quantity', 'seats', 'discount', 'lines')
local lines = rec[7]
if not lines or lines == '' then
  lines = ARGV[11] or ''
end
local seats = rec[5]
if not seats or seats == '' then
  seats = ARGV[10] or ''
end
local status, current_pi = rec[1], rec[2]

if status == 'converted' then
  if current_pi == payment_intent_id then
    return 2
  end
  return -2
end

if status == 'active' or status == 'checking_out' then
  if current_pi and current_pi ~= '' and current_pi ~= payment_intent_id then
    return -2
  end
  local held_section, held_quantity = rec[3], tonumber(rec[4])
  redis.call('HINCRBY', inv_key, held_section .. ':held', -held_quantity)
  redis.call('HINCRBY', inv_key, held_section .. ':sold', held_quantity)
  seats_sell(states_key, held_section, seats, hold_id)
  types_move(types_key, held_section, lines, 'held', 'sold')
  redis.call('HSET', hold_key, 'status', 'converted', 'payment_intent_id', payment_intent_id,
    'order_id', order_id, 'ended_at_ms', now_ms)
  redis.call('HDEL', hold_key, 'checkout_deadline_ms')
  redis.call('ZREM', expiry_key, hold_id)
  redis.call('ZREM', checkouts_key, hold_id)
  redis.call('PEXPIRE', hold_key, record_ttl_ms)
  redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'converted', 'at_ms', now_ms)
  return 1
end

-- Late payment: the hold ended (or its record is gone) before the money came.
if redis.call('HEXISTS', inv_key, section .. ':capacity') == 0 then
  return -1
end
local available = tonumber(redis.call('HGET', inv_key, section .. ':available')) or 0
if available < quantity then
  return -1
end
local max_per_user = tonumber(redis.call('HGET', meta_key, 'max_per_user'))
local user_seats = tonumber(redis.call('HGET', user_seats_key, user_id) or '0')
if max_per_user and user_seats + quantity > max_per_user then
  return -3
end
local code = rec[6]
local code_left = true
if code and code ~= '' then
  local d = redis.call('HMGET', discounts_key, code .. ':max', code .. ':used')
  code_left = d[1] ~= false and tonumber(d[2] or '0') < tonumber(d[1])
end
if not code_left or not types_available(types_key, section, lines)
    or not seats_retake(states_key, rows_key, section, seats, hold_id) then
  return -1
end
types_move(types_key, section, lines, 'available', 'sold')
if code and code ~= '' then
  redis.call('HINCRBY', discounts_key, code .. ':used', 1)
end
redis.call('HINCRBY', inv_key, section .. ':available', -quantity)
redis.call('HINCRBY', inv_key, section .. ':sold', quantity)
redis.call('HINCRBY', user_seats_key, user_id, quantity)
redis.call('HSET', hold_key, 'hold_id', hold_id, 'event_id', event_id, 'user_id', user_id,
  'section', section, 'quantity', quantity, 'status', 'converted', 'late', 1, 'seats', seats,
  'lines', lines,
  'payment_intent_id', payment_intent_id, 'order_id', order_id, 'ended_at_ms', now_ms)
redis.call('ZREM', expiry_key, hold_id)
redis.call('ZREM', checkouts_key, hold_id)
redis.call('PEXPIRE', hold_key, record_ttl_ms)
redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'converted', 'at_ms', now_ms)
return 3
