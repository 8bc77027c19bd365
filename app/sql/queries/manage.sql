-- live_sale_counts --
-- Payment failures, cancelled orders and how ended holds ended, for one event.
SELECT
  (SELECT count(*) FROM orders o
   WHERE o.event_id = $1 AND EXISTS (
     SELECT 1 FROM webhook_events w
     WHERE w.payment_intent_id = o.payment_intent_id
       AND w.type = 'payment_intent.payment_failed')) AS payment_failures,
  (SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'cancelled') AS orders_cancelled,
  (SELECT count(*) FROM holds WHERE event_id = $1 AND status = 'converted') AS holds_converted,
  (SELECT count(*) FROM holds WHERE event_id = $1 AND status = 'expired') AS holds_expired,
  (SELECT count(*) FROM holds WHERE event_id = $1 AND status = 'released') AS holds_released;

-- search_orders --
-- Orders of events of the caller's organizations where its role may read them ($9: those
-- roles; $2 = all events), by exact order id or email substring; a page of $8 (newest first)
-- after the cursor ($6 created_at, $7 order_id) of the last one seen.
SELECT o.order_id, o.event_id, o.status, o.amount_cents, o.currency, o.created_at,
       o.section_code, o.quantity, o.confirmed_at, o.cancel_reason, u.email,
       e.name AS event_name
FROM orders o
JOIN users u ON u.user_id = o.user_id
JOIN events e ON e.event_id = o.event_id
WHERE ($2::boolean OR e.org_id IN (SELECT m.org_id FROM organization_members m
                                   WHERE m.user_id = $1 AND m.role = ANY($9::text[])))
  AND ($3::uuid IS NULL OR o.event_id = $3)
  AND ($4::uuid IS NULL OR o.order_id = $4)
  AND ($5::text IS NULL OR lower(u.email) LIKE $5 ESCAPE '\')
  AND ($6::timestamptz IS NULL OR (o.created_at, o.order_id) < ($6, $7::uuid))
ORDER BY o.created_at DESC, o.order_id DESC
LIMIT $8;

-- list_users --
-- Accounts for the admin page, newest first, filtered by email substring and role; a page of
-- $5 after the cursor ($3 created_at, $4 user_id) of the last one seen.
SELECT u.user_id, u.email, u.name, u.created_at,
       coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles,
       (t.enabled_at IS NOT NULL) AS totp_enabled
FROM users u
LEFT JOIN user_roles r ON r.user_id = u.user_id
LEFT JOIN user_totp t ON t.user_id = u.user_id
WHERE ($1::text IS NULL OR lower(u.email) LIKE $1 ESCAPE '\')
  AND ($2::text IS NULL OR EXISTS (
        SELECT 1 FROM user_roles x WHERE x.user_id = u.user_id AND x.role = $2))
  AND ($3::timestamptz IS NULL OR (u.created_at, u.user_id) < ($3, $4::uuid))
GROUP BY u.user_id, t.enabled_at
ORDER BY u.created_at DESC, u.user_id DESC
LIMIT $5;

-- revoke_role --
-- Take a role away from a user.
DELETE FROM user_roles WHERE user_id = $1 AND role = $2;
