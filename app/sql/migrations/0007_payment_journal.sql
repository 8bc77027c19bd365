-- 0005_payment_journal: every PaymentIntent Onsale creates, until it is settled.
-- The payment reconciler (app/payments/reconciler.py) walks the unsettled ones, so an
-- authorized payment that no job finished is captured with tickets or cancelled, never
-- forgotten. (0004 was taken by 0004_checkout.)

CREATE TABLE payment_intents (
    payment_intent_id text PRIMARY KEY,
    order_id          uuid NOT NULL,
    hold_id           text NOT NULL,
    event_id          uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    settled_at        timestamptz,
    outcome           text
);
CREATE INDEX payment_intents_unsettled_idx ON payment_intents (created_at)
    WHERE settled_at IS NULL;

-- The reconciler looks for confirmed orders whose capture never happened.
CREATE INDEX payments_uncaptured_idx ON payments (created_at) WHERE status = 'authorized';
