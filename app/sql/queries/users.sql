-- insert_user --
-- Create a user; returns nothing (unique violation on duplicate email).
INSERT INTO users (user_id, email, password_hash, name, locale)
VALUES ($1, $2, $3, $4, $5);

-- grant_role --
-- Give a user a role (idempotent).
INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- user_by_email --
-- A user and their roles by email, case-insensitive.
SELECT u.user_id, u.email, u.password_hash, u.name, u.locale,
       coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
FROM users u LEFT JOIN user_roles r ON r.user_id = u.user_id
WHERE lower(u.email) = lower($1)
GROUP BY u.user_id;

-- user_by_id --
-- A user and their roles by id.
SELECT u.user_id, u.email, u.password_hash, u.name, u.locale,
       coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
FROM users u LEFT JOIN user_roles r ON r.user_id = u.user_id
WHERE u.user_id = $1
GROUP BY u.user_id;

-- update_profile --
-- Change name, locale and password hash (NULL keeps the current value).
UPDATE users
SET name = coalesce($2, name),
    locale = coalesce($3, locale),
    password_hash = coalesce($4, password_hash),
    updated_at = now()
WHERE user_id = $1;
