-- insert_message --
-- A message into the outbox, once per dedup key.
INSERT INTO outbox (kind, dedup_key, payload) VALUES ($1, $2, $3)
ON CONFLICT (dedup_key) DO NOTHING;

-- insert_reminders --
-- One reminder per confirmed order of every event that starts within the next $1 seconds.
INSERT INTO outbox (kind, dedup_key, payload)
SELECT 'event_reminder', 'event_reminder:' || o.order_id,
       jsonb_build_object('order_id', o.order_id, 'event_id', o.event_id, 'user_id', o.user_id)
FROM orders o JOIN events e ON e.event_id = o.event_id
WHERE o.status = 'confirmed' AND e.starts_at > now()
  AND e.starts_at <= now() + make_interval(secs => $1)
ON CONFLICT (dedup_key) DO NOTHING;

-- insert_sold_out --
-- sale.sold_out of an event, once, when no section of it has an unsold seat left.
INSERT INTO outbox (kind, dedup_key, payload)
SELECT 'sale_sold_out', 'sale_sold_out:' || e.event_id,
       jsonb_build_object('event_id', e.event_id, 'sold', (SELECT sum(sold) FROM sections s
                                                             WHERE s.event_id = e.event_id))
FROM events e
WHERE e.event_id = $1
  AND EXISTS (SELECT 1 FROM sections s WHERE s.event_id = e.event_id)
  AND NOT EXISTS (SELECT 1 FROM sections s WHERE s.event_id = e.event_id AND s.sold < s.capacity)
ON CONFLICT (dedup_key) DO NOTHING;

-- claim_outbox --
-- Undispatched messages, oldest first, locked for this dispatcher (others skip them).
SELECT message_id, kind, dedup_key, payload, created_at FROM outbox
WHERE dispatched_at IS NULL
ORDER BY message_id
LIMIT $1
FOR UPDATE SKIP LOCKED;

-- mark_dispatched --
-- The messages' deliveries exist ($1: message ids).
UPDATE outbox SET dispatched_at = now() WHERE message_id = ANY($1::bigint[]);

-- recipient --
-- A fan's address, language and channel preferences (no preferences row: email only).
SELECT u.user_id, u.email, u.name, u.locale,
       coalesce(p.email, true) AS want_email, coalesce(p.sms, false) AS want_sms,
       coalesce(p.push, false) AS want_push, p.phone, p.push_token
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.user_id
WHERE u.user_id = $1;

-- recipients --
-- Several fans' addresses, languages and channel preferences (recipient, for a batch).
SELECT u.user_id, u.email, u.name, u.locale,
       coalesce(p.email, true) AS want_email, coalesce(p.sms, false) AS want_sms,
       coalesce(p.push, false) AS want_push, p.phone, p.push_token
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.user_id
WHERE u.user_id = ANY($1::uuid[]);

-- events_of_orders --
-- The event each of several orders belongs to.
SELECT order_id, event_id FROM orders WHERE order_id = ANY($1::uuid[]);

-- endpoints_for_topics --
-- Active integrator webhooks (an event's own and its organizer's catch-all) of each
-- (event, topic) pair of $1, $2, in a stable order per pair.
SELECT q.event_id, q.topic, w.endpoint_id
FROM unnest($1::uuid[], $2::text[]) AS q (event_id, topic)
JOIN events e ON e.event_id = q.event_id
JOIN webhook_endpoints w
  ON w.active AND q.topic = ANY (w.topics)
 AND (w.event_id = e.event_id OR (w.event_id IS NULL AND w.organizer_id = e.organizer_id))
ORDER BY q.event_id, q.topic, w.created_at, w.endpoint_id;

-- insert_deliveries --
-- Messages to recipients over channels (one array element each), each once, in this order.
INSERT INTO deliveries (message_id, channel, target, endpoint_id, locale)
SELECT d.message_id, d.channel, d.target, d.endpoint_id, d.locale
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::uuid[], $5::text[]) WITH ORDINALITY
     AS d (message_id, channel, target, endpoint_id, locale, n)
ORDER BY d.n
ON CONFLICT (message_id, channel, target) DO NOTHING;

-- claim_deliveries --
-- Due deliveries (pending and due, or claimed by a worker whose lease ran out), claimed
-- under a lease of $2 seconds; each claim counts as one attempt.
UPDATE deliveries d
SET status = 'sending', attempts = d.attempts + 1,
    lease_until = now() + make_interval(secs => $2)
FROM outbox o
WHERE o.message_id = d.message_id
  AND d.delivery_id IN (
    SELECT delivery_id FROM deliveries
    WHERE (status = 'pending' AND next_attempt_at <= now())
       OR (status = 'sending' AND lease_until < now())
    ORDER BY delivery_id
    LIMIT $1
    FOR UPDATE SKIP LOCKED)
RETURNING d.delivery_id, d.message_id, d.channel, d.target, d.endpoint_id, d.locale,
          d.attempts, o.kind, o.payload, o.created_at;

-- delivery_sent --
-- The receiver accepted the delivery.
UPDATE deliveries
SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL,
    response_status = $2
WHERE delivery_id = $1 AND status = 'sending';

-- delivery_failed --
-- A failed attempt: retried after $3 seconds, or dead once it had $2 attempts.
UPDATE deliveries
SET status = CASE WHEN attempts >= $2 THEN 'dead' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $3),
    lease_until = NULL, last_error = $4, response_status = $5
WHERE delivery_id = $1 AND status = 'sending'
RETURNING status;

