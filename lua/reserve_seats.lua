-- reserve_seats: take seats for one hold, atomically (the hot path of an onsale).
--
-- KEYS[1]  event meta hash            {ev:<id>}:meta
-- KEYS[2]  inventory hash             {ev:<id>}:inv
-- KEYS[3]  per-user seats hash        {ev:<id>}:userseats
-- KEYS[4]  active sessions zset       {ev:<id>}:q:active
-- KEYS[5]  the new hold's record hash {ev:<id>}:hold:<hold_id>
-- KEYS[6]  hold expiry zset           {ev:<id>}:holds:exp
-- KEYS[7]  hold lifecycle stream      {ev:<id>}:holds:ends
-- KEYS[8]  idempotency record hash    {ev:<id>}:idem:holds:<user>:<key> (unused when ARGV[8] = '')
-- KEYS[9]  holds_account counter hash {ev:<id>}:rl:holds_account:<user> (unused when off)
-- KEYS[10] holds_ip counter hash      {ev:<id>}:rl:holds_ip:<address> (unused when off)
-- KEYS[11] seat states hash           {ev:<id>}:seats            (seated sections)
-- KEYS[12] the section's seat info    {ev:<id>}:seatinfo:<section>
-- KEYS[13] the section's seat plan    {ev:<id>}:seatplan:<section> (hash: rows, their order)
-- KEYS[14] discount codes hash        {ev:<id>}:discounts (read only when ARGV[18] names a code)
-- KEYS[15] ticket types hash          {ev:<id>}:types (see _types.lua)
-- KEYS[16] seat rows hash             {ev:<id>}:seatrows (each row's free seats; see _seats.lua)
--
-- ARGV[1]  now (epoch ms)
-- ARGV[2]  event id
-- ARGV[3]  user id
-- ARGV[4]  session id (from the verified admission token)
-- ARGV[5]  section code
-- ARGV[6]  quantity (seats, >= 1)
-- ARGV[7]  hold id (new)
-- ARGV[8]  idempotency fingerprint of the request body ('' = no Idempotency-Key)
-- ARGV[9]  idempotency record lifetime (ms, >= 24 h)
-- ARGV[10] retention of the hold record after its end (ms, >= 24 h)
-- ARGV[11] holds_account: hits allowed per window   ARGV[12] its window (ms; 0 or absent = off)
-- ARGV[13] holds_ip: hits allowed per window        ARGV[14] its window (ms; 0 or absent = off)
-- ARGV[15] seat mode: '' (general admission; on a seated section: best available),
--          'pick' (the seats of ARGV[16]) or 'best' (best available)
-- ARGV[16] pick: the seat ids, comma-separated (quantity = their number);
--          best: the category ('' = any)
-- ARGV[17] best: '1' = accessible (and companion) seats only; otherwise none of them
-- ARGV[18] discount code ('' or absent = none; see _discounts.lua)
-- ARGV[19] the phase id of the admission ('' = none), for a code scoped to a phase
-- ARGV[20] the hold's lines by ticket type, 'TYPE:q,TYPE:q' ('' or absent = none; their
--          quantities add up to ARGV[6]; each type named once)
--
-- Ticket types (a general-admission section whose '<section>:types' is not empty): a hold
-- must name its lines by type, and every line is checked in this call, all or nothing:
-- the type exists, its sale window is open (opens <= now < closes), its quantity is within
-- the type's per-order limit and its quota's available tickets, and a type with a
-- companion rule has at least one ticket of its companion type in the same hold (the rule:
-- any number of CHILD tickets need one ADULT ticket or more in the hold). The section's
-- own availability and the event's per-order and per-account limits apply to the whole
-- hold as before. The amount is the sum of each line's type price times its quantity.
--
-- A discount code is checked after every other refusal, in this same call, so only a hold
-- that is created takes one of its uses: a code of N uses is never used N + 1 times.
-- Percent off rounds down to the minor unit; an amount off takes at most the order's amount.
--
-- Seats (a section whose meta has seated:<section> = 1). A seat is free (no field in the
-- seat states hash), held ('h:<hold_id>'), sold ('s:<hold_id>') or blocked ('b'); the
-- section's counters move with its seats, so available = its free seats. A pick takes all
-- its seats or none: every seat taken by someone (or blocked) is named in the refusal.
-- Best available chooses, among the blocks of `quantity` free, eligible seats next to each
-- other in one row (the row's order of the map):
--   1. a block that leaves no orphan: an orphan is a free seat directly beside the block
--      whose other neighbour in the row is not free (held, sold, blocked, or the row's end),
--      so it would be left alone; a block with an orphan is chosen only when every block has
--      one;
--   2. then the block whose centre is closest to the section's focal point;
--   3. then the first found: rows nearest the focal point first (ties: the map's order),
--      seats along the row.
-- A row whose free count (seat rows hash) is below quantity is passed over unread: it has
-- no block, so the choice is the same, without decoding the full rows near the focal point.
-- Eligible: the requested category (any when none), and accessible or companion seats
-- when, and only when, accessible seats were asked for.
--
-- Returns {code, replayed, hold_id, expires_at_ms, amount_cents, currency, n1, n2, seats}:
--   0 OK                   hold created (hold_id, expires_at_ms, amount_cents, currency;
--                          n2 = what its discount code took off, in minor units)
--   1 NOT_ADMITTED         session unknown or revoked
--   2 ADMISSION_EXPIRED    session expired (score <= now)
--   3 SALE_NOT_OPEN        not published, paused, before onsale_at or at/after offsale_at,
--                          or the section paused by reconcile (meta paused:<section>, drift rule)
--   4 NO_SUCH_EVENT        no meta for the event in Redis
--   5 NO_SUCH_SECTION      section not in the inventory
--   6 LIMIT_PER_ORDER      quantity > max_per_order (n1 = max_per_order)
--   7 LIMIT_PER_USER       user's seats + quantity > max_per_user (n1 = max, n2 = seats now)
--   8 SOLD_OUT             fewer seats than quantity (n1 = seats available)
--   9 IDEMPOTENCY_CONFLICT the key was used with another body
--  10 RATE_LIMITED         a hold limit (app.core.ratelimit's names) is spent; n1 = seconds
--                          until a hit is allowed again; nothing is counted, reserved or recorded
--  11 SEATS_TAKEN          some picked seats are not free (seats = those seat ids, comma-separated)
--  12 NOT_SEATED           seats were named on a section without a seat map
--  13 UNKNOWN_SEATS        picked seats not on the map (seats = their ids), or an unknown category
--  14 NO_ADJACENT          best available found no block of quantity seats (n1 = seats available)
--  15 NO_SUCH_CODE         the discount code is unknown or disabled
--  16 CODE_EXHAUSTED       every use of the discount code is taken (n1 = its uses)
--  17 CODE_NOT_APPLICABLE  the discount code is for another section or phase
--  18 TYPE_REQUIRED        the section sells by ticket type and the hold named none
--  19 NO_SUCH_TYPE         a line names a type the section does not have (seats = the type)
--  20 TYPE_NOT_ON_SALE     a line's type is outside its sale window (seats = the type;
--                          n1 = 1 not open yet, 2 closed; n2 = when it opens, epoch ms)
--  21 TYPE_LIMIT           a line passes its type's per-order limit (seats = the type,
--                          n1 = the limit)
--  22 TYPE_SOLD_OUT        a line's type has fewer tickets left than asked (seats = the type,
--                          n1 = tickets of it left)
--  23 COMPANION_REQUIRED   a line's type needs a ticket of its companion type in the hold
--                          (seats = 'TYPE,COMPANION')
-- A ninth value, seats, only when there are seats: of a created hold its seats as
-- 'id<TAB>row<TAB>number' lines; of a refusal the seat ids it is about (or the ticket
-- types, codes 19-23); of a created hold with ticket types its lines, 'TYPE:q:amount,...'.
-- replayed = 1 when the outcome is the recorded first outcome of this Idempotency-Key;
-- every outcome decided here (codes 0-8) is recorded, so a retry gets the same answer.
local meta_key, inv_key, users_key, sessions_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local hold_key, expiry_key, stream_key, idem_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]

