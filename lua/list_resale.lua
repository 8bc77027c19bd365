-- list_resale: a ticket listed for resale puts its seat back on sale, once per listing.
--
-- KEYS[1]  inventory hash              {ev:<id>}:inv
-- KEYS[2]  set of listings on sale     {ev:<id>}:resale:listed
-- KEYS[3]  seat states hash            {ev:<id>}:seats
-- KEYS[4]  seat rows hash              {ev:<id>}:seatrows (the seat's row counts it free)
-- ARGV[1]  listing id
-- ARGV[2]  section code
-- ARGV[3]  the ticket's reserved seat id ('' = general admission)
--
-- sold -= 1, available += 1: the next sale of the section (the waiting list's
-- offer first, or the next fan in the room) sells it; the seller keeps the
-- ticket and their per-user count until a buyer has paid. A reserved seat
-- goes back on the map as that seat (its state field goes: free), so the fan
-- who picks it, or whom best available gives it, buys exactly that seat.
-- Returns 1 when put on sale now, 0 when this listing was before (a retry),
-- -1 when the section has no sold seat, or the reserved seat is not sold
-- (inventory drift: nothing changes).
local inv_key, listed_key, states_key, rows_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local listing_id = ARGV[1]
local section = ARGV[2]
local seat = ARGV[3] or ''

-- include: _seats.lua

if redis.call('SISMEMBER', listed_key, listing_id) == 1 then return 0 end
local sold = tonumber(redis.call('HGET', inv_key, section .. ':sold')) or 0
if sold < 1 then return -1 end
if seat ~= '' then
  local field = section .. '/' .. seat
  local state = redis.call('HGET', states_key, field)
  if not state or string.sub(state, 1, 2) ~= 's:' then return -1 end
  redis.call('HDEL', states_key, field)
  row_count(rows_key, section, seat, 1)
end
redis.call('SADD', listed_key, listing_id)
redis.call('HINCRBY', inv_key, section .. ':sold', -1)
redis.call('HINCRBY', inv_key, section .. ':available', 1)
return 1
