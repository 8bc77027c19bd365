-- current_key --
-- The key that signs an event's new tickets: the newest one not retired.
SELECT kid, sealed_seed FROM ticket_signing_keys
WHERE event_id = $1 AND retired_at IS NULL
ORDER BY generation DESC LIMIT 1;

-- insert_first_key --
-- An event's first key; a no-op (no row) when another process created it first.
INSERT INTO ticket_signing_keys (event_id, kid, generation, public_key, sealed_seed)
VALUES ($1, $2, 1, $3, $4)
ON CONFLICT (event_id, generation) DO NOTHING
RETURNING kid, sealed_seed;

-- lock_event_keys --
-- Rotations of one event one at a time (the event row, not its sale: FOR NO KEY UPDATE).
SELECT 1 FROM events WHERE event_id = $1 FOR NO KEY UPDATE;

-- insert_key --
-- A rotated key: the next generation of the event (call under lock_event_keys).
INSERT INTO ticket_signing_keys (event_id, kid, generation, public_key, sealed_seed)
SELECT $1, $2, coalesce(max(generation), 0) + 1, $3, $4
FROM ticket_signing_keys WHERE event_id = $1;

-- key_by_kid --
-- One key of an event.
SELECT kid, public_key, sealed_seed, not_before, retired_at
FROM ticket_signing_keys WHERE event_id = $1 AND kid = $2;

-- keys_of_event --
-- Every key of an event, oldest first, and whether a valid ticket still carries it.
SELECT k.kid, k.public_key, k.sealed_seed, k.not_before, k.retired_at,
       EXISTS (SELECT 1 FROM tickets t
               WHERE t.event_id = k.event_id AND t.kid = k.kid AND t.voided_at IS NULL)
           AS in_use
FROM ticket_signing_keys k WHERE k.event_id = $1 ORDER BY k.generation;

-- retire_other_keys --
-- Keys other than the current one stop being published (their tickets were re-signed).
UPDATE ticket_signing_keys SET retired_at = now()
WHERE event_id = $1 AND kid <> $2 AND retired_at IS NULL;

-- tickets_not_signed_with --
-- Tickets of an event whose code another key signed (re-signing after a rotation).
SELECT ticket_id, section_code, seq, seat_id FROM tickets
WHERE event_id = $1 AND kid IS DISTINCT FROM $2
ORDER BY ticket_id
FOR UPDATE;

-- set_ticket_codes --
-- New codes for tickets, all signed with one key.
UPDATE tickets t SET code = u.code, kid = $3
FROM unnest($1::uuid[], $2::text[]) AS u (ticket_id, code)
WHERE t.ticket_id = u.ticket_id;

