-- queue_join: give an account one place in an event's waiting room (idempotent).
--
-- KEYS[1]  event meta hash        ({ev:<id>}:meta)
-- KEYS[2]  inventory hash         ({ev:<id>}:inv)
-- KEYS[3]  line zset              ({ev:<id>}:q:line) member -> order * 2^26 + arrival seq
-- KEYS[4]  queue state hash       ({ev:<id>}:q:state)
-- KEYS[5]  sessions hash          ({ev:<id>}:q:sess) member -> '<session_id>:<expires_ms>'
-- KEYS[6]  skipped zset           ({ev:<id>}:q:skip) member -> skip time (ms)
-- KEYS[7]  comeback zset          ({ev:<id>}:q:back) member -> skip time (ms)
-- KEYS[8]  active sessions zset   ({ev:<id>}:q:active) session_id -> expiry (ms)
-- KEYS[9]  seen bitmap of the current poll window
-- KEYS[10] queue_join_account counter ({ev:<id>}:rl:queue_join_account:<user id>, unused when off)
-- KEYS[11] queue_join_ip counter      ({ev:<id>}:rl:queue_join_ip:<address>, unused when off)
-- KEYS[12] party-of hash          ({ev:<id>}:party:of) member -> its party's leader (optional)
-- KEYS[13] phase-of hash          ({ev:<id>}:phase:of) member -> the sale phase it entered in
--          (optional: an event sold in phases)
-- KEYS[14] phase joins hash       ({ev:<id>}:phase:joins) phase_id -> places given in it
-- ARGV[1]  member (compact account id)
-- ARGV[2]  now (epoch ms)
-- ARGV[3]  no-show grace (ms): a skipped fan returning within it is admitted next
-- ARGV[4]  expiry of the poll-window bitmaps (ms)
-- ARGV[5]  queue_join_account: hits allowed per window   ARGV[6] its window (ms; 0 or absent = off)
-- ARGV[7]  queue_join_ip: hits allowed per window        ARGV[8] its window (ms; 0 or absent = off)
-- ARGV[9]  the sale phase the room's door (app.phases.gate) let this account in for ('' none):
--          checked here against the schedule at `now`, and recorded with the place, so a
--          phase that closed (or one whose audience changed) between the door and this
--          call gives no place, and the place and its phase are written together
--
-- Returns {code}:
--   1  a new place (or, room disabled, admitted at once)
--   0  the account already has its place / session (nothing changed)
--  -1  not open yet (before the pre-queue opens, or before onsale with the room disabled)
--  -2  closed (no seats left and none held, sale over or event ended): no place given
--  -4  no such event (missing or draft)
--  -5  rate limited ({-5, seconds until a join is allowed again}); nothing counted or changed
--  -6  a member of another account's party: its place is the leader's; nothing counted or
--      changed but the member's phase (checked first, in the same call, so a join reads no
--      party of its own)
--  -7  the sale phase of ARGV[9] is not open (nor in its pre-queue) at `now`: nothing changed
--
-- A place taken in a sale phase that has closed since is no place: it is given up here
-- (and the account joins again for the phase it is let in for now, at the back).
local meta, inv, line, state, sessions, skipped, comeback, active, seen =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local member = ARGV[1]
local now = tonumber(ARGV[2])
local grace_ms = tonumber(ARGV[3])
local window_ttl = tonumber(ARGV[4])
local SEQ = 67108864 -- 2^26: arrival seq lives in the low bits of the score

-- include: _rate_window.lua
-- include: _phase_room.lua

local phase_of, phase_joins, phase_id = KEYS[13], KEYS[14], ARGV[9] or ''
-- Whether the phase the door chose is open (or in its pre-queue) at `now`, and when each
-- phase of the schedule closes.
local function phase_check(schedule)
  local ends_of = {}
  local joinable = phase_id == ''
  for _, p in ipairs(phase_rooms(schedule)) do
    ends_of[p.id] = p.closes
    if p.id == phase_id and p.prequeue <= now and now < p.closes then joinable = true end
  end
  return joinable, ends_of
end

