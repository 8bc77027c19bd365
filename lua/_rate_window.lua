-- _rate_window: named rate limits (app.core.ratelimit's names and figures) that a
-- script checks and counts itself, so they cost no round trip of their own. Not a
-- script: app.core.scripts puts it in place of a script's `-- include: _rate_window.lua`.
--
-- The algorithm is the `limits` library's sliding window counter: the previous
-- fixed window's count, weighted by the share of it still inside the last
-- `window` ms, plus the current window's count. A counter is one hash
-- {w = window index, c = its count, p = the previous window's count}.

local function rate_window_of(now, key, window)
  local index = math.floor(now / window)
  local saved = redis.call('HMGET', key, 'w', 'c', 'p')
  local at = tonumber(saved[1])
  local current, previous = 0, 0
  if at == index then
    current, previous = tonumber(saved[2]), tonumber(saved[3])
  elseif at == index - 1 then
    previous = tonumber(saved[2])
  end
  return index, current, previous
end

-- ms until one more hit fits (0: it fits now), if nothing else is counted meanwhile.
local function rate_wait_ms(now, limit, window, index, current, previous)
  local into = now - index * window
  if math.floor(previous * (window - into) / window) + current + 1 <= limit then
    return 0
  end
  if current < limit then
    -- Once the previous window's weight has shrunk enough (at the latest when
    -- this window ends and its count, below the limit, becomes the previous one).
    return math.min(window, math.floor(window - (limit - current) * window / previous) + 1) - into
  end
  -- In the next window, where this window's count is the shrinking one.
  if limit <= 0 then
    return window - into + window
  end
  return window - into + math.floor(window - limit * window / current) + 1
end

-- Checks each {key, limit, window ms} (window 0: that limit is off) at `now` and,
-- only when every one allows it, counts one hit on each. Returns 0, or the whole
-- seconds until a hit would be allowed (>= 1, <= the longest window): a refused
-- hit counts toward none of them.
local function rate_limit(now, limits)
  local counters, retry_ms, longest = {}, 0, 0
  for _, spec in ipairs(limits) do
    local key, limit, window = spec[1], spec[2], spec[3]
    if window > 0 then
      local index, current, previous = rate_window_of(now, key, window)
      retry_ms = math.max(retry_ms, rate_wait_ms(now, limit, window, index, current, previous))
      longest = math.max(longest, window)
      counters[#counters + 1] = {key, window, index, current, previous}
    end
  end
  if retry_ms > 0 then
    return math.min(math.max(1, math.ceil(retry_ms / 1000)), math.ceil(longest / 1000))
  end
  for _, counter in ipairs(counters) do
    local key, window, index, current, previous = unpack(counter)
    redis.call('HSET', key, 'w', index, 'c', current + 1, 'p', previous)
    redis.call('PEXPIRE', key, 2 * window)
  end
  return 0
end
