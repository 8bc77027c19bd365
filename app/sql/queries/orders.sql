-- insert_order --
-- Create an order (pending at checkout); a second insert for the same hold is a no-op.
INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity, status,
                    amount_cents, currency, payment_intent_id)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)
ON CONFLICT DO NOTHING;

-- upsert_pending_order --
-- Checkout's pending order: created once per hold; a later checkout of the same hold (after
-- a failed attempt whose insert may have committed unseen) points it at its PaymentIntent.
INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity, status,
                    amount_cents, currency, payment_intent_id)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)
ON CONFLICT (hold_id) DO UPDATE
SET payment_intent_id = EXCLUDED.payment_intent_id, updated_at = now()
WHERE orders.status = 'pending';

-- insert_orders --
-- The pending orders of a group commit whose row was not seen yet ($1..$9, one array element
-- per order, the columns of insert_order); an existing one is left alone.
INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity, status,
                    amount_cents, currency, payment_intent_id)
SELECT i.order_id, i.event_id, i.user_id, i.hold_id, i.section_code, i.quantity, 'pending',
       i.amount_cents, i.currency, i.payment_intent_id
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[],
            $8::text[], $9::text[])
     AS i (order_id, event_id, user_id, hold_id, section_code, quantity, amount_cents,
           currency, payment_intent_id)
ORDER BY i.order_id
ON CONFLICT DO NOTHING;

-- confirm_orders --
-- A group commit's orders in one statement ($1..$15: one array element per order; $16..$20:
-- one per ticket). Each order still pending (locked in order_id order, so two batches never
-- deadlock on them) becomes confirmed with its PaymentIntent, and only those get their
-- tickets, payment (authorized), inventory ledger entry, order_confirmed outbox message and
-- converted holds-ledger row; an order confirmed or settled by an earlier run gets nothing.
-- Returns the confirmed orders with their seats (the caller adds them to sections.sold).
WITH input AS (
    SELECT *
    FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                $7::int[], $8::int[], $9::text[], $10::bool[], $11::timestamptz[],
                $12::timestamptz[], $13::uuid[], $14::text[], $15::text[], $23::text[])
         AS i (order_id, payment_intent_id, event_id, user_id, hold_id, section_code, quantity,
               amount_cents, currency, late, created_at, expires_at, payment_id, ref, message,
               lines)
), confirmed AS (
    UPDATE orders o
    SET status = 'confirmed', payment_intent_id = i.payment_intent_id, confirmed_at = now(),
        updated_at = now()
    FROM input i
    WHERE o.order_id = i.order_id AND o.status = 'pending'
      AND o.order_id IN (SELECT l.order_id FROM orders l
                         WHERE l.order_id = ANY($1::uuid[]) AND l.status = 'pending'
                         ORDER BY l.order_id FOR UPDATE)
    RETURNING i.*
), new_tickets AS (
    INSERT INTO tickets (ticket_id, order_id, event_id, section_code, seq, code, kid, seat_id,
                         ticket_type)
    SELECT t.ticket_id, c.order_id, c.event_id, c.section_code, t.seq, t.code, t.kid,
           nullif(t.seat_id, ''), nullif(t.ticket_type, '')
    FROM unnest($16::uuid[], $17::uuid[], $18::int[], $19::text[], $20::text[], $21::text[],
                $22::text[])
         AS t (order_id, ticket_id, seq, code, kid, seat_id, ticket_type)
    JOIN confirmed c ON c.order_id = t.order_id
    ON CONFLICT (order_id, seq) WHERE replaces IS NULL DO NOTHING
), new_payments AS (
    INSERT INTO payments (payment_id, order_id, payment_intent_id, status, amount_cents,
                          currency, authorized_at)
    SELECT payment_id, order_id, payment_intent_id, 'authorized', amount_cents, currency, now()
    FROM confirmed
    ON CONFLICT (payment_intent_id) DO NOTHING
), new_ledger AS (
    INSERT INTO inventory_ledger (event_id, section_code, reason, ref, delta_sold, delta_held)
    SELECT event_id, section_code, CASE WHEN late THEN 'late_sale' ELSE 'sale' END, ref,
           quantity, CASE WHEN late THEN 0 ELSE -quantity END
    FROM confirmed
    ON CONFLICT (event_id, section_code, reason, ref) DO NOTHING
), new_messages AS (
    INSERT INTO outbox (kind, dedup_key, payload)
    SELECT 'order_confirmed', 'order_confirmed:' || ref, message::jsonb
    FROM confirmed
    ON CONFLICT (dedup_key) DO NOTHING
), converted AS (
    INSERT INTO holds (hold_id, event_id, section_code, user_id, quantity, amount_cents,
                       currency, status, created_at, expires_at, ended_at, lines)
    SELECT hold_id, event_id, section_code, user_id, quantity, amount_cents, currency,
           'converted', created_at, expires_at, now(), nullif(lines, '')
    FROM confirmed
    ON CONFLICT (hold_id) DO UPDATE
    SET status = EXCLUDED.status, ended_at = coalesce(holds.ended_at, EXCLUDED.ended_at)
)
SELECT order_id, event_id, section_code, quantity FROM confirmed;

