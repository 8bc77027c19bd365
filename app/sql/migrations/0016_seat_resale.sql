-- 0016_seat_resale: resale of reserved seats. A resold seat's buyer gets a ticket for the
-- seat while the seller's ticket for it is still live, and the seller's is voided later in
-- the same transaction (app.orders.confirm takes the seat's listing after the section's
-- lock). "A seat has at most one live ticket" is therefore checked at commit: the same rule
-- as the unique index it replaces, deferred to the end of the transaction.

ALTER TABLE tickets ADD CONSTRAINT tickets_live_seat
    EXCLUDE USING btree (event_id WITH =, section_code WITH =, seat_id WITH =)
    WHERE (seat_id IS NOT NULL AND voided_at IS NULL)
    DEFERRABLE INITIALLY DEFERRED;
DROP INDEX tickets_live_seat_idx;
