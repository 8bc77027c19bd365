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
--
-- Returns {state, position, ahead, eta_s, poll_after_s, session_id, expires_ms}
-- state: 1 prequeue, 2 waiting, 3 admitted, 4 expired, 5 closed,
--        0 not in the queue, -4 no such event (missing or draft).
-- Everything is O(log n): ZRANK/ZSCORE on the line, HGET, SETBIT.
local meta, inv, line, state, sessions, skipped, comeback, active, seen, seen_long =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local member = ARGV[1]
local now = tonumber(ARGV[2])
local grace_ms = tonumber(ARGV[3])
local short_poll = tonumber(ARGV[4])
local window_ttl = tonumber(ARGV[5])
local SEQ = 67108864

local m = redis.call('HMGET', meta, 'status', 'onsale_at_ms', 'offsale_at_ms', 'sections',
  'wr_admit_batch_size', 'wr_admit_interval_s', 'wr_mode')
local status = m[1]
if not status or status == 'draft' then return {-4, 0, 0, 0, 0, '', 0} end
local onsale, offsale = tonumber(m[2]), tonumber(m[3])
local batch, interval = tonumber(m[5]), tonumber(m[6])

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

-- Wait for `ahead` fans: from the admission rate measured by the admitter
-- (admitted per minute over its last minutes), else from the configuration.
local function eta(ahead)
  local s = redis.call('HMGET', state, 'rate_pm', 'opened')
  local rate_pm = tonumber(s[1] or 0)
  local wait
  if rate_pm > 0 then
    wait = math.ceil((ahead + 1) * 60 / rate_pm)
  else
    wait = math.ceil((ahead + 1) / batch) * interval
  end
  if now < onsale then wait = wait + math.ceil((onsale - now) / 1000) end
  return wait
end

-- Far back polls rarely, near the front often: bounded 2..60 s.
local function poll_after(wait) return clamp(math.floor(wait / 4), 2, 60) end

local function mark_seen(seq, poll)
  redis.call('SETBIT', seen, seq, 1)
  redis.call('PEXPIRE', seen, window_ttl)
  if poll > short_poll then
    redis.call('SETBIT', seen_long, seq, 1)
    redis.call('PEXPIRE', seen_long, window_ttl)
  end
end

local score = redis.call('ZSCORE', line, member)
if score then
  score = tonumber(score)
  local seq = score % SEQ
  local rank = redis.call('ZRANK', line, member)
  local ahead = rank + redis.call('ZCARD', comeback)
  local code = 2
  if now < onsale then
    code = 1
  elseif m[7] == 'random_at_open' then
    local s = redis.call('HMGET', state, 'boundary', 'opened')
    if s[2] ~= '1' and (not s[1] or seq <= tonumber(s[1])) then code = 1 end
  end
  if closed() then code = 5 end
  local wait = eta(ahead)
  local poll = poll_after(wait)
  mark_seen(seq, poll)
  return {code, ahead + 1, ahead, wait, poll, '', 0}
end

local function from_comeback()
  local rank = redis.call('ZRANK', comeback, member)
  if not rank then return nil end
  local code = 2
  if closed() then code = 5 end
  local wait = eta(rank)
  return {code, rank + 1, rank, wait, poll_after(wait), '', 0}
end

local back = from_comeback()
if back then return back end

local sess = redis.call('HGET', sessions, member)
if sess then
  local sid, exp = string.match(sess, '^(.*):(%d+)$')
  local active_exp = redis.call('ZSCORE', active, sid)
  if active_exp and tonumber(active_exp) > now then
    return {3, 0, 0, 0, clamp(math.floor((tonumber(active_exp) - now) / 4000), 2, 60), sid,
      tonumber(active_exp)}
  end
end

local skip_at = redis.call('ZSCORE', skipped, member)
if skip_at then
  if now - tonumber(skip_at) <= grace_ms then
    -- Back within the grace period: admitted next, ahead of the line.
    redis.call('ZREM', skipped, member)
    redis.call('ZADD', comeback, skip_at, member)
    return from_comeback()
  end
  return {4, 0, 0, 0, 60, '', 0}
end
if sess then return {4, 0, 0, 0, 60, '', 0} end
return {0, 0, 0, 0, 60, '', 0}
