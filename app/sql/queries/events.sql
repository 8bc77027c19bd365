-- insert_event --
-- Create a draft event.
INSERT INTO events (event_id, organizer_id, name, venue, starts_at, timezone, onsale_at,
                    offsale_at, currency, hold_ttl_s, max_per_order, max_per_user,
                    waiting_room, static_codes, require_verified_email, fairness_seed,
                    fairness_seed_sha256, org_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18);

-- insert_section --
-- Add a section to an event.
INSERT INTO sections (event_id, code, name, price_cents, capacity, position)
VALUES ($1, $2, $3, $4, $5, $6);

-- delete_sections --
-- Drop every section of a draft event (PATCH replaces the list).
DELETE FROM sections WHERE event_id = $1;

-- event_by_id --
-- One event row.
SELECT * FROM events WHERE event_id = $1;

-- event_for_update --
-- One event row, locked for a status change or patch.
SELECT * FROM events WHERE event_id = $1 FOR UPDATE;

-- sections_of_event --
-- The sections of an event in display order.
SELECT code, name, price_cents, capacity, sold, seated
FROM sections WHERE event_id = $1 ORDER BY position, code;

-- sections_of_events --
-- The sections of several events in display order.
SELECT event_id, code, name, price_cents, capacity, sold, seated
FROM sections WHERE event_id = ANY($1::uuid[]) ORDER BY event_id, position, code;

-- list_events --
-- Events visible to the caller: public ones, those of the caller's organizations, or all
-- (admin); archived ones only when asked ($4), of one organization when named ($5).
SELECT * FROM events
WHERE ($1::text IS NULL OR status = $1)
  AND (
        $3::boolean
        OR ($2::uuid IS NOT NULL AND org_id IN (
                SELECT m.org_id FROM organization_members m WHERE m.user_id = $2))
        OR status IN ('published', 'paused', 'ended')
      )
  AND (archived_at IS NOT NULL) = $4::boolean
  AND ($5::uuid IS NULL OR org_id = $5)
ORDER BY onsale_at, event_id
LIMIT 500;

-- update_event --
-- Write every mutable column of an event.
UPDATE events
SET name = $2, venue = $3, starts_at = $4, timezone = $5, onsale_at = $6, offsale_at = $7,
    currency = $8, hold_ttl_s = $9, max_per_order = $10, max_per_user = $11,
    waiting_room = $12, static_codes = $13, require_verified_email = $14, updated_at = now()
WHERE event_id = $1;

-- set_event_status --
-- Move an event to a new status; the change's outbox message ($3: its kind, e.g.
-- event_published, for the event stream) is written in the same statement.
WITH changed AS (
    UPDATE events
    SET status = $2,
        published_at = CASE WHEN $2 = 'published' AND published_at IS NULL THEN now()
                            ELSE published_at END,
        updated_at = now()
    WHERE event_id = $1
    RETURNING event_id
)
INSERT INTO outbox (kind, dedup_key, payload)
SELECT $3::text, $3::text || ':' || event_id || ':' || txid_current(),
       jsonb_build_object('event_id', event_id, 'status', $2::text)
FROM changed
ON CONFLICT (dedup_key) DO NOTHING;

-- live_event_ids --
-- Events whose onsale machinery must run (published or paused, not past offsale).
SELECT event_id FROM events WHERE status IN ('published', 'paused');

-- due_to_end --
-- Live events whose sale is over (offsale_at passed): candidates for `ended`.
SELECT event_id FROM events
WHERE status IN ('published', 'paused') AND offsale_at <= $1
ORDER BY offsale_at
LIMIT 500;

-- end_event --
-- A live event past offsale_at ends (once).
UPDATE events SET status = 'ended', updated_at = now()
WHERE event_id = $1 AND status IN ('published', 'paused') AND offsale_at <= now();

-- event_has_sales --
-- Whether an event has any order (pending included) or sold seat.
SELECT EXISTS (SELECT 1 FROM orders WHERE event_id = $1)
    OR EXISTS (SELECT 1 FROM sections WHERE event_id = $1 AND sold > 0);

-- archive_event --
-- Archive an event (once).
UPDATE events SET archived_at = coalesce(archived_at, now()), updated_at = now()
WHERE event_id = $1;

-- phases_to_copy --
-- The phases of an event, for a copy of the event.
SELECT phase_id FROM event_phases WHERE event_id = $1 ORDER BY opens_at, phase_id;

-- insert_phase_copy --
-- A copy of one phase ($3) on another event ($2), its windows moved by $4 seconds, with a new
-- draw seed ($5) and its SHA-256 ($6).
INSERT INTO event_phases (phase_id, event_id, name, opens_at, closes_at, audience, sections,
                          max_per_user, room, registration_closes_at, codes_per_seat, seed,
                          seed_sha256)
SELECT $1, $2, name, opens_at + make_interval(secs => $4), closes_at + make_interval(secs => $4),
       audience, sections, max_per_user, room,
       registration_closes_at + make_interval(secs => $4), codes_per_seat, $5, $6
FROM event_phases WHERE phase_id = $3;

-- copy_ticket_types --
-- The ticket types of an event ($1) on its copy ($2), sale windows moved by $3 seconds;
-- returns the copies (their rules go into Redis with the copy).
INSERT INTO ticket_types (event_id, section_code, code, name, price_cents, quota, max_per_order,
                          opens_at, closes_at, companion, position)
SELECT $2, section_code, code, name, price_cents, quota, max_per_order,
       opens_at + make_interval(secs => $3), closes_at + make_interval(secs => $3), companion,
       position
FROM ticket_types WHERE event_id = $1
ORDER BY section_code, position, code
RETURNING *;
