-- 0004_checkout: lookups the checkout, finalize and stats paths need.

-- The finalize job marks every delivery of a PaymentIntent's events processed.
CREATE INDEX webhook_events_pi_idx ON webhook_events (payment_intent_id)
    WHERE processed_at IS NULL;

-- Stats: confirmed orders and revenue per event without scanning other events.
CREATE INDEX orders_event_status_idx ON orders (event_id, status);
