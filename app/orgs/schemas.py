"""Bodies of the organization endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.auth.schemas import Email

RoleName = Literal["owner", "manager", "box_office", "scanner", "viewer"]
OrgName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class OrgIn(msgspec.Struct, forbid_unknown_fields=True):
    name: OrgName


class Org(msgspec.Struct):
    org_id: str
    name: str
    role: RoleName
    # What the caller's role allows here (read, edit, refund, scan, members, payouts).
    can: list[str]


class OrgList(msgspec.Struct):
    items: list[Org]


class Member(msgspec.Struct):
    user_id: str
    email: str
    name: str
    role: RoleName
    joined_at: datetime


class Invitation(msgspec.Struct):
    invitation_id: str
    email: str
    role: RoleName
    created_at: datetime
    expires_at: datetime


class Team(msgspec.Struct):
    org_id: str
    name: str
    members: list[Member]
    invitations: list[Invitation]


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    role: RoleName
    # The language of the invitation email (the invitee may have no account yet).
    locale: Literal["en", "de", "es", "fr"] = "en"


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: RoleName


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class Accepted(msgspec.Struct):
    org_id: str
    name: str
    role: RoleName
