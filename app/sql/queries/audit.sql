-- insert_audit --
-- Append one entry to the audit log.
INSERT INTO audit_log
    (actor_id, actor_roles, action, target_type, target_id, event_id, client_ip, detail, org_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- audit_page --
-- Audit entries, newest first, optionally of one event, of one organization (its own entries
-- and its events'), one action and one actor (part of the email), before an id (paging); with the actor's email, the event's name and, for a user or an
-- event as target, its email or name, so the log reads without looking ids up.
SELECT a.audit_id, a.at, a.actor_id, actor.email AS actor_email, a.actor_roles, a.action,
       a.target_type, a.target_id, a.event_id, e.name AS event_name, a.client_ip, a.detail,
       CASE a.target_type WHEN 'user' THEN target_user.email WHEN 'event' THEN target_event.name
       END AS target_label
FROM audit_log a
LEFT JOIN users actor ON actor.user_id = a.actor_id
LEFT JOIN events e ON e.event_id = a.event_id
LEFT JOIN users target_user ON target_user.user_id = (CASE
    WHEN a.target_type = 'user' AND a.target_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN a.target_id::uuid END)
LEFT JOIN events target_event ON target_event.event_id = (CASE
    WHEN a.target_type = 'event' AND a.target_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN a.target_id::uuid END)
WHERE ($1::uuid IS NULL OR a.event_id = $1)
  AND ($2::bigint IS NULL OR a.audit_id < $2)
  AND ($3::text IS NULL OR a.action = $3)
  AND ($5::text IS NULL OR lower(actor.email) LIKE $5 ESCAPE '\')
  AND ($6::uuid IS NULL OR a.org_id = $6
       OR a.event_id IN (SELECT oe.event_id FROM events oe WHERE oe.org_id = $6))
ORDER BY a.audit_id DESC
LIMIT $4;
