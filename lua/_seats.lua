-- _seats: a hold's seats in the event's seat states hash (included by the hold scripts).
-- A hold's record names its seats in `seats` (comma-separated ids, empty or absent for
-- general admission); their fields are '<section>/<seat_id>'. A seat's state follows its
-- hold: 'h:<hold_id>' while held, 's:<hold_id>' once sold, no field once free again. Only
-- the hold that holds a seat moves it.
--
-- Each row's free seats are counted in the event's seat rows hash ({ev:<id>}:seatrows):
-- '<section>/<seat_id>' -> the seat's row index in the section's plan (its 'r<i>'), and
-- '<section>#<i>' -> how many seats of that row have no state field (free). Every script
-- that frees or takes a seat moves its row's count in the same call, so best available
-- skips a row that cannot fit the request without reading it; rows_recount derives the
-- counts from the seats again (map import, reconcile) and says how many were wrong.

-- A seat of the section became free (delta 1) or was taken (delta -1): its row's count.
local function row_count(rows_key, section, id, delta)
  local ri = redis.call('HGET', rows_key, section .. '/' .. id)
  if ri then
    redis.call('HINCRBY', rows_key, section .. '#' .. ri, delta)
    redis.call('HINCRBY', rows_key, section .. '~' .. ri, 1)
  end
end

