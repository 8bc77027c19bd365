-- insert_phase --
-- A new sale phase of an event.
INSERT INTO event_phases (phase_id, event_id, name, opens_at, closes_at, audience, sections,
                          max_per_user, room, registration_closes_at, codes_per_seat, seed,
                          seed_sha256)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING *;

-- event_phases --
-- Every phase of an event, by opening time.
SELECT * FROM event_phases WHERE event_id = $1 ORDER BY opens_at, created_at;

-- lock_event_phases --
-- Every phase of an event, locked while a new one is checked against them.
SELECT * FROM event_phases WHERE event_id = $1 ORDER BY opens_at FOR UPDATE;

-- phase --
-- One phase of an event.
SELECT * FROM event_phases WHERE event_id = $1 AND phase_id = $2;

-- delete_phase --
-- Remove a phase (its codes, members and registrations go with it).
DELETE FROM event_phases WHERE event_id = $1 AND phase_id = $2;

-- insert_phase_codes --
-- Codes of a phase; a code already there is left as it was.
INSERT INTO phase_codes (phase_id, code, uses, source, owner_id)
SELECT $1, c, u, $4, o FROM unnest($2::text[], $3::int[], $5::uuid[]) AS t (c, u, o)
ON CONFLICT (phase_id, code) DO NOTHING
RETURNING code;

-- phase_codes --
-- Every code of a phase, for the export.
SELECT code, uses, used, source, owner_id, voided_at, created_at FROM phase_codes
WHERE phase_id = $1 ORDER BY created_at, code;

-- insert_code_use --
-- This account's use of a code (nothing when it used it already).
INSERT INTO phase_code_uses (phase_id, code, user_id) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING code;

-- take_code_use --
-- One use of a code, if any is left and the code is not another account's.
UPDATE phase_codes SET used = used + 1
WHERE phase_id = $1 AND code = $2 AND used < uses AND voided_at IS NULL
  AND (owner_id IS NULL OR owner_id = $3)
RETURNING code;

-- code_used_by --
-- Whether an account already entered a phase with a code.
SELECT code FROM phase_code_uses WHERE phase_id = $1 AND user_id = $2 LIMIT 1;

-- insert_phase_members --
-- Emails of a phase's member list (lower case; repeats ignored).
INSERT INTO phase_members (phase_id, email)
SELECT $1, lower(e) FROM unnest($2::text[]) AS t (e)
ON CONFLICT DO NOTHING;

-- clear_phase_members --
-- Empty a phase's member list before a replacing upload.
DELETE FROM phase_members WHERE phase_id = $1;

-- is_phase_member --
-- Whether an account's email is on a phase's list, and whether the account proved it owns
-- that address (only then does the list let it in).
SELECT u.email_verified_at IS NOT NULL AS verified
FROM phase_members m JOIN users u ON lower(u.email) = m.email
WHERE m.phase_id = $1 AND u.user_id = $2;

-- phase_figures --
-- Per-phase figures: codes, uses, members, registrations, winners, duplicates set aside.
SELECT p.phase_id,
       (SELECT count(*) FROM phase_codes c WHERE c.phase_id = p.phase_id) AS codes,
       (SELECT coalesce(sum(c.used), 0) FROM phase_codes c WHERE c.phase_id = p.phase_id)
           AS redeemed,
       (SELECT count(*) FROM phase_members m WHERE m.phase_id = p.phase_id) AS members,
       (SELECT count(*) FROM phase_registrations r WHERE r.phase_id = p.phase_id)
           AS registrations,
       (SELECT count(*) FROM phase_registrations r WHERE r.phase_id = p.phase_id
           AND r.outcome = 'won') AS winners,
       (SELECT count(*) FROM phase_registrations r WHERE r.phase_id = p.phase_id
           AND r.outcome = 'duplicate') AS duplicates
FROM event_phases p WHERE p.event_id = $1;

-- user_email_verified --
-- Whether an account proved its email address.
SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE user_id = $1;

-- insert_registration --
-- A fan's registration for a draw (a repeat changes quantity and section).
INSERT INTO phase_registrations (phase_id, user_id, quantity, section)
VALUES ($1, $2, $3, $4)
ON CONFLICT (phase_id, user_id) DO UPDATE SET quantity = $3, section = $4
WHERE phase_registrations.outcome IS NULL
RETURNING *;

-- registration --
-- A fan's registration for a draw.
SELECT * FROM phase_registrations WHERE phase_id = $1 AND user_id = $2;

-- phase_draw --
-- The draw of a phase, once run.
SELECT * FROM phase_draws WHERE phase_id = $1;

-- insert_phase_draw --
-- Record a draw once.
INSERT INTO phase_draws (phase_id, registrations, registrations_sha256, winners)
VALUES ($1, $2, $3, $4) ON CONFLICT (phase_id) DO NOTHING RETURNING phase_id;

-- set_registration_outcomes --
-- The outcome, rank and code of each registrant.
UPDATE phase_registrations r SET outcome = t.o, rank = t.k, code = t.c
FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[]) AS t (u, o, k, c)
WHERE r.phase_id = $1 AND r.user_id = t.u;

