-- 0018_stream_holds: the event stream counts hold starts and expiries per event and second
-- (hold.created, hold.expired) from the holds ledger, exactly once each. `streamed` says
-- how far the stream has counted a hold: 0 nothing yet, 1 its creation, 2 everything
-- (its creation and, when it ended by expiring, its expiry).
--
-- Holds recorded before the stream counted them get 2 (a constant default is a catalog
-- change, not a rewrite of the table) and are never counted; new holds start at 0.
ALTER TABLE holds ADD COLUMN streamed smallint NOT NULL DEFAULT 2;
ALTER TABLE holds ALTER COLUMN streamed SET DEFAULT 0;
CREATE INDEX holds_to_stream_idx ON holds (hold_id)
    WHERE streamed = 0 OR (streamed = 1 AND status IN ('converted', 'released', 'expired'));
