-- block_seats: the organizer holds seats back (block) or puts them on sale again (unblock).
--
-- KEYS[1]  inventory hash          {ev:<id>}:inv    (the section's counters, when loaded)
-- KEYS[2]  seat states hash        {ev:<id>}:seats
-- KEYS[3]  the section's seat info {ev:<id>}:seatinfo:<section>
-- KEYS[4]  seat rows hash          {ev:<id>}:seatrows (a blocked seat leaves its row's free count)
--
-- ARGV[1]  section code
-- ARGV[2]  'block' or 'unblock'
-- ARGV[3..] seat ids
--
-- All or none. Block: every seat must be free or already blocked (a held or sold seat
-- refuses the whole request, named); a blocked seat leaves the section's capacity
-- (capacity and available -1 each). Unblock: blocked seats become free (capacity and
-- available +1 each); seats not blocked are left as they are.
-- Returns {0, 'id,id'} the seats that changed now; {1, 'id,id'} held or sold seats;
-- {2, 'id,id'} seats not on the map.
local inv_key, states_key, info_key, rows_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local section, op = ARGV[1], ARGV[2]
local prefix = section .. '/'

-- include: _seats.lua

local unknown, taken, change = {}, {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', info_key, id) == 0 then
    unknown[#unknown + 1] = id
  else
    local state = redis.call('HGET', states_key, prefix .. id)
    if op == 'block' then
      if not state then
        change[#change + 1] = id
      elseif state ~= 'b' then
        taken[#taken + 1] = id
      end
    elseif state == 'b' then
      change[#change + 1] = id
    end
  end
end
if #unknown > 0 then
  return {2, table.concat(unknown, ',')}
end
if #taken > 0 then
  return {1, table.concat(taken, ',')}
end
for _, id in ipairs(change) do
  if op == 'block' then
    redis.call('HSET', states_key, prefix .. id, 'b')
    row_count(rows_key, section, id, -1)
  else
    redis.call('HDEL', states_key, prefix .. id)
    row_count(rows_key, section, id, 1)
  end
end
if #change > 0 and redis.call('HEXISTS', inv_key, section .. ':capacity') == 1 then
  local delta = #change
  if op == 'block' then
    delta = -delta
  end
  redis.call('HINCRBY', inv_key, section .. ':capacity', delta)
  redis.call('HINCRBY', inv_key, section .. ':available', delta)
end
return {0, table.concat(change, ',')}
