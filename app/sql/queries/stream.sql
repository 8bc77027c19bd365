-- claim_unpublished --
-- Unpublished outbox messages, oldest first, locked for this publisher (others skip them),
-- with the organizer and event they belong to and the order they are about, if any.
WITH claimed AS (
    SELECT message_id, kind, payload, created_at FROM outbox
    WHERE published_at IS NULL
    ORDER BY message_id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
SELECT c.message_id, c.kind, c.payload, c.created_at,
       coalesce(e.event_id, oe.event_id) AS event_id,
       coalesce(e.organizer_id, oe.organizer_id) AS organizer_id,
       ord.order_id, ord.section_code, ord.quantity, ord.amount_cents, ord.currency,
       ord.status AS order_status
FROM claimed c
LEFT JOIN orders ord
  ON c.payload ? 'order_id' AND ord.order_id = (c.payload ->> 'order_id')::uuid
LEFT JOIN events e
  ON c.payload ? 'event_id' AND e.event_id = (c.payload ->> 'event_id')::uuid
LEFT JOIN events oe ON oe.event_id = ord.event_id
ORDER BY c.message_id;

-- mark_published --
-- The broker confirmed these messages, or they have nothing to publish ($1: message ids).
UPDATE outbox SET published_at = now() WHERE message_id = ANY($1::bigint[]);

-- unpublished_count --
-- Messages still waiting for the stream (the backlog gauge).
SELECT count(*) FROM outbox WHERE published_at IS NULL;
