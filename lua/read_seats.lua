-- read_seats: a seated section's seats with their states, in one round trip (read only).
--
-- KEYS[1]  the section's seat info {ev:<id>}:seatinfo:<section>
-- KEYS[2]  seat states hash        {ev:<id>}:seats
-- KEYS[3]  the section's seat plan {ev:<id>}:seatplan:<section>
-- KEYS[4]  event meta hash         {ev:<id>}:meta
-- ARGV[1]  section code
--
-- Returns {status, meta, id, info, state, id, info, state, ...} (meta: the plan's focal point,
-- categories and rows as load_seats stored them, '' when the section has no map): info as stored
-- ('row<TAB>number<TAB>category<TAB>x<TAB>y<TAB>flags'), state '' (free), 'b', 'h:<hold>' or
-- 's:<hold>'.
local info = redis.call('HGETALL', KEYS[1])
local prefix = ARGV[1] .. '/'
local out = {redis.call('HGET', KEYS[4], 'status') or '', redis.call('HGET', KEYS[3], 'meta') or ''}
local fields = {}
for i = 1, #info, 2 do
  fields[#fields + 1] = prefix .. info[i]
end
local states = {}
for i = 1, #fields, 1000 do
  local part = redis.call('HMGET', KEYS[2], unpack(fields, i, math.min(i + 999, #fields)))
  for j = 1, #part do
    states[#states + 1] = part[j]
  end
end
for i = 1, #info, 2 do
  out[#out + 1] = info[i]
  out[#out + 1] = info[i + 1]
  out[#out + 1] = states[(i + 1) / 2] or ''
end
return out
