-- 0001_init: everything the onsale design needs.
-- Postgres is the record; Redis holds the hot-path state and can be rebuilt from here.

CREATE TABLE users (
    user_id       uuid PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    name          text NOT NULL DEFAULT '',
    locale        text NOT NULL DEFAULT 'en',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE user_roles (
    user_id    uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('fan', 'organizer', 'admin')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE events (
    event_id      uuid PRIMARY KEY,
    organizer_id  uuid NOT NULL REFERENCES users (user_id),
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'published', 'paused', 'ended')),
    name          text NOT NULL,
    venue         text NOT NULL,
    starts_at     timestamptz NOT NULL,
    timezone      text NOT NULL,
    onsale_at     timestamptz NOT NULL,
    offsale_at    timestamptz NOT NULL,
    currency      char(3) NOT NULL,
    hold_ttl_s    integer NOT NULL CHECK (hold_ttl_s > 0),
    max_per_order integer NOT NULL CHECK (max_per_order >= 1),
    max_per_user  integer NOT NULL CHECK (max_per_user >= 1),
    waiting_room  jsonb NOT NULL,
    -- Provably fair shuffle: sha256(seed) is public before open, seed after.
    fairness_seed text NOT NULL,
    fairness_seed_sha256 text NOT NULL,
    published_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (onsale_at < offsale_at),
    CHECK (starts_at > onsale_at)
);
CREATE INDEX events_organizer_idx ON events (organizer_id, created_at);
CREATE INDEX events_status_idx ON events (status, onsale_at);

CREATE TABLE sections (
    event_id    uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    code        text NOT NULL,
    name        text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    capacity    integer NOT NULL CHECK (capacity >= 0),
    sold        integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
    position    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, code),
    -- No oversell, enforced by the record itself.
    CHECK (sold <= capacity)
);

-- Holds ledger: every hold and how it ended, written asynchronously by workers.
CREATE TABLE holds (
    hold_id      text PRIMARY KEY,
    event_id     uuid NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    section_code text NOT NULL,
    user_id      uuid NOT NULL,
    quantity     integer NOT NULL CHECK (quantity > 0),
    amount_cents integer NOT NULL,
    currency     char(3) NOT NULL,
    status       text NOT NULL
                 CHECK (status IN ('active', 'checking_out', 'converted', 'released', 'expired')),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX holds_event_idx ON holds (event_id, status);

CREATE TABLE orders (
    order_id          uuid PRIMARY KEY,
    event_id          uuid NOT NULL REFERENCES events (event_id),
    user_id           uuid NOT NULL REFERENCES users (user_id),
    hold_id           text NOT NULL UNIQUE,
    section_code      text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity > 0),
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'confirmed', 'refunded', 'cancelled')),
    amount_cents      integer NOT NULL,
    currency          char(3) NOT NULL,
    payment_intent_id text UNIQUE,
    cancel_reason     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_event_idx ON orders (event_id, created_at);

CREATE TABLE tickets (
    ticket_id    uuid PRIMARY KEY,
    order_id     uuid NOT NULL REFERENCES orders (order_id),
    event_id     uuid NOT NULL REFERENCES events (event_id),
    section_code text NOT NULL,
    seq          integer NOT NULL,
    code         text NOT NULL UNIQUE,
    voided_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, seq)
);
CREATE INDEX tickets_event_idx ON tickets (event_id, section_code);

CREATE TABLE payments (
    payment_id        uuid PRIMARY KEY,
    order_id          uuid NOT NULL UNIQUE REFERENCES orders (order_id),
    payment_intent_id text NOT NULL UNIQUE,
    status            text NOT NULL,
    amount_cents      integer NOT NULL,
    currency          char(3) NOT NULL,
    authorized_at     timestamptz,
    captured_at       timestamptz,
    cancelled_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refunds (
    refund_id         uuid PRIMARY KEY,
    order_id          uuid NOT NULL UNIQUE REFERENCES orders (order_id),
    payment_intent_id text NOT NULL,
    stripe_refund_id  text UNIQUE,
    amount_cents      integer NOT NULL,
    reason            text,
    return_seats      boolean NOT NULL DEFAULT true,
    status            text NOT NULL DEFAULT 'requested'
                      CHECK (status IN ('requested', 'succeeded', 'failed')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz
);

-- Stripe webhook deliveries, deduplicated on Stripe's event id.
CREATE TABLE webhook_events (
    stripe_event_id   text PRIMARY KEY,
    type              text NOT NULL,
    payment_intent_id text,
    payload           jsonb NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    processed_at      timestamptz
);

-- Idempotency records of POSTs whose effect lives in Postgres (kept >= 24 h).
CREATE TABLE idempotency_records (
    scope        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status_code  integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    PRIMARY KEY (scope, key)
);

-- Append-only ledger of every inventory change the record knows of.
CREATE TABLE inventory_ledger (
    entry_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid NOT NULL,
    section_code   text NOT NULL,
    reason         text NOT NULL,
    ref            text,
    delta_capacity integer NOT NULL DEFAULT 0,
    delta_sold     integer NOT NULL DEFAULT 0,
    delta_held     integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, section_code, reason, ref)
);

CREATE FUNCTION inventory_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inventory_ledger is append-only';
END;
$$;
CREATE TRIGGER inventory_ledger_no_update
    BEFORE UPDATE OR DELETE ON inventory_ledger
    FOR EACH ROW EXECUTE FUNCTION inventory_ledger_append_only();

-- Outbox of messages (order confirmations, ...) for the notifications sender.
CREATE TABLE outbox (
    message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL,
    dedup_key  text NOT NULL UNIQUE,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
