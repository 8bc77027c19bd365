-- 0010_checkin: tickets at the door. Ed25519 signing keys per event (the private seed
-- sealed: app/tickets/keys.py), per-event scanner grants, check-in lists, every scan
-- and the per-list entry state of each ticket (one row: two gates online never admit a
-- ticket twice, the row lock of the upsert serializes them), and offline conflicts.

-- Organizers choose whether a printed or emailed static code gets in (default: the live,
-- rotating code of the app only).
ALTER TABLE events ADD COLUMN static_codes boolean NOT NULL DEFAULT false;

CREATE TABLE ticket_signing_keys (
    event_id    uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    kid         text NOT NULL,
    -- 1 for the event's first key, +1 per rotation: the newest one not retired signs.
    generation  integer NOT NULL CHECK (generation >= 1),
    public_key  bytea NOT NULL CHECK (length(public_key) = 32),
    -- The 32-byte Ed25519 seed, AES-GCM sealed under ONSALE_SECRET_KEY, bound to (event, kid).
    sealed_seed bytea NOT NULL,
    not_before  timestamptz NOT NULL DEFAULT now(),
    -- Set when no valid ticket carries this key any more (re-signed after a rotation):
    -- no longer published, codes signed with it no longer verify.
    retired_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, kid),
    UNIQUE (event_id, generation)
);

-- The kid each ticket's code is signed with (NULL: a T1 code from before 0010).
ALTER TABLE tickets ADD COLUMN kid text;

-- Scanner role per event, granted by email (the account may be created later).
CREATE TABLE event_scanners (
    event_id   uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email = lower(email)),
    granted_by uuid,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, email)
);
CREATE INDEX event_scanners_email_idx ON event_scanners (email);

CREATE TABLE checkin_lists (
    list_id    uuid PRIMARY KEY,
    event_id   uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    name       text NOT NULL,
    -- NULL: every section of the event.
    sections   text[],
    reentry    boolean NOT NULL DEFAULT false,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkin_lists_event_idx ON checkin_lists (event_id, created_at);
CREATE UNIQUE INDEX checkin_lists_one_default ON checkin_lists (event_id) WHERE is_default;

-- One row per (list, ticket) once the ticket was first admitted on that list.
CREATE TABLE checkin_state (
    list_id      uuid NOT NULL REFERENCES checkin_lists (list_id) ON DELETE CASCADE,
    ticket_id    uuid NOT NULL REFERENCES tickets (ticket_id),
    event_id     uuid NOT NULL,
    inside       boolean NOT NULL,
    admissions   integer NOT NULL CHECK (admissions >= 1),
    first_gate   text NOT NULL,
    first_device text NOT NULL DEFAULT '',
    first_at     timestamptz NOT NULL,
    last_at      timestamptz NOT NULL,
    -- Two offline gates admitted it: refused until an organizer resolves it.
    conflict     boolean NOT NULL DEFAULT false,
    conflict_at  timestamptz,
    resolved_at  timestamptz,
    resolved_by  uuid,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, ticket_id)
);
CREATE INDEX checkin_state_event_idx ON checkin_state (event_id);
CREATE INDEX checkin_state_conflicts_idx ON checkin_state (event_id) WHERE conflict_at IS NOT NULL;

-- Every scan of a ticket of the event (append-only), online or synced from a device.
CREATE TABLE checkin_scans (
    scan_id      bigserial PRIMARY KEY,
    list_id      uuid NOT NULL REFERENCES checkin_lists (list_id) ON DELETE CASCADE,
    event_id     uuid NOT NULL,
    ticket_id    uuid NOT NULL,
    gate         text NOT NULL,
    device_id    text NOT NULL DEFAULT '',
    direction    text NOT NULL CHECK (direction IN ('in', 'out')),
    result       text NOT NULL,
    offline      boolean NOT NULL DEFAULT false,
    local_result text,
    scanned_at   timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
-- Admissions per list and gate of an event (checkin-lists).
CREATE INDEX checkin_scans_event_idx ON checkin_scans (event_id, result, list_id, gate);
CREATE INDEX checkin_scans_ticket_idx ON checkin_scans (list_id, ticket_id);
-- A device uploading the same offline scan twice (a retried sync) records it once.
CREATE UNIQUE INDEX checkin_scans_offline_once
    ON checkin_scans (list_id, ticket_id, device_id, scanned_at, direction) WHERE offline;

-- Every event has the list "All tickets" (every section, no re-entry): the one a scan
-- uses when it names none. Made with the event, so no scan has to create it.
INSERT INTO checkin_lists (list_id, event_id, name, is_default)
SELECT gen_random_uuid(), event_id, 'All tickets', true FROM events;

CREATE FUNCTION checkin_default_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO checkin_lists (list_id, event_id, name, is_default)
    VALUES (gen_random_uuid(), NEW.event_id, 'All tickets', true);
    RETURN NEW;
END;
$$;
CREATE TRIGGER events_default_checkin_list AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION checkin_default_list();
