-- load_seats: put a section's seat map into Redis (import or re-import), atomically.
--
-- KEYS[1]  event meta hash         {ev:<id>}:meta   (seated:<section>, catprice:<section>:<cat>)
-- KEYS[2]  inventory hash          {ev:<id>}:inv    (the section's counters, when loaded)
-- KEYS[3]  seat states hash        {ev:<id>}:seats
-- KEYS[4]  the section's seat info {ev:<id>}:seatinfo:<section>
-- KEYS[5]  the section's seat plan {ev:<id>}:seatplan:<section>
-- KEYS[6]  seat rows hash          {ev:<id>}:seatrows (each seat's row, each row's free seats)
--
-- ARGV[1]  section code
-- ARGV[2]  the fields of the plan hash, as JSON (app.seating.scripts.plan_of: each row, the
--          rows nearest the focal point first, the public view's meta)
-- ARGV[3]  category prices, 'category<TAB>cents' lines
-- ARGV[4]  the previous map's seat ids, comma-separated ('' when the section had none)
-- ARGV[5]  the new map's blocked seat ids, comma-separated
-- ARGV[6..] pairs: seat id, 'row<TAB>number<TAB>category<TAB>x<TAB>y<TAB>flags'
--
-- A held or sold seat must stay on the map and unblocked: otherwise nothing changes and
-- the answer names them. A section sold as general admission (held or sold seats, no
-- map yet) cannot become seated. When the section's counters are loaded, capacity
-- becomes the unblocked seats and available = capacity - held - sold.
-- Returns {0, capacity} loaded; {1, 'id,id'} seats held or sold would go or be blocked;
-- {2, ''} the section has general-admission holds or sales.
local meta_key, inv_key, states_key, info_key, plan_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local rows_key = KEYS[6]
local section = ARGV[1]
local prefix = section .. '/'

-- include: _seats.lua

local function split(text)
  local out = {}
  for id in string.gmatch(text or '', '[^,]+') do
    out[#out + 1] = id
  end
  return out
end

local loaded = redis.call('HEXISTS', inv_key, section .. ':capacity') == 1
local held, sold = 0, 0
if loaded then
  held = tonumber(redis.call('HGET', inv_key, section .. ':held')) or 0
  sold = tonumber(redis.call('HGET', inv_key, section .. ':sold')) or 0
end
if redis.call('HGET', meta_key, 'seated:' .. section) ~= '1' and held + sold > 0 then
  return {2, ''}
end

local new_ids, blocked = {}, {}
for i = 6, #ARGV - 1, 2 do
  new_ids[ARGV[i]] = true
end
for _, id in ipairs(split(ARGV[5])) do
  blocked[id] = true
end
local in_use = {}
local old = split(ARGV[4])
for _, id in ipairs(old) do
  local state = redis.call('HGET', states_key, prefix .. id)
  if state and state ~= 'b' and (not new_ids[id] or blocked[id]) then
    in_use[#in_use + 1] = id
  end
end
if #in_use > 0 then
  return {1, table.concat(in_use, ',')}
end

for _, id in ipairs(old) do
  if redis.call('HGET', states_key, prefix .. id) == 'b' then
    redis.call('HDEL', states_key, prefix .. id)
  end
end
redis.call('DEL', info_key)
local n = 0
for i = 6, #ARGV - 1, 1000 do
  redis.call('HSET', info_key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
for _ in pairs(new_ids) do
  n = n + 1
end
local nblocked = 0
for id in pairs(blocked) do
  if redis.call('HSETNX', states_key, prefix .. id, 'b') == 1 then
    nblocked = nblocked + 1
  end
end
-- The old map's rows go with it; the new map's are counted from its seats below.
for ri in string.gmatch(redis.call('HGET', plan_key, 'o') or '', '(%d+):') do
  redis.call('HDEL', rows_key, section .. '#' .. ri)
end
for _, id in ipairs(old) do
  redis.call('HDEL', rows_key, prefix .. id)
end
redis.call('DEL', plan_key)
for name, value in pairs(cjson.decode(ARGV[2])) do
  redis.call('HSET', plan_key, name, value)
end
rows_recount(states_key, rows_key, plan_key, section, true)
redis.call('HSET', meta_key, 'seated:' .. section, '1')
for cat, cents in string.gmatch(ARGV[3], '([^\t\n]+)\t(%d+)') do
  redis.call('HSET', meta_key, 'catprice:' .. section .. ':' .. cat, cents)
end
local capacity = n - nblocked
if loaded then
  redis.call('HSET', inv_key, section .. ':capacity', capacity,
    section .. ':available', capacity - held - sold)
end
return {0, capacity}
