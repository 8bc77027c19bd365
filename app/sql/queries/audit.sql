-- insert_audit --
-- Append one entry to the audit log.
INSERT INTO audit_log
    (actor_id, actor_roles, action, target_type, target_id, event_id, client_ip, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- audit_page --
-- Audit entries, newest first, optionally of one event and before an id (paging).
SELECT audit_id, at, actor_id, actor_roles, action, target_type, target_id, event_id,
       client_ip, detail
FROM audit_log
WHERE ($1::uuid IS NULL OR event_id = $1)
  AND ($2::bigint IS NULL OR audit_id < $2)
  AND ($3::text IS NULL OR action = $3)
ORDER BY audit_id DESC
LIMIT $4;
