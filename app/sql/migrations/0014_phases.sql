-- 0014_phases: sale phases. An event may sell in phases, each a window with its own
-- audience (everyone, holders of an access code, members of a list, winners of a
-- registration draw), sections, per-account ticket limit and room settings. Codes are
-- used at most `uses` times, each use bound to one account; a draw's order is fixed by a
-- seed whose SHA-256 is public from the phase's creation.

CREATE TABLE event_phases (
    phase_id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    name text NOT NULL,
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    audience text NOT NULL CHECK (audience IN ('everyone', 'code', 'list', 'draw')),
    sections text[],
    max_per_user integer CHECK (max_per_user > 0),
    room jsonb NOT NULL DEFAULT '{}'::jsonb,
    registration_closes_at timestamptz,
    codes_per_seat numeric(6, 3) NOT NULL DEFAULT 1.0 CHECK (codes_per_seat > 0),
    seed text NOT NULL,
    seed_sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at)
);
CREATE INDEX event_phases_event ON event_phases (event_id, opens_at);

CREATE TABLE phase_codes (
    phase_id uuid NOT NULL REFERENCES event_phases (phase_id) ON DELETE CASCADE,
    code text NOT NULL,
    uses integer NOT NULL CHECK (uses > 0),
    used integer NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= uses),
    -- A draw winner's code belongs to the winner from the start.
    owner_id uuid REFERENCES users (user_id),
    source text NOT NULL DEFAULT 'generated' CHECK (source IN ('generated', 'imported', 'draw')),
    voided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (phase_id, code)
);

CREATE TABLE phase_code_uses (
    phase_id uuid NOT NULL,
    code text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (user_id),
    used_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (phase_id, code, user_id),
    FOREIGN KEY (phase_id, code) REFERENCES phase_codes (phase_id, code) ON DELETE CASCADE
);
CREATE INDEX phase_code_uses_user ON phase_code_uses (phase_id, user_id);

CREATE TABLE phase_members (
    phase_id uuid NOT NULL REFERENCES event_phases (phase_id) ON DELETE CASCADE,
    email text NOT NULL,
    PRIMARY KEY (phase_id, email)
);

CREATE TABLE phase_registrations (
    phase_id uuid NOT NULL REFERENCES event_phases (phase_id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (user_id),
    quantity integer CHECK (quantity > 0),
    section text,
    registered_at timestamptz NOT NULL DEFAULT now(),
    -- After the draw: won (a code), listed (waiting for an unused code), with the rank.
    outcome text CHECK (outcome IN ('won', 'listed')),
    rank integer,
    code text,
    PRIMARY KEY (phase_id, user_id)
);

CREATE TABLE phase_draws (
    phase_id uuid PRIMARY KEY REFERENCES event_phases (phase_id) ON DELETE CASCADE,
    registrations integer NOT NULL,
    registrations_sha256 text NOT NULL,
    winners integer NOT NULL,
    drawn_at timestamptz NOT NULL DEFAULT now()
);