-- unused_draw_codes --
-- Draw codes nobody used yet (not voided).
SELECT code, owner_id FROM phase_codes
WHERE phase_id = $1 AND source = 'draw' AND used = 0 AND voided_at IS NULL;

-- void_codes --
-- Take unused codes out of play (their holders go back to the list's end).
UPDATE phase_codes SET voided_at = now()
WHERE phase_id = $1 AND code = ANY($2::text[]) AND used = 0 AND voided_at IS NULL
RETURNING code, owner_id;

-- next_listed --
-- The first accounts on a draw's list, by rank.
SELECT user_id, rank FROM phase_registrations
WHERE phase_id = $1 AND outcome = 'listed' ORDER BY rank LIMIT $2;

-- drawn_registrations --
-- Every registration of a drawn phase by rank (the organizer's export).
SELECT user_id, outcome, rank FROM phase_registrations
WHERE phase_id = $1 AND outcome IN ('won', 'listed') ORDER BY rank;

-- insert_draw_messages --
-- The access-code message of each winner, once per phase and account (the outbox sends it).
INSERT INTO outbox (kind, dedup_key, payload)
SELECT 'draw_won', 'draw_won:' || $1::text || ':' || u::text,
       jsonb_build_object('event_id', $2::text, 'user_id', u::text, 'phase', $3::text,
                          'code', c, 'opens_at', $4::text, 'closes_at', $5::text)
FROM unnest($6::uuid[], $7::text[]) AS t (u, c)
ON CONFLICT (dedup_key) DO NOTHING;

-- insert_draw_outcome_messages --
-- The draw's news to the rest of its registrants, once per phase and account (the outbox
-- sends it): 'draw_listed' with the place on the list, 'draw_not_drawn' for one set aside.
INSERT INTO outbox (kind, dedup_key, payload)
SELECT k, k || ':' || $1::text || ':' || u::text,
       jsonb_build_object('event_id', $2::text, 'user_id', u::text, 'phase', $3::text,
                          'place', p, 'opens_at', $4::text, 'closes_at', $5::text)
FROM unnest($6::text[], $7::uuid[], $8::int[]) AS t (k, u, p)
ON CONFLICT (dedup_key) DO NOTHING;

-- phase_queue_draw --
-- The sealed pre-queue of a sale phase, if any.
SELECT boundary_seq, entrants, sealed_at FROM phase_queue_draws WHERE phase_id = $1;

-- insert_phase_queue_draw --
-- Seal a phase's pre-queue once (a rerun of the job changes nothing).
INSERT INTO phase_queue_draws (phase_id, boundary_seq, entrants) VALUES ($1, $2, $3)
ON CONFLICT (phase_id) DO NOTHING RETURNING phase_id;

-- insert_phase_queue_entrants --
-- A chunk of a phase's pre-queue entrants with their arrival seq.
INSERT INTO phase_queue_entrants (phase_id, user_id, arrival_seq)
SELECT $1, u, s FROM unnest($2::uuid[], $3::bigint[]) AS t (u, s)
ON CONFLICT (phase_id, user_id) DO NOTHING;

-- phase_queue_entrants --
-- Every entrant of a phase's pre-queue in arrival order.
SELECT user_id, arrival_seq FROM phase_queue_entrants WHERE phase_id = $1 ORDER BY arrival_seq;

-- registrant_identities --
-- Each registrant of a draw, by registration time, with what names the person behind the
-- account where it is known: the phone of its notification settings, and the cards of its
-- past payments (Stripe's card fingerprints, as Stripe's recorded webhook events carry
-- them: a charge's payment_method_details, or a PaymentIntent's charges).
SELECT r.user_id, r.registered_at, np.phone,
       coalesce(array_agg(DISTINCT f.fingerprint) FILTER (WHERE f.fingerprint IS NOT NULL),
                '{}') AS cards
FROM phase_registrations r
LEFT JOIN notification_prefs np ON np.user_id = r.user_id
LEFT JOIN LATERAL (
    SELECT coalesce(
               w.payload #>> '{data,object,payment_method_details,card,fingerprint}',
               w.payload #>> '{data,object,charges,data,0,payment_method_details,card,fingerprint}'
           ) AS fingerprint
    FROM orders o
    JOIN webhook_events w ON w.payment_intent_id = o.payment_intent_id
    WHERE o.user_id = r.user_id
) f ON true
WHERE r.phase_id = $1
GROUP BY r.user_id, r.registered_at, np.phone
ORDER BY r.registered_at, r.user_id;

-- drawn_registrants --
-- The registrants a drawn phase's draw ran over (its duplicates set aside).
SELECT user_id FROM phase_registrations WHERE phase_id = $1 AND outcome IN ('won', 'listed');

-- sold_per_account --
-- Tickets of each account in an event's confirmed orders (the per-phase figures).
SELECT user_id, sum(quantity)::int AS sold FROM orders
WHERE event_id = $1 AND status = 'confirmed' GROUP BY user_id;