-- checkin_context --
-- Everything a scan needs before it touches the ticket: the list (the one named, else the
-- event's default), the event's static-code rule, whether the caller may scan it, and the
-- ticket with its entry state on that list and its attendee's name.
SELECT l.list_id, l.event_id, l.sections, l.reentry, e.static_codes, e.organizer_id,
       (SELECT m.role FROM organization_members m
        WHERE m.org_id = e.org_id AND m.user_id = $3) AS org_role,
       EXISTS (
           SELECT 1 FROM event_scanners s JOIN users u ON lower(u.email) = s.email
           WHERE s.event_id = l.event_id AND u.user_id = $3
       ) AS is_scanner,
       t.ticket_id, t.event_id AS ticket_event_id, t.section_code, t.seq, t.code,
       t.voided_at, st.inside, st.first_gate, st.first_at, st.conflict,
       EXISTS (SELECT 1 FROM resale_listings r
               WHERE r.ticket_id = t.ticket_id AND r.state = 'listed') AS listed,
       coalesce(ta.name, '') AS attendee_name,
       coalesce(ea.names = 'required', false) AS name_required
FROM checkin_lists l
JOIN events e ON e.event_id = l.event_id
LEFT JOIN tickets t ON t.ticket_id = $4
LEFT JOIN ticket_attendees ta ON ta.ticket_id = t.ticket_id
LEFT JOIN event_attendees ea ON ea.event_id = l.event_id
LEFT JOIN checkin_state st ON st.list_id = l.list_id AND st.ticket_id = $4
WHERE CASE WHEN $1::uuid IS NOT NULL THEN l.list_id = $1
           ELSE l.event_id = $2 AND l.is_default END;

-- admit --
-- One scan in: the ticket (still valid, with this very code; its row share-locked so a
-- refund's void waits) enters the list once (again only where re-entry is allowed, after
-- an exit, and never while a conflict is open). The upsert's row lock serializes two
-- gates; the scan is logged, and an admission announced on the event stream (a
-- ticket_checked_in outbox row, one per entry, nothing to deliver), in the same statement.
-- Returns the result.
WITH t AS (
    SELECT ticket_id, section_code, seq FROM tickets
    WHERE ticket_id = $2 AND voided_at IS NULL AND code = $7
      -- A ticket listed for resale has its seat on sale again: it gets in once withdrawn.
      AND NOT EXISTS (SELECT 1 FROM resale_listings r
                      WHERE r.ticket_id = $2 AND r.state = 'listed')
    FOR SHARE
), up AS (
    INSERT INTO checkin_state AS s (list_id, ticket_id, event_id, inside, admissions,
                                    first_gate, first_device, first_at, last_at)
    SELECT $1, t.ticket_id, $3, true, 1, $4, $5, $6, $6 FROM t
    ON CONFLICT (list_id, ticket_id) DO UPDATE
    SET inside = true, admissions = s.admissions + 1, last_at = EXCLUDED.last_at,
        updated_at = now()
    WHERE $8::boolean AND NOT s.inside AND NOT s.conflict
    RETURNING s.ticket_id, s.admissions
), announced AS (
    INSERT INTO outbox (kind, dedup_key, payload, dispatched_at)
    SELECT 'ticket_checked_in',
           'ticket_checked_in:' || $1::uuid || ':' || up.ticket_id || ':' || up.admissions,
           jsonb_build_object('event_id', $3::uuid, 'ticket_id', up.ticket_id,
                              'list_id', $1::uuid, 'section', t.section_code, 'seq', t.seq,
                              'gate', $4::text, 'entry', up.admissions,
                              'scanned_at', $6::timestamptz, 'offline', false),
           now()
    FROM up JOIN t ON t.ticket_id = up.ticket_id
    ON CONFLICT (dedup_key) DO NOTHING
), result AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM up) THEN 'admitted'
                WHEN EXISTS (SELECT 1 FROM t) THEN 'already_in'
                ELSE 'void' END AS result
)
INSERT INTO checkin_scans (list_id, event_id, ticket_id, gate, device_id, direction, result,
                           scanned_at)
SELECT $1, $3, $2, $4, $5, 'in', result.result, $6 FROM result
RETURNING result;

-- leave --
-- One scan out of a re-entry list: the ticket is no longer inside; logged. Returns the
-- result: exited, or not_inside.
WITH up AS (
    UPDATE checkin_state SET inside = false, last_at = $6, updated_at = now()
    WHERE list_id = $1 AND ticket_id = $2 AND inside AND NOT conflict
    RETURNING ticket_id
)
INSERT INTO checkin_scans (list_id, event_id, ticket_id, gate, device_id, direction, result,
                           scanned_at)
SELECT $1, $3, $2, $4, $5, 'out',
       CASE WHEN EXISTS (SELECT 1 FROM up) THEN 'exited' ELSE 'not_inside' END, $6
RETURNING result;

