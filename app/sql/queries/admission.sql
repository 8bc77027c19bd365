-- hold_outcomes --
-- Holds of an event from the ledger: how many, by whom, how many seats, how they ended,
-- and the time (ms) within which 9 in 10 paid holds were paid (null before the first).
SELECT count(*) AS holds,
       count(DISTINCT user_id) AS holders,
       coalesce(sum(quantity), 0) AS seats,
       count(*) FILTER (WHERE status = 'converted') AS converted,
       count(*) FILTER (WHERE status IN ('released', 'expired')) AS lapsed,
       (percentile_cont(0.9) WITHIN GROUP (
            ORDER BY extract(epoch FROM ended_at - created_at) * 1000
        ) FILTER (WHERE status = 'converted' AND ended_at IS NOT NULL))::bigint AS paid_within_ms
FROM holds WHERE event_id = $1;
