-- 0011_ticket_moves: a fan's own moves of a ticket after the sale: cancel, transfer, resale.
-- A moved ticket gets a new row (new id, new code) that `replaces` the old one; the old
-- row is voided (`voided_at`, the one "this code is dead" mark) in the same transaction.

ALTER TABLE tickets
    -- The account holding the ticket; NULL: the order's buyer.
    ADD COLUMN holder_id uuid REFERENCES users (user_id),
    ADD COLUMN replaces uuid REFERENCES tickets (ticket_id),
    -- Transfers in this ticket's line (the organizer's per-ticket limit counts them).
    ADD COLUMN moves integer NOT NULL DEFAULT 0 CHECK (moves >= 0),
    -- Why the code is dead: refunded, transferred, resold.
    ADD COLUMN void_reason text;
-- A ticket's successor shares its order and seat number: seq stays unique among the
-- tickets first issued by the order, and a ticket has at most one successor.
ALTER TABLE tickets DROP CONSTRAINT tickets_order_id_seq_key;
CREATE UNIQUE INDEX tickets_order_seq_first ON tickets (order_id, seq) WHERE replaces IS NULL;
-- Reads by order (an order's tickets, voiding them) keep an index of their own.
CREATE INDEX tickets_order_idx ON tickets (order_id, seq);
CREATE UNIQUE INDEX tickets_replaces_key ON tickets (replaces) WHERE replaces IS NOT NULL;
CREATE INDEX tickets_holder_idx ON tickets (holder_id) WHERE holder_id IS NOT NULL;

-- The organizer's rules per event; an event without a row allows no move.
CREATE TABLE event_move_rules (
    event_id                uuid PRIMARY KEY REFERENCES events (event_id) ON DELETE CASCADE,
    cancel_enabled          boolean NOT NULL DEFAULT false,
    -- A fan may cancel until this many seconds before the event starts.
    cancel_until_s          integer NOT NULL DEFAULT 86400 CHECK (cancel_until_s >= 0),
    transfer_enabled        boolean NOT NULL DEFAULT false,
    transfer_max_per_ticket integer NOT NULL DEFAULT 1 CHECK (transfer_max_per_ticket >= 1),
    -- No transfer (offered or accepted) within this many seconds before the doors.
    transfer_cutoff_s       integer NOT NULL DEFAULT 0 CHECK (transfer_cutoff_s >= 0),
    resale_enabled          boolean NOT NULL DEFAULT false,
    -- Kept by the organizer from each resold ticket's refund to its seller.
    resale_fee_cents        integer NOT NULL DEFAULT 0 CHECK (resale_fee_cents >= 0),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ticket_transfers (
    transfer_id   uuid PRIMARY KEY,
    ticket_id     uuid NOT NULL REFERENCES tickets (ticket_id),
    event_id      uuid NOT NULL REFERENCES events (event_id),
    from_user_id  uuid NOT NULL REFERENCES users (user_id),
    to_email      text NOT NULL,
    to_user_id    uuid REFERENCES users (user_id),
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'accepted', 'cancelled')),
    new_ticket_id uuid REFERENCES tickets (ticket_id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz
);
-- One open transfer per ticket.
CREATE UNIQUE INDEX ticket_transfers_open ON ticket_transfers (ticket_id) WHERE state = 'pending';
CREATE INDEX ticket_transfers_to_idx ON ticket_transfers (lower(to_email), state);
CREATE INDEX ticket_transfers_event_idx ON ticket_transfers (event_id, created_at);

CREATE TABLE resale_listings (
    listing_id        uuid PRIMARY KEY,
    ticket_id         uuid NOT NULL REFERENCES tickets (ticket_id),
    event_id          uuid NOT NULL REFERENCES events (event_id),
    section_code      text NOT NULL,
    seller_id         uuid NOT NULL REFERENCES users (user_id),
    -- The seller's order and the PaymentIntent their refund goes back to.
    order_id          uuid NOT NULL REFERENCES orders (order_id),
    payment_intent_id text NOT NULL,
    price_cents       integer NOT NULL CHECK (price_cents >= 0),
    fee_cents         integer NOT NULL DEFAULT 0 CHECK (fee_cents >= 0 AND fee_cents <= price_cents),
    currency          char(3) NOT NULL,
    state             text NOT NULL DEFAULT 'listed'
                      -- refunded: closed by its order's refund (the seat was on sale already)
                      CHECK (state IN ('listed', 'withdrawn', 'sold', 'refunded')),
    buyer_order_id    uuid REFERENCES orders (order_id),
    -- The seller's refund: pending from the sale until Stripe confirmed it (retried).
    payout_state      text NOT NULL DEFAULT 'none'
                      CHECK (payout_state IN ('none', 'pending', 'paid')),
    payout_attempts   integer NOT NULL DEFAULT 0,
    payout_error      text,
    payout_next_at    timestamptz,
    stripe_refund_id  text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    sold_at           timestamptz,
    withdrawn_at      timestamptz,
    paid_at           timestamptz,
    CHECK ((state = 'sold') = (buyer_order_id IS NOT NULL)),
    CHECK ((state = 'sold') = (payout_state <> 'none'))
);
-- One open listing per ticket; sales take the open listings of a section oldest first.
CREATE UNIQUE INDEX resale_listings_open ON resale_listings (ticket_id) WHERE state = 'listed';
CREATE INDEX resale_listings_fifo ON resale_listings (event_id, section_code, created_at)
    WHERE state = 'listed';
CREATE INDEX resale_listings_payouts ON resale_listings (payout_next_at)
    WHERE payout_state = 'pending';
CREATE INDEX resale_listings_event_idx ON resale_listings (event_id, created_at);
CREATE INDEX resale_listings_ticket_idx ON resale_listings (ticket_id, created_at);
CREATE INDEX resale_listings_order_idx ON resale_listings (order_id);
