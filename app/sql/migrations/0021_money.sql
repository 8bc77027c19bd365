-- 0021_money: fees, tax and the refund rule per event; what each order was charged.
--
-- An event without a row in event_money has no fees and no tax (the defaults): nothing
-- changes for events made before this. An order's charges are written at checkout with the
-- rules in force then, so a later change of the event's fees never changes a sold order's
-- receipt, nor what its refund gives back.

CREATE TABLE event_money (
    event_id             uuid PRIMARY KEY REFERENCES events (event_id) ON DELETE CASCADE,
    fee_per_ticket_cents integer NOT NULL DEFAULT 0 CHECK (fee_per_ticket_cents >= 0),
    fee_per_order_cents  integer NOT NULL DEFAULT 0 CHECK (fee_per_order_cents >= 0),
    -- Basis points: 1900 = 19 %.
    tax_rate_bp          integer NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    tax_inclusive        boolean NOT NULL DEFAULT true,
    tax_label            text NOT NULL DEFAULT '',
    refund_fees          boolean NOT NULL DEFAULT true,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE order_charges (
    order_id          uuid PRIMARY KEY REFERENCES orders (order_id),
    -- Gross amounts as the fan paid them, each with the tax inside it.
    tickets_cents     integer NOT NULL CHECK (tickets_cents >= 0),
    tickets_tax_cents integer NOT NULL CHECK (tickets_tax_cents >= 0),
    fees_cents        integer NOT NULL CHECK (fees_cents >= 0),
    fees_tax_cents    integer NOT NULL CHECK (fees_tax_cents >= 0),
    total_cents       integer NOT NULL CHECK (total_cents = tickets_cents + fees_cents),
    tax_rate_bp       integer NOT NULL,
    tax_inclusive     boolean NOT NULL,
    tax_label         text NOT NULL,
    refund_fees       boolean NOT NULL,
    -- [{label, quantity, tickets_cents, tickets_tax_cents, fees_cents, fees_tax_cents}]
    lines             jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
