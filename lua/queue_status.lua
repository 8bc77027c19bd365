-- queue_status: one fan's place, wait and session; records the poll (presence).
--
-- KEYS[1]  event meta hash        ({ev:<id>}:meta)
-- KEYS[2]  inventory hash         ({ev:<id>}:inv)
-- KEYS[3]  line zset              ({ev:<id>}:q:line)
-- KEYS[4]  queue state hash       ({ev:<id>}:q:state)
-- KEYS[5]  sessions hash          ({ev:<id>}:q:sess)
-- KEYS[6]  skipped zset           ({ev:<id>}:q:skip)
-- KEYS[7]  comeback zset          ({ev:<id>}:q:back)
-- KEYS[8]  active sessions zset   ({ev:<id>}:q:active)
-- KEYS[9]  seen bitmap of the current poll window
-- KEYS[10] seen-long bitmap of the current poll window
-- ARGV[1]  member (compact account id)
-- ARGV[2]  now (epoch ms)
-- ARGV[3]  no-show grace (ms)
-- ARGV[4]  longest poll interval (s) that still counts as a short poll
-- ARGV[5]  expiry of the poll-window bitmaps (ms)
-- Opening a stream also counts its limits here (no round trip of their own), optional:
-- KEYS[11] stream_ip counter      ({ev:<id>}:rl:stream_ip:<address>, unused when off)
-- KEYS[12] stream_account counter ({ev:<id>}:rl:stream_account:<user id>, unused when off)
-- ARGV[6]  stream_ip: hits allowed per window        ARGV[7] its window (ms; 0 = off)
-- ARGV[8]  stream_account: hits allowed per window   ARGV[9] its window (ms; 0 = off)
-- KEYS[13] phase-of hash          ({ev:<id>}:phase:of) member -> the sale phase it entered in
--          (optional; KEYS[11] and KEYS[12] are then given too, their limits 0 = off)
--
-- Returns {state, position, ahead, eta_s, poll_after_s, session_id, expires_ms,
--          eta_low_s, eta_high_s, eta_confidence[, admitted_through, opens_ms]}
-- opens_ms (a fan in line only): when its room opens, for the pre-queue (state 1), else 0.
-- admitted_through (only for a fan in line: states 1, 2 and 5 from the line) is the
-- line's admitted-up-to count, read with the place, for the fan's signed join receipt
-- (app.queue.receipt): the receipt costs no read of its own.
-- eta_s = -1 when the wait cannot be known honestly: paused, closed, the admitter not
-- ticking, no admission measured yet (or, before the open, behind the first batch). eta_confidence:
-- 0 none, 1 low, 2 medium, 3 high (from how many admissions the rate rests on).
-- state: 1 prequeue, 2 waiting, 3 admitted, 4 expired, 5 closed,
--        6 phase ended: the fan entered in a sale phase that has closed; a place it still
--          had in line is given up here (the admission tick skips it too), so nobody is
--          admitted with a closed phase's token; the fan may join again for the phase open
--          now if its audience takes them (app.phases.gate),
--        0 not in the queue, -4 no such event (missing or draft),
--        -5 a stream's open rate limited ({-5, retry_s, 0, ...}: nothing counted or read).
-- Everything is O(log n): ZRANK/ZSCORE on the line, HGET, SETBIT.
local meta, inv, line, state, sessions, skipped, comeback, active, seen, seen_long =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local member = ARGV[1]
local now = tonumber(ARGV[2])
local grace_ms = tonumber(ARGV[3])
local short_poll = tonumber(ARGV[4])
local window_ttl = tonumber(ARGV[5])
local SEQ = 67108864

-- include: _rate_window.lua
-- include: _phase_room.lua

if KEYS[11] then
  local retry_s = rate_limit(now, {
    {KEYS[11], tonumber(ARGV[6] or '0'), tonumber(ARGV[7] or '0')},
    {KEYS[12], tonumber(ARGV[8] or '0'), tonumber(ARGV[9] or '0')},
  })
  if retry_s > 0 then return {-5, retry_s, 0, -1, 60, '', 0, 0, 0, 0} end
end

local m = redis.call('HMGET', meta, 'status', 'onsale_at_ms', 'offsale_at_ms', 'sections',
  'wr_admit_batch_size', 'wr_admit_interval_s', 'wr_mode', 'wr_max_active_shoppers', 'wr_phases')
local status = m[1]
if not status or status == 'draft' then return {-4, 0, 0, 0, 0, '', 0, 0, 0, 0} end
local onsale, offsale = tonumber(m[2]), tonumber(m[3])
local batch, interval = tonumber(m[5]), tonumber(m[6])
-- In an event sold in phases, the room runs by its phase's settings (lua/_phase_room.lua).
local mode, boundary_field, opened_field = m[7], 'boundary', 'opened'
local room = phase_room(m[9], now)
if room then
  onsale = room.opens
  batch, interval = room.batch or batch, room.interval or interval
  mode = room.mode or mode
  boundary_field, opened_field = 'boundary:' .. room.id, 'opened:' .. room.id
end

-- The fan's own sale phase (the schedule's entry of the phase it entered in; nil: none,
-- or a phase deleted since).
local phase_of = KEYS[13]
local function my_phase()
  if not phase_of or not m[9] or m[9] == '' then return nil end
  local pid = redis.call('HGET', phase_of, member)
  if not pid then return nil end
  for _, p in ipairs(phase_rooms(m[9])) do
    if p.id == pid then return p end
  end
  return nil
end
local function phase_ended()
  local mine = my_phase()
  return mine ~= nil and now >= mine.closes
end
local ENDED = {6, 0, 0, -1, 60, '', 0, 0, 0, 0}

