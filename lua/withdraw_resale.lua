-- withdraw_resale: a withdrawn listing takes its seat back off sale, if one is free.
--
-- KEYS[1]  inventory hash              {ev:<id>}:inv
-- KEYS[2]  set of listings on sale     {ev:<id>}:resale:listed
-- KEYS[3]  seat states hash            {ev:<id>}:seats
-- KEYS[4]  seat rows hash              {ev:<id>}:seatrows (the seat leaves its row's free count)
-- ARGV[1]  listing id
-- ARGV[2]  section code
-- ARGV[3]  the ticket's reserved seat id ('' = general admission)
-- ARGV[4]  the seller's hold id (a reserved seat is sold by it again: 's:<hold_id>')
--
-- available -= 1, sold += 1. A listing whose seat is in someone's hold right
-- now (general admission: nothing available; a reserved seat: that seat held
-- or sold) cannot be withdrawn: the buyer's payment decides.
-- Returns 1 WITHDRAWN, 0 NOT_LISTED (withdrawn before, or never put on sale),
-- 2 IN_CHECKOUT (no seat of the section is free, or the reserved seat is not).
local inv_key, listed_key, states_key, rows_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local listing_id = ARGV[1]
local section = ARGV[2]
local seat = ARGV[3] or ''
local seller_hold = ARGV[4] or ''

-- include: _seats.lua

if redis.call('SISMEMBER', listed_key, listing_id) == 0 then return 0 end
local available = tonumber(redis.call('HGET', inv_key, section .. ':available')) or 0
if available < 1 then return 2 end
if seat ~= '' then
  local field = section .. '/' .. seat
  if redis.call('HEXISTS', states_key, field) == 1 then return 2 end
  redis.call('HSET', states_key, field, 's:' .. seller_hold)
  row_count(rows_key, section, seat, -1)
end
redis.call('SREM', listed_key, listing_id)
redis.call('HINCRBY', inv_key, section .. ':available', -1)
redis.call('HINCRBY', inv_key, section .. ':sold', 1)
return 1
