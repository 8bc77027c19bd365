-- 0015_stream: the outbox also feeds the event stream (RabbitMQ). A message is published
-- once its broker confirmed it; published_at is set only then, in the transaction that
-- holds the row's lock while it is published.
--
-- Rows written before the stream existed get -infinity (a constant default is a catalog
-- change, not a rewrite of the table) and are never published; new rows start NULL.
ALTER TABLE outbox ADD COLUMN published_at timestamptz DEFAULT '-infinity';
ALTER TABLE outbox ALTER COLUMN published_at DROP DEFAULT;
CREATE INDEX outbox_unpublished_idx ON outbox (message_id) WHERE published_at IS NULL;

-- The funnel report counts an event's admitted fans from their "your turn" messages.
CREATE INDEX outbox_your_turn_event_idx ON outbox ((payload ->> 'event_id'))
    WHERE kind = 'your_turn';