local now = tonumber(ARGV[1])
local event_id = ARGV[2]
local user_id = ARGV[3]
local session_id = ARGV[4]
local section = ARGV[5]
local quantity = tonumber(ARGV[6])
local hold_id = ARGV[7]
local fingerprint = ARGV[8]
local idem_ttl_ms = tonumber(ARGV[9])
local retention_ms = tonumber(ARGV[10])

local OK, NOT_ADMITTED, ADMISSION_EXPIRED, SALE_NOT_OPEN = 0, 1, 2, 3
local NO_SUCH_EVENT, NO_SUCH_SECTION, LIMIT_PER_ORDER, LIMIT_PER_USER = 4, 5, 6, 7
local SOLD_OUT, IDEMPOTENCY_CONFLICT, RATE_LIMITED = 8, 9, 10
local SEATS_TAKEN, NOT_SEATED, UNKNOWN_SEATS, NO_ADJACENT = 11, 12, 13, 14
local states_key, info_key, plan_key = KEYS[11], KEYS[12], KEYS[13]
local seat_mode = ARGV[15] or ''
local NO_SUCH_CODE, CODE_EXHAUSTED, CODE_NOT_APPLICABLE = 15, 16, 17
local discounts_key = KEYS[14]
local discount_code = ARGV[18] or ''
local phase_id = ARGV[19] or ''
local TYPE_REQUIRED, NO_SUCH_TYPE, TYPE_NOT_ON_SALE, TYPE_LIMIT = 18, 19, 20, 21
local TYPE_SOLD_OUT, COMPANION_REQUIRED = 22, 23
local types_key = KEYS[15]
local lines_arg = ARGV[20] or ''
local rows_key = KEYS[16]