-- log_scan --
-- A refused scan of a known ticket (void, stale, wrong list), for the record.
INSERT INTO checkin_scans (list_id, event_id, ticket_id, gate, device_id, direction, result,
                           scanned_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- checkin_first --
-- Where and when a ticket first entered a list, and whether a conflict holds it.
SELECT first_gate, first_at, inside, conflict FROM checkin_state
WHERE list_id = $1 AND ticket_id = $2;

-- log_offline_scan --
-- An offline scan uploaded by a device, once (a retried sync finds it: no row returned).
INSERT INTO checkin_scans (list_id, event_id, ticket_id, gate, device_id, direction, result,
                           offline, local_result, scanned_at)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', true, $7, $8)
ON CONFLICT (list_id, ticket_id, device_id, scanned_at, direction) WHERE offline DO NOTHING
RETURNING scan_id;

-- offline_scan_result --
-- The result recorded for an offline scan uploaded before.
SELECT result FROM checkin_scans
WHERE list_id = $1 AND ticket_id = $2 AND device_id = $3 AND scanned_at = $4
  AND direction = $5 AND offline;

-- set_scan_result --
-- The server's result of an uploaded offline scan.
UPDATE checkin_scans SET result = $2 WHERE scan_id = $1;

-- state_for_update --
-- A ticket's entry state on a list, locked while an offline scan is applied.
SELECT inside, admissions, first_gate, first_at, last_at, conflict FROM checkin_state
WHERE list_id = $1 AND ticket_id = $2
FOR UPDATE;

-- insert_state --
-- A ticket's first entry on a list (from an offline scan); no row when one exists. The
-- entry is announced on the event stream in the same statement.
WITH ins AS (
    INSERT INTO checkin_state (list_id, ticket_id, event_id, inside, admissions, first_gate,
                               first_device, first_at, last_at)
    VALUES ($1, $2, $3, true, 1, $4, $5, $6, $6)
    ON CONFLICT (list_id, ticket_id) DO NOTHING
    RETURNING ticket_id, event_id, admissions
), announced AS (
    INSERT INTO outbox (kind, dedup_key, payload, dispatched_at)
    SELECT 'ticket_checked_in',
           'ticket_checked_in:' || $1::uuid || ':' || ins.ticket_id || ':' || ins.admissions,
           jsonb_build_object('event_id', ins.event_id, 'ticket_id', ins.ticket_id,
                              'list_id', $1::uuid, 'section', t.section_code, 'seq', t.seq,
                              'gate', $4::text, 'entry', ins.admissions,
                              'scanned_at', $6::timestamptz, 'offline', true),
           now()
    FROM ins JOIN tickets t ON t.ticket_id = ins.ticket_id
    ON CONFLICT (dedup_key) DO NOTHING
)
SELECT ticket_id FROM ins;

-- reenter_state --
-- A re-entry after an exit (offline scan), announced on the event stream in the same
-- statement ($4: the gate).
WITH up AS (
    UPDATE checkin_state SET inside = true, admissions = admissions + 1, last_at = $3,
                             updated_at = now()
    WHERE list_id = $1 AND ticket_id = $2
    RETURNING ticket_id, event_id, admissions
)
INSERT INTO outbox (kind, dedup_key, payload, dispatched_at)
SELECT 'ticket_checked_in',
       'ticket_checked_in:' || $1::uuid || ':' || up.ticket_id || ':' || up.admissions,
       jsonb_build_object('event_id', up.event_id, 'ticket_id', up.ticket_id,
                          'list_id', $1::uuid, 'section', t.section_code, 'seq', t.seq,
                          'gate', $4::text, 'entry', up.admissions,
                          'scanned_at', $3::timestamptz, 'offline', true),
       now()
FROM up JOIN tickets t ON t.ticket_id = up.ticket_id
ON CONFLICT (dedup_key) DO NOTHING;

-- exit_state --
-- An exit (offline scan of a re-entry list).
UPDATE checkin_state SET inside = false, last_at = greatest(last_at, $3), updated_at = now()
WHERE list_id = $1 AND ticket_id = $2 AND inside;

-- mark_conflict --
-- Two gates admitted one ticket offline: refused until an organizer resolves it.
UPDATE checkin_state SET conflict = true, conflict_at = now(), resolved_at = NULL,
                         resolved_by = NULL, updated_at = now()
WHERE list_id = $1 AND ticket_id = $2;

-- ticket_for_scan --
-- A ticket as a scan sees it.
SELECT ticket_id, event_id, section_code, seq, code, voided_at FROM tickets
WHERE ticket_id = $1;

-- list_by_id --
-- One check-in list of an event.
SELECT list_id, event_id, name, sections, reentry, is_default FROM checkin_lists
WHERE list_id = $1;

-- default_list --
-- The event's default check-in list.
SELECT list_id, event_id, name, sections, reentry, is_default FROM checkin_lists
WHERE event_id = $1 AND is_default;

-- insert_list --
-- A check-in list of an event.
INSERT INTO checkin_lists (list_id, event_id, name, sections, reentry)
VALUES ($1, $2, $3, $4, $5)
RETURNING list_id, event_id, name, sections, reentry, is_default;

-- lists_with_counts --
-- The event's check-in lists with expected (valid tickets in their sections), admitted
-- and inside counts.
SELECT l.list_id, l.name, l.sections, l.reentry, l.is_default,
       (SELECT count(*) FROM tickets t
        WHERE t.event_id = l.event_id AND t.voided_at IS NULL
          AND (l.sections IS NULL OR t.section_code = ANY (l.sections))) AS expected,
       (SELECT count(*) FROM checkin_state s WHERE s.list_id = l.list_id) AS admitted,
       (SELECT count(*) FROM checkin_state s WHERE s.list_id = l.list_id AND s.inside)
           AS inside
FROM checkin_lists l
WHERE l.event_id = $1
ORDER BY l.is_default DESC, l.created_at, l.list_id;

-- gate_counts --
-- Admissions per gate of every list of an event, with the last one's time.
SELECT list_id, gate, count(*) AS admitted, max(scanned_at) AS last_at
FROM checkin_scans
WHERE event_id = $1 AND result = 'admitted'
GROUP BY list_id, gate
ORDER BY list_id, gate;

-- checkin_tickets --
-- Every T2 ticket of a list's sections with its entry state and attendee name (the
-- scanner's offline copy).
SELECT t.ticket_id, t.section_code, t.seq, t.code, t.kid, t.voided_at,
       coalesce(s.inside, false) AS inside,
       EXISTS (SELECT 1 FROM resale_listings r
               WHERE r.ticket_id = t.ticket_id AND r.state = 'listed') AS listed,
       coalesce(a.name, '') AS attendee_name
FROM tickets t
LEFT JOIN checkin_state s ON s.list_id = $2 AND s.ticket_id = t.ticket_id
LEFT JOIN ticket_attendees a ON a.ticket_id = t.ticket_id
WHERE t.event_id = $1 AND t.kid IS NOT NULL
  AND ($3::text[] IS NULL OR t.section_code = ANY ($3::text[]))
ORDER BY t.section_code, t.ticket_id;

-- checkin_version --
-- A number that grows whenever a scanner's offline copy of the event would change:
-- tickets issued or voided, entries, keys (milliseconds since the epoch of the latest).
SELECT (extract(epoch FROM greatest(
           (SELECT max(greatest(created_at, coalesce(voided_at, created_at)))
            FROM tickets WHERE event_id = $1),
           (SELECT max(updated_at) FROM checkin_state WHERE event_id = $1),
           (SELECT max(created_at) FROM ticket_signing_keys WHERE event_id = $1),
           (SELECT max(greatest(created_at, coalesce(withdrawn_at, created_at),
                                coalesce(sold_at, created_at)))
            FROM resale_listings WHERE event_id = $1),
           (SELECT max(coalesce(retired_at, created_at)) FROM ticket_signing_keys
            WHERE event_id = $1),
           (SELECT max(created_at) FROM checkin_lists WHERE event_id = $1),
           'epoch'::timestamptz
       )) * 1000)::bigint AS version;

-- conflicts_of_event --
-- Tickets two gates admitted offline (open and resolved), with the admitting scans.
SELECT s.ticket_id, t.section_code, t.seq, s.conflict, s.conflict_at,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'gate', c.gate, 'device_id', c.device_id, 'at', c.scanned_at)
                ORDER BY c.scanned_at), '[]'::jsonb)
        FROM checkin_scans c
        WHERE c.list_id = s.list_id AND c.ticket_id = s.ticket_id
          AND c.result IN ('admitted', 'conflict')) AS scans
