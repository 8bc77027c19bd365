-- queue_leave: a fan leaves the queue or ends the shopping session (revokes the token).
--
-- KEYS[1]  line zset              ({ev:<id>}:q:line)
-- KEYS[2]  comeback zset          ({ev:<id>}:q:back)
-- KEYS[3]  skipped zset           ({ev:<id>}:q:skip)
-- KEYS[4]  sessions hash          ({ev:<id>}:q:sess)
-- KEYS[5]  active sessions zset   ({ev:<id>}:q:active)
-- ARGV[1]  member (compact account id)
--
-- Removing the session from the active zset frees its slot at once, and the
-- hold script (which checks ZSCORE there) refuses the token from now on.
-- Returns 1 when something was removed, 0 when the fan had nothing to leave.
local line, comeback, skipped, sessions, active = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local member = ARGV[1]

local removed = redis.call('ZREM', line, member) + redis.call('ZREM', comeback, member)
  + redis.call('ZREM', skipped, member)
local sess = redis.call('HGET', sessions, member)
if sess then
  local sid = string.match(sess, '^(.*):%d+$')
  removed = removed + redis.call('ZREM', active, sid)
  redis.call('HDEL', sessions, member)
end
if removed > 0 then return 1 end
return 0
