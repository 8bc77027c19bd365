-- queue_seal: fix the pre-queue's entrants at open (random_at_open), once.
--
-- KEYS[1]  event meta hash        ({ev:<id>}:meta)
-- KEYS[2]  queue state hash       ({ev:<id>}:q:state)
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  a sale phase's id (optional): seal that phase's pre-queue instead, whose state
--          fields are 'boundary:<phase_id>' and 'opened:<phase_id>'
-- ARGV[3]  that phase's opening (epoch ms)
--
-- Entrants are the fans with arrival seq <= boundary. The first join after
-- open seals it too (queue_join), whichever comes first.
-- Returns {code, boundary, opened}: 1 sealed (now or before), 0 not open yet.
local meta, state = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])

local boundary_field, opened_field, onsale = 'boundary', 'opened', 0
if ARGV[2] and ARGV[2] ~= '' then
  boundary_field, opened_field = 'boundary:' .. ARGV[2], 'opened:' .. ARGV[2]
  onsale = tonumber(ARGV[3])
else
  onsale = tonumber(redis.call('HGET', meta, 'onsale_at_ms') or 0)
end
local s = redis.call('HMGET', state, boundary_field, opened_field, 'seq')
if s[1] then return {1, tonumber(s[1]), s[2] == '1' and 1 or 0} end
if onsale == 0 or now < onsale then return {0, 0, 0} end
local boundary = tonumber(s[3] or 0)
redis.call('HSET', state, boundary_field, boundary)
return {1, boundary, 0}
