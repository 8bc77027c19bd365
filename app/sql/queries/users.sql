-- insert_user --
-- Create a user; returns nothing (unique violation on duplicate email).
INSERT INTO users (user_id, email, password_hash, name, locale, locale_chosen)
VALUES ($1, $2, $3, $4, $5, $6);

-- grant_role --
-- Give a user a role (idempotent).
INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- user_by_email --
-- A user and their roles by email, case-insensitive.
SELECT u.user_id, u.email, u.password_hash, u.name, u.locale, u.locale_chosen,
       u.email_verified_at IS NOT NULL AS email_verified,
       coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
FROM users u LEFT JOIN user_roles r ON r.user_id = u.user_id
WHERE lower(u.email) = lower($1)
GROUP BY u.user_id;

-- user_by_id --
-- A user and their roles by id.
SELECT u.user_id, u.email, u.password_hash, u.name, u.locale, u.locale_chosen,
       u.email_verified_at IS NOT NULL AS email_verified,
       coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
FROM users u LEFT JOIN user_roles r ON r.user_id = u.user_id
WHERE u.user_id = $1
GROUP BY u.user_id;

-- update_profile --
-- Change name, locale and password hash (NULL keeps the current value).
UPDATE users
SET name = coalesce($2, name),
    locale = coalesce($3, locale),
    locale_chosen = locale_chosen OR $3 IS NOT NULL,
    password_hash = coalesce($4, password_hash),
    updated_at = now()
WHERE user_id = $1;

-- set_password --
-- A new password hash (a reset); the address is proven by the link that was opened.
UPDATE users
SET password_hash = $2,
    email_verified_at = coalesce(email_verified_at, now()),
    updated_at = now()
WHERE user_id = $1;

-- verify_email --
-- Mark the address verified, if it is still the address the link was sent to.
UPDATE users
SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
WHERE user_id = $1 AND lower(email) = lower($2);

-- account_message --
-- An account message (verification link, password reset, "you already have an account")
-- into the outbox, once per dedup key.
INSERT INTO outbox (kind, dedup_key, payload) VALUES ($1, $2, $3)
ON CONFLICT (dedup_key) DO NOTHING;

-- purchase_needs_verified_email --
-- True when this event asks for a verified address and this account has none yet.
SELECT e.require_verified_email AND u.email_verified_at IS NULL
FROM events e, users u
WHERE e.event_id = $1 AND u.user_id = $2;

-- password_hash_for_update --
-- The password hash, the row locked until the transaction ends.
SELECT password_hash FROM users WHERE user_id = $1 FOR UPDATE;
