-- party_join: link an account to a party by invite code; the party keeps the leader's place.
--
-- KEYS[1]  invite codes hash         {ev:<id>}:party:codes   code -> leader member
-- KEYS[2]  party-of hash             {ev:<id>}:party:of      member -> leader member
-- KEYS[3]  the party's members hash  {ev:<id>}:party:m:<leader> member -> '1', '@code' -> code
-- KEYS[4]  line zset                 {ev:<id>}:q:line
-- KEYS[5]  comeback zset             {ev:<id>}:q:back
-- KEYS[6]  sessions hash             {ev:<id>}:q:sess
-- KEYS[7]  active sessions zset      {ev:<id>}:q:active
--
-- ARGV[1]  member (compact account id) joining
-- ARGV[2]  invite code
-- ARGV[3]  leader member the code was resolved to (re-checked here)
-- ARGV[4]  most members of a party (leader included)
-- ARGV[5]  now (epoch ms)
--
-- A joiner gives up a place of its own: the party holds exactly one place (the
-- leader's), so pooling accounts never buys a better place.
-- Returns {code, members}:
--   1 JOINED   0 ALREADY (in this party)   -1 NO_PARTY (unknown code)
--  -2 OTHER_PARTY (in another party, or leads one)   -3 CLOSED (the leader is no longer waiting)
--  -4 FULL    -5 ADMITTED (the joiner has a live shopping session of its own)
local codes, party_of, members, line, comeback, sessions, active =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local member, code, leader = ARGV[1], ARGV[2], ARGV[3]
local max_size = tonumber(ARGV[4])
local now = tonumber(ARGV[5])

if redis.call('HGET', codes, code) ~= leader then return {-1, 0} end
local size = redis.call('HLEN', members) - 1
local current = redis.call('HGET', party_of, member)
if current == leader then return {0, size} end
if current then return {-2, size} end
if not (redis.call('ZSCORE', line, leader) or redis.call('ZSCORE', comeback, leader)) then
  return {-3, size}
end
if size >= max_size then return {-4, size} end
local sess = redis.call('HGET', sessions, member)
if sess then
  local sid = string.match(sess, '^(.*):%d+$')
  local exp = redis.call('ZSCORE', active, sid)
  if exp and tonumber(exp) > now then return {-5, size} end
end
redis.call('ZREM', line, member)
redis.call('ZREM', comeback, member)
redis.call('HSET', party_of, member, leader)
redis.call('HSET', members, member, '1')
return {1, size + 1}
