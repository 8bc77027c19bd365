-- admit_batch: one admission tick of an event's waiting room (at most once per interval).
--
-- KEYS[1]  event meta hash        ({ev:<id>}:meta)
-- KEYS[2]  inventory hash         ({ev:<id>}:inv)
-- KEYS[3]  line zset              ({ev:<id>}:q:line) member -> order * 2^26 + arrival seq
-- KEYS[4]  queue state hash       ({ev:<id>}:q:state)
-- KEYS[5]  sessions hash          ({ev:<id>}:q:sess)
-- KEYS[6]  skipped zset           ({ev:<id>}:q:skip)
-- KEYS[7]  comeback zset          ({ev:<id>}:q:back)
-- KEYS[8]  active sessions zset   ({ev:<id>}:q:active) session_id -> expiry (ms)
-- KEYS[9]  ticks list             ({ev:<id>}:q:ticks) '<tick_ms>:<admitted>'
-- KEYS[10 .. 9+ARGV[2]]               seen bitmaps of the short no-show threshold
-- KEYS[10+ARGV[2] .. 9+ARGV[2]+ARGV[3]] seen-long bitmaps of the long threshold
-- KEYS[10+ARGV[2]+ARGV[3]] turns stream ({ev:<id>}:q:turns): one entry per admitted fan,
--          read by the notifications worker ("it's your turn")
-- KEYS[11+ARGV[2]+ARGV[3]] seats per account hash ({ev:<id>}:userseats): who holds or bought
-- KEYS[12+ARGV[2]+ARGV[3]] phase-of hash ({ev:<id>}:phase:of): the sale phase each fan entered
--          in (a fan of a phase not open yet keeps its place until the phase opens)
-- KEYS[13+ARGV[2]+ARGV[3]] phase admissions hash ({ev:<id>}:phase:admits): phase_id -> fans
--          admitted who entered in that phase (the organizer's per-phase figures)
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  number of short seen bitmaps
-- ARGV[3]  number of long seen bitmaps
-- ARGV[4]  most fans examined per tick (bounds the script's run time)
-- ARGV[5]  slack (ms): a tick counts as due this much before its exact time (cron jitter)
-- ARGV[6]  how long skipped no-shows are remembered (ms)
-- ARGV[7]  measured-rate window (ms)
--
-- The per-event 'next_at' field is checked and set here, atomically, so however
-- many workers call this in the same interval, exactly one admits.
-- Returns {code, admitted, skipped, active_after, waiting}:
--   1 admitted this tick (maybe 0 fans), 0 not due yet, 2 paused / not live,
--   3 closed (no seats and no holds), 4 not open yet, 5 room disabled,
--   6 random_at_open: open, but the pre-queue shuffle is not applied yet (a sixth
--     element names the sale phase whose shuffle it waits for, '' for the event's),
--  -4 no such event
-- In an event sold in phases the room's batch, interval, mode and opening are those of
-- the phase it runs by (lua/_phase_room.lua), each unset one the event's.
local meta, inv, line, state, sessions, skipped, comeback, active, ticks =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local now = tonumber(ARGV[1])
local n_short = tonumber(ARGV[2])
local n_long = tonumber(ARGV[3])
local max_examine = tonumber(ARGV[4])
local slack = tonumber(ARGV[5])
local skip_retention = tonumber(ARGV[6])
local rate_window = tonumber(ARGV[7])
local SEQ = 67108864
-- How long an admitted fan is expected to take to hold seats (ms).
local PENDING_MS = 60000
local turns = KEYS[10 + n_short + n_long]
-- The turns stream keeps the latest entries only (the notifier reads it every second).
local TURNS_MAXLEN = 100000

-- include: _phase_room.lua

-- Expired sessions free their slots; very old no-shows are forgotten.
redis.call('ZREMRANGEBYSCORE', active, '-inf', now)
redis.call('ZREMRANGEBYSCORE', skipped, '-inf', now - skip_retention)

local m = redis.call('HMGET', meta, 'status', 'onsale_at_ms', 'offsale_at_ms', 'sections',
  'wr_enabled', 'wr_admit_batch_size', 'wr_admit_interval_s', 'wr_max_active_shoppers',
  'wr_session_ttl_s', 'wr_mode', 'max_per_order', 'wr_phases')
local status = m[1]
local function reply(code, admitted, skips, room_id)
  return {code, admitted, skips, redis.call('ZCARD', active),
    redis.call('ZCARD', line) + redis.call('ZCARD', comeback), room_id or ''}
end
if not status or status == 'draft' then return {-4, 0, 0, 0, 0} end
if status ~= 'published' then return reply(2, 0, 0) end
if m[5] ~= '1' then return reply(5, 0, 0) end
local onsale, offsale = tonumber(m[2]), tonumber(m[3])
if now < onsale then return reply(4, 0, 0) end
if now >= offsale then return reply(3, 0, 0) end
local room = phase_room(m[12], now)
local mode, batch_cfg, interval_s, opened_field = m[10], tonumber(m[6]), tonumber(m[7]), 'opened'
if room then
  -- Only a phase's pre-queue has started: nobody is admitted before the phase opens.
  if now < room.opens then return reply(4, 0, 0) end
  mode = room.mode or mode
  batch_cfg = room.batch or batch_cfg
  interval_s = room.interval or interval_s
  opened_field = 'opened:' .. room.id
end
if mode == 'random_at_open' and redis.call('HGET', state, opened_field) ~= '1' then
  return reply(6, 0, 0, room and room.id or '')
end
local available, held, sold = 0, 0, 0
for code in string.gmatch(m[4] or '', '[^,]+') do
  local v = redis.call('HMGET', inv, code .. ':available', code .. ':held', code .. ':sold')
  available = available + math.max(0, tonumber(v[1] or 0))
  held = held + tonumber(v[2] or 0)
  sold = sold + tonumber(v[3] or 0)
end
if available <= 0 and held <= 0 then return reply(3, 0, 0) end

local interval_ms = interval_s * 1000
local next_at = tonumber(redis.call('HGET', state, 'next_at') or 0)
if now < next_at then return reply(0, 0, 0) end
redis.call('HSET', state, 'next_at', now + interval_ms - slack)

local batch, max_active, ttl_ms = batch_cfg, tonumber(m[8]), tonumber(m[9]) * 1000
-- Closed-loop admission (waiting_room/control.py) may hold the batch below the configured one.
local ctl_batch = redis.call('HGET', state, 'ctl_batch')
if ctl_batch then batch = math.min(batch, tonumber(ctl_batch)) end
local shopping = redis.call('ZCARD', active)
local slots = math.min(batch, max_active - shopping)

-- Inventory-aware: admit no more fans than the seats left can serve, so nobody is told
-- "it's your turn" only to meet sold_out. A fan takes `per_fan` seats (the mean of the
-- accounts holding or owning seats; until 20 have, a whole order, max_per_order: counting
-- one seat a fan before any hold is seen let the first batches in at 2.5 times the seats).
-- Shoppers admitted but not yet holding (the sessions beyond those that hold seats) will
-- want seats first, every one of them: no-shows are skipped before admission, and
-- discounting shoppers by the share of past turns that ended in a hold counted the fans
-- refused sold_out as fans who want nothing, which admitted more, who met sold_out in
-- turn (measured at 2,000 fans for 400 seats: that share fell to 0.51 and 36 % of the
-- admitted met sold_out). Seats that are held and come back (expiry, release) raise
-- `available` and admission resumes.
local userseats = KEYS[11 + n_short + n_long]
local buyers = redis.call('HLEN', userseats)
local per_fan = math.max(1, tonumber(m[11] or 1))
if buyers >= 20 then per_fan = math.max(1, (held + sold) / buyers) end
-- Shoppers holding seats now: held seats over the mean seats per account seen (not over
-- per_fan, which is a whole order until 20 accounts have held: five fans holding 2 each
-- would count as two, and the other three as still to come).
local seen_mean = per_fan
if buyers >= 1 then seen_mean = math.max(1, (held + sold) / buyers) end
local holding = held / seen_mean
-- A shopper admitted PENDING_MS ago who holds nothing yet is taken as gone (a fan who saw
-- "sold out" a moment before its turn came, and left): counted until its session ended,
-- such fans held every seat given back for session_ttl_s (measured at 2,000 fans for
-- 400 seats: 54 seats unsold for five minutes while 1,700 fans waited).
local recent = redis.call('ZCOUNT', active, '(' .. (now + ttl_ms - PENDING_MS), '+inf')
local pending = math.max(0, math.min(shopping - holding, recent))
local seats_left = available - pending * per_fan
-- Whole fans only: a fraction of a fan's seats admits nobody while others shop (rounding
-- up let one fan too many in at every seat given back). With nobody left in the shop the
-- last seats go one fan at a time, so no seat stays unsold while fans wait.
local servable = 0
if seats_left > 0 then servable = math.floor(seats_left / per_fan) end
if servable < 1 and available >= 1 and pending < 1 then servable = 1 end
slots = math.min(slots, servable)

local function present(seq)
  for i = 1, n_short do
    if redis.call('GETBIT', KEYS[9 + i], seq) == 1 then return true end
  end
  for i = 1, n_long do
    if redis.call('GETBIT', KEYS[9 + n_short + i], seq) == 1 then return true end
  end
  return false
end

-- A fan who entered for a phase that has not opened yet (its pre-queue, while an earlier
-- phase sells) keeps its place and is passed over until its phase opens.
local phase_of = KEYS[12 + n_short + n_long]
local phase_admits = KEYS[13 + n_short + n_long]
-- A fan who entered for a phase that has closed since is not admitted (its token would
-- name the closed phase): its place is given up, and queue_status tells it the phase ended.
local opens_of, closes_of, phased = {}, {}, false
for _, p in ipairs(phase_rooms(m[12])) do
  opens_of[p.id] = p.opens
  closes_of[p.id] = p.closes
  phased = true
end
local function not_yet(member)
  if not phased or not phase_of then return false end
  local pid = redis.call('HGET', phase_of, member)
  return pid and opens_of[pid] ~= nil and now < opens_of[pid]
end
local function ended(member)
  if not phased or not phase_of then return false end
  local pid = redis.call('HGET', phase_of, member)
  return pid and closes_of[pid] ~= nil and now >= closes_of[pid]
end

local function admit(member)
  if phased and phase_admits then
    local pid = redis.call('HGET', phase_of, member)
    if pid then redis.call('HINCRBY', phase_admits, pid, 1) end
  end
  local n = redis.call('HINCRBY', state, 'admitted', 1)
  local sid = 'a' .. n
  local exp = now + ttl_ms
  redis.call('ZADD', active, exp, sid)
  redis.call('HSET', sessions, member, sid .. ':' .. exp)
  redis.call('XADD', turns, 'MAXLEN', '~', TURNS_MAXLEN, '*', 'm', member, 'sid', sid, 'exp', exp)
end

local deferred_line, deferred_back = {}, {}

local admitted, skips, examined = 0, 0, 0
while admitted < slots and examined < max_examine do
  examined = examined + 1
  local back = redis.call('ZPOPMIN', comeback)
  if #back > 0 then
    if ended(back[1]) then
      -- Its phase closed: the place is given up (not put back).
    elseif not_yet(back[1]) then
      deferred_back[#deferred_back + 1] = back
    else
      admit(back[1])
      admitted = admitted + 1
    end
  else
    local head = redis.call('ZPOPMIN', line)
    if #head == 0 then break end
    local seq = tonumber(head[2]) % SEQ
    if ended(head[1]) then
      -- Its phase closed: the place is given up (not put back).
    elseif not_yet(head[1]) then
      deferred_line[#deferred_line + 1] = head
    elseif present(seq) then
      admit(head[1])
      admitted = admitted + 1
    else
      redis.call('ZADD', skipped, now, head[1])
      skips = skips + 1
    end
  end
end
for _, e in ipairs(deferred_line) do redis.call('ZADD', line, e[2], e[1]) end
for _, e in ipairs(deferred_back) do redis.call('ZADD', comeback, e[2], e[1]) end

-- Measured admission rate: admitted per minute over the ticks of the window.
redis.call('LPUSH', ticks, now .. ':' .. admitted)
redis.call('LTRIM', ticks, 0, 1023)
local total, oldest = 0, now
for _, entry in ipairs(redis.call('LRANGE', ticks, 0, -1)) do
  local t, c = string.match(entry, '^(%d+):(%d+)$')
  t = tonumber(t)
  if t < now - rate_window then break end
  total = total + tonumber(c)
  oldest = t
end
local rate_pm = total * 60000 / (now - oldest + interval_ms)
-- rate_n (admissions the rate rests on) lets queue_status state the ETA's uncertainty.
redis.call('HSET', state, 'rate_pm', string.format('%.3f', rate_pm), 'rate_n', total,
  'last_tick_ms', now)
return reply(1, admitted, skips)
