-- Enqueue an arq job unless one with its id is queued, running or has a result: arq's
-- enqueue_job (WATCH / EXISTS / MULTI PSETEX ZADD / EXEC: three round trips and a
-- dedicated connection) as one atomic call, so a webhook or a checkout pays one round trip.
--
-- KEYS[1]  arq:job:<job id>     (the serialized job, as arq writes it)
-- KEYS[2]  arq:result:<job id>  (a finished job's result: the id is taken)
-- KEYS[3]  arq's queue          (sorted set: job id -> score, ms)
-- ARGV[1]  job id
-- ARGV[2]  score (ms: when the job is due)
-- ARGV[3]  expiry of the job key (ms)
-- ARGV[4]  the serialized job
-- Returns: 1 when enqueued, 0 when the id was taken (as arq's None).
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  return 0
end
redis.call('PSETEX', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
