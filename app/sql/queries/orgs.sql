-- insert_org --
-- Create an organization.
INSERT INTO organizations (org_id, name) VALUES ($1, $2);

-- upsert_member --
-- Put an account into an organization with a role (a member already in it takes the role).
INSERT INTO organization_members (org_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role;

-- member_role --
-- The role of an account in an organization, or nothing.
SELECT role FROM organization_members WHERE org_id = $1 AND user_id = $2;

-- is_member_anywhere --
-- Whether an account belongs to any organization.
SELECT EXISTS (SELECT 1 FROM organization_members WHERE user_id = $1);

-- orgs_of_user --
-- The organizations an account belongs to, with its role, oldest membership first.
SELECT o.org_id, o.name, m.role, o.created_at
FROM organization_members m JOIN organizations o ON o.org_id = m.org_id
WHERE m.user_id = $1
ORDER BY m.joined_at, o.org_id;

-- org_by_id --
-- One organization.
SELECT org_id, name, created_at FROM organizations WHERE org_id = $1;

-- lock_org --
-- Lock an organization's row: member changes of one organization run one at a time, so
-- the last owner is never removed by two requests at once.
SELECT org_id FROM organizations WHERE org_id = $1 FOR UPDATE;

-- members_of_org --
-- The members of an organization with their address and name, owners first.
SELECT m.user_id, u.email, u.name, m.role, m.joined_at
FROM organization_members m JOIN users u ON u.user_id = m.user_id
WHERE m.org_id = $1
ORDER BY array_position(ARRAY['owner', 'manager', 'box_office', 'scanner', 'viewer'], m.role),
         lower(u.email);

-- count_owners --
-- How many owners an organization has.
SELECT count(*) FROM organization_members WHERE org_id = $1 AND role = 'owner';

-- set_member_role --
-- Change a member's role; nothing when the account is not a member.
UPDATE organization_members SET role = $3 WHERE org_id = $1 AND user_id = $2 RETURNING role;

-- delete_member --
-- Remove a member; nothing when the account is not a member.
DELETE FROM organization_members WHERE org_id = $1 AND user_id = $2 RETURNING role;

-- open_invitation --
-- Invite an address (an open invitation to the same address takes the new role and a new
-- expiry); returns the invitation's id.
INSERT INTO organization_invitations (invitation_id, org_id, email, role, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, lower(email)) WHERE accepted_at IS NULL AND revoked_at IS NULL
DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by,
              expires_at = EXCLUDED.expires_at
RETURNING invitation_id;

-- invitation_by_id --
-- One invitation with its organization's name.
SELECT i.invitation_id, i.org_id, o.name AS org_name, i.email, i.role, i.invited_by,
       i.created_at, i.expires_at, i.accepted_at, i.revoked_at
FROM organization_invitations i JOIN organizations o ON o.org_id = i.org_id
WHERE i.invitation_id = $1;

-- invitation_for_update --
-- One invitation, locked while it is accepted.
SELECT invitation_id, org_id, email, role, expires_at, accepted_at, revoked_at
FROM organization_invitations WHERE invitation_id = $1 FOR UPDATE;

-- open_invitations_of_org --
-- The invitations of an organization not yet accepted, revoked or expired, newest first.
SELECT invitation_id, email, role, created_at, expires_at
FROM organization_invitations
WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at DESC
LIMIT 200;

-- accept_invitation --
-- Mark an invitation accepted.
UPDATE organization_invitations SET accepted_at = now() WHERE invitation_id = $1;

-- revoke_invitation --
-- Withdraw an open invitation of an organization; nothing when there is none.
UPDATE organization_invitations SET revoked_at = now()
WHERE invitation_id = $1 AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
RETURNING invitation_id;

-- invitation_message --
-- The invitation email into the outbox, once per invitation and expiry.
INSERT INTO outbox (kind, dedup_key, payload) VALUES ($1, $2, $3)
ON CONFLICT (dedup_key) DO NOTHING;

-- org_seller --
-- The seller's details an organization prints on its receipts.
SELECT org_id, name, legal_name, address, vat_id FROM organizations WHERE org_id = $1;

-- put_org_seller --
-- Set an organization's seller details.
UPDATE organizations SET legal_name = $2, address = $3, vat_id = $4 WHERE org_id = $1
RETURNING org_id, name, legal_name, address, vat_id;
