-- 0009_session_second_factor: a sign-in session records whether it was started (or later
-- stepped up) with a second factor. Roles that need one (admin; organizer when
-- ONSALE_REQUIRE_2FA_ORGANIZERS) are left out of every token such a session is issued,
-- so an account promoted after a password-only sign-in gets no admin role at refresh.
-- Sessions open before this migration count as without one: their admins step up once.

ALTER TABLE auth_sessions ADD COLUMN second_factor boolean NOT NULL DEFAULT false;
