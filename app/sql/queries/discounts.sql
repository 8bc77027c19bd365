-- insert_discount --
-- A new discount code of an event; nothing when the event has the code already.
INSERT INTO event_discounts (discount_id, event_id, code, percent_off, amount_off_cents,
                             max_uses, section, phase_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_id, code) DO NOTHING
RETURNING *;

-- event_discounts --
-- Every discount code of an event, newest first.
SELECT * FROM event_discounts WHERE event_id = $1 ORDER BY created_at DESC, code;

-- disable_discount --
-- Stop a code taking new uses (the holds and orders that used it keep their price).
UPDATE event_discounts SET disabled_at = coalesce(disabled_at, now())
WHERE event_id = $1 AND discount_id = $2
RETURNING *;

-- event_phase_exists --
-- Whether a phase belongs to the event (a code scoped to it must).
SELECT EXISTS (SELECT 1 FROM event_phases WHERE event_id = $1 AND phase_id = $2);
