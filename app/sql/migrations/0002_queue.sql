-- 0002_queue: the sealed pre-queue of random_at_open events (provably fair draw).
-- Written once at open by the shuffle job; the organizer exports it so anyone
-- holding the revealed seed can recompute the admission order.

CREATE TABLE queue_draws (
    event_id     uuid PRIMARY KEY REFERENCES events (event_id) ON DELETE CASCADE,
    boundary_seq bigint NOT NULL,
    entrants     integer NOT NULL,
    sealed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queue_entrants (
    event_id    uuid NOT NULL REFERENCES queue_draws (event_id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    arrival_seq bigint NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX queue_entrants_arrival_idx ON queue_entrants (event_id, arrival_seq);
