-- insert_ticket_type --
-- A new type of a section; nothing when the section has this code already.
INSERT INTO ticket_types (event_id, section_code, code, name, price_cents, quota,
                          max_per_order, opens_at, closes_at, companion, position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
        (SELECT coalesce(max(position) + 1, 0) FROM ticket_types
         WHERE event_id = $1 AND section_code = $2))
ON CONFLICT (event_id, section_code, code) DO NOTHING
RETURNING *;

-- update_ticket_type --
-- A type's settings replaced (its code and section stay).
UPDATE ticket_types
SET name = $4, price_cents = $5, quota = $6, max_per_order = $7, opens_at = $8,
    closes_at = $9, companion = $10
WHERE event_id = $1 AND section_code = $2 AND code = $3
RETURNING *;

-- delete_ticket_type --
-- A type removed (only one with no ticket sold or held; the caller checks).
DELETE FROM ticket_types WHERE event_id = $1 AND section_code = $2 AND code = $3
RETURNING *;

-- ticket_type_for_update --
-- One type, locked for a change.
SELECT * FROM ticket_types WHERE event_id = $1 AND section_code = $2 AND code = $3
FOR UPDATE;

-- event_ticket_types --
-- Every type of an event, section by section in the organizer's order.
SELECT * FROM ticket_types WHERE event_id = $1 ORDER BY section_code, position, code;

-- sold_by_type --
-- Live tickets per (section, type) of an event: what each type has sold in the record.
SELECT section_code, ticket_type, count(*)::int AS sold
FROM tickets
WHERE event_id = $1 AND ticket_type IS NOT NULL AND voided_at IS NULL
GROUP BY section_code, ticket_type;

-- companions_of --
-- The types of a section that name this one as their companion (it cannot go while they do).
SELECT code FROM ticket_types WHERE event_id = $1 AND section_code = $2 AND companion = $3;

-- lock_section --
-- A section's row locked while its types change (two editors never interleave its list).
SELECT code, capacity, seated FROM sections WHERE event_id = $1 AND code = $2 FOR UPDATE;
