-- _seats: a hold's seats in the event's seat states hash (included by the hold scripts).
-- A hold's record names its seats in `seats` (comma-separated ids, empty or absent for
-- general admission); their fields are '<section>/<seat_id>'. A seat's state follows its
-- hold: 'h:<hold_id>' while held, 's:<hold_id>' once sold, no field once free again. Only
-- the hold that holds a seat moves it.

-- The seats of a hold that ended without a sale go back on sale.
local function seats_free(states_key, section, seats, hold_id)
  if not seats or seats == '' then
    return
  end
  local held = 'h:' .. hold_id
  for id in string.gmatch(seats, '[^,]+') do
    local field = section .. '/' .. id
    if redis.call('HGET', states_key, field) == held then
      redis.call('HDEL', states_key, field)
    end
  end
end

-- The seats of a paid hold are sold.
local function seats_sell(states_key, section, seats, hold_id)
  if not seats or seats == '' then
    return
  end
  local held = 'h:' .. hold_id
  for id in string.gmatch(seats, '[^,]+') do
    local field = section .. '/' .. id
    if redis.call('HGET', states_key, field) == held then
      redis.call('HSET', states_key, field, 's:' .. hold_id)
    end
  end
end

-- A late payment retakes its seats only when every one of them is free (true: taken now).
local function seats_retake(states_key, section, seats, hold_id)
  if not seats or seats == '' then
    return true
  end
  local fields = {}
  for id in string.gmatch(seats, '[^,]+') do
    fields[#fields + 1] = section .. '/' .. id
  end
  for _, field in ipairs(fields) do
    if redis.call('HEXISTS', states_key, field) == 1 then
      return false
    end
  end
  for _, field in ipairs(fields) do
    redis.call('HSET', states_key, field, 's:' .. hold_id)
  end
  return true
end
