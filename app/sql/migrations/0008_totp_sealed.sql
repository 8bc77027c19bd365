-- 0008_totp_sealed: authenticator secrets are stored sealed (AES-256-GCM, bound to the
-- user id; app/core/sealed.py), so a database dump no longer hands out second factors.
-- SQL cannot seal (the key is not in the database): rows written before this migration
-- keep their secret in plain_secret until the API seals them at start
-- (app/auth/totp_sealing.py, seal_plain_secrets) or at their owner's next use.

ALTER TABLE user_totp RENAME COLUMN secret TO plain_secret;
ALTER TABLE user_totp ALTER COLUMN plain_secret DROP NOT NULL;
ALTER TABLE user_totp ADD COLUMN sealed_secret bytea;
-- Exactly one of the two: new rows are sealed only, old ones plain until sealed.
ALTER TABLE user_totp ADD CONSTRAINT user_totp_one_secret
    CHECK ((plain_secret IS NULL) <> (sealed_secret IS NULL));
