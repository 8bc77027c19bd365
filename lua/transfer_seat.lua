-- transfer_seat: a transferred ticket counts for its receiver now, not its sender.
--
-- KEYS[1]  event meta hash             {ev:<id>}:meta
-- KEYS[2]  per-user seats hash         {ev:<id>}:userseats
-- KEYS[3]  set of moves already applied {ev:<id>}:moves:done
-- ARGV[1]  move id (the transfer's id; makes a retry a no-op)
-- ARGV[2]  sender user id
-- ARGV[3]  receiver user id
-- ARGV[4]  seats (1 per ticket)
--
-- Seats themselves do not move (still sold): only the per-user counts, so
-- conservation holds; the receiver's count stays within max_per_user.
-- Returns {code, n1}:
--   1 MOVED   0 ALREADY (this move was applied before)
--   2 LIMIT_PER_USER (n1 = max_per_user)   -4 no such event
local meta_key, users_key, done_key = KEYS[1], KEYS[2], KEYS[3]
local move_id = ARGV[1]
local from_user = ARGV[2]
local to_user = ARGV[3]
local seats = tonumber(ARGV[4])

if redis.call('SISMEMBER', done_key, move_id) == 1 then return {0, 0} end
local max_per_user = tonumber(redis.call('HGET', meta_key, 'max_per_user') or '')
if not max_per_user then return {-4, 0} end
local held = tonumber(redis.call('HGET', users_key, to_user) or '0')
if held + seats > max_per_user then return {2, max_per_user} end
redis.call('SADD', done_key, move_id)
redis.call('HINCRBY', users_key, to_user, seats)
if redis.call('HINCRBY', users_key, from_user, -seats) <= 0 then
  redis.call('HDEL', users_key, from_user)
end
return {1, 0}
