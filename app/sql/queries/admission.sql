-- hold_outcomes --
-- Holds of an event from the ledger: how many, by whom, how many seats, how they ended; and
-- of the holds left idle for half their life, how many were paid after all (their order
-- written that late: a checkout slowed by load) and how many expired.
SELECT count(*) AS holds,
       count(DISTINCT h.user_id) AS holders,
       coalesce(sum(h.quantity), 0) AS seats,
       count(*) FILTER (WHERE h.status = 'converted') AS converted,
       count(*) FILTER (WHERE h.status IN ('released', 'expired')) AS lapsed,
       count(*) FILTER (
           WHERE o.created_at >= h.created_at + (h.expires_at - h.created_at) / 2
       ) AS late_paid,
       count(*) FILTER (WHERE h.status = 'expired') AS expired
FROM holds h LEFT JOIN orders o ON o.hold_id = h.hold_id
WHERE h.event_id = $1;
