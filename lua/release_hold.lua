-- release_hold: the owner gives a hold's seats back at once (DELETE /holds/{id}).
--
-- KEYS[1]  the hold's record hash  {ev:<id>}:hold:<hold_id>
-- KEYS[2]  inventory hash          {ev:<id>}:inv
-- KEYS[3]  per-user seats hash     {ev:<id>}:userseats
-- KEYS[4]  hold expiry zset        {ev:<id>}:holds:exp
-- KEYS[5]  hold lifecycle stream   {ev:<id>}:holds:ends
-- KEYS[6]  seat states hash        {ev:<id>}:seats (a seated hold's seats go back too)
-- KEYS[7]  discount codes hash     {ev:<id>}:discounts (the hold's code use goes back too)
-- KEYS[8]  ticket types hash       {ev:<id>}:types (the hold's lines go back to their types)
-- KEYS[9]  seat rows hash          {ev:<id>}:seatrows (the freed seats' rows count them)
--
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  caller's user id (only the owner may release)
-- ARGV[3]  retention of the ended record (ms, >= 24 h)
--
-- Returns:
--   0 RELEASED      seats returned, status released
--   1 NOT_FOUND     no such hold, or it belongs to someone else
--   2 NOT_ACTIVE    the hold is checking_out or converted (payment decides it now)
--   3 ALREADY_ENDED the hold was already released or expired (nothing to do)
local hold_key, inv_key, users_key, expiry_key, stream_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local states_key = KEYS[6]
local discounts_key = KEYS[7]
local types_key = KEYS[8]
local rows_key = KEYS[9]
local now = tonumber(ARGV[1])
local user_id = ARGV[2]
local retention_ms = tonumber(ARGV[3])

local RELEASED, NOT_FOUND, NOT_ACTIVE, ALREADY_ENDED = 0, 1, 2, 3

-- include: _seats.lua
-- include: _discounts.lua
-- include: _types.lua

local h = redis.call('HMGET', hold_key, 'user_id', 'status', 'section', 'quantity', 'hold_id', 'seats', 'discount',
  'lines')
if not h[1] or h[1] ~= user_id then
  return NOT_FOUND
end
local status = h[2]
if status == 'released' or status == 'expired' then
  return ALREADY_ENDED
end
if status ~= 'active' then
  return NOT_ACTIVE
end
local section, quantity, hold_id = h[3], tonumber(h[4]), h[5]

redis.call('HINCRBY', inv_key, section .. ':held', -quantity)
redis.call('HINCRBY', inv_key, section .. ':available', quantity)
if redis.call('HINCRBY', users_key, user_id, -quantity) <= 0 then
  redis.call('HDEL', users_key, user_id)
end
redis.call('ZREM', expiry_key, hold_id)
seats_free(states_key, rows_key, section, h[6], hold_id)
discount_give_back(discounts_key, h[7])
types_move(types_key, section, h[8], 'held', 'available')
redis.call('HSET', hold_key, 'status', 'released', 'ended_at_ms', now)
redis.call('PEXPIRE', hold_key, retention_ms)
redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'released', 'at_ms', now)
return RELEASED