-- include: _rate_window.lua
-- include: _seats.lua

-- The discount the request's code gives on `amount`: (OK or a refusal, minor units off, n1).
local function discount_for(amount)
  if discount_code == '' then
    return OK, 0, 0
  end
  local c = discount_code .. ':'
  local d = redis.call('HMGET', discounts_key, c .. 'kind', c .. 'value', c .. 'max', c .. 'used',
    c .. 'section', c .. 'phase', c .. 'off')
  if not d[1] or d[7] == '1' then
    return NO_SUCH_CODE, 0, 0
  end
  if (d[5] and d[5] ~= '' and d[5] ~= section) or (d[6] and d[6] ~= '' and d[6] ~= phase_id) then
    return CODE_NOT_APPLICABLE, 0, 0
  end
  local max = tonumber(d[3])
  if tonumber(d[4] or '0') >= max then
    return CODE_EXHAUSTED, 0, max
  end
  if d[1] == 'percent' then
    return OK, math.floor(amount * tonumber(d[2]) / 100), 0
  end
  return OK, math.min(tonumber(d[2]), amount), 0
end

-- The rate limits first, as they ran before everything when they were a round
-- trip of their own: every attempt that reaches this script counts, replays
-- included; a limited one is not recorded under its Idempotency-Key.
local retry_s = rate_limit(now, {
  {KEYS[9], tonumber(ARGV[11] or '0'), tonumber(ARGV[12] or '0')},
  {KEYS[10], tonumber(ARGV[13] or '0'), tonumber(ARGV[14] or '0')},
})
if retry_s > 0 then
  return {RATE_LIMITED, 0, '', 0, 0, '', retry_s, 0}
end

if fingerprint ~= '' then
  local seen = redis.call('HMGET', idem_key, 'fp', 'code', 'hold_id', 'expires_at_ms',
    'amount_cents', 'currency', 'n1', 'n2', 'seats')
  if seen[1] then
    if seen[1] ~= fingerprint then
      return {IDEMPOTENCY_CONFLICT, 0, '', 0, 0, '', 0, 0}
    end
    local replay = {tonumber(seen[2]), 1, seen[3], tonumber(seen[4]), tonumber(seen[5]), seen[6],
      tonumber(seen[7]), tonumber(seen[8])}
    if seen[9] and seen[9] ~= '' then
      replay[9] = seen[9]
    end
    return replay
  end
end

-- Record the decided outcome under the Idempotency-Key, then return it.
local function outcome(code, id, expires_at_ms, amount, currency, n1, n2, seats)
  seats = seats or ''
  if fingerprint ~= '' then
    redis.call('HSET', idem_key, 'fp', fingerprint, 'code', code, 'hold_id', id,
      'expires_at_ms', expires_at_ms, 'amount_cents', amount, 'currency', currency,
      'n1', n1, 'n2', n2, 'seats', seats)
    redis.call('PEXPIRE', idem_key, idem_ttl_ms)
  end
  if seats == '' then
    return {code, 0, id, expires_at_ms, amount, currency, n1, n2}
  end
  return {code, 0, id, expires_at_ms, amount, currency, n1, n2, seats}
