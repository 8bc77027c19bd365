-- 0020_organizations: every event belongs to an organization, whose members hold one role
-- each (owner, manager, box_office, scanner, viewer). Invitations go out by email and are
-- accepted by the invited address. Events can be archived (kept, hidden from the lists).
-- The audit log names the organization of an entry that is about the organization itself.

CREATE TABLE organizations (
    org_id     uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_members (
    org_id    uuid NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    role      text NOT NULL
              CHECK (role IN ('owner', 'manager', 'box_office', 'scanner', 'viewer')),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);

CREATE TABLE organization_invitations (
    invitation_id uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
    email         text NOT NULL,
    role          text NOT NULL
                  CHECK (role IN ('owner', 'manager', 'box_office', 'scanner', 'viewer')),
    invited_by    uuid REFERENCES users (user_id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    revoked_at    timestamptz
);
-- One open invitation per address and organization: inviting again replaces its role.
CREATE UNIQUE INDEX organization_invitations_open
    ON organization_invitations (org_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Each account that organizes events today becomes the owner of an organization of its
-- own, named after it; its events move into it.
CREATE TEMPORARY TABLE organizer_orgs ON COMMIT DROP AS
SELECT u.user_id,
       (md5(u.user_id::text || ':org')::uuid) AS org_id,
       CASE WHEN u.name <> '' THEN u.name ELSE u.email END AS name
FROM users u
WHERE EXISTS (SELECT 1 FROM events e WHERE e.organizer_id = u.user_id)
   OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.user_id AND r.role = 'organizer');

INSERT INTO organizations (org_id, name)
SELECT org_id, left(name, 200) FROM organizer_orgs;
INSERT INTO organization_members (org_id, user_id, role)
SELECT org_id, user_id, 'owner' FROM organizer_orgs;

ALTER TABLE events ADD COLUMN org_id uuid REFERENCES organizations (org_id);
UPDATE events e SET org_id = o.org_id FROM organizer_orgs o WHERE o.user_id = e.organizer_id;
ALTER TABLE events ALTER COLUMN org_id SET NOT NULL;
CREATE INDEX events_org_idx ON events (org_id, created_at);

-- An archived event is kept with its orders and tickets but leaves the lists.
ALTER TABLE events ADD COLUMN archived_at timestamptz;

ALTER TABLE audit_log ADD COLUMN org_id uuid;
CREATE INDEX audit_log_by_org ON audit_log (org_id, audit_id) WHERE org_id IS NOT NULL;
