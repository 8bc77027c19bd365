"""HTTP endpoints of organizations: mine, the team, invitations, roles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, delete, get, patch, post, put

from app.audit import service as audit
from app.auth.guards import require_role
from app.core.clientip import audit_origin
from app.core.security import Principal
from app.core.settings import Settings
from app.orgs import service
from app.orgs.schemas import (
    Accepted,
    AcceptIn,
    Invitation,
    InvitationIn,
    Org,
    OrgIn,
    OrgList,
    RoleIn,
    Seller,
    SellerIn,
    Team,
)


async def _audit(
    pool: asyncpg.Pool,
    request: Request[Any, Any, Any],
    principal: Principal,
    action: str,
    org_id: str,
    *,
    target_type: str,
    target_id: str,
    detail: dict[str, Any],
) -> None:
    await audit.record(
        pool,
        principal,
        action,
        target_type=target_type,
        target_id=target_id,
        client_ip=audit_origin(request),
        detail=detail,
        org_id=org_id,
    )


@get("/api/v1/orgs", operation_id="listOrgs", tags=["orgs"])
async def list_orgs(principal: Principal, pool: asyncpg.Pool) -> OrgList:
    return await service.my_orgs(pool, principal)


@post("/api/v1/orgs", operation_id="createOrg", tags=["orgs"], status_code=201)
async def create_org(
    data: OrgIn, request: Request[Any, Any, Any], principal: Principal, pool: asyncpg.Pool
) -> Org:
    require_role(principal, "organizer")
    org = await service.create_org(pool, principal, data.name)
    await _audit(
        pool, request, principal, "org.create", org.org_id,
        target_type="org", target_id=org.org_id, detail={"name": org.name},
    )  # fmt: skip
    return org


@get("/api/v1/orgs/{org_id:uuid}/team", operation_id="getTeam", tags=["orgs"])
async def get_team(org_id: UUID, principal: Principal, pool: asyncpg.Pool) -> Team:
    return await service.team(pool, principal, str(org_id))


@post(
    "/api/v1/orgs/{org_id:uuid}/invitations",
    operation_id="inviteMember",
    tags=["orgs"],
    status_code=201,
)
async def invite_member(
    org_id: UUID,
    data: InvitationIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> Invitation:
    invitation = await service.invite(pool, principal, str(org_id), data)
    await _audit(
        pool, request, principal, "org.invite", str(org_id),
        target_type="invitation", target_id=invitation.invitation_id,
        detail={"email": invitation.email, "role": invitation.role},
    )  # fmt: skip
    return invitation


@delete(
    "/api/v1/orgs/{org_id:uuid}/invitations/{invitation_id:uuid}",
    operation_id="revokeInvitation",
    tags=["orgs"],
    status_code=204,
)
async def revoke_invitation(
    org_id: UUID,
    invitation_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> None:
    await service.revoke(pool, principal, str(org_id), str(invitation_id))
    await _audit(
        pool, request, principal, "org.invite_revoke", str(org_id),
        target_type="invitation", target_id=str(invitation_id), detail={},
    )  # fmt: skip


@post(
    "/api/v1/invitations/accept",
    operation_id="acceptInvitation",
    tags=["orgs"],
    status_code=200,
)
async def accept_invitation(
    data: AcceptIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    settings: Settings,
) -> Accepted:
    accepted = await service.accept(pool, settings.secret_key, principal, data.token)
    await _audit(
        pool, request, principal, "org.invite_accept", accepted.org_id,
        target_type="user", target_id=principal.user_id, detail={"role": accepted.role},
    )  # fmt: skip
    return accepted


@patch(
    "/api/v1/orgs/{org_id:uuid}/members/{user_id:uuid}",
    operation_id="changeMemberRole",
    tags=["orgs"],
)
async def change_member_role(
    org_id: UUID,
    user_id: UUID,
    data: RoleIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> Team:
    before = await service.set_role(pool, principal, str(org_id), str(user_id), data.role)
    await _audit(
        pool, request, principal, "org.member_role", str(org_id),
        target_type="user", target_id=str(user_id), detail={"from": before, "to": data.role},
    )  # fmt: skip
    return await service.team(pool, principal, str(org_id))


@delete(
    "/api/v1/orgs/{org_id:uuid}/members/{user_id:uuid}",
    operation_id="removeMember",
    tags=["orgs"],
    status_code=204,
)
async def remove_member(
    org_id: UUID,
    user_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> None:
    before = await service.remove(pool, principal, str(org_id), str(user_id))
    await _audit(
        pool, request, principal, "org.member_remove", str(org_id),
        target_type="user", target_id=str(user_id), detail={"role": before},
    )  # fmt: skip


@get(
    "/api/v1/orgs/{org_id:uuid}/seller",
    operation_id="getOrgSeller",
    tags=["orgs"],
    description="The seller's details printed on the organization's receipts.",
)
async def get_seller(org_id: UUID, principal: Principal, pool: asyncpg.Pool) -> Seller:
    return await service.seller(pool, principal, str(org_id))


@put(
    "/api/v1/orgs/{org_id:uuid}/seller",
    operation_id="putOrgSeller",
    tags=["orgs"],
    description="Set the legal name, postal address and VAT id on the receipts (owner only).",
)
async def put_seller(
    org_id: UUID,
    data: SellerIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> Seller:
    saved = await service.put_seller(pool, principal, str(org_id), data)
    await _audit(
        pool, request, principal, "org.seller", str(org_id),
        target_type="org", target_id=str(org_id),
        detail={"legal_name": saved.legal_name, "vat_id": saved.vat_id},
    )  # fmt: skip
    return saved


ROUTES = [
    list_orgs,
    create_org,
    get_team,
    invite_member,
    revoke_invitation,
    accept_invitation,
    change_member_role,
    remove_member,
    get_seller,
    put_seller,
]
