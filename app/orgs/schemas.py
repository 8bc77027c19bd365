"""Bodies of the organization endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.auth.schemas import Email
from app.core.rules import LINE

RoleName = Literal["owner", "manager", "box_office", "scanner", "viewer"]
OrgName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# Lines of a postal address: newlines allowed, no other control character.
ADDRESS = msgspec.Meta(pattern=r"^[^\x00-\x09\x0B\x0C\x0E-\x1F\x7F-\x9F]*(?![\s\S])")


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


class SellerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The seller printed on the organization's receipts."""

    legal_name: Annotated[str, msgspec.Meta(max_length=200), LINE] = ""
    # Several lines (street, town, country).
    address: Annotated[str, msgspec.Meta(max_length=500), ADDRESS] = ""
    vat_id: Annotated[str, msgspec.Meta(max_length=40), LINE] = ""


class Seller(msgspec.Struct, kw_only=True):
    org_id: str
    name: str
    legal_name: str
    address: str
    vat_id: str
