-- waitlist_join: put a fan on an event's waiting list for seats that may come back.
--
-- KEYS[1]  event meta hash            {ev:<id>}:meta
-- KEYS[2]  inventory hash             {ev:<id>}:inv
-- KEYS[3]  per-user seats hash        {ev:<id>}:userseats
-- KEYS[4]  waiting-list line zset     {ev:<id>}:wl:line
-- KEYS[5]  waiting-list wants hash    {ev:<id>}:wl:want
-- KEYS[6]  waiting-list offers hash   {ev:<id>}:wl:offer
-- KEYS[7]  waiting-list state hash    {ev:<id>}:wl:state
--
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  user id
-- ARGV[3]  section code
-- ARGV[4]  quantity (seats)
--
-- Returns {code, n1}:
--   1 JOINED   0 ALREADY (same place; the first request is kept)
--   2 SEATS_AVAILABLE  the section has the seats now (n1 = available): buy them instead
--   3 LIMIT_PER_ORDER (n1 = max)   4 LIMIT_PER_USER (n1 = max)
--   5 NO_SUCH_SECTION  6 SALE_OVER (ended, or past offsale)   -4 no such event
local meta_key, inv_key, users_key, line_key, wants_key, offers_key, state_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now = tonumber(ARGV[1])
local user_id = ARGV[2]
local section = ARGV[3]
local quantity = tonumber(ARGV[4])

local meta = redis.call('HMGET', meta_key, 'status', 'offsale_at_ms', 'max_per_order',
  'max_per_user', 'price:' .. section)
if not meta[1] or meta[1] == 'draft' then return {-4, 0} end
if redis.call('ZSCORE', line_key, user_id) then return {0, 0} end
if meta[1] == 'ended' or now >= tonumber(meta[2]) then return {6, 0} end
if not meta[5] then return {5, 0} end
if quantity > tonumber(meta[3]) then return {3, tonumber(meta[3])} end
local seats = tonumber(redis.call('HGET', users_key, user_id) or '0')
if seats + quantity > tonumber(meta[4]) then return {4, tonumber(meta[4])} end
local available = tonumber(redis.call('HGET', inv_key, section .. ':available') or '0')
if available >= quantity then return {2, available} end

local seq = redis.call('HINCRBY', state_key, 'seq', 1)
redis.call('ZADD', line_key, seq, user_id)
redis.call('HSET', wants_key, user_id, section .. ':' .. quantity)
-- A new place replaces an earlier offer's record (that hold lives or ends on its own).
redis.call('HDEL', offers_key, user_id)
return {1, 0}
