-- offer_seats: give returned seats to the next waiting-list fan whose request fits, as a hold.
--
-- KEYS[1]  event meta hash            {ev:<id>}:meta
-- KEYS[2]  inventory hash             {ev:<id>}:inv
-- KEYS[3]  per-user seats hash        {ev:<id>}:userseats
-- KEYS[4]  waiting-list line zset     {ev:<id>}:wl:line   user_id -> join seq
-- KEYS[5]  waiting-list wants hash    {ev:<id>}:wl:want   user_id -> '<section>:<quantity>'
-- KEYS[6]  waiting-list offers hash   {ev:<id>}:wl:offer  user_id -> hold_id
-- KEYS[7]  the offer's hold record    {ev:<id>}:hold:<hold_id>
-- KEYS[8]  hold expiry zset           {ev:<id>}:holds:exp
-- KEYS[9]  hold lifecycle stream      {ev:<id>}:holds:ends
-- KEYS[10] unnotified offers set      {ev:<id>}:wl:notify
-- KEYS[11] waiting-room line zset     {ev:<id>}:q:line
-- KEYS[12] waiting-room comeback zset {ev:<id>}:q:back
-- KEYS[13] seat states hash           {ev:<id>}:seats
-- KEYS[14] seat rows hash             {ev:<id>}:seatrows
-- KEYS[15..] the seat plans of the sections named in ARGV[7..], in that order
--          {ev:<id>}:seatplan:<section> (a seated section without one gets no offer)
--
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  event id
-- ARGV[3]  hold id (new; used only when an offer is made)
-- ARGV[4]  offer lifetime (ms); capped by the event's hold_ttl_s
-- ARGV[5]  most waiting fans examined (bounds the run time)
-- ARGV[6]  retention of the hold record after its end (ms, >= 24 h)
-- ARGV[7..] section codes whose seat plans are KEYS[15..]
--
-- The offer is an ordinary hold (status active, in the expiry index and the
-- ledger stream), so checkout, expiry and reconcile treat it like any other;
-- seats move available -> held in the same step, so conservation holds.
-- FIFO among fans whose request fits the seats now available; a fan whose
-- per-user limit no longer allows the request is dropped from the list.
-- Fans still holding a place in the waiting room came first: while any is
-- there, returned seats are theirs (the room reopens and admits them).
-- A seated section's returned seats are particular seats, back on its map: the
-- offer names its seats, chosen by best available for the fan's quantity (side by
-- side in one row, the orphan rule, closest to the focal point; never accessible or
-- companion seats, which stay for the fans who ask for them), and holds them
-- ('h:<hold_id>', their rows' free counts down) like any seated hold. A fan whose
-- quantity no block of free seats fits gets no offer and stays in line.
-- Returns {code, user_id, hold_id, section, quantity, expires_at_ms}:
--   1 OFFERED  an offer was made     0 NONE  nobody waiting fits the seats available
--   2 CLOSED   sale not published or outside its window (no offers)
--   3 ROOM_FIRST  fans are still in the waiting room's line
--  -4 no such event
local meta_key, inv_key, users_key, line_key, wants_key, offers_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local hold_key, expiry_key, stream_key, notify_key = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local now = tonumber(ARGV[1])
local event_id = ARGV[2]
local hold_id = ARGV[3]
local offer_ms = tonumber(ARGV[4])
local max_examine = tonumber(ARGV[5])
local retention_ms = tonumber(ARGV[6])
local states_key, rows_key = KEYS[13], KEYS[14]
local plan_keys = {}
for i = 7, #ARGV do
  plan_keys[ARGV[i]] = KEYS[8 + i]
end

-- include: _seats.lua

local meta = redis.call('HMGET', meta_key, 'status', 'onsale_at_ms', 'offsale_at_ms',
  'max_per_user', 'hold_ttl_s', 'currency')
if not meta[1] or meta[1] == 'draft' then return {-4, '', '', '', 0, 0} end
if meta[1] ~= 'published' or now < tonumber(meta[2]) or now >= tonumber(meta[3]) then
  return {2, '', '', '', 0, 0}
end
if redis.call('ZCARD', KEYS[11]) + redis.call('ZCARD', KEYS[12]) > 0 then
  return {3, '', '', '', 0, 0}
end
local max_per_user = tonumber(meta[4])
offer_ms = math.min(offer_ms, tonumber(meta[5]) * 1000)

-- The offer: seats available -> held, a hold of the fan's (with its seats when seated).
local function offer(user_id, section, quantity, amount, seat_list)
  local expires_at_ms = now + offer_ms
  local currency = meta[6]
  redis.call('HINCRBY', inv_key, section .. ':available', -quantity)
  redis.call('HINCRBY', inv_key, section .. ':held', quantity)
  redis.call('HINCRBY', users_key, user_id, quantity)
  redis.call('HSET', hold_key,
    'hold_id', hold_id, 'event_id', event_id, 'user_id', user_id, 'section', section,
    'quantity', quantity, 'amount_cents', amount, 'currency', currency, 'status', 'active',
    'created_at_ms', now, 'expires_at_ms', expires_at_ms, 'session_id', 'waitlist')
  if seat_list ~= '' then
    redis.call('HSET', hold_key, 'seats', seat_list)
  end
  redis.call('PEXPIRE', hold_key, expires_at_ms - now + retention_ms)
  redis.call('ZADD', expiry_key, expires_at_ms, hold_id)
  local entry = {'hold_id', hold_id, 'status', 'active', 'at_ms', now,
    'user_id', user_id, 'section', section, 'quantity', quantity, 'amount_cents', amount,
    'currency', currency, 'created_at_ms', now, 'expires_at_ms', expires_at_ms}
  if seat_list ~= '' then
    entry[#entry + 1] = 'seats'
    entry[#entry + 1] = seat_list
  end
  redis.call('XADD', stream_key, '*', unpack(entry))
  redis.call('ZREM', line_key, user_id)
  redis.call('HSET', offers_key, user_id, hold_id)
  redis.call('SADD', notify_key, hold_id)
  return {1, user_id, hold_id, section, quantity, expires_at_ms}
end

local waiting = redis.call('ZRANGE', line_key, 0, max_examine - 1)
for _, user_id in ipairs(waiting) do
  local want = redis.call('HGET', wants_key, user_id) or ''
  local section, quantity = string.match(want, '^(.*):(%d+)$')
  quantity = tonumber(quantity or 0)
  local seats = tonumber(redis.call('HGET', users_key, user_id) or '0')
  if quantity < 1 or seats + quantity > max_per_user then
    -- Bought elsewhere meanwhile (or a broken entry): the request no longer fits the limit.
    redis.call('ZREM', line_key, user_id)
    redis.call('HDEL', wants_key, user_id)
  else
    local available = tonumber(redis.call('HGET', inv_key, section .. ':available') or '0')
    local price = redis.call('HGET', meta_key, 'price:' .. section)
    if price and available >= quantity then
      if redis.call('HGET', meta_key, 'seated:' .. section) ~= '1' then
        return offer(user_id, section, quantity, tonumber(price) * quantity, '')
      end
      local plan_key = plan_keys[section]
      local row, ri, first = nil, nil, 0
      if plan_key then
        row, ri, first = seats_best(plan_key, states_key, rows_key, section, quantity, '', false)
      end
      if row then
        local ids, amount, writes = {}, 0, {}
        for k = first, first + quantity - 1 do
          ids[#ids + 1] = row.s[k]
          amount = amount + (tonumber(redis.call('HGET', meta_key,
            'catprice:' .. section .. ':' .. row.c[k])) or tonumber(price))
          writes[#writes + 1] = section .. '/' .. row.s[k]
          writes[#writes + 1] = 'h:' .. hold_id
        end
        redis.call('HSET', states_key, unpack(writes))
        redis.call('HINCRBY', rows_key, section .. '#' .. ri, -quantity)
        redis.call('HINCRBY', rows_key, section .. '~' .. ri, 1)
        return offer(user_id, section, quantity, amount, table.concat(ids, ','))
      end
    end
  end
end
return {0, '', '', '', 0, 0}
