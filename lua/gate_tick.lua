-- gate_tick: one measurement of a protected origin into the standalone room's gate, and
-- the gate moved on by the time that passed.
--
-- The gate guards a shop that is not an Onsale event (nginx auth_request in front of any
-- origin). It is `open` (everyone straight through) while the origin is healthy;
-- `queueing` while the last samples say it is slow or failing (fans without a pass wait in
-- the room, and the inlet lets ARGV[8] of them through a second); `draining` once it has
-- been healthy for ARGV[7] samples in a row with fans still waiting (let through at
-- ARGV[9] a second, in their order, new arrivals behind them); `open` again once the last
-- waiting fan is through.
--
-- KEYS[1]  gate hash ({onsale:gate}:state): state, seq (places given), admitted (places
--          through, fractional: the inlet's progress), advanced_ms, samples (newest first,
--          "<latency_ms>:<ok 1|0>" comma-separated), healthy (healthy samples in a row),
--          latency_ms (the window's median), error_permille, changed_ms
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  this sample's latency (ms)
-- ARGV[3]  1 when the origin answered below 500, else 0
-- ARGV[4]  latency threshold (ms): a median at or above it trips the gate
-- ARGV[5]  error-rate threshold (per mille): a window failing this often trips the gate
-- ARGV[6]  window (samples)
-- ARGV[7]  healthy samples in a row that clear the alarm
-- ARGV[8]  inlet while queueing (fans a second, may be 0)
-- ARGV[9]  drain rate once healthy (fans a second, > 0)
--
-- Returns {state, seq, admitted (whole places), median latency (ms), error rate (per mille)}.
local gate = KEYS[1]
local now = tonumber(ARGV[1])
local latency = math.floor(tonumber(ARGV[2]))
local ok = ARGV[3]
local slow_ms = tonumber(ARGV[4])
local max_error = tonumber(ARGV[5])
local window = tonumber(ARGV[6])
local recover = tonumber(ARGV[7])
local inlet = tonumber(ARGV[8])
local drain = tonumber(ARGV[9])

local f = redis.call('HMGET', gate, 'state', 'seq', 'admitted', 'advanced_ms', 'samples', 'healthy')
local state = f[1] or 'open'
local seq = tonumber(f[2] or '0')
local admitted = tonumber(f[3] or '0')
local advanced = tonumber(f[4] or ARGV[1])
local healthy = tonumber(f[6] or '0')

local kept = {latency .. ':' .. ok}
for item in string.gmatch(f[5] or '', '[^,]+') do
  if #kept >= window then break end
  kept[#kept + 1] = item
end
local latencies, failed = {}, 0
for _, item in ipairs(kept) do
  local ms, good = string.match(item, '^(%d+):([01])$')
  latencies[#latencies + 1] = tonumber(ms)
  if good == '0' then failed = failed + 1 end
end
table.sort(latencies)
local median = latencies[math.ceil(#latencies / 2)]
local error_permille = math.floor(failed * 1000 / #latencies)
if ok == '1' and latency < slow_ms then healthy = healthy + 1 else healthy = 0 end
local alarm = median >= slow_ms or error_permille >= max_error

-- The inlet moves by the time passed, so two ticks in one second let no more through.
local seconds = math.max(0, now - advanced) / 1000
if state == 'queueing' then
  admitted = math.min(seq, admitted + seconds * inlet)
elseif state == 'draining' then
  admitted = math.min(seq, admitted + seconds * drain)
else
  admitted = seq
end

local before = state
if alarm then
  state = 'queueing'
elseif state == 'queueing' and healthy >= recover then
  state = 'draining'
end
if state == 'draining' and admitted >= seq then state = 'open' end
if state ~= before then redis.call('HSET', gate, 'changed_ms', now) end

redis.call('HSET', gate, 'state', state, 'seq', seq, 'admitted', tostring(admitted),
  'advanced_ms', now, 'samples', table.concat(kept, ','), 'healthy', healthy,
  'latency_ms', median, 'error_permille', error_permille)
return {state, seq, math.floor(admitted), median, error_permille}
