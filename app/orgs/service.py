"""Organization operations: create, list mine, the team, invitations, roles, removal.

Each check reads the caller's role in the organization from Postgres (roles change without
a new sign-in); an account outside the organization gets 404, so nothing reveals that it
exists, and a member whose role does not allow the operation gets 403.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from app.auth import repo as auth_repo
from app.core.clock import utcnow
from app.core.db import Conn
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.ids import is_uuid, new_id
from app.core.security import Principal
from app.orgs import invitations, repo, roles
from app.orgs.schemas import (
    Accepted,
    Invitation,
    InvitationIn,
    Member,
    Org,
    OrgList,
    Seller,
    SellerIn,
    Team,
)

# The outbox kind of the invitation email (app.notifications.kinds names it too).
INVITATION_KIND = "org_invitation"


def role_forbidden(role: str) -> AppError:
    return AppError(
        "forbidden",
        403,
        "Forbidden",
        N_("Your role in this organization ({role}) does not allow this"),
        params={"role": role},
    )


def last_owner() -> AppError:
    return AppError(
        "last_owner",
        409,
        "Last owner",
        N_("An organization keeps at least one owner: make someone else owner first"),
    )


async def role_in(conn: Conn, principal: Principal, org_id: str) -> str | None:
    """The caller's role in the organization; an admin acts as its owner."""
    if not is_uuid(org_id):
        return None
    role = await repo.member_role(conn, org_id, principal.user_id)
    if role is None and "admin" in principal.roles and await repo.org_by_id(conn, org_id):
        return "owner"
    return role


async def require(conn: Conn, principal: Principal, org_id: str, need: str | None) -> str:
    """The caller's role if it allows `need` (None: any member); else 404 or 403."""
    role = await role_in(conn, principal, org_id)
    if role is None:
        raise not_found("Organization")
    if need is not None and not roles.allows(role, need):
        raise role_forbidden(role)
    return role


def _org(row: asyncpg.Record) -> Org:
    role = row["role"]
    return Org(
        org_id=str(row["org_id"]),
        name=row["name"],
        role=role,
        can=[n for n in roles.NEEDS if roles.allows(role, n)],
    )


async def my_orgs(pool: asyncpg.Pool, principal: Principal) -> OrgList:
    return OrgList(items=[_org(r) for r in await repo.orgs_of_user(pool, principal.user_id)])


async def create_org(pool: asyncpg.Pool, principal: Principal, name: str) -> Org:
    org_id = new_id()
    async with pool.acquire() as conn, conn.transaction():
        await repo.insert_org(conn, org_id, name)
        await repo.upsert_member(conn, org_id, principal.user_id, "owner")
    return Org(org_id=org_id, name=name, role="owner", can=list(roles.NEEDS))


async def org_for_new_event(conn: Conn, principal: Principal, org_id: str | None) -> str:
    """The organization a new event goes into: the one named (where the caller may create
    events), else the caller's first such organization, else a new one of its own."""
    if org_id is not None:
        role = await require(conn, principal, org_id, None)
        if role not in roles.CREATORS:
            raise role_forbidden(role)
        return org_id
    for row in await repo.orgs_of_user(conn, principal.user_id):
        if row["role"] in roles.CREATORS:
            return str(row["org_id"])
    if not principal.has("organizer"):
        # Only an organizer starts an organization; a team member creates events in its own.
        raise AppError(
            "forbidden", 403, "Forbidden", N_("This needs the {role} role"),
            params={"role": "organizer"},
        )  # fmt: skip
    user = await auth_repo.by_id(conn, principal.user_id)
    name = (user.name or user.email) if user is not None else "My organization"
    org_id = new_id()
    await repo.insert_org(conn, org_id, name[:200])
    await repo.upsert_member(conn, org_id, principal.user_id, "owner")
    return org_id


async def team(pool: asyncpg.Pool, principal: Principal, org_id: str) -> Team:
    """Members and open invitations; any member sees the team (invitations: who may invite)."""
    role = await require(pool, principal, org_id, None)
    org = await repo.org_by_id(pool, org_id)
    if org is None:
        raise not_found("Organization")
    members = [
        Member(
            user_id=str(r["user_id"]),
            email=r["email"],
            name=r["name"],
            role=r["role"],
            joined_at=r["joined_at"],
        )
        for r in await repo.members_of_org(pool, org_id)
    ]
    invited = (
        [
            Invitation(
                invitation_id=str(r["invitation_id"]),
                email=r["email"],
                role=r["role"],
                created_at=r["created_at"],
                expires_at=r["expires_at"],
            )
            for r in await repo.open_invitations_of_org(pool, org_id)
        ]
        if roles.allows(role, "members")
        else []
    )
    return Team(org_id=org_id, name=org["name"], members=members, invitations=invited)


