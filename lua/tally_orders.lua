-- tally_orders: count orders into an event's live figures, each outcome of each order once.
--
-- KEYS[1]  tally hash     ({ev:<id>}:orders:tally): confirmed, revenue_cents, refunds, seeded
-- KEYS[2]  counted set    ({ev:<id>}:orders:tallied): '<c|r>:<order_id>'
-- KEYS[3]  recent zset    ({ev:<id>}:orders:recent): order id -> confirmed at (ms)
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  1 when this call seeds the tally from the record (Postgres), else 0
-- ARGV[3..] quadruples: kind ('c' confirmed, 'r' refunded), order id, amount (cents),
--           confirmed at (epoch ms; 0 for a refund)
--
-- A confirmed order counts in confirmed and revenue_cents until it is refunded; a refund
-- counts in refunds. Each (kind, order) is counted once, whoever reports it and in any
-- order: the finalize and refund jobs (retried or not) and a seed from the record (after
-- Redis lost the tally) may interleave, and the figures come out the same.
-- The recent zset keeps the last RECENT_MS of confirmations for orders per minute.
-- Returns the number of (kind, order) pairs counted now.
local tally, counted, recent = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
local RECENT_MS = 300000
local new = 0
for i = 3, #ARGV, 4 do
  local kind, order_id, amount, at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  if redis.call('SADD', counted, kind .. ':' .. order_id) == 1 then
    new = new + 1
    if kind == 'c' then
      if redis.call('SISMEMBER', counted, 'r:' .. order_id) == 0 then
        redis.call('HINCRBY', tally, 'confirmed', 1)
        redis.call('HINCRBY', tally, 'revenue_cents', amount)
      end
      if at > now - RECENT_MS then
        redis.call('ZADD', recent, at, order_id)
      end
    elseif kind == 'r' then
      redis.call('HINCRBY', tally, 'refunds', 1)
      if redis.call('SISMEMBER', counted, 'c:' .. order_id) == 1 then
        redis.call('HINCRBY', tally, 'confirmed', -1)
        redis.call('HINCRBY', tally, 'revenue_cents', -amount)
      end
    end
  end
end
if ARGV[2] == '1' then
  redis.call('HSET', tally, 'seeded', 1)
end
redis.call('ZREMRANGEBYSCORE', recent, '-inf', now - RECENT_MS)
return new
