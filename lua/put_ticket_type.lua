-- put_ticket_type: write one ticket type's settings and quota into the event's types hash.
--
-- KEYS[1]  ticket types hash  {ev:<id>}:types (see _types.lua)
--
-- ARGV[1]  op: 'put' (create or change the type), 'delete' (remove it) or 'restore' (set its
--          counters from the record: ARGV[5] sold and ARGV[6] held, after Redis lost them or
--          drifted)
-- ARGV[2]  section code
-- ARGV[3]  type code
-- ARGV[4]  quota (tickets of this type, >= 0)
-- ARGV[5]  sold: tickets of the type sold in the record (used when the type is new here, and
--          by 'restore')
-- ARGV[6]  held: tickets of the type in live holds ('restore' only)
-- ARGV[7]  the section's type codes after this change, comma-separated, in order
-- ARGV[8..] settings as field, value pairs ('price', 'limit', 'opens', 'closes',
--          'companion', 'name'), stored as '<section>/<TYPE>:<field>'
--
-- A type already here keeps its held and sold tickets: a new quota moves available by the
-- difference, and is refused below what is held and sold. A type is deleted only with
-- nothing held or sold.
-- Returns {code, available, held, sold}:
--   1  written
--  -1  the quota is below the tickets held and sold (n = held + sold in `held` + `sold`)
--  -2  delete refused: tickets of the type are held or sold
local types_key = KEYS[1]
local op, section, code = ARGV[1], ARGV[2], ARGV[3]
local quota = tonumber(ARGV[4])
local pg_sold = tonumber(ARGV[5])
local pg_held = tonumber(ARGV[6])
local list = ARGV[7]
local f = section .. '/' .. code .. ':'

local v = redis.call('HMGET', types_key, f .. 'quota', f .. 'held', f .. 'sold')
local known = v[1] ~= false
local held, sold = tonumber(v[2] or '0'), tonumber(v[3] or '0')

if op == 'delete' then
  if held + sold > 0 then
    return {-2, 0, held, sold}
  end
  redis.call('HDEL', types_key, f .. 'quota', f .. 'available', f .. 'held', f .. 'sold',
    f .. 'price', f .. 'limit', f .. 'opens', f .. 'closes', f .. 'companion', f .. 'name')
  redis.call('HSET', types_key, section .. ':types', list)
  return {1, 0, 0, 0}
end

if op == 'restore' or not known then
  held, sold = pg_held, pg_sold
  if op ~= 'restore' then
    held = 0
  end
elseif quota < held + sold then
  return {-1, 0, held, sold}
end
local available = quota - held - sold
redis.call('HSET', types_key, f .. 'quota', quota, f .. 'available', available,
  f .. 'held', held, f .. 'sold', sold, section .. ':types', list)
for i = 8, #ARGV - 1, 2 do
  redis.call('HSET', types_key, f .. ARGV[i], ARGV[i + 1])
end
return {1, available, held, sold}
