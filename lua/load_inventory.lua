-- load_inventory: put a section's seats into the event's inventory hash, once.
--
-- KEYS[1]  inventory hash of the event ({ev:<id>}:inv)
-- ARGV[1]  section code
-- ARGV[2]  capacity (seats)
-- ARGV[3]  sold (seats already sold according to Postgres)
--
-- Fields '<code>:capacity|available|held|sold'. A section that is already
-- loaded is left untouched (re-publishing never resets live inventory).
-- Returns 1 when the section was loaded now, 0 when it was already there.
local inv = KEYS[1]
local code = ARGV[1]
local capacity = tonumber(ARGV[2])
local sold = tonumber(ARGV[3])

if redis.call('HEXISTS', inv, code .. ':capacity') == 1 then
  return 0
end
redis.call('HSET', inv,
  code .. ':capacity', capacity,
  code .. ':available', capacity - sold,
  code .. ':held', 0,
  code .. ':sold', sold)
return 1
