-- 0023_attendees: attendee names and custom questions per event, the fans' answers, and the
-- seller's details an organization prints on its receipts.
--
-- An event without a row in event_attendees asks nothing (names off, no questions): nothing
-- changes for events made before this. Questions are one JSON document per event, edited
-- whole in the console; each keeps a stable question_id, so answers to it survive edits and
-- an answer to a removed question is simply no longer shown or exported.

CREATE TABLE event_attendees (
    event_id     uuid PRIMARY KEY REFERENCES events (event_id) ON DELETE CASCADE,
    names        text NOT NULL DEFAULT 'off' CHECK (names IN ('off', 'optional', 'required')),
    -- Fans may change names and answers until this many hours before the event starts.
    cutoff_hours integer NOT NULL DEFAULT 0 CHECK (cutoff_hours BETWEEN 0 AND 8760),
    -- [{question_id, label, kind: text|choice|multiple, required, per: ticket|order,
    --   max_length, options: [string]}]
    questions    jsonb NOT NULL DEFAULT '[]'::jsonb,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The name on a ticket and its per-ticket answers ({question_id: "text" | ["a", "b"]}).
CREATE TABLE ticket_attendees (
    ticket_id  uuid PRIMARY KEY REFERENCES tickets (ticket_id) ON DELETE CASCADE,
    order_id   uuid NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
    name       text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    answers    jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_attendees_order ON ticket_attendees (order_id);

-- An order's answers to the questions asked once per order.
CREATE TABLE order_answers (
    order_id   uuid PRIMARY KEY REFERENCES orders (order_id) ON DELETE CASCADE,
    answers    jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The seller on the organization's receipts: legal name, postal address, VAT id.
ALTER TABLE organizations
    ADD COLUMN legal_name text NOT NULL DEFAULT '' CHECK (length(legal_name) <= 200),
    ADD COLUMN address    text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    ADD COLUMN vat_id     text NOT NULL DEFAULT '' CHECK (length(vat_id) <= 40);