if KEYS[12] then
  local leader = redis.call('HGET', KEYS[12], member)
  if leader and leader ~= member then
    -- The member's own phase still names its token's sections and limit (the place is the
    -- leader's); a phase not open at `now` is refused like any join.
    if phase_of and phase_id ~= '' then
      if not phase_check(redis.call('HGET', meta, 'wr_phases')) then return {-7} end
      redis.call('HSET', phase_of, member, phase_id)
    end
    return {-6}
  end
end

-- The join limits first, as they ran before everything when they were round trips
-- of their own.
local retry_s = rate_limit(now, {
  {KEYS[10], tonumber(ARGV[5] or '0'), tonumber(ARGV[6] or '0')},
  {KEYS[11], tonumber(ARGV[7] or '0'), tonumber(ARGV[8] or '0')},
})
if retry_s > 0 then return {-5, retry_s} end

local m = redis.call('HMGET', meta, 'status', 'onsale_at_ms', 'offsale_at_ms', 'sections',
  'wr_enabled', 'wr_session_ttl_s', 'wr_prequeue_opens_at_ms', 'wr_phases')
local status = m[1]
if not status or status == 'draft' then return {-4} end

if phase_of then
  local joinable, ends_of = phase_check(m[8])
  if not joinable then return {-7} end
  local before = redis.call('HGET', phase_of, member)
  if before and ends_of[before] and now >= ends_of[before] then
    redis.call('ZREM', line, member)
    redis.call('ZREM', comeback, member)
    redis.call('ZREM', skipped, member)
  end
end
-- The place's phase, written with the place (a new place also counts in its phase).
local function placed(code)
  if phase_of and phase_id ~= '' then
    redis.call('HSET', phase_of, member, phase_id)
    if code == 1 and phase_joins then redis.call('HINCRBY', phase_joins, phase_id, 1) end
  end
  return {code}
end

-- Already placed, returning, or admitted: the same place, no change.
if redis.call('ZSCORE', line, member) or redis.call('ZSCORE', comeback, member) then
  return placed(0)
end
local sess = redis.call('HGET', sessions, member)
if sess then
  local sid, exp = string.match(sess, '^(.*):(%d+)$')
  local score = redis.call('ZSCORE', active, sid)
  if score and tonumber(score) > now then return placed(0) end
end
local skip_at = redis.call('ZSCORE', skipped, member)
if skip_at and now - tonumber(skip_at) <= grace_ms then
  redis.call('ZREM', skipped, member)
  redis.call('ZADD', comeback, skip_at, member)
  return placed(0)
end

local onsale, offsale = tonumber(m[2]), tonumber(m[3])
if status == 'ended' or now >= offsale then return {-2} end
local sold_out = true
for code in string.gmatch(m[4] or '', '[^,]+') do
  local v = redis.call('HMGET', inv, code .. ':available', code .. ':held')
  if tonumber(v[1] or 0) > 0 or tonumber(v[2] or 0) > 0 then sold_out = false break end
end
if sold_out then return {-2} end

local enabled = m[5] == '1'
local prequeue_opens = tonumber(m[7] or 0)
-- In a sale phase (or its pre-queue) the phase's pre-queue is open: the room's door
-- (app.phases.gate) has let this account in for a phase joinable now.
local room = phase_room(m[8], now)
if room then prequeue_opens = room.prequeue end
if (not enabled and now < onsale) or (enabled and now < prequeue_opens) then return {-1} end

-- A rejoin after a session ended or a skip's grace ran out goes to the back.
redis.call('HDEL', sessions, member)
redis.call('ZREM', skipped, member)

if not enabled then
  -- Room disabled: admitted at once, still counted as an active shopper.
  local n = redis.call('HINCRBY', state, 'admitted', 1)
  local sid = 'a' .. n
  local exp = now + tonumber(m[6]) * 1000
  redis.call('ZADD', active, exp, sid)
  redis.call('HSET', sessions, member, sid .. ':' .. exp)
  return placed(1)
end

local seq = redis.call('HINCRBY', state, 'seq', 1)
if now >= onsale and not redis.call('HGET', state, 'boundary') then
  -- First join after open seals the pre-queue: entrants are seq <= boundary.
  redis.call('HSET', state, 'boundary', seq - 1)
end
if room and now >= room.opens and not redis.call('HGET', state, 'boundary:' .. room.id) then
  -- The same for the sale phase's own pre-queue.
  redis.call('HSET', state, 'boundary:' .. room.id, seq - 1)
end
redis.call('ZADD', line, seq * SEQ + seq, member)
redis.call('SETBIT', seen, seq, 1)
redis.call('PEXPIRE', seen, window_ttl)
return placed(1)