-- Every row's free count from the seats' states (and with map = true, each seat's row
-- index too); returns how many rows' stored counts were wrong (0: they agreed).
local function rows_recount(states_key, rows_key, plan_key, section, map)
  local wrong = 0
  for ri in string.gmatch(redis.call('HGET', plan_key, 'o') or '', '(%d+):') do
    local ids = cjson.decode(redis.call('HGET', plan_key, 'r' .. ri)).s
    local free = 0
    for i = 1, #ids, 1000 do
      local fields = {}
      for j = i, math.min(i + 999, #ids) do
        fields[#fields + 1] = section .. '/' .. ids[j]
      end
      local states = redis.call('HMGET', states_key, unpack(fields))
      for j = 1, #fields do
        if not states[j] then
          free = free + 1
        end
        if map then
          redis.call('HSET', rows_key, fields[j], ri)
        end
      end
    end
    local field = section .. '#' .. ri
    -- Whatever moved the seats (reconcile writes states itself), the rows' kept choices go.
    redis.call('HINCRBY', rows_key, section .. '~' .. ri, 1)
    if tonumber(redis.call('HGET', rows_key, field)) ~= free then
      redis.call('HSET', rows_key, field, free)
      wrong = wrong + 1
    end
  end
  return wrong
end

-- The seats of a hold that ended without a sale go back on sale.
local function seats_free(states_key, rows_key, section, seats, hold_id)
  if not seats or seats == '' then
    return
  end
  local held = 'h:' .. hold_id
  for id in string.gmatch(seats, '[^,]+') do
    local field = section .. '/' .. id
    if redis.call('HGET', states_key, field) == held then
      redis.call('HDEL', states_key, field)
      row_count(rows_key, section, id, 1)
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
local function seats_retake(states_key, rows_key, section, seats, hold_id)
  if not seats or seats == '' then
    return true
  end
  local fields, ids = {}, {}
  for id in string.gmatch(seats, '[^,]+') do
    fields[#fields + 1] = section .. '/' .. id
    ids[#ids + 1] = id
  end
  for _, field in ipairs(fields) do
    if redis.call('HEXISTS', states_key, field) == 1 then
      return false
    end
  end
  for i, field in ipairs(fields) do
    redis.call('HSET', states_key, field, 's:' .. hold_id)
    row_count(rows_key, section, ids[i], -1)
  end
  return true
end

-- A row's best block for one request (quantity, category, accessible or not), of the row as
-- it is now: (first position or 0 when none, orphan, squared distance to the focal point).
local function row_best(row, states_key, section, quantity, category, accessible, fx, fy)
  local ids = row.s
  local n = #ids
  if n < quantity then
    return 0, true, 0
  end
  local fields = {}
  for i = 1, n do
    fields[i] = section .. '/' .. ids[i]
  end
  local states = {}
  for i = 1, n, 1000 do
    local part = redis.call('HMGET', states_key, unpack(fields, i, math.min(i + 999, n)))
    for j = 1, #part do
      states[#states + 1] = part[j]
    end
  end
  local free, ok = {}, {}
  for i = 1, n do
    free[i] = not states[i]
    local e = free[i] and (category == '' or row.c[i] == category)
    if accessible then
      ok[i] = e and row.f[i] ~= ''
    else
      ok[i] = e and row.f[i] == ''
    end
  end
  local best_start, best_orphan, best_d = 0, true, 0
  local run = 0
  for i = 1, n do
    if ok[i] then run = run + 1 else run = 0 end
    if run >= quantity then
      local first = i - quantity + 1
      local left, right = first - 1, i + 1
      local orphan = (left >= 1 and free[left] and (left == 1 or not free[left - 1]))
        or (right <= n and free[right] and (right == n or not free[right + 1]))
      local sx, sy = 0, 0
      for k = first, i do
        sx = sx + row.x[k]
        sy = sy + row.y[k]
      end
      local dx, dy = sx / quantity - fx, sy / quantity - fy
      local d = dx * dx + dy * dy
      if best_start == 0 or (best_orphan and not orphan)
          or (best_orphan == orphan and d < best_d) then
        best_start, best_orphan, best_d = first, orphan, d
      end
    end
  end
  return best_start, best_orphan, best_d
end

-- Best available (the rule in reserve_seats.lua's header; offer_seats.lua's seated offers
-- too): among the blocks of `quantity` free, eligible seats side by side in one row, one
-- that leaves no orphan, then the closest to the focal point, then the first found. A row
-- whose free count cannot fit `quantity` is passed over unread. A row's best block for a
-- request is kept in the seat rows hash ('<section>@<i>:<quantity>:<category>:<a|n>' ->
-- 'version,first,orphan,distance'), valid while the row's version ('<section>~<i>', moved
-- with every seat of the row) is the one it was found at: a row no seat of which moved since
-- costs one hash read, not a decode and a read of its seats. The chosen block's seats are
-- checked free before they are given; were one not (a version not moved: never expected),
-- the choice is made again from the seats themselves. Returns the row (decoded from the
-- plan), its index and the block's first position in it; nil when there is none.
local function seats_best(plan_key, states_key, rows_key, section, quantity, category, accessible, fresh)
  -- Rows nearest the focal point first, each with the least squared distance a block in it
  -- can have: once the choice leaves no orphan and no later row can come closer, stop.
  local head = redis.call('HMGET', plan_key, 'o', 'meta')
  local meta_plan = cjson.decode(head[2] or '{}')
  local fx, fy = tonumber(meta_plan.fx) or 0, tonumber(meta_plan.fy) or 0
  local want = ':' .. quantity .. ':' .. category .. ':' .. (accessible and 'a' or 'n')
  local best_row, best_ri, best_start, best_orphan, best_d = nil, nil, 0, true, 0
  for ri, bound in string.gmatch(head[1] or '', '(%d+):([^,]+)') do
    if best_ri ~= nil and not best_orphan and best_d <= tonumber(bound) then
      break
    end
    local cache_field = section .. '@' .. ri .. want
    local h = redis.call('HMGET', rows_key, section .. '#' .. ri, section .. '~' .. ri, cache_field)
    local free_n = tonumber(h[1])
    if free_n == nil or free_n >= quantity then
      local version = h[2] or '0'
      local row, first, orphan, d = nil, 0, true, 0
      local cv, cf, co, cd = string.match(h[3] or '', '^([^,]*),(%d+),(%d),(.*)$')
      if not fresh and cv == version then
        first, orphan, d = tonumber(cf), co == '1', tonumber(cd)
      else
        row = cjson.decode(redis.call('HGET', plan_key, 'r' .. ri))
        first, orphan, d = row_best(row, states_key, section, quantity, category, accessible, fx, fy)
        redis.call('HSET', rows_key, cache_field,
          version .. ',' .. first .. ',' .. (orphan and '1' or '0') .. ',' .. string.format('%.17g', d))
      end
      if first > 0 and (best_ri == nil or (best_orphan and not orphan)
          or (best_orphan == orphan and d < best_d)) then
        best_row, best_ri, best_start, best_orphan, best_d = row, ri, first, orphan, d
      end
    end
  end
  if best_ri == nil then
    return nil, nil, 0
  end
  if best_row == nil then
    best_row = cjson.decode(redis.call('HGET', plan_key, 'r' .. best_ri))
    local fields = {}
    for k = best_start, best_start + quantity - 1 do
      fields[#fields + 1] = section .. '/' .. (best_row.s[k] or '')
    end
    local states = redis.call('HMGET', states_key, unpack(fields))
    for k = 1, quantity do
      if states[k] or not best_row.s[best_start + k - 1] then
        return seats_best(plan_key, states_key, rows_key, section, quantity, category, accessible, true)
      end
    end
  end
  return best_row, best_ri, best_start
end
