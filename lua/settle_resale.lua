-- settle_resale: a resold ticket no longer counts for its seller, once per listing.
--
-- KEYS[1]  per-user seats hash         {ev:<id>}:userseats
-- KEYS[2]  set of listings on sale     {ev:<id>}:resale:listed
-- KEYS[3]  set of moves already applied {ev:<id>}:moves:done
-- ARGV[1]  listing id
-- ARGV[2]  seller user id
--
-- The seat was sold to the buyer by the buyer's own hold (counted there); the
-- listing leaves the on-sale set and the seller's count drops by one.
-- Returns 1 when settled now, 0 when settled before (a retried payout).
local users_key, listed_key, done_key = KEYS[1], KEYS[2], KEYS[3]
local listing_id = ARGV[1]
local seller = ARGV[2]

if redis.call('SISMEMBER', done_key, listing_id) == 1 then return 0 end
redis.call('SADD', done_key, listing_id)
redis.call('SREM', listed_key, listing_id)
if redis.call('HINCRBY', users_key, seller, -1) <= 0 then
  redis.call('HDEL', users_key, seller)
end
return 1