end

local session_expiry = redis.call('ZSCORE', sessions_key, session_id)
if not session_expiry then
  return outcome(NOT_ADMITTED, '', 0, 0, '', 0, 0)
end
if tonumber(session_expiry) <= now then
  return outcome(ADMISSION_EXPIRED, '', 0, 0, '', 0, 0)
end

local meta = redis.call('HMGET', meta_key, 'status', 'onsale_at_ms', 'offsale_at_ms',
  'max_per_order', 'max_per_user', 'hold_ttl_s', 'currency', 'price:' .. section,
  'paused:' .. section, 'seated:' .. section)
if not meta[1] then
  return outcome(NO_SUCH_EVENT, '', 0, 0, '', 0, 0)
end
if meta[1] ~= 'published' or now < tonumber(meta[2]) or now >= tonumber(meta[3])
    or meta[9] == '1' then
  return outcome(SALE_NOT_OPEN, '', 0, 0, '', 0, 0)
end

local available = redis.call('HGET', inv_key, section .. ':available')
if not available or not meta[8] then
  return outcome(NO_SUCH_SECTION, '', 0, 0, '', 0, 0)
end
available = tonumber(available)

local max_per_order = tonumber(meta[4])
if quantity > max_per_order then
  return outcome(LIMIT_PER_ORDER, '', 0, 0, '', max_per_order, 0)
end
local max_per_user = tonumber(meta[5])
local user_seats = tonumber(redis.call('HGET', users_key, user_id) or '0')
if user_seats + quantity > max_per_user then
  return outcome(LIMIT_PER_USER, '', 0, 0, '', max_per_user, user_seats)
end
-- Ticket types: every line checked before anything is written (all or nothing).
local typed = {}
local type_list = ''
if types_key then
  type_list = redis.call('HGET', types_key, section .. ':types') or ''
