-- _types: ticket types within a section (included by the hold scripts).
--
-- The hash {ev:<id>}:types holds '<section>:types' (the section's type codes, comma-separated,
-- in the organizer's order; absent or '' = a section without types, which sells as before),
-- per type '<section>/<TYPE>:price' (minor units), ':limit' (tickets per order, 0 = only the
-- event's), ':opens' / ':closes' (epoch ms, 0 = the event's window), ':companion' (the type
-- one ticket of which must be in the same hold, '' = none), ':name', and its counters
-- ':quota', ':available', ':held', ':sold' (available + held + sold = quota). A quota bounds
-- its type; the section's own counters still bound the section (quotas may add up to more).
--
-- A hold of a typed section names its lines in its record: `lines` = 'TYPE:q:amount,...'
-- (amount = the type's price times q, before a discount code). Every script that moves a
-- hold's seats moves its lines' type counters the same way.

-- Each line of a hold's `lines` as (type, quantity); nothing for a hold without types.
local function type_lines(lines)
  local out = {}
  if not lines or lines == '' then
    return out
  end
  for item in string.gmatch(lines, '[^,]+') do
    local t, q = string.match(item, '^([^:]+):(%d+)')
    if t then
      out[#out + 1] = {t, tonumber(q)}
    end
  end
  return out
end

-- Move a hold's type counters from one state to another ('held' -> 'available' on release,
-- 'held' -> 'sold' on convert, 'sold' -> 'available' on refund, 'available' -> 'sold' on a
-- late payment's retake).
local function types_move(types_key, section, lines, from, to)
  if not types_key then
    return
  end
  for _, line in ipairs(type_lines(lines)) do
    local f = section .. '/' .. line[1] .. ':'
    redis.call('HINCRBY', types_key, f .. from, -line[2])
    redis.call('HINCRBY', types_key, f .. to, line[2])
  end
end

-- Whether every line's type has its quantity available (a late payment retakes only then).
local function types_available(types_key, section, lines)
  if not types_key then
    return true
  end
  for _, line in ipairs(type_lines(lines)) do
    local a = tonumber(redis.call('HGET', types_key, section .. '/' .. line[1] .. ':available') or '0')
    if a < line[2] then
      return false
    end
  end
  return true
end
