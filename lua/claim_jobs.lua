-- Claim arq jobs for this worker: arq's per-job WATCH / EXISTS / ZSCORE / MULTI
-- PSETEX / EXEC / UNWATCH (four round trips), for every job of one poll, in one
-- atomic call. Same rule as arq's Worker.start_jobs: a job is claimed when no
-- worker has it in progress and it is still queued and due.
--
-- KEYS[1]      arq's queue (sorted set: job id -> score, ms)
-- KEYS[2..n+1] arq:in-progress:<job id> of each job, in ARGV order
-- ARGV[1]      now (ms)
-- ARGV[2]      in-progress timeout (ms)
-- ARGV[3..n+2] job ids
-- Returns: per job, its score (a string) when claimed, else false.
local now = tonumber(ARGV[1])
local out = {}
for i = 3, #ARGV do
  local job_id = ARGV[i]
  local in_progress = KEYS[i - 1]
  local score = redis.call('ZSCORE', KEYS[1], job_id)
  if score and redis.call('EXISTS', in_progress) == 0 and tonumber(score) <= now then
    redis.call('PSETEX', in_progress, ARGV[2], '1')
    out[#out + 1] = score
  else
    out[#out + 1] = false
  end
end
return out
