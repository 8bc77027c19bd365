-- queue_reorder: apply a chunk of the pre-queue shuffle (random_at_open).
--
-- KEYS[1]  line zset              ({ev:<id>}:q:line) member -> order * 2^26 + arrival seq
-- KEYS[2]  queue state hash       ({ev:<id>}:q:state)
-- ARGV[1]  on the last chunk, the state field that opens the room ('opened', or
--          'opened:<phase_id>' for a sale phase's own pre-queue); '' on the others
-- ARGV[2..] triples: member, arrival seq, draw rank (1-based)
--
-- Idempotent: a member gets rank * 2^26 + seq only while its score still
-- carries that arrival seq (a fan who left and rejoined keeps the new place).
-- Ranks run 1..N over entrants whose seqs are 1..boundary, so everyone who
-- arrived after open (order = seq > boundary) stays behind them.
-- Returns the number of members rescored.
local line, state = KEYS[1], KEYS[2]
local opened = ARGV[1]
local SEQ = 67108864

local changed = 0
for i = 2, #ARGV, 3 do
  local member, seq, rank = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local score = redis.call('ZSCORE', line, member)
  if score and tonumber(score) % SEQ == seq then
    redis.call('ZADD', line, rank * SEQ + seq, member)
    changed = changed + 1
  end
end
if opened ~= '' then redis.call('HSET', state, opened, 1) end
return changed
