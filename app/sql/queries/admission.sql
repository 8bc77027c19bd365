-- hold_outcomes --
-- Holds of an event from the ledger: how many, by whom, how many seats, how they ended.
SELECT count(*) AS holds,
       count(DISTINCT user_id) AS holders,
       coalesce(sum(quantity), 0) AS seats,
       count(*) FILTER (WHERE status = 'converted') AS converted,
       count(*) FILTER (WHERE status IN ('released', 'expired')) AS lapsed
FROM holds WHERE event_id = $1;
