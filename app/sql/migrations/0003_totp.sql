-- 0003_totp: TOTP second factor (RFC 6238) for organizers and admins, with recovery codes.

-- One authenticator per user. A row with enabled_at NULL is an enrolment in progress:
-- the secret is shown once as a QR code and becomes active when a code from it verifies.
CREATE TABLE user_totp (
    user_id         uuid PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    secret          text NOT NULL,
    enabled_at      timestamptz,
    -- The highest 30 s time step accepted so far: a code is good once (no replay).
    last_step       bigint NOT NULL DEFAULT 0,
    -- Wrong codes in a row; at the limit the second step locks until locked_until.
    failures        integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as SHA-256 hashes of 80-bit random codes.
CREATE TABLE user_recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    code_hash  text NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- The console's live sale view counts failed payments of an event's orders every
-- two seconds; this keeps that a lookup per order instead of a scan of all deliveries.
CREATE INDEX webhook_events_pi_type_idx ON webhook_events (payment_intent_id, type);
