-- queue_event_fairness --
-- The fairness seed and waiting-room mode of an event (read by the shuffle job only).
SELECT fairness_seed, fairness_seed_sha256, waiting_room->>'mode' AS mode
FROM events WHERE event_id = $1;

-- queue_draw --
-- The sealed pre-queue of an event, if any.
SELECT boundary_seq, entrants, sealed_at FROM queue_draws WHERE event_id = $1;

-- insert_queue_draw --
-- Seal the pre-queue once (a rerun of the job changes nothing).
INSERT INTO queue_draws (event_id, boundary_seq, entrants)
VALUES ($1, $2, $3)
ON CONFLICT (event_id) DO NOTHING;

-- insert_queue_entrants --
-- A chunk of pre-queue entrants with their arrival seq.
INSERT INTO queue_entrants (event_id, user_id, arrival_seq)
SELECT $1, u, s FROM unnest($2::uuid[], $3::bigint[]) AS t (u, s)
ON CONFLICT (event_id, user_id) DO NOTHING;

-- queue_entrants --
-- Every pre-queue entrant of an event in arrival order.
SELECT user_id, arrival_seq FROM queue_entrants WHERE event_id = $1 ORDER BY arrival_seq;