-- order_for_update --
-- One order, locked for a status change.
SELECT * FROM orders WHERE order_id = $1 FOR UPDATE;

-- order_by_id --
-- One order.
SELECT * FROM orders WHERE order_id = $1;

-- order_states --
-- Status and PaymentIntent of several orders (the concurrent finalize jobs' reads at once).
SELECT order_id, status, payment_intent_id FROM orders WHERE order_id = ANY($1::uuid[]);

-- cancel_order --
-- A pending order of this PaymentIntent is cancelled with a reason (no tickets were ever issued);
-- the fan's cancellation notice goes into the outbox in the same statement.
WITH cancelled AS (
    UPDATE orders SET status = 'cancelled', cancel_reason = $2, updated_at = now()
    WHERE order_id = $1 AND status = 'pending' AND payment_intent_id IS NOT DISTINCT FROM $3
    RETURNING order_id, event_id, user_id, cancel_reason
)
INSERT INTO outbox (kind, dedup_key, payload)
SELECT 'order_cancelled', 'order_cancelled:' || order_id,
       jsonb_build_object('order_id', order_id, 'event_id', event_id, 'user_id', user_id,
                          'reason', cancel_reason)
FROM cancelled
ON CONFLICT (dedup_key) DO NOTHING;

-- mark_order_refunded --
-- A confirmed order was refunded.
UPDATE orders SET status = 'refunded', updated_at = now()
WHERE order_id = $1 AND status = 'confirmed';

-- void_tickets --
-- The tickets of a refunded order no longer admit anyone.
UPDATE tickets SET voided_at = now(), void_reason = 'refunded'
WHERE order_id = $1 AND voided_at IS NULL;

-- close_moves_of_order --
-- A refunded order's open transfers are cancelled and its open listings closed (a listing's
-- seat went back on sale when it was listed: the order returns one seat fewer for it).
WITH t AS (
    UPDATE ticket_transfers x SET state = 'cancelled', decided_at = now()
    FROM tickets k
    WHERE k.ticket_id = x.ticket_id AND k.order_id = $1 AND x.state = 'pending'
    RETURNING x.transfer_id
)
UPDATE resale_listings SET state = 'refunded', withdrawn_at = now()
WHERE order_id = $1 AND state = 'listed';

-- seats_to_return --
-- Seats a refunded order gives back: its tickets the refund voided, minus those whose
-- listing had put their seat back on sale already.
SELECT (SELECT count(*) FROM tickets WHERE order_id = $1 AND void_reason = 'refunded')::int
     - (SELECT count(*) FROM resale_listings
         WHERE order_id = $1 AND state = 'refunded')::int AS seats;

-- refunded_seat_ids --
-- The reserved seats of a refunded order's tickets (a general-admission order has none),
-- but those whose listing had put them back on sale already (free, or another fan's now).
SELECT t.seat_id FROM tickets t
WHERE t.order_id = $1 AND t.void_reason = 'refunded' AND t.seat_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM resale_listings l
                  WHERE l.ticket_id = t.ticket_id AND l.state = 'refunded')
ORDER BY t.seq;

-- refunded_holders --
-- Who held a refunded order's tickets when the refund voided them (seats per account).
SELECT coalesce(t.holder_id, o.user_id) AS holder_id, count(*)::int AS seats
FROM tickets t JOIN orders o ON o.order_id = t.order_id
WHERE t.order_id = $1 AND t.void_reason = 'refunded'
GROUP BY 1 ORDER BY 1;

-- match_resale --
-- A sale of a section takes the section's open resale listings, oldest first, up to its
-- seats (call with the section row locked): sold to this order, the seller's ticket void,
-- the seller's refund due. A sale of reserved seats ($5, not empty) takes exactly the
-- listings of those seats: the buyer bought that seat, and the seller's ticket for it dies
-- in the same transaction as the buyer's is born (tickets_live_seat is checked at commit).
WITH picked AS (
    SELECT l.listing_id FROM resale_listings l JOIN tickets t ON t.ticket_id = l.ticket_id
    WHERE l.event_id = $1 AND l.section_code = $2 AND l.state = 'listed'
      AND (cardinality($5::text[]) = 0 OR t.seat_id = ANY($5::text[]))
    ORDER BY l.created_at, l.listing_id
    LIMIT $4
    FOR UPDATE OF l
), sold AS (
    UPDATE resale_listings l
    SET state = 'sold', buyer_order_id = $3, sold_at = now(), payout_state = 'pending',
        payout_next_at = now()
    FROM picked WHERE l.listing_id = picked.listing_id
    RETURNING l.listing_id, l.ticket_id, l.seller_id, l.price_cents, l.fee_cents, l.currency
), voided AS (
    UPDATE tickets t SET voided_at = now(), void_reason = 'resold'
    FROM sold WHERE t.ticket_id = sold.ticket_id AND t.voided_at IS NULL
)
SELECT * FROM sold;

