-- attendee_settings --
-- An event's attendee names rule, change cut-off and questions (nothing: names off, none).
SELECT names, cutoff_hours, questions FROM event_attendees WHERE event_id = $1;

-- put_attendee_settings --
-- Set an event's names rule, cut-off and questions.
INSERT INTO event_attendees (event_id, names, cutoff_hours, questions, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (event_id) DO UPDATE
SET names = EXCLUDED.names, cutoff_hours = EXCLUDED.cutoff_hours,
    questions = EXCLUDED.questions, updated_at = now()
RETURNING names, cutoff_hours, questions;

-- attendee_order --
-- An order with its event's start, for the buyer's names and answers.
SELECT o.order_id, o.user_id, o.event_id, o.status, e.starts_at, e.timezone,
       coalesce(oa.answers, '{}'::jsonb) AS answers
FROM orders o
JOIN events e ON e.event_id = o.event_id
LEFT JOIN order_answers oa ON oa.order_id = o.order_id
WHERE o.order_id = $1;

-- attendee_tickets --
-- The tickets of an order its buyer still holds (not voided, not handed on), with their
-- names and answers, in seat order.
SELECT t.ticket_id, t.section_code, t.seq, s.row_label AS seat_row, s.number AS seat_number,
       coalesce(ta.name, '') AS name, coalesce(ta.answers, '{}'::jsonb) AS answers
FROM tickets t
JOIN orders o ON o.order_id = t.order_id
LEFT JOIN seats s ON s.event_id = t.event_id AND s.section_code = t.section_code
                 AND s.seat_id = t.seat_id
LEFT JOIN ticket_attendees ta ON ta.ticket_id = t.ticket_id
WHERE t.order_id = $1 AND t.voided_at IS NULL
  AND (t.holder_id IS NULL OR t.holder_id = o.user_id)
ORDER BY t.seq, t.created_at;

-- put_ticket_attendee --
-- The name and per-ticket answers of one ticket.
INSERT INTO ticket_attendees (ticket_id, order_id, name, answers, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (ticket_id) DO UPDATE
SET name = EXCLUDED.name, answers = EXCLUDED.answers, updated_at = now();

-- put_order_answers --
-- An order's answers to the questions asked once per order.
INSERT INTO order_answers (order_id, answers, updated_at) VALUES ($1, $2, now())
ON CONFLICT (order_id) DO UPDATE SET answers = EXCLUDED.answers, updated_at = now();

-- export_attendees --
-- Every ticket of an event with its order, buyer, seat, name and answers, for the
-- organizer's attendee export; oldest order first, then seat order.
SELECT t.ticket_id, t.order_id, o.status AS order_status, u.email, t.section_code, t.seq,
       s.row_label AS seat_row, s.number AS seat_number,
       CASE WHEN t.voided_at IS NULL THEN 'valid' ELSE coalesce(t.void_reason, 'void') END
           AS ticket_status,
       coalesce(ta.name, '') AS attendee_name,
       coalesce(ta.answers, '{}'::jsonb) AS ticket_answers,
       coalesce(oa.answers, '{}'::jsonb) AS order_answers
FROM tickets t
JOIN orders o ON o.order_id = t.order_id
JOIN users u ON u.user_id = o.user_id
LEFT JOIN seats s ON s.event_id = t.event_id AND s.section_code = t.section_code
                 AND s.seat_id = t.seat_id
LEFT JOIN ticket_attendees ta ON ta.ticket_id = t.ticket_id
LEFT JOIN order_answers oa ON oa.order_id = t.order_id
WHERE t.event_id = $1
ORDER BY o.created_at, o.order_id, t.seq, t.created_at;

-- names_of_tickets --
-- The attendee names of some tickets (those named).
SELECT ticket_id, name FROM ticket_attendees WHERE ticket_id = ANY($1::uuid[]) AND name <> '';