local function closed()
  if status == 'ended' or now >= offsale then return true end
  for code in string.gmatch(m[4] or '', '[^,]+') do
    local v = redis.call('HMGET', inv, code .. ':available', code .. ':held')
    if tonumber(v[1] or 0) > 0 or tonumber(v[2] or 0) > 0 then return false end
  end
  return true
end

local function clamp(x, lo, hi)
  if x < lo then return lo end
  if x > hi then return hi end
  return x
end

-- Wait for `ahead` fans, honestly: {eta, low, high, confidence}, eta -1 when unknown.
-- Fans within the free slots of the next batch go in at the next tick; others wait
-- for `ahead` admissions at the measured rate (which already reflects the turnover of
-- max_active_shoppers when the cap binds), +- 2/sqrt(n) for n measured admissions.
local UNKNOWN = {-1, 0, 0, 0}
local function eta(ahead)
  if status ~= 'published' or closed() then return UNKNOWN end
  if now < onsale then
    -- Before the open only the first batch's wait is known: the open, then a tick.
    if ahead >= batch then return UNKNOWN end
    local until_open = math.ceil((onsale - now) / 1000)
    return {until_open, until_open, until_open + interval, 2}
  end
  local s = redis.call('HMGET', state, 'rate_pm', 'rate_n', 'last_tick_ms')
  local rate_pm, rate_n, last_tick = tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3])
  if not last_tick or now - last_tick > 3 * interval * 1000 + 5000 then return UNKNOWN end
  local next_tick = math.max(0, last_tick + interval * 1000 - now) / 1000
  local live = redis.call('ZCOUNT', active, '(' .. now, '+inf')
  local free = math.min(batch, math.max(0, (tonumber(m[8]) or batch) - live))
  if ahead < free then
    local wait = math.ceil(next_tick)
    return {wait, 0, wait, 3}
  end
  if rate_pm <= 0 or rate_n <= 0 then return UNKNOWN end
  local wait = next_tick + (ahead + 1 - free) * 60 / rate_pm
  local rel = 2 / math.sqrt(rate_n)
  local conf = 1
  if rate_n >= 100 then conf = 3 elseif rate_n >= 20 then conf = 2 end
  return {math.ceil(wait), math.floor(math.max(next_tick, wait * (1 - rel))),
    math.ceil(wait * (1 + rel)), conf}
end

-- Far back polls rarely, near the front often: bounded 2..60 s.
local function poll_after(wait)
  if wait < 0 then return 10 end
  return clamp(math.floor(wait / 4), 2, 60)
end

local function mark_seen(seq, poll)
  redis.call('SETBIT', seen, seq, 1)
  redis.call('PEXPIRE', seen, window_ttl)
  if poll > short_poll then
    redis.call('SETBIT', seen_long, seq, 1)
    redis.call('PEXPIRE', seen_long, window_ttl)
  end
end

local function admitted_through()
  return tonumber(redis.call('HGET', state, 'admitted') or 0)
end

local score = redis.call('ZSCORE', line, member)
if score and phase_ended() then
  redis.call('ZREM', line, member)
  return ENDED
end
if score then
  score = tonumber(score)
  local seq = score % SEQ
  local rank = redis.call('ZRANK', line, member)
  local ahead = rank + redis.call('ZCARD', comeback)
  local code = 2
  -- A fan who entered for a phase that opens later (its pre-queue, while an earlier phase
  -- sells) is in that phase's pre-queue: the tick passes it over until then.
  local mine = my_phase()
  if mine and now < mine.opens and mine.opens > onsale then onsale = mine.opens end
  if now < onsale then
    code = 1
  elseif mode == 'random_at_open' then
    local s = redis.call('HMGET', state, boundary_field, opened_field)
    if s[2] ~= '1' and (not s[1] or seq <= tonumber(s[1])) then code = 1 end
  end
  if closed() then code = 5 end
  local e = eta(ahead)
  local poll = poll_after(e[1])
  mark_seen(seq, poll)
  local opens_ms = 0
  if code == 1 and now < onsale then opens_ms = onsale end
  return {code, ahead + 1, ahead, e[1], poll, '', 0, e[2], e[3], e[4], admitted_through(),
    opens_ms}
end

local function from_comeback()
  local rank = redis.call('ZRANK', comeback, member)
  if not rank then return nil end
  if phase_ended() then
    redis.call('ZREM', comeback, member)
    return ENDED
  end
  local code = 2
  if closed() then code = 5 end
  local e = eta(rank)
  return {code, rank + 1, rank, e[1], poll_after(e[1]), '', 0, e[2], e[3], e[4],
    admitted_through()}
end

local back = from_comeback()
if back then return back end

local sess = redis.call('HGET', sessions, member)
if sess then
  local sid, exp = string.match(sess, '^(.*):(%d+)$')
  local active_exp = redis.call('ZSCORE', active, sid)
  if active_exp and tonumber(active_exp) > now then
    return {3, 0, 0, 0, clamp(math.floor((tonumber(active_exp) - now) / 4000), 2, 60), sid,
      tonumber(active_exp), 0, 0, 3}
  end
end

if phase_ended() then return ENDED end
local skip_at = redis.call('ZSCORE', skipped, member)
if skip_at then
  if now - tonumber(skip_at) <= grace_ms then
    -- Back within the grace period: admitted next, ahead of the line.
    redis.call('ZREM', skipped, member)
    redis.call('ZADD', comeback, skip_at, member)
    return from_comeback()
  end
  return {4, 0, 0, -1, 60, '', 0, 0, 0, 0}
end
if sess then return {4, 0, 0, -1, 60, '', 0, 0, 0, 0} end
return {0, 0, 0, -1, 60, '', 0, 0, 0, 0}