-- tickets_of_orders --
-- Tickets of several orders in seat order, with their attendee names.
SELECT t.order_id, t.ticket_id, t.event_id, t.section_code, t.seq, t.code, t.kid, t.voided_at,
       t.void_reason, t.holder_id, t.seat_id, s.row_label AS seat_row, s.number AS seat_number,
       coalesce(ta.name, '') AS attendee_name, t.ticket_type, tt.name AS ticket_type_name
FROM tickets t
LEFT JOIN seats s ON s.event_id = t.event_id AND s.section_code = t.section_code
                 AND s.seat_id = t.seat_id
LEFT JOIN ticket_attendees ta ON ta.ticket_id = t.ticket_id
LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.section_code = t.section_code
                         AND tt.code = t.ticket_type
WHERE t.order_id = ANY($1::uuid[]) ORDER BY t.order_id, t.seq, t.created_at;

-- add_section_sold_seeing_listings --
-- Seats sold in a section, answering whether the section has open resale listings (the
-- confirm's next step takes them), in the one statement.
UPDATE sections SET sold = sold + $3 WHERE event_id = $1 AND code = $2
RETURNING EXISTS (SELECT 1 FROM resale_listings
                  WHERE event_id = $1 AND section_code = $2 AND state = 'listed');

-- add_section_sold --
-- Seats sold in a section (the CHECK sold <= capacity refuses any oversell).
UPDATE sections SET sold = sold + $3 WHERE event_id = $1 AND code = $2;

-- insert_ledger_entry --
-- One inventory change in the append-only ledger; once per (reason, ref).
INSERT INTO inventory_ledger (event_id, section_code, reason, ref, delta_sold, delta_held)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (event_id, section_code, reason, ref) DO NOTHING;

-- insert_outbox --
-- A message for the notifications sender, once per dedup key.
INSERT INTO outbox (kind, dedup_key, payload) VALUES ($1, $2, $3)
ON CONFLICT (dedup_key) DO NOTHING;

-- orders_of_user --
-- A fan's orders, newest first.
SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200;

-- export_orders --
-- Every order of an event for the organizer export, oldest first.
SELECT o.order_id, o.status, o.user_id, u.email, o.section_code, o.quantity, o.amount_cents,
       o.currency, o.payment_intent_id, o.hold_id, o.cancel_reason, o.created_at,
       o.confirmed_at,
       (SELECT string_agg(t.code, ' ' ORDER BY t.seq) FROM tickets t
        WHERE t.order_id = o.order_id) AS ticket_codes,
       (SELECT string_agg(ta.name, '; ' ORDER BY t.seq) FROM tickets t
        JOIN ticket_attendees ta ON ta.ticket_id = t.ticket_id
        WHERE t.order_id = o.order_id AND t.voided_at IS NULL AND ta.name <> '')
           AS attendee_names
FROM orders o JOIN users u ON u.user_id = o.user_id
WHERE o.event_id = $1
ORDER BY o.created_at, o.order_id;

-- insert_refund --
-- A refund request of an order (one per order).
INSERT INTO refunds (refund_id, order_id, payment_intent_id, amount_cents, reason, return_seats)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (order_id) DO NOTHING;

-- refund_of_order --
-- The refund request of an order.
SELECT * FROM refunds WHERE order_id = $1;

-- complete_refund --
-- The refund went through at Stripe.
UPDATE refunds SET status = 'succeeded', stripe_refund_id = $2, completed_at = now()
WHERE order_id = $1 AND status = 'requested';

-- subtract_section_sold --
-- Refunded seats go back on sale: the record sells fewer.
UPDATE sections SET sold = sold - $3 WHERE event_id = $1 AND code = $2;

-- tally_seed --
-- Confirmed and refunded orders of an event, with amount and confirmation time: the live
-- tally's seed when Redis has none (a new deployment, or Redis lost it).
SELECT order_id, status, amount_cents,
       (extract(epoch FROM coalesce(confirmed_at, updated_at)) * 1000)::bigint AS confirmed_at_ms
FROM orders WHERE event_id = $1 AND status IN ('confirmed', 'refunded');

-- refunded_type_lines --
-- A refunded order's tickets by ticket type ('TYPE:q' each), the ones its refund voided:
-- what goes back to each type's quota (a section without types has none).
SELECT coalesce(string_agg(ticket_type || ':' || n, ',' ORDER BY ticket_type), '') AS lines
FROM (SELECT ticket_type, count(*)::int AS n FROM tickets
      WHERE order_id = $1 AND void_reason = 'refunded' AND ticket_type IS NOT NULL
      GROUP BY ticket_type) per_type;
