-- 0022_ticket_types: ticket types within a section (adult, reduced, VIP package).
--
-- A section has zero or more types; a section with none sells as before, at its own price.
-- Each type has a price, a quota drawn from the section's seats (quotas may add up to more
-- than the capacity: the section still bounds the total, a quota bounds its type), a
-- per-order limit (0 = only the event's), an optional sale window, and an optional companion:
-- the code of another type of the same section, at least one ticket of which must be in the
-- same order. The hold script checks all of it (lua/reserve_seats.lua); the record keeps the
-- rules, and each ticket and hold keeps the type it was sold as.

CREATE TABLE ticket_types (
    event_id      uuid NOT NULL,
    section_code  text NOT NULL,
    code          text NOT NULL,
    name          text NOT NULL,
    price_cents   integer NOT NULL CHECK (price_cents >= 0),
    quota         integer NOT NULL CHECK (quota >= 0),
    max_per_order integer NOT NULL DEFAULT 0 CHECK (max_per_order >= 0),
    opens_at      timestamptz,
    closes_at     timestamptz,
    companion     text,
    position      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, section_code, code),
    FOREIGN KEY (event_id, section_code) REFERENCES sections (event_id, code) ON DELETE CASCADE,
    CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at),
    CHECK (companion IS NULL OR companion <> code)
);

-- The type each ticket was sold as (NULL: a section without types).
ALTER TABLE tickets ADD COLUMN ticket_type text;
-- A hold's lines by type, 'TYPE:q:amount,...' as the hold script wrote them (NULL: none).
ALTER TABLE holds ADD COLUMN lines text;
