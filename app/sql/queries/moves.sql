-- move_rules --
-- The organizer's move rules of an event (no row: no move allowed).
SELECT * FROM event_move_rules WHERE event_id = $1;

-- upsert_move_rules --
-- Set every rule of an event at once.
INSERT INTO event_move_rules (event_id, cancel_enabled, cancel_until_s, transfer_enabled,
                              transfer_max_per_ticket, transfer_cutoff_s, resale_enabled,
                              resale_fee_cents)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_id) DO UPDATE
SET cancel_enabled = EXCLUDED.cancel_enabled, cancel_until_s = EXCLUDED.cancel_until_s,
    transfer_enabled = EXCLUDED.transfer_enabled,
    transfer_max_per_ticket = EXCLUDED.transfer_max_per_ticket,
    transfer_cutoff_s = EXCLUDED.transfer_cutoff_s, resale_enabled = EXCLUDED.resale_enabled,
    resale_fee_cents = EXCLUDED.resale_fee_cents, updated_at = now()
RETURNING *;

-- ticket_for_move --
-- One ticket with its order, its holder, its open moves and its reserved seat's row and
-- number (call with the order locked).
SELECT t.ticket_id, t.order_id, t.event_id, t.section_code, t.seq, t.code, t.kid, t.voided_at,
       t.void_reason, t.moves, t.replaces, t.seat_id, coalesce(t.holder_id, o.user_id) AS holder_id,
       t.ticket_type, o.user_id AS buyer_id, o.status AS order_status, o.payment_intent_id,
       o.amount_cents AS order_amount_cents, o.quantity AS order_quantity, o.currency,
       (SELECT r.order_id FROM refunds r WHERE r.order_id = o.order_id) IS NOT NULL AS refunding,
       (SELECT x.transfer_id FROM ticket_transfers x
         WHERE x.ticket_id = t.ticket_id AND x.state = 'pending') AS open_transfer_id,
       (SELECT l.listing_id FROM resale_listings l
         WHERE l.ticket_id = t.ticket_id AND l.state = 'listed') AS open_listing_id,
       st.row_label AS seat_row, st.number AS seat_number, sc.price_cents AS seat_price_cents
FROM tickets t JOIN orders o ON o.order_id = t.order_id
LEFT JOIN seats st ON st.event_id = t.event_id AND st.section_code = t.section_code
                  AND st.seat_id = t.seat_id
LEFT JOIN seat_categories sc ON sc.event_id = st.event_id AND sc.section_code = st.section_code
                            AND sc.category = st.category
WHERE t.ticket_id = $1;

-- tickets_of_order_for_move --
-- Every ticket ever issued by an order, with who holds it and its open moves.
SELECT t.ticket_id, t.voided_at, t.void_reason, coalesce(t.holder_id, o.user_id) AS holder_id,
       EXISTS (SELECT 1 FROM ticket_transfers x
               WHERE x.ticket_id = t.ticket_id AND x.state = 'pending') AS transfer_open,
       EXISTS (SELECT 1 FROM resale_listings l
               WHERE l.ticket_id = t.ticket_id AND l.state = 'listed') AS listed
FROM tickets t JOIN orders o ON o.order_id = t.order_id
WHERE t.order_id = $1;

-- receiver_by_email --
-- The account of an email address, if any.
SELECT user_id, email, locale FROM users WHERE lower(email) = lower($1);

-- email_of_user --
-- An account's email address.
SELECT email FROM users WHERE user_id = $1;

-- insert_transfer --
-- A transfer offered to an email address (one open transfer per ticket).
INSERT INTO ticket_transfers (transfer_id, ticket_id, event_id, from_user_id, to_email, to_user_id)
VALUES ($1, $2, $3, $4, $5, $6);

-- transfer_for_update --
-- One transfer, locked for its decision.
SELECT * FROM ticket_transfers WHERE transfer_id = $1 FOR UPDATE;

-- transfer_by_id --
-- One transfer.
SELECT * FROM ticket_transfers WHERE transfer_id = $1;

