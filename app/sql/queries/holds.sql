-- upsert_hold_ledger --
-- Record a hold or its newer status in the holds ledger; never moves a status backwards
-- (active < checking_out < converted|released|expired).
INSERT INTO holds (hold_id, event_id, section_code, user_id, quantity, amount_cents, currency,
                   status, created_at, expires_at, ended_at, seats, lines)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (hold_id) DO UPDATE
SET status = EXCLUDED.status,
    ended_at = EXCLUDED.ended_at
WHERE (CASE holds.status WHEN 'active' THEN 0 WHEN 'checking_out' THEN 1 ELSE 2 END)
    < (CASE EXCLUDED.status WHEN 'active' THEN 0 WHEN 'checking_out' THEN 1 ELSE 2 END);

-- set_hold_ledger_status --
-- Move a ledger row to a newer status when only the hold id is known.
UPDATE holds
SET status = $2,
    ended_at = $3
WHERE hold_id = $1
  AND (CASE status WHEN 'active' THEN 0 WHEN 'checking_out' THEN 1 ELSE 2 END)
    < (CASE $2::text WHEN 'active' THEN 0 WHEN 'checking_out' THEN 1 ELSE 2 END);

-- ledger_hold --
-- One hold from the ledger (reads after Redis forgot it).
SELECT hold_id, event_id, section_code, user_id, quantity, amount_cents, currency, status,
       created_at, expires_at, ended_at, seats, lines
FROM holds WHERE hold_id = $1;

-- live_holds --
-- Holds still alive at $2: active and unexpired, or in checkout within the grace of $3 seconds;
-- a hold in checkout carries its PaymentIntent and order (the order's, else the journal's).
SELECT h.hold_id, h.event_id, h.section_code, h.user_id, h.quantity, h.amount_cents,
       h.currency, h.status, h.created_at, h.expires_at, h.ended_at, h.seats, h.lines,
       coalesce(o.payment_intent_id,
                (SELECT j.payment_intent_id FROM payment_intents j
                 WHERE j.hold_id = h.hold_id AND j.settled_at IS NULL
                 ORDER BY j.created_at DESC LIMIT 1)) AS payment_intent_id,
       o.order_id
FROM holds h
LEFT JOIN orders o ON o.hold_id = h.hold_id AND o.status = 'pending'
WHERE h.event_id = $1
  AND ((h.status = 'active' AND h.expires_at > $2)
       OR (h.status = 'checking_out' AND h.expires_at + make_interval(secs => $3) > $2))
ORDER BY h.created_at;

-- open_listings --
-- Resale listings of an event whose ticket's seat is back on sale (state listed): reconcile
-- puts them back in Redis's listed set after Redis lost the event.
SELECT listing_id FROM resale_listings WHERE event_id = $1 AND state = 'listed';

-- returned_orders --
-- Orders of an event refunded or voided in the record: their seats are out of the record's
-- sold already (the same transaction took them off), so after Redis lost the event reconcile
-- marks them returned and a retried refund job does not put their seats on sale again.
SELECT order_id FROM orders WHERE event_id = $1 AND status = 'refunded';

-- applied_moves --
-- Moves of an event the record's per-account counts already show: accepted transfers (the
-- ticket is its receiver's) and sold resale listings (the seller's ticket is void); reconcile
-- marks them applied after Redis lost the event, so a retried move or payout settles once.
SELECT transfer_id AS move_id FROM ticket_transfers WHERE event_id = $1 AND state = 'accepted'
UNION ALL
SELECT listing_id FROM resale_listings WHERE event_id = $1 AND state = 'sold';

-- sold_seats_by_user --
-- Seats each account holds for an event: the live tickets of confirmed orders, counted for
-- whoever holds them now (a transfer moves one); a pending order's seats are its hold's,
-- counted with the live holds.
SELECT coalesce(t.holder_id, o.user_id) AS user_id, count(*)::int AS seats
FROM tickets t JOIN orders o ON o.order_id = t.order_id
WHERE t.event_id = $1 AND o.status = 'confirmed' AND t.voided_at IS NULL
GROUP BY 1;

-- section_for_update --
-- A section's capacity and sold seats, locked for a capacity change.
SELECT code, name, price_cents, capacity, sold
FROM sections WHERE event_id = $1 AND code = $2 FOR UPDATE;

-- section_for_share --
-- A section's capacity and sold seats, locked against a capacity change while reconcile
-- repairs Redis from them (a change holds FOR UPDATE across its Redis script and commit).
SELECT code, name, price_cents, capacity, sold
FROM sections WHERE event_id = $1 AND code = $2 FOR SHARE;

-- add_section_capacity --
-- Add (or withdraw, delta < 0) seats of a section; returns the new figures.
UPDATE sections SET capacity = capacity + $3
WHERE event_id = $1 AND code = $2
RETURNING code, name, price_cents, capacity, sold;

-- insert_capacity_ledger --
-- Append a capacity change to the inventory ledger.
INSERT INTO inventory_ledger (event_id, section_code, reason, ref, delta_capacity)
VALUES ($1, $2, 'capacity', $3, $4);

-- payments_in_flight --
-- PaymentIntents of an event not yet settled (their seats may be converted in Redis and
-- not yet sold in Postgres: a hold in doubt).
SELECT count(*) FROM payment_intents WHERE event_id = $1 AND settled_at IS NULL;
