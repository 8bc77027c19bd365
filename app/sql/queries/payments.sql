-- insert_webhook_event --
-- Record a Stripe event once; returns the id only when it is new.
INSERT INTO webhook_events (stripe_event_id, type, payment_intent_id, payload)
VALUES ($1, $2, $3, $4)
ON CONFLICT (stripe_event_id) DO NOTHING
RETURNING stripe_event_id;

-- delete_webhook_event --
-- Forget a delivery whose job could not be queued (Stripe's retry is then new).
DELETE FROM webhook_events WHERE stripe_event_id = $1 AND processed_at IS NULL;

-- mark_webhook_events_processed --
-- Every recorded event of a PaymentIntent is settled.
UPDATE webhook_events SET processed_at = now()
WHERE payment_intent_id = $1 AND processed_at IS NULL;

-- mark_payment_refunded --
-- The captured payment was refunded.
UPDATE payments SET status = 'refunded', updated_at = now()
WHERE payment_intent_id = $1;

-- record_payment_intent --
-- A PaymentIntent was created for this order (the journal the reconciler walks).
INSERT INTO payment_intents (payment_intent_id, order_id, hold_id, event_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (payment_intent_id) DO NOTHING;

-- settle_payment_intent --
-- The PaymentIntent reached its end: captured with an order, or cancelled/refunded without.
UPDATE payment_intents SET settled_at = now(), outcome = $2
WHERE payment_intent_id = $1 AND settled_at IS NULL;

-- unsettled_payment_intents --
-- PaymentIntents created before $1 and not yet settled, oldest first.
SELECT payment_intent_id, order_id, hold_id, event_id, created_at
FROM payment_intents
WHERE settled_at IS NULL AND created_at < $1
ORDER BY created_at
LIMIT $2;

-- oldest_unsettled_payment_intent --
-- When the oldest unsettled PaymentIntent was created (NULL when none is).
SELECT min(created_at) FROM payment_intents WHERE settled_at IS NULL;

-- record_captured --
-- After the captures of $1 (PaymentIntent ids): each payment captured (an authorized one
-- only: never over refunded), every recorded webhook event of each processed, each journal
-- entry settled as captured. One statement for the concurrent jobs of a process.
WITH captured AS (
    UPDATE payments
    SET status = 'captured', captured_at = coalesce(captured_at, now()), updated_at = now()
    WHERE payment_intent_id = ANY($1::text[]) AND status = 'authorized'
), processed AS (
    UPDATE webhook_events SET processed_at = now()
    WHERE payment_intent_id = ANY($1::text[]) AND processed_at IS NULL
)
UPDATE payment_intents SET settled_at = now(), outcome = 'captured'
WHERE payment_intent_id = ANY($1::text[]) AND settled_at IS NULL;

-- insert_webhook_events --
-- Record a batch of Stripe events (distinct ids, payloads as JSON text), each once; returns the ids that are new.
INSERT INTO webhook_events (stripe_event_id, type, payment_intent_id, payload)
SELECT e.id, e.type, e.pi, e.payload::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS e(id, type, pi, payload)
ON CONFLICT (stripe_event_id) DO NOTHING
RETURNING stripe_event_id;
