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

-- count_hold_moves --
-- Holds the stream has not counted yet (up to $1, locked; another counter skips them) are
-- marked counted, and their counts per event and second go to the outbox in the same
-- statement: holds_created by the second a hold was made, holds_expired by the second it
-- expired. Stream-only rows: nothing to deliver, so they are dispatched as written. Returns
-- the holds marked.
WITH picked AS (
    SELECT hold_id, streamed FROM holds
    WHERE streamed = 0 OR (streamed = 1 AND status IN ('converted', 'released', 'expired'))
    ORDER BY hold_id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE holds h
    SET streamed = CASE WHEN h.status IN ('converted', 'released', 'expired') THEN 2 ELSE 1 END
    FROM picked p
    WHERE h.hold_id = p.hold_id
    RETURNING h.event_id, h.quantity, h.status, h.created_at, h.ended_at, p.streamed AS was
), moves AS (
    SELECT 'holds_created' AS kind, event_id, date_trunc('second', created_at) AS at_second,
           quantity
    FROM marked WHERE was = 0
    UNION ALL
    SELECT 'holds_expired', event_id, date_trunc('second', coalesce(ended_at, created_at)),
           quantity
    FROM marked WHERE status = 'expired'
), written AS (
    INSERT INTO outbox (kind, dedup_key, payload, dispatched_at)
    SELECT kind,
           kind || ':' || event_id || ':' || extract(epoch FROM at_second)::bigint || ':'
               || txid_current(),
           jsonb_build_object(
               'event_id', event_id,
               'second', to_char(at_second AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'count', count(*), 'seats', sum(quantity)),
           now()
    FROM moves
    GROUP BY kind, event_id, at_second
)
SELECT count(*) FROM marked;
