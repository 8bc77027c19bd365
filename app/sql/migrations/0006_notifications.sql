-- 0006_notifications: the outbox is dispatched into deliveries (one per channel and
-- recipient), each sent once under a lease, retried with backoff, dead-lettered after
-- N tries; fans' channel preferences; organizers' integrator webhooks.

-- An outbox message is dispatched once: its deliveries are created in the same
-- transaction that sets dispatched_at.
ALTER TABLE outbox ADD COLUMN dispatched_at timestamptz;
CREATE INDEX outbox_undispatched_idx ON outbox (message_id) WHERE dispatched_at IS NULL;

-- What a fan wants to be told through which channel (no row: email only).
CREATE TABLE notification_prefs (
    user_id    uuid PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    email      boolean NOT NULL DEFAULT true,
    sms        boolean NOT NULL DEFAULT false,
    push       boolean NOT NULL DEFAULT false,
    phone      text,
    push_token text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Organizer-configured receivers of signed integrator webhooks; event_id NULL means
-- every event of the organizer.
CREATE TABLE webhook_endpoints (
    endpoint_id  uuid PRIMARY KEY,
    organizer_id uuid NOT NULL REFERENCES users (user_id),
    event_id     uuid REFERENCES events (event_id) ON DELETE CASCADE,
    url          text NOT NULL,
    secret       text NOT NULL,
    topics       text[] NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_event_idx ON webhook_endpoints (event_id);
CREATE INDEX webhook_endpoints_organizer_idx ON webhook_endpoints (organizer_id);

-- One message to one recipient over one channel. status: pending -> sending (claimed
-- with a lease) -> sent | pending (retry) | dead. A claim whose lease ran out (the
-- worker died mid-send) is claimed again; the delivery id is the dedupe key the
-- receiver sees (Message-ID, X-Onsale-Delivery).
CREATE TABLE deliveries (
    delivery_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      bigint NOT NULL REFERENCES outbox (message_id),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'webhook')),
    target          text NOT NULL,
    endpoint_id     uuid REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    locale          text NOT NULL DEFAULT 'en',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    response_status integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (message_id, channel, target)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_lease_idx ON deliveries (lease_until) WHERE status = 'sending';
-- The dead-letter gauge counts these every second.
CREATE INDEX deliveries_dead_idx ON deliveries (channel) WHERE status = 'dead';
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id, delivery_id);