-- accept_transfer --
-- The receiver took the ticket.
UPDATE ticket_transfers
SET state = 'accepted', to_user_id = $2, new_ticket_id = $3, decided_at = now()
WHERE transfer_id = $1 AND state = 'pending';

-- cancel_transfer --
-- The sender took an open transfer back.
UPDATE ticket_transfers SET state = 'cancelled', decided_at = now()
WHERE transfer_id = $1 AND state = 'pending';

-- insert_successor_ticket --
-- The ticket's new row for its new holder: same order, section and seat number, a new code.
INSERT INTO tickets (ticket_id, order_id, event_id, section_code, seq, code, holder_id,
                     replaces, moves, kid, seat_id, ticket_type)
SELECT $1, order_id, event_id, section_code, seq, $2, $3, ticket_id, moves + 1, $5, seat_id,
       ticket_type
FROM tickets WHERE ticket_id = $4;

-- void_ticket --
-- One ticket's code is dead from now on, with why.
UPDATE tickets SET voided_at = now(), void_reason = $2
WHERE ticket_id = $1 AND voided_at IS NULL;

-- section_for_resale --
-- The section row, locked: listings of a section change state one at a time, in the
-- same order as the sales that take them (app.orders.confirm).
SELECT code, sold, price_cents FROM sections WHERE event_id = $1 AND code = $2 FOR UPDATE;

-- insert_listing --
-- A ticket listed for resale.
INSERT INTO resale_listings (listing_id, ticket_id, event_id, section_code, seller_id, order_id,
                             payment_intent_id, price_cents, fee_cents, currency)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- lock_listing --
-- One listing's row locked (then read with listing_by_id).
SELECT listing_id FROM resale_listings WHERE listing_id = $1 FOR UPDATE;

-- listing_by_id --
-- One listing, with its ticket's reserved seat and the hold that bought it.
SELECT l.*, t.seat_id, st.row_label AS seat_row, st.number AS seat_number,
       o.hold_id AS seller_hold_id
FROM resale_listings l
JOIN tickets t ON t.ticket_id = l.ticket_id
JOIN orders o ON o.order_id = l.order_id
LEFT JOIN seats st ON st.event_id = t.event_id AND st.section_code = t.section_code
                  AND st.seat_id = t.seat_id
WHERE l.listing_id = $1;

-- withdraw_listing --
-- The seller took an unsold listing back.
UPDATE resale_listings SET state = 'withdrawn', withdrawn_at = now()
WHERE listing_id = $1 AND state = 'listed';

-- payouts_due --
-- Sold listings whose seller is not yet refunded, due now, oldest first.
SELECT * FROM resale_listings
WHERE payout_state = 'pending' AND (payout_next_at IS NULL OR payout_next_at <= now())
ORDER BY sold_at LIMIT $1;

-- payout_failed --
-- A payout attempt failed: retried later, with backoff ($3 seconds).
UPDATE resale_listings
SET payout_attempts = payout_attempts + 1, payout_error = $2,
    payout_next_at = now() + make_interval(secs => $3)
WHERE listing_id = $1 AND payout_state = 'pending';

-- payout_paid --
-- The seller's refund went through at Stripe.
UPDATE resale_listings
SET payout_state = 'paid', stripe_refund_id = $2, paid_at = now(), payout_error = NULL,
    payout_attempts = payout_attempts + 1
WHERE listing_id = $1 AND payout_state = 'pending';