FROM checkin_state s JOIN tickets t ON t.ticket_id = s.ticket_id
WHERE s.event_id = $1 AND s.conflict_at IS NOT NULL
ORDER BY s.conflict_at, s.ticket_id;

-- resolve_conflict --
-- An organizer settles a conflict: the ticket counts as inside, scans go on as usual.
UPDATE checkin_state SET conflict = false, resolved_at = now(), resolved_by = $3,
                         updated_at = now()
WHERE event_id = $1 AND ticket_id = $2 AND conflict;

-- grant_scanner --
-- The scanner role on one event for an email (idempotent).
INSERT INTO event_scanners (event_id, email, granted_by) VALUES ($1, $2, $3)
ON CONFLICT (event_id, email) DO NOTHING;

-- revoke_scanner --
-- The scanner role on one event taken back.
DELETE FROM event_scanners WHERE event_id = $1 AND email = $2;

-- scanners_of_event --
-- Who may scan an event.
SELECT email, granted_at FROM event_scanners WHERE event_id = $1 ORDER BY granted_at, email;

-- is_scanner --
-- Whether an account holds the scanner role on an event.
SELECT EXISTS (
    SELECT 1 FROM event_scanners s JOIN users u ON lower(u.email) = s.email
    WHERE s.event_id = $1 AND u.user_id = $2
);

-- scanner_events --
-- Events an account may scan: granted to its email, or of an organization where its role
-- ($3: the roles that may scan) allows it (all: admin).
SELECT e.event_id, e.name, e.starts_at FROM events e
WHERE e.status <> 'draft'
  AND (
        $2::boolean
        OR e.org_id IN (SELECT m.org_id FROM organization_members m
                        WHERE m.user_id = $1 AND m.role = ANY($3::text[]))
        OR EXISTS (SELECT 1 FROM event_scanners s JOIN users u ON lower(u.email) = s.email
                   WHERE s.event_id = e.event_id AND u.user_id = $1)
      )
ORDER BY e.starts_at, e.event_id
LIMIT 200;
