-- totp_of_user --
-- The authenticator of a user (enabled or being enrolled), if any.
SELECT user_id, sealed_secret, plain_secret, enabled_at, last_step, failures, locked_until
FROM user_totp WHERE user_id = $1;

-- start_totp_enrolment --
-- A fresh sealed secret for a user who has no enabled authenticator (a pending one is replaced).
INSERT INTO user_totp (user_id, sealed_secret) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE
SET sealed_secret = EXCLUDED.sealed_secret, plain_secret = NULL, last_step = 0, failures = 0,
    locked_until = NULL, created_at = now()
WHERE user_totp.enabled_at IS NULL;

-- plain_totp_secrets --
-- Authenticators stored before secrets were sealed (0008_totp_sealed).
SELECT user_id, plain_secret FROM user_totp WHERE plain_secret IS NOT NULL;

-- seal_totp_secret --
-- Replace a plain secret by its sealed form; no row when it changed or was sealed meanwhile.
UPDATE user_totp SET sealed_secret = $3, plain_secret = NULL
WHERE user_id = $1 AND plain_secret = $2
RETURNING user_id;

-- enable_totp --
-- The pending authenticator becomes active with the step of the code that confirmed it.
UPDATE user_totp SET enabled_at = now(), last_step = $2, failures = 0, locked_until = NULL
WHERE user_id = $1 AND enabled_at IS NULL;

-- accept_totp_step --
-- Record a used step; no row when the step is not newer than the last one (a replay).
UPDATE user_totp SET last_step = $2, failures = 0, locked_until = NULL
WHERE user_id = $1 AND last_step < $2
RETURNING user_id;

-- record_totp_failure --
-- Count a wrong code; at $2 failures in a row the second step locks for $3 seconds.
UPDATE user_totp
SET failures = failures + 1,
    locked_until = CASE WHEN failures + 1 >= $2
                        THEN now() + make_interval(secs => $3) ELSE locked_until END
WHERE user_id = $1
RETURNING failures, locked_until;

-- reset_totp_failures --
-- A good recovery code clears the failure count.
UPDATE user_totp SET failures = 0, locked_until = NULL WHERE user_id = $1;

-- delete_totp --
-- Remove the authenticator and recovery codes of a user.
WITH gone AS (DELETE FROM user_recovery_codes WHERE user_id = $1)
DELETE FROM user_totp WHERE user_id = $1;

-- delete_recovery_codes --
-- Drop every recovery code of a user (before issuing a new set).
DELETE FROM user_recovery_codes WHERE user_id = $1;

-- insert_recovery_codes --
-- A new set of recovery code hashes.
INSERT INTO user_recovery_codes (user_id, code_hash)
SELECT $1, h FROM unnest($2::text[]) AS h;

-- use_recovery_code --
-- Spend one unused recovery code; a row only when it existed and was unused.
UPDATE user_recovery_codes SET used_at = now()
WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
RETURNING user_id;

-- recovery_codes_left --
-- How many unused recovery codes a user has.
SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL;
