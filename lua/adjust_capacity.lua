-- adjust_capacity: add or withdraw unsold seats of a section, live.
--
-- KEYS[1]  inventory hash {ev:<id>}:inv
--
-- ARGV[1]  section code
-- ARGV[2]  delta (seats; > 0 adds, < 0 withdraws)
--
-- Capacity never drops below held + sold: only available seats can be withdrawn.
-- Returns {code, capacity, available, held, sold} (figures after the call):
--   0 OK               applied
--   1 NO_SUCH_SECTION  the section is not in the inventory
--   2 BELOW_COMMITTED  capacity + delta < held + sold (nothing changed)
local inv_key = KEYS[1]
local section = ARGV[1]
local delta = tonumber(ARGV[2])

local OK, NO_SUCH_SECTION, BELOW_COMMITTED = 0, 1, 2

local v = redis.call('HMGET', inv_key, section .. ':capacity', section .. ':available',
  section .. ':held', section .. ':sold')
if not v[1] then
  return {NO_SUCH_SECTION, 0, 0, 0, 0}
end
local capacity, available, held, sold = tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), tonumber(v[4])
if available + delta < 0 then
  return {BELOW_COMMITTED, capacity, available, held, sold}
end
capacity = redis.call('HINCRBY', inv_key, section .. ':capacity', delta)
available = redis.call('HINCRBY', inv_key, section .. ':available', delta)
return {OK, capacity, available, held, sold}
