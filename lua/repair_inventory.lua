-- repair_inventory: set one section's Redis inventory from the Postgres record (drift rule).
--
-- Reconcile calls this only when no hold of the event is in doubt (ledger caught up,
-- Redis holds = ledger holds, no payment in flight). It re-checks here, atomically,
-- that the holds did not move since it looked, so a hold made meanwhile is never lost.
--
-- KEYS[1]  inventory hash          ({ev:<id>}:inv)
-- KEYS[2]  hold lifecycle stream   ({ev:<id>}:holds:ends)
-- ARGV[1]  section code
-- ARGV[2]  capacity (Postgres)
-- ARGV[3]  sold (Postgres)
-- ARGV[4]  held seats reconcile saw in Redis (and the ledger agreed with)
--
-- available = capacity - sold - held.
-- Returns 1 when repaired, 0 when holds moved meanwhile (nothing written; next pass).
local inv_key, stream_key = KEYS[1], KEYS[2]
local section = ARGV[1]
local capacity, sold, held = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local now_held = tonumber(redis.call('HGET', inv_key, section .. ':held') or '0')
if now_held ~= held or redis.call('XLEN', stream_key) > 0 then
  return 0
end
redis.call('HSET', inv_key,
  section .. ':capacity', capacity,
  section .. ':sold', sold,
  section .. ':available', capacity - sold - held)
return 1
