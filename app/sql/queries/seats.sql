-- seat_section_for_update --
-- A section with its seated flag and sold seats, locked while its map or blocks change.
SELECT code, name, price_cents, capacity, sold, seated
FROM sections WHERE event_id = $1 AND code = $2 FOR UPDATE;

-- seat_ids --
-- The seat ids of a section's map.
SELECT seat_id FROM seats WHERE event_id = $1 AND section_code = $2 ORDER BY position;

-- delete_seat_map --
-- Drop a section's map (its categories and seats go with it).
DELETE FROM seat_maps WHERE event_id = $1 AND section_code = $2;

-- insert_seat_map --
-- A section's map as imported.
INSERT INTO seat_maps (event_id, section_code, plan, focal_x, focal_y)
VALUES ($1, $2, $3, $4, $5);

-- insert_seat_categories --
-- A map's categories with their prices ($3..$6 arrays, one element per category).
INSERT INTO seat_categories (event_id, section_code, category, price_cents, color, position)
SELECT $1, $2, c.category, c.price_cents, c.color, c.position
FROM unnest($3::text[], $4::int[], $5::text[], $6::int[]) AS c (category, price_cents, color, position);

-- insert_seats --
-- A map's seats ($3..$12 arrays, one element per seat, in map order).
INSERT INTO seats (event_id, section_code, seat_id, row_label, number, category, x, y,
                   accessible, companion, blocked, position)
SELECT $1, $2, s.seat_id, s.row_label, s.number, s.category, s.x, s.y, s.accessible,
       s.companion, s.blocked, s.position
FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[],
            $9::bool[], $10::bool[], $11::bool[], $12::int[])
     AS s (seat_id, row_label, number, category, x, y, accessible, companion, blocked, position);

-- set_section_seated --
-- The section is seated: its capacity is its unblocked seats.
UPDATE sections SET seated = true, capacity = $3 WHERE event_id = $1 AND code = $2
RETURNING code, name, price_cents, capacity, sold;

-- seat_map --
-- A section's map: the plan as imported and its focal point.
SELECT plan, focal_x, focal_y FROM seat_maps WHERE event_id = $1 AND section_code = $2;

-- seat_categories --
-- A map's categories in plan order.
SELECT category, price_cents, color FROM seat_categories
WHERE event_id = $1 AND section_code = $2 ORDER BY position;

-- seats_of_section --
-- A map's seats in map order.
SELECT seat_id, row_label, number, category, x, y, accessible, companion, blocked
FROM seats WHERE event_id = $1 AND section_code = $2 ORDER BY position;

-- set_seats_blocked --
-- Block or unblock seats ($3 the ids, $4 blocked or not) and move the section's capacity by $5.
WITH changed AS (
    UPDATE seats SET blocked = $4
    WHERE event_id = $1 AND section_code = $2 AND seat_id = ANY($3::text[])
    RETURNING seat_id
)
UPDATE sections SET capacity = capacity + $5
WHERE event_id = $1 AND code = $2
RETURNING code, name, price_cents, capacity, sold;

-- seated_sections --
-- The seated sections of an event (reconcile and the mirror load their maps).
SELECT code FROM sections WHERE event_id = $1 AND seated ORDER BY position, code;

-- sold_seats --
-- Seats of live tickets in confirmed orders of a section, with the hold that bought them;
-- a seat listed for resale is back on sale (free on the map), not sold.
SELECT t.seat_id, o.hold_id
FROM tickets t JOIN orders o ON o.order_id = t.order_id
WHERE t.event_id = $1 AND t.section_code = $2 AND t.seat_id IS NOT NULL
  AND t.voided_at IS NULL AND o.status = 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM resale_listings l
                  WHERE l.ticket_id = t.ticket_id AND l.state = 'listed');
