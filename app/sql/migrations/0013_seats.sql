-- 0013_seats: reserved seating. A section may be seated: its seats come from a seat map
-- (a pretix seating plan or a CSV), each seat with a stable id (the plan's seat_guid), its
-- row, number, category, position, and whether it is accessible, a companion seat or
-- blocked (held back by the organizer). Categories map to prices. A seated section's
-- capacity is its seats that are not blocked. The holds ledger and tickets name their seats.

ALTER TABLE sections ADD COLUMN seated boolean NOT NULL DEFAULT false;

-- The map as imported: the plan's zones, rows, areas, size and categories (the shape an
-- export gives back), and the point best-available seats are closest to.
CREATE TABLE seat_maps (
    event_id     uuid NOT NULL,
    section_code text NOT NULL,
    plan         jsonb NOT NULL,
    focal_x      double precision NOT NULL,
    focal_y      double precision NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, section_code),
    FOREIGN KEY (event_id, section_code) REFERENCES sections (event_id, code) ON DELETE CASCADE
);

CREATE TABLE seat_categories (
    event_id     uuid NOT NULL,
    section_code text NOT NULL,
    category     text NOT NULL,
    price_cents  integer NOT NULL CHECK (price_cents >= 0),
    color        text,
    position     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, section_code, category),
    FOREIGN KEY (event_id, section_code) REFERENCES seat_maps (event_id, section_code)
        ON DELETE CASCADE
);

CREATE TABLE seats (
    event_id     uuid NOT NULL,
    section_code text NOT NULL,
    seat_id      text NOT NULL,
    row_label    text NOT NULL,
    number       text NOT NULL,
    category     text NOT NULL,
    x            double precision NOT NULL,
    y            double precision NOT NULL,
    accessible   boolean NOT NULL DEFAULT false,
    companion    boolean NOT NULL DEFAULT false,
    blocked      boolean NOT NULL DEFAULT false,
    position     integer NOT NULL,
    PRIMARY KEY (event_id, section_code, seat_id),
    FOREIGN KEY (event_id, section_code, category)
        REFERENCES seat_categories (event_id, section_code, category) ON DELETE CASCADE
);
CREATE INDEX seats_section_idx ON seats (event_id, section_code, position);

ALTER TABLE holds ADD COLUMN seats text[];
ALTER TABLE tickets ADD COLUMN seat_id text;
-- A seat has at most one live ticket (a voided one gave its seat up).
CREATE UNIQUE INDEX tickets_live_seat_idx ON tickets (event_id, section_code, seat_id)
    WHERE seat_id IS NOT NULL AND voided_at IS NULL;
