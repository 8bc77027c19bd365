-- return_seats: put a refunded order's seats back on sale, once per order.
--
-- KEYS[1]  inventory hash              ({ev:<id>}:inv)
-- KEYS[2]  user seats hash             ({ev:<id>}:userseats)
-- KEYS[3]  set of orders whose seats went back ({ev:<id>}:orders:returned)
-- KEYS[4]  seat states hash        ({ev:<id>}:seats)
-- KEYS[5]  ticket types hash       ({ev:<id>}:types: the order's lines go back to their types)
-- KEYS[6]  seat rows hash          ({ev:<id>}:seatrows: each freed seat's row counts it)
-- ARGV[1]  order id
-- ARGV[2]  section code
-- ARGV[3]  quantity (seats)
-- ARGV[4]  user id
-- ARGV[5]  the order's seats, comma-separated ('' = general admission): each one sold is free
--          again
-- ARGV[6]  the order's lines by ticket type, 'TYPE:q,...' ('' = none): sold -> available
-- ARGV[7..] optional pairs (user id, seats): who held the order's tickets when a
--           ticket of it was transferred; they replace ARGV[4] for the counts
--
-- sold -= q, available += q, each holder's seat count -= their seats.
-- Returns 1 when returned now, 0 when this order's seats were already
-- returned (a retried job), -1 when the section has fewer sold seats than q
-- (inventory drift: nothing changes, reconcile must look).
local inv_key = KEYS[1]
local user_seats_key = KEYS[2]
local returned_key = KEYS[3]
local order_id = ARGV[1]
local section = ARGV[2]
local quantity = tonumber(ARGV[3])
local user_id = ARGV[4]
local seats = ARGV[5] or ''
local states_key = KEYS[4]
local types_key = KEYS[5]
local rows_key = KEYS[6]
local lines = ARGV[6] or ''

-- include: _types.lua
-- include: _seats.lua

if redis.call('SISMEMBER', returned_key, order_id) == 1 then
  return 0
end
local sold = tonumber(redis.call('HGET', inv_key, section .. ':sold')) or 0
if sold < quantity then
  return -1
end
redis.call('SADD', returned_key, order_id)
for id in string.gmatch(seats, '[^,]+') do
  local field = section .. '/' .. id
  local state = redis.call('HGET', states_key, field)
  if state and string.sub(state, 1, 2) == 's:' then
    redis.call('HDEL', states_key, field)
    row_count(rows_key, section, id, 1)
  end
end
redis.call('HINCRBY', inv_key, section .. ':sold', -quantity)
redis.call('HINCRBY', inv_key, section .. ':available', quantity)
types_move(types_key, section, lines, 'sold', 'available')
local holders = {user_id, quantity}
if #ARGV >= 8 then
  holders = {}
  for i = 7, #ARGV - 1, 2 do
    holders[#holders + 1] = ARGV[i]
    holders[#holders + 1] = tonumber(ARGV[i + 1])
  end
end
for i = 1, #holders, 2 do
  if redis.call('HINCRBY', user_seats_key, holders[i], -holders[i + 1]) <= 0 then
    redis.call('HDEL', user_seats_key, holders[i])
  end
end
return 1