-- dead_deliveries --
-- Dead-lettered deliveries per channel (the alert's gauge).
SELECT channel, count(*) AS n FROM deliveries WHERE status = 'dead' GROUP BY channel;

-- retry_dead --
-- Dead-lettered deliveries go back to pending with a fresh budget of attempts.
UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now()
WHERE status = 'dead';

-- deliveries_of_message_kind --
-- Deliveries of one kind of message to one target (tests and the dev mail view).
SELECT d.delivery_id, d.channel, d.target, d.status, d.attempts, d.last_error, o.kind
FROM deliveries d JOIN outbox o ON o.message_id = d.message_id
WHERE o.kind = $1 ORDER BY d.delivery_id;

-- order_for_message --
-- An order with its event and section, for a message about it.
SELECT o.order_id, o.status, o.user_id, o.section_code, s.name AS section_name, o.quantity,
       o.amount_cents, o.currency, o.cancel_reason, o.created_at, o.confirmed_at,
       e.event_id, e.name AS event_name, e.venue, e.starts_at, e.timezone, e.static_codes
FROM orders o
JOIN events e ON e.event_id = o.event_id
JOIN sections s ON s.event_id = o.event_id AND s.code = o.section_code
WHERE o.order_id = $1;

-- tickets_for_message --
-- An order's tickets in seat order, with their reserved seats, ticket types and attendee
-- names (if any).
SELECT t.ticket_id, t.seq, t.code, s.row_label AS seat_row, s.number AS seat_number,
       coalesce(ta.name, '') AS attendee_name, coalesce(tt.name, t.ticket_type) AS type_name
FROM tickets t
LEFT JOIN seats s ON s.event_id = t.event_id AND s.section_code = t.section_code
                 AND s.seat_id = t.seat_id
LEFT JOIN ticket_attendees ta ON ta.ticket_id = t.ticket_id AND t.voided_at IS NULL
LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.section_code = t.section_code
                         AND tt.code = t.ticket_type
WHERE t.order_id = $1 AND t.replaces IS NULL ORDER BY t.seq;

-- event_for_message --
-- An event, for a message about it.
SELECT event_id, organizer_id, name AS event_name, venue, starts_at, timezone, status
FROM events WHERE event_id = $1;

-- section_name --
-- A section's name, for a message about seats in it.
SELECT name FROM sections WHERE event_id = $1 AND code = $2;

-- seat_labels --
-- The rows and numbers of named seats of a section, in the order of the map.
SELECT s.row_label AS seat_row, s.number AS seat_number
FROM seats s
WHERE s.event_id = $1 AND s.section_code = $2 AND s.seat_id = ANY($3::text[])
ORDER BY s.row_label, s.seat_id;

-- prefs_of_user --
-- A fan's channel preferences (no row: defaults).
SELECT u.user_id, coalesce(p.email, true) AS email, coalesce(p.sms, false) AS sms,
       coalesce(p.push, false) AS push, p.phone, p.push_token
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.user_id
WHERE u.user_id = $1;

-- upsert_prefs --
-- Set a fan's channel preferences.
INSERT INTO notification_prefs (user_id, email, sms, push, phone, push_token)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id) DO UPDATE
SET email = excluded.email, sms = excluded.sms, push = excluded.push,
    phone = excluded.phone, push_token = excluded.push_token, updated_at = now();

-- insert_endpoint --
-- A new integrator webhook.
INSERT INTO webhook_endpoints (endpoint_id, organizer_id, event_id, url, secret, topics)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- endpoints_of_event --
-- The webhooks configured for one event (not the organizer's catch-all ones).
SELECT * FROM webhook_endpoints WHERE event_id = $1 ORDER BY created_at;

-- endpoints_of_organizer --
-- An organizer's catch-all webhooks (every event of theirs).
SELECT * FROM webhook_endpoints WHERE organizer_id = $1 AND event_id IS NULL ORDER BY created_at;

-- endpoint_by_id --
-- One webhook endpoint.
SELECT * FROM webhook_endpoints WHERE endpoint_id = $1;

-- endpoint_secret --
-- The signing secret and URL of a webhook endpoint.
SELECT url, secret, active FROM webhook_endpoints WHERE endpoint_id = $1;

-- delete_endpoint --
-- Remove a webhook endpoint (its delivery log goes with it).
DELETE FROM webhook_endpoints WHERE endpoint_id = $1;

-- deliveries_of_endpoint --
-- The delivery log of one webhook endpoint, newest first.
SELECT d.delivery_id, o.kind, d.status, d.attempts, d.response_status, d.last_error,
       d.created_at, d.sent_at, d.next_attempt_at
FROM deliveries d JOIN outbox o ON o.message_id = d.message_id
WHERE d.endpoint_id = $1
ORDER BY d.delivery_id DESC
LIMIT $2;

-- replay_delivery --
-- Send one delivery of a webhook endpoint again: pending and due now with a fresh budget of
-- attempts, whatever it ended as; not while a worker holds it (its lease still running).
UPDATE deliveries
SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
WHERE delivery_id = $1 AND endpoint_id = $2
  AND (status <> 'sending' OR lease_until < now())
RETURNING delivery_id;

-- delivery_of_endpoint --
-- One delivery of one webhook endpoint, as its log shows it.
SELECT d.delivery_id, o.kind, d.status, d.attempts, d.response_status, d.last_error,
       d.created_at, d.sent_at, d.next_attempt_at
FROM deliveries d JOIN outbox o ON o.message_id = d.message_id
WHERE d.delivery_id = $1 AND d.endpoint_id = $2;
