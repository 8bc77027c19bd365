-- 0017_phase_rooms: each sale phase's own pre-queue shuffle, recorded like the event's
-- (queue_draws): the entrants of the phase's pre-queue, sealed once when the phase opens,
-- so its order can be recomputed from the phase's revealed seed. And the draw's
-- de-duplication: one registration per person, by phone and by payment card, sets the
-- other accounts' registrations aside.

CREATE TABLE phase_queue_draws (
    phase_id     uuid PRIMARY KEY REFERENCES event_phases (phase_id) ON DELETE CASCADE,
    boundary_seq bigint NOT NULL,
    entrants     integer NOT NULL,
    sealed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE phase_queue_entrants (
    phase_id    uuid NOT NULL REFERENCES phase_queue_draws (phase_id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    arrival_seq bigint NOT NULL,
    PRIMARY KEY (phase_id, user_id)
);

-- A registration set aside by the draw's de-duplication (another account of the same
-- person, by phone or payment card, registered first).
ALTER TABLE phase_registrations DROP CONSTRAINT phase_registrations_outcome_check;
ALTER TABLE phase_registrations ADD CONSTRAINT phase_registrations_outcome_check
    CHECK (outcome IN ('won', 'listed', 'duplicate'));
