-- Sign-in sessions with rotating refresh tokens, and the append-only audit log.
-- (0002 is the queue's and 0003 is claimed by another branch, hence 0005.)

CREATE TABLE auth_sessions (
    session_id uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz,
    end_reason text
);
CREATE INDEX auth_sessions_open_by_user ON auth_sessions (user_id) WHERE ended_at IS NULL;

-- Refresh tokens are stored only as SHA-256 digests of 256 random bits.
-- A used token stays (used_at set) so that presenting it again is detected
-- as reuse and ends its session.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

CREATE TABLE audit_log (
    audit_id    bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor_roles text[] NOT NULL DEFAULT '{}',
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL DEFAULT '',
    event_id    uuid,
    client_ip   text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_event ON audit_log (event_id, audit_id) WHERE event_id IS NOT NULL;
CREATE INDEX audit_log_by_time ON audit_log (at);

-- Append-only: rows can be added, never changed or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
