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

-- order_for_update --
-- One order, locked for a status change.
SELECT * FROM orders WHERE order_id = $1 FOR UPDATE;

-- order_by_id --
-- One order.
SELECT * FROM orders WHERE order_id = $1;

-- confirm_order --
-- A pending order becomes confirmed with its PaymentIntent.
UPDATE orders
SET status = 'confirmed', payment_intent_id = $2, confirmed_at = now(), updated_at = now()
WHERE order_id = $1 AND status = 'pending';

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

-- insert_tickets --
-- The tickets of an order, one row per seat.
INSERT INTO tickets (ticket_id, order_id, event_id, section_code, seq, code)
SELECT t.ticket_id, $2::uuid, $3::uuid, $4::text, t.seq, t.code
FROM unnest($1::uuid[], $5::int[], $6::text[]) AS t (ticket_id, seq, code)
ON CONFLICT (order_id, seq) DO NOTHING;

-- void_tickets --
-- The tickets of a refunded order no longer admit anyone.
UPDATE tickets SET voided_at = now() WHERE order_id = $1 AND voided_at IS NULL;

-- tickets_of_orders --
-- Tickets of several orders in seat order.
SELECT order_id, ticket_id, section_code, seq, code, voided_at
FROM tickets WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, seq;

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
        WHERE t.order_id = o.order_id) AS ticket_codes
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