-- tickets_of_holder --
-- Every ticket a fan holds or held (received ones, then bought ones not handed on), newest
-- event first; each half uses an index (tickets by holder, orders by buyer).
WITH mine AS (
    SELECT t.ticket_id FROM tickets t WHERE t.holder_id = $1
    UNION ALL
    SELECT t.ticket_id FROM orders o JOIN tickets t ON t.order_id = o.order_id
    WHERE o.user_id = $1 AND t.holder_id IS NULL
)
SELECT t.ticket_id, t.order_id, t.event_id, t.section_code, t.seq, t.code, t.kid, t.voided_at,
       t.void_reason, t.moves, o.user_id AS buyer_id, o.status AS order_status,
       e.name AS event_name, e.starts_at, e.venue, e.timezone, s.name AS section_name,
       (SELECT x.transfer_id FROM ticket_transfers x
         WHERE x.ticket_id = t.ticket_id AND x.state = 'pending') AS open_transfer_id,
       (SELECT x.to_email FROM ticket_transfers x
         WHERE x.ticket_id = t.ticket_id AND x.state = 'pending') AS open_transfer_to,
       (SELECT l.listing_id FROM resale_listings l
         WHERE l.ticket_id = t.ticket_id ORDER BY l.created_at DESC LIMIT 1) AS listing_id,
       (SELECT l.state FROM resale_listings l
         WHERE l.ticket_id = t.ticket_id ORDER BY l.created_at DESC LIMIT 1) AS listing_state,
       t.seat_id, st.row_label AS seat_row, st.number AS seat_number,
       o.amount_cents AS order_amount_cents, o.quantity AS order_quantity,
       sc.price_cents AS seat_price_cents,
       coalesce((SELECT ta.name FROM ticket_attendees ta WHERE ta.ticket_id = t.ticket_id), '')
           AS attendee_name,
       coalesce((SELECT tt.name FROM ticket_types tt
                  WHERE tt.event_id = t.event_id AND tt.section_code = t.section_code
                    AND tt.code = t.ticket_type), t.ticket_type, '') AS type_name
FROM mine
JOIN tickets t ON t.ticket_id = mine.ticket_id
JOIN orders o ON o.order_id = t.order_id
JOIN events e ON e.event_id = t.event_id
JOIN sections s ON s.event_id = t.event_id AND s.code = t.section_code
LEFT JOIN seats st ON st.event_id = t.event_id AND st.section_code = t.section_code
                  AND st.seat_id = t.seat_id
LEFT JOIN seat_categories sc ON sc.event_id = st.event_id AND sc.section_code = st.section_code
                            AND sc.category = st.category
WHERE o.status IN ('confirmed', 'refunded')
ORDER BY e.starts_at DESC, t.order_id, t.seq, t.created_at
LIMIT 500;

-- transfers_to_email --
-- Open transfers offered to an email address.
SELECT x.transfer_id, x.ticket_id, x.event_id, x.created_at, t.section_code, t.seq,
       e.name AS event_name, e.starts_at, e.venue, e.timezone, s.name AS section_name,
       u.email AS from_email
FROM ticket_transfers x
JOIN tickets t ON t.ticket_id = x.ticket_id
JOIN events e ON e.event_id = x.event_id
JOIN sections s ON s.event_id = t.event_id AND s.code = t.section_code
JOIN users u ON u.user_id = x.from_user_id
WHERE lower(x.to_email) = lower($1) AND x.state = 'pending'
ORDER BY x.created_at;

-- moves_of_event --
-- An event's transfers, resale listings and fan cancellations, newest first (the console).
SELECT 'transfer' AS kind, x.transfer_id AS move_id, x.ticket_id, x.state,
       uf.email AS from_email, x.to_email, NULL::integer AS amount_cents, x.created_at,
       x.decided_at AS ended_at, NULL::text AS payout_state
FROM ticket_transfers x JOIN users uf ON uf.user_id = x.from_user_id
WHERE x.event_id = $1
UNION ALL
SELECT 'resale', l.listing_id, l.ticket_id, l.state, us.email, ub.email,
       l.price_cents - l.fee_cents, l.created_at, coalesce(l.sold_at, l.withdrawn_at),
       l.payout_state
FROM resale_listings l JOIN users us ON us.user_id = l.seller_id
LEFT JOIN orders bo ON bo.order_id = l.buyer_order_id
LEFT JOIN users ub ON ub.user_id = bo.user_id
WHERE l.event_id = $1
UNION ALL
SELECT 'cancel', r.refund_id, NULL, r.status, u.email, NULL, r.amount_cents, r.created_at,
       r.completed_at, NULL
FROM refunds r JOIN orders o ON o.order_id = r.order_id JOIN users u ON u.user_id = o.user_id
WHERE o.event_id = $1 AND r.reason = 'fan_cancel'
ORDER BY created_at DESC
LIMIT 500;
