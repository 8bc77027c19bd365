-- insert_session --
-- Start a sign-in session ($4: started with a second factor).
INSERT INTO auth_sessions (session_id, user_id, expires_at, second_factor)
VALUES ($1, $2, now() + make_interval(secs => $3), $4);

-- insert_refresh_token --
-- Store the digest of a new refresh token of a session.
INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2);

-- refresh_token_for_update --
-- A refresh token with its session, locked so that two uses race to one winner.
SELECT t.token_hash, t.used_at, s.session_id, s.user_id, s.ended_at, s.second_factor,
       s.expires_at <= now() AS expired
FROM refresh_tokens t JOIN auth_sessions s ON s.session_id = t.session_id
WHERE t.token_hash = $1
FOR UPDATE OF t, s;

-- mark_refresh_token_used --
-- Rotate: the presented token stops working. $2 is the API's clock (epoch seconds), the
-- time the successor's access token is issued at, so a retry in the grace gets the same one.
UPDATE refresh_tokens SET used_at = to_timestamp($2) WHERE token_hash = $1;

-- refresh_token_state --
-- Whether a refresh token exists and is still unused (the successor in a grace retry).
SELECT used_at IS NULL AS unused FROM refresh_tokens WHERE token_hash = $1;

-- end_session --
-- End one session of a user (no-op when already ended); returns its id when it ended now.
UPDATE auth_sessions SET ended_at = now(), end_reason = $3
WHERE session_id = $1 AND user_id = $2 AND ended_at IS NULL
RETURNING session_id;

-- end_other_sessions --
-- End every open session of a user except one; returns the ids ended.
UPDATE auth_sessions SET ended_at = now(), end_reason = $3
WHERE user_id = $1 AND ended_at IS NULL AND session_id IS DISTINCT FROM $2
RETURNING session_id;

