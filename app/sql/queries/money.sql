-- money_rules --
-- An event's fees, tax and refund rule (no row: no fees, no tax).
SELECT * FROM event_money WHERE event_id = $1;

-- put_money_rules --
-- The organizer sets an event's fees, tax and refund rule (all of them at once).
INSERT INTO event_money (event_id, fee_per_ticket_cents, fee_per_order_cents, tax_rate_bp,
                         tax_inclusive, tax_label, refund_fees)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (event_id) DO UPDATE SET
    fee_per_ticket_cents = EXCLUDED.fee_per_ticket_cents,
    fee_per_order_cents = EXCLUDED.fee_per_order_cents,
    tax_rate_bp = EXCLUDED.tax_rate_bp,
    tax_inclusive = EXCLUDED.tax_inclusive,
    tax_label = EXCLUDED.tax_label,
    refund_fees = EXCLUDED.refund_fees,
    updated_at = now()
RETURNING *;

-- put_order_charges --
-- What checkout charged an order (once: a later checkout of the same hold charges the same).
INSERT INTO order_charges (order_id, tickets_cents, tickets_tax_cents, fees_cents,
                           fees_tax_cents, total_cents, tax_rate_bp, tax_inclusive, tax_label,
                           refund_fees, lines)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (order_id) DO UPDATE SET
    tickets_cents = EXCLUDED.tickets_cents,
    tickets_tax_cents = EXCLUDED.tickets_tax_cents,
    fees_cents = EXCLUDED.fees_cents,
    fees_tax_cents = EXCLUDED.fees_tax_cents,
    total_cents = EXCLUDED.total_cents,
    tax_rate_bp = EXCLUDED.tax_rate_bp,
    tax_inclusive = EXCLUDED.tax_inclusive,
    tax_label = EXCLUDED.tax_label,
    refund_fees = EXCLUDED.refund_fees,
    lines = EXCLUDED.lines
WHERE (SELECT status FROM orders WHERE order_id = $1) = 'pending';

-- order_charges --
-- What an order was charged (NULL for an order sold before fees and tax existed).
SELECT * FROM order_charges WHERE order_id = $1;

-- receipt_order --
-- An order with its event, seller (the event's organization) and buyer, for its receipt.
SELECT o.order_id, o.user_id, o.status, o.quantity, o.section_code, o.amount_cents, o.currency,
       o.created_at, o.confirmed_at, o.payment_intent_id,
       e.name AS event_name, e.venue, e.starts_at, e.timezone,
       s.name AS section_name, u.email, u.name AS buyer_name, u.locale,
       r.amount_cents AS refunded_cents, r.status AS refund_status,
       g.name AS org_name, g.legal_name AS seller_name, g.address AS seller_address,
       g.vat_id AS seller_vat_id
FROM orders o
JOIN events e ON e.event_id = o.event_id
JOIN organizations g ON g.org_id = e.org_id
JOIN users u ON u.user_id = o.user_id
LEFT JOIN sections s ON s.event_id = o.event_id AND s.code = o.section_code
LEFT JOIN refunds r ON r.order_id = o.order_id
WHERE o.order_id = $1;

-- revenue_by_section --
-- An event's confirmed and refunded orders per section: tickets, fees and tax as charged
-- (orders without charges count as tickets only, tax-free), and the refunds Stripe made.
SELECT o.section_code AS section,
       count(*)::bigint AS orders,
       sum(o.quantity)::bigint AS tickets,
       coalesce(sum(coalesce(c.tickets_cents, o.amount_cents)), 0)::bigint AS tickets_cents,
       coalesce(sum(coalesce(c.fees_cents, 0)), 0)::bigint AS fees_cents,
       coalesce(sum(coalesce(c.tickets_tax_cents, 0) + coalesce(c.fees_tax_cents, 0)), 0)::bigint
           AS tax_cents,
       coalesce(sum(o.amount_cents), 0)::bigint AS gross_cents,
       coalesce(sum(r.amount_cents) FILTER (WHERE r.status = 'succeeded'), 0)::bigint
           AS refunded_cents
FROM orders o
LEFT JOIN order_charges c ON c.order_id = o.order_id
LEFT JOIN refunds r ON r.order_id = o.order_id
WHERE o.event_id = $1 AND o.status IN ('confirmed', 'refunded')
GROUP BY o.section_code
ORDER BY o.section_code;