end
if type_list ~= '' or lines_arg ~= '' then
  if meta[10] == '1' and lines_arg ~= '' then
    local first = string.match(lines_arg, '^([^:,]+)') or ''
    return outcome(NO_SUCH_TYPE, '', 0, 0, '', 0, 0, first)
  end
  if type_list ~= '' and lines_arg == '' then
    return outcome(TYPE_REQUIRED, '', 0, 0, '', 0, 0)
  end
  local known, counts = {}, {}
  for t in string.gmatch(type_list, '[^,]+') do
    known[t] = true
  end
  for item in string.gmatch(lines_arg, '[^,]+') do
    local t, q = string.match(item, '^([^:]+):(%d+)$')
    if not t or not known[t] then
      return outcome(NO_SUCH_TYPE, '', 0, 0, '', 0, 0, t or item)
    end
    typed[#typed + 1] = {t, tonumber(q)}
    counts[t] = (counts[t] or 0) + tonumber(q)
  end
  for _, line in ipairs(typed) do
    local t, q = line[1], line[2]
    local f = section .. '/' .. t .. ':'
    local d = redis.call('HMGET', types_key, f .. 'price', f .. 'limit', f .. 'opens',
      f .. 'closes', f .. 'companion', f .. 'available')
    local opens, closes = tonumber(d[3] or '0'), tonumber(d[4] or '0')
    if opens > 0 and now < opens then
      return outcome(TYPE_NOT_ON_SALE, '', 0, 0, '', 1, opens, t)
    end
    if closes > 0 and now >= closes then
      return outcome(TYPE_NOT_ON_SALE, '', 0, 0, '', 2, 0, t)
    end
    local limit = tonumber(d[2] or '0')
    if limit > 0 and q > limit then
      return outcome(TYPE_LIMIT, '', 0, 0, '', limit, 0, t)
    end
    local companion = d[5] or ''
    if companion ~= '' and (counts[companion] or 0) < 1 then
      return outcome(COMPANION_REQUIRED, '', 0, 0, '', 0, 0, t .. ',' .. companion)
    end
    local left = tonumber(d[6] or '0')
    if left < q then
      return outcome(TYPE_SOLD_OUT, '', 0, 0, '', left, 0, t)
    end
    line[3] = tonumber(d[1] or '0') * q
  end
end

if meta[10] ~= '1' then
  if seat_mode ~= '' then
    return outcome(NOT_SEATED, '', 0, 0, '', 0, 0)
  end
  if available < quantity then
    return outcome(SOLD_OUT, '', 0, 0, '', available, 0)
  end
  -- General admission: the section's counters are all there is.
  local expires_at_ms = now + tonumber(meta[6]) * 1000
  local amount = tonumber(meta[8]) * quantity
  local lines = ''
  if #typed > 0 then
    amount = 0
    local parts = {}
    for i, line in ipairs(typed) do
      amount = amount + line[3]
      parts[i] = line[1] .. ':' .. line[2] .. ':' .. line[3]
    end
    lines = table.concat(parts, ',')
  end
  local currency = meta[7]
  local refused, off, code_n1 = discount_for(amount)
  if refused ~= OK then
    return outcome(refused, '', 0, 0, '', code_n1, 0)
  end
  amount = amount - off
  redis.call('HINCRBY', inv_key, section .. ':available', -quantity)
  redis.call('HINCRBY', inv_key, section .. ':held', quantity)
  redis.call('HINCRBY', users_key, user_id, quantity)
  redis.call('HSET', hold_key,
    'hold_id', hold_id, 'event_id', event_id, 'user_id', user_id, 'section', section,
    'quantity', quantity, 'amount_cents', amount, 'currency', currency, 'status', 'active',
    'created_at_ms', now, 'expires_at_ms', expires_at_ms, 'session_id', session_id)
  if discount_code ~= '' then
    redis.call('HINCRBY', discounts_key, discount_code .. ':used', 1)
    redis.call('HSET', hold_key, 'discount', discount_code, 'discount_cents', off)
  end
  if lines ~= '' then
    for _, line in ipairs(typed) do
      local f = section .. '/' .. line[1] .. ':'
      redis.call('HINCRBY', types_key, f .. 'available', -line[2])
      redis.call('HINCRBY', types_key, f .. 'held', line[2])
    end
    redis.call('HSET', hold_key, 'lines', lines)
  end
  -- The record outlives the hold; the expiry index, not this TTL, returns the seats.
  redis.call('PEXPIRE', hold_key, expires_at_ms - now + retention_ms)
  redis.call('ZADD', expiry_key, expires_at_ms, hold_id)
  -- The ledger writer copies this into Postgres (reconcile's source of live holds).
  local entry = {'hold_id', hold_id, 'status', 'active', 'at_ms', now,
    'user_id', user_id, 'section', section, 'quantity', quantity, 'amount_cents', amount,
    'currency', currency, 'created_at_ms', now, 'expires_at_ms', expires_at_ms}
  if lines ~= '' then
    entry[#entry + 1] = 'lines'
    entry[#entry + 1] = lines
  end
  redis.call('XADD', stream_key, '*', unpack(entry))
  return outcome(OK, hold_id, expires_at_ms, amount, currency, 0, off, lines)
end

-- A seated section. HMGET in slices (Lua's unpack has a stack limit).
local function hmget(key, fields)
  local out = {}
  for i = 1, #fields, 1000 do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + 999, #fields)))
    for j = 1, #part do
      out[#out + 1] = part[j]
    end
  end
  return out
end

local prefix = section .. '/'
local chosen, rows, numbers, categories = {}, {}, {}, {}
local best_ri = nil -- best available: the chosen block's row index
if seat_mode == 'pick' then
  for id in string.gmatch(ARGV[16] or '', '[^,]+') do
    chosen[#chosen + 1] = id
  end
  if #chosen ~= quantity then
    return outcome(UNKNOWN_SEATS, '', 0, 0, '', 0, 0)
  end
  local infos = hmget(info_key, chosen)
  local unknown = {}
  for i = 1, #chosen do
    if not infos[i] then
      unknown[#unknown + 1] = chosen[i]
    else
      local row, number, category = string.match(infos[i], '^([^\t]*)\t([^\t]*)\t([^\t]*)\t')
      rows[i], numbers[i], categories[i] = row, number, category
    end
  end
  if #unknown > 0 then
    return outcome(UNKNOWN_SEATS, '', 0, 0, '', #unknown, 0, table.concat(unknown, ','))
  end
  local fields = {}
  for i = 1, #chosen do
    fields[i] = prefix .. chosen[i]
  end
  local states = hmget(states_key, fields)
  local taken = {}
  for i = 1, #chosen do
    if states[i] then
      taken[#taken + 1] = chosen[i]
    end
  end
  if #taken > 0 then
    return outcome(SEATS_TAKEN, '', 0, 0, '', #taken, 0, table.concat(taken, ','))
  end
else
  local category = ''
  local accessible = false
  if seat_mode == 'best' then
    category = ARGV[16] or ''
    accessible = ARGV[17] == '1'
  end
  if category ~= '' and not redis.call('HGET', meta_key, 'catprice:' .. section .. ':' .. category) then
    return outcome(UNKNOWN_SEATS, '', 0, 0, '', 0, 0)
  end
  if available < quantity then
    return outcome(SOLD_OUT, '', 0, 0, '', available, 0)
  end
  local best_row, best_start
  best_row, best_ri, best_start = seats_best(plan_key, states_key, rows_key, section, quantity,
    category, accessible)
  if best_row == nil then
    return outcome(NO_ADJACENT, '', 0, 0, '', available, 0)
  end
  for k = 1, quantity do
    local at = best_start + k - 1
    chosen[k] = best_row.s[at]
    rows[k] = best_row.r
    numbers[k] = best_row.n[at]
    categories[k] = best_row.c[at]
  end
end

-- Each seat's price is its category's.
local cat_fields, cat_index = {}, {}
for i = 1, #chosen do
  local c = categories[i]
  if not cat_index[c] then
    cat_fields[#cat_fields + 1] = 'catprice:' .. section .. ':' .. c
    cat_index[c] = #cat_fields
  end
end
local prices = redis.call('HMGET', meta_key, unpack(cat_fields))
local amount = 0
for i = 1, #chosen do
  amount = amount + (tonumber(prices[cat_index[categories[i]]]) or tonumber(meta[8]))
end

local refused, off, code_n1 = discount_for(amount)
if refused ~= OK then
  return outcome(refused, '', 0, 0, '', code_n1, 0)
end
amount = amount - off

local expires_at_ms = now + tonumber(meta[6]) * 1000
local currency = meta[7]
local held_value = 'h:' .. hold_id
local writes, lines = {}, {}
for i = 1, #chosen do
  writes[#writes + 1] = prefix .. chosen[i]
  writes[#writes + 1] = held_value
  lines[i] = chosen[i] .. '\t' .. rows[i] .. '\t' .. numbers[i]
end
for i = 1, #writes, 1000 do
  redis.call('HSET', states_key, unpack(writes, i, math.min(i + 999, #writes)))
end
if best_ri then
  redis.call('HINCRBY', rows_key, section .. '#' .. best_ri, -quantity)
  redis.call('HINCRBY', rows_key, section .. '~' .. best_ri, 1)
else
  for i = 1, #chosen do
    row_count(rows_key, section, chosen[i], -1)
  end
end
local seat_list = table.concat(chosen, ',')
redis.call('HINCRBY', inv_key, section .. ':available', -quantity)
redis.call('HINCRBY', inv_key, section .. ':held', quantity)
redis.call('HINCRBY', users_key, user_id, quantity)
redis.call('HSET', hold_key,
  'hold_id', hold_id, 'event_id', event_id, 'user_id', user_id, 'section', section,
  'quantity', quantity, 'amount_cents', amount, 'currency', currency, 'status', 'active',
  'created_at_ms', now, 'expires_at_ms', expires_at_ms, 'session_id', session_id,
  'seats', seat_list)
if discount_code ~= '' then
  redis.call('HINCRBY', discounts_key, discount_code .. ':used', 1)
  redis.call('HSET', hold_key, 'discount', discount_code, 'discount_cents', off)
end
redis.call('PEXPIRE', hold_key, expires_at_ms - now + retention_ms)
redis.call('ZADD', expiry_key, expires_at_ms, hold_id)
redis.call('XADD', stream_key, '*', 'hold_id', hold_id, 'status', 'active', 'at_ms', now,
  'user_id', user_id, 'section', section, 'quantity', quantity, 'amount_cents', amount,
  'currency', currency, 'created_at_ms', now, 'expires_at_ms', expires_at_ms,
  'seats', seat_list)
return outcome(OK, hold_id, expires_at_ms, amount, currency, 0, off, table.concat(lines, '\n'))