async def invite(
    pool: asyncpg.Pool, principal: Principal, org_id: str, data: InvitationIn
) -> Invitation:
    """Open (or renew) an invitation and queue its email, in one transaction."""
    email = data.email.strip()
    now = utcnow()
    expires_at = now + timedelta(seconds=invitations.TTL_S)
    async with pool.acquire() as conn, conn.transaction():
        await require(conn, principal, org_id, "members")
        await repo.lock_org(conn, org_id)
        existing = await auth_repo.by_email(conn, email)
        if existing is not None and await repo.member_role(conn, org_id, existing.user_id):
            raise AppError(
                "already_member",
                409,
                "Already a member",
                N_("This address already belongs to a member of the organization"),
            )
        invitation_id = await repo.open_invitation(
            conn,
            invitation_id=new_id(),
            org_id=org_id,
            email=email,
            role=data.role,
            invited_by=principal.user_id,
            expires_at=expires_at,
        )
        org = await repo.org_by_id(conn, org_id)
        inviter = await auth_repo.by_id(conn, principal.user_id)
        await repo.invitation_message(
            conn,
            INVITATION_KIND,
            f"{INVITATION_KIND}:{invitation_id}:{int(expires_at.timestamp())}",
            {
                "invitation_id": invitation_id,
                "org_id": org_id,
                "org_name": org["name"] if org else "",
                "email": email,
                "role": data.role,
                "inviter": (inviter.name or inviter.email) if inviter else "",
                # The invitee may have no account: the inviter picks the email's language,
                # an existing account's own language wins.
                "locale": existing.locale if existing is not None else data.locale,
            },
        )
    return Invitation(
        invitation_id=invitation_id,
        email=email,
        role=data.role,
        created_at=now,
        expires_at=expires_at,
    )


def invitation_invalid() -> AppError:
    return AppError(
        "invitation_invalid",
        400,
        "Invitation not valid",
        N_("This invitation is not valid any more: ask for a new one"),
    )


async def accept(pool: asyncpg.Pool, secret: str, principal: Principal, token: str) -> Accepted:
    """Join with the invited role. The link proves the address received it; the account
    signed in must have that address, so a forwarded link admits nobody else."""
    claim = invitations.read(secret, token)
    if claim is None or not is_uuid(claim.invitation_id):
        raise invitation_invalid()
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.invitation_for_update(conn, claim.invitation_id)
        if (
            row is None
            or row["accepted_at"] is not None
            or row["revoked_at"] is not None
            or row["expires_at"] <= utcnow()
            or row["email"].lower() != claim.email
        ):
            raise invitation_invalid()
        user = await auth_repo.by_id(conn, principal.user_id)
        if user is None or user.email.lower() != claim.email:
            raise AppError(
                "invitation_other_address",
                403,
                "Invitation for another address",
                N_("This invitation was sent to another address: sign in with that one"),
            )
        org_id = str(row["org_id"])
        await repo.lock_org(conn, org_id)
        current = await repo.member_role(conn, org_id, principal.user_id)
        # Accepting never lowers a role the account already holds.
        role = row["role"]
        if current is not None and roles.ROLES.index(current) < roles.ROLES.index(role):
            role = current
        await repo.upsert_member(conn, org_id, principal.user_id, role)
        await repo.accept_invitation(conn, claim.invitation_id)
        org = await repo.org_by_id(conn, org_id)
    return Accepted(org_id=org_id, name=org["name"] if org else "", role=role)


async def revoke(pool: asyncpg.Pool, principal: Principal, org_id: str, invitation_id: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await require(conn, principal, org_id, "members")
        if not is_uuid(invitation_id) or not await repo.revoke_invitation(
            conn, invitation_id, org_id
        ):
            raise not_found("Invitation")


async def set_role(
    pool: asyncpg.Pool, principal: Principal, org_id: str, user_id: str, role: str
) -> str:
    """The member's new role; the last owner cannot step down."""
    async with pool.acquire() as conn, conn.transaction():
        await require(conn, principal, org_id, "members")
        await repo.lock_org(conn, org_id)
        current = await repo.member_role(conn, org_id, user_id) if is_uuid(user_id) else None
        if current is None:
            raise not_found("Member")
        if current == "owner" and role != "owner" and await repo.count_owners(conn, org_id) <= 1:
            raise last_owner()
        await repo.set_member_role(conn, org_id, user_id, role)
    return current


async def remove(pool: asyncpg.Pool, principal: Principal, org_id: str, user_id: str) -> str:
    """Remove a member (the role it had); the last owner stays."""
    async with pool.acquire() as conn, conn.transaction():
        await require(conn, principal, org_id, "members")
        await repo.lock_org(conn, org_id)
        current = await repo.member_role(conn, org_id, user_id) if is_uuid(user_id) else None
        if current is None:
            raise not_found("Member")
        if current == "owner" and await repo.count_owners(conn, org_id) <= 1:
            raise last_owner()
        await repo.delete_member(conn, org_id, user_id)
    return current


def _seller(row: asyncpg.Record) -> Seller:
    return Seller(
        org_id=str(row["org_id"]),
        name=row["name"],
        legal_name=row["legal_name"],
        address=row["address"],
        vat_id=row["vat_id"],
    )


async def seller(pool: asyncpg.Pool, principal: Principal, org_id: str) -> Seller:
    """The seller's details on the organization's receipts; any member reads them."""
    await require(pool, principal, org_id, None)
    row = await repo.seller(pool, org_id)
    if row is None:
        raise not_found("Organization")
    return _seller(row)


async def put_seller(
    pool: asyncpg.Pool, principal: Principal, org_id: str, data: SellerIn
) -> Seller:
    """Set the seller's details: the owner's alone (like payouts, they are the legal face of
    the organization on every receipt)."""
    await require(pool, principal, org_id, "payouts")
    address = "\n".join(line.strip() for line in data.address.splitlines() if line.strip())
    row = await repo.put_seller(pool, org_id, data.legal_name.strip(), address, data.vat_id.strip())
    if row is None:
        raise not_found("Organization")
    return _seller(row)
