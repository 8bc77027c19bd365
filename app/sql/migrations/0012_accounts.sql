-- 0012_accounts: accounts that can recover and prove their address. A user records when
-- the email address was verified (a link sent to it was opened) and whether the profile
-- language was ever chosen (registering without one, or never changing it, leaves the
-- language to the phone's). An event may require a verified address before a purchase.

ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
ALTER TABLE users ADD COLUMN locale_chosen boolean NOT NULL DEFAULT true;
ALTER TABLE events ADD COLUMN require_verified_email boolean NOT NULL DEFAULT false;
