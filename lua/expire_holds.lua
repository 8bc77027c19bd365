-- expire_holds: return the seats of a batch of expired active holds.
--
-- The sweeper lists candidates first (ZRANGEBYSCORE hold_expiry -inf now LIMIT 0 n)
-- and passes their record keys here, so every key goes through KEYS (cluster-safe).
-- Each candidate is re-checked here, atomically: a hold released, put in checkout
-- or extended between the listing and this call is left alone.
--
-- KEYS[1]     hold expiry zset         {ev:<id>}:holds:exp
-- KEYS[2]     inventory hash           {ev:<id>}:inv
-- KEYS[3]     per-user seats hash      {ev:<id>}:userseats
-- KEYS[4]     hold lifecycle stream    {ev:<id>}:holds:ends
-- KEYS[5..m]  the candidates' record hashes {ev:<id>}:hold:<hold_id>
-- KEYS[m+1]   seat states hash         {ev:<id>}:seats (seated holds' seats go back too)
-- KEYS[m+2]   discount codes hash      {ev:<id>}:discounts (their code uses go back too)
-- KEYS[m+3]   ticket types hash        {ev:<id>}:types (their lines go back to their types)
-- KEYS[m+4]   seat rows hash           {ev:<id>}:seatrows (the freed seats' rows count them)
--
-- ARGV[1]     now (epoch ms)
-- ARGV[2]     retention of the ended records (ms, >= 24 h)
-- ARGV[3..n]  the candidates' hold ids, in the order of KEYS[5..m]
--
-- Returns {expired, seats}: holds expired now and seats returned to sale.
-- A candidate whose record is gone is dropped from the index (nothing to return).
local expiry_key, inv_key, users_key, stream_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local candidates = #ARGV - 2
local states_key = KEYS[5 + candidates]
local discounts_key = KEYS[6 + candidates]
local types_key = KEYS[7 + candidates]
local rows_key = KEYS[8 + candidates]
local now = tonumber(ARGV[1])
local retention_ms = tonumber(ARGV[2])

-- include: _seats.lua
-- include: _discounts.lua
-- include: _types.lua

local expired, seats = 0, 0
for i = 5, 4 + candidates do
  local hold_key = KEYS[i]
  local hold_id = ARGV[i - 2]
  local score = redis.call('ZSCORE', expiry_key, hold_id)
  if score and tonumber(score) <= now then
    local h = redis.call('HMGET', hold_key, 'status', 'section', 'quantity', 'user_id', 'seats', 'discount',
      'lines')
    redis.call('ZREM', expiry_key, hold_id)
    if h[1] == 'active' then
      local section, quantity, user_id = h[2], tonumber(h[3]), h[4]
      redis.call('HINCRBY', inv_key, section .. ':held', -quantity)
      redis.call('HINCRBY', inv_key, section .. ':available', quantity)
      if redis.call('HINCRBY', users_key, user_id, -quantity) <= 0 then
        redis.call('HDEL', users_key, user_id)
      end
      seats_free(states_key, rows_key, section, h[5], hold_id)
      discount_give_back(discounts_key, h[6])
      types_move(types_key, section, h[7], 'held', 'available')
      redis.call('HSET', hold_key, 'status', 'expired', 'ended_at_ms', now)
      redis.call('PEXPIRE', hold_key, retention_ms)
      redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'expired', 'at_ms', now)
      expired = expired + 1
      seats = seats + quantity
    end
  end
end
return {expired, seats}
