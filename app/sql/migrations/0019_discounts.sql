-- 0019_discounts: discount codes of an event. A code takes a percent or a fixed amount
-- (minor units) off an order, at most `max_uses` times, optionally only in one section or
-- one sale phase. The record keeps the rule; the uses are counted in Redis by the hold
-- script itself (lua/_discounts.lua), atomically with the hold that takes one.

CREATE TABLE event_discounts (
    discount_id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    code text NOT NULL CHECK (code ~ '^[A-Z0-9_-]{1,32}$'),
    percent_off integer CHECK (percent_off BETWEEN 1 AND 100),
    amount_off_cents bigint CHECK (amount_off_cents > 0),
    max_uses integer NOT NULL CHECK (max_uses > 0),
    section text,
    phase_id uuid REFERENCES event_phases (phase_id) ON DELETE CASCADE,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((percent_off IS NULL) <> (amount_off_cents IS NULL)),
    UNIQUE (event_id, code)
);
