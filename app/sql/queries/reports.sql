-- funnel_counts --
-- Distinct fans of an event at each step the record keeps: admitted (their "your turn"
-- messages), held (the holds ledger), checkout (the PaymentIntent journal), paid (orders
-- ever confirmed), checked in (holders of a ticket admitted on any list).
SELECT
    (SELECT count(DISTINCT payload ->> 'user_id') FROM outbox
     WHERE kind = 'your_turn' AND payload ->> 'event_id' = $1::uuid::text) AS admitted,
    (SELECT count(DISTINCT user_id) FROM holds WHERE event_id = $1::uuid) AS held,
    (SELECT count(DISTINCT o.user_id) FROM payment_intents p
     JOIN orders o ON o.order_id = p.order_id WHERE p.event_id = $1) AS checkout,
    (SELECT count(DISTINCT user_id) FROM orders
     WHERE event_id = $1 AND status IN ('confirmed', 'refunded')) AS paid,
    (SELECT count(DISTINCT coalesce(t.holder_id, o.user_id)) FROM checkin_state s
     JOIN tickets t ON t.ticket_id = s.ticket_id
     JOIN orders o ON o.order_id = t.order_id
     WHERE s.event_id = $1) AS checked_in;

-- sales_buckets --
-- Orders confirmed and refunds completed per bucket: a minute until $2 (the onsale's end
-- of its first day, or offsale), a day after; amounts in the event's currency.
WITH moves AS (
    SELECT confirmed_at AS at, quantity AS tickets, amount_cents AS gross, 0 AS refunded,
           0 AS refunded_tickets
    FROM orders WHERE event_id = $1 AND status IN ('confirmed', 'refunded')
                  AND confirmed_at IS NOT NULL
    UNION ALL
    SELECT r.completed_at, 0, 0, r.amount_cents, o.quantity
    FROM refunds r JOIN orders o ON o.order_id = r.order_id
    WHERE o.event_id = $1 AND r.status = 'succeeded' AND r.completed_at IS NOT NULL
)
SELECT CASE WHEN at < $2 THEN date_trunc('minute', at) ELSE date_trunc('day', at) END AS bucket,
       CASE WHEN at < $2 THEN 'minute' ELSE 'day' END AS width,
       sum(tickets)::bigint AS tickets, sum(refunded_tickets)::bigint AS refunded_tickets,
       sum(gross)::bigint AS gross_cents, sum(refunded)::bigint AS refunded_cents
FROM moves
GROUP BY 1, 2
ORDER BY 1;

-- captured_totals --
-- What Stripe captured for the event's orders and what it refunded (the payments and refunds
-- Stripe confirmed), to reconcile the sales report against.
SELECT
    coalesce((SELECT sum(p.amount_cents) FROM payments p JOIN orders o ON o.order_id = p.order_id
              WHERE o.event_id = $1 AND p.captured_at IS NOT NULL), 0)::bigint AS captured_cents,
    coalesce((SELECT sum(p.amount_cents) FROM payments p JOIN orders o ON o.order_id = p.order_id
              WHERE o.event_id = $1 AND p.captured_at IS NULL
                AND p.cancelled_at IS NULL), 0)::bigint AS uncaptured_cents,
    coalesce((SELECT sum(r.amount_cents) FROM refunds r JOIN orders o ON o.order_id = r.order_id
              WHERE o.event_id = $1 AND r.status = 'succeeded'), 0)::bigint AS refunded_cents;

-- occupancy --
-- Per section: capacity, tickets sold (the record's counter) and tickets admitted at the door.
SELECT s.code, s.name, s.capacity, s.sold,
       (SELECT count(DISTINCT c.ticket_id) FROM checkin_state c
        JOIN tickets t ON t.ticket_id = c.ticket_id
        WHERE c.event_id = s.event_id AND t.section_code = s.code) AS checked_in
FROM sections s
WHERE s.event_id = $1
ORDER BY s.position, s.code;

-- checkin_curve --
-- Tickets first admitted per minute (any list), in time order.
SELECT date_trunc('minute', first_at) AS minute, count(DISTINCT ticket_id) AS admitted
FROM checkin_state
WHERE event_id = $1
GROUP BY 1
ORDER BY 1;
