"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

Email = Annotated[
    str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
# A new password: the policy (at least 12 characters, not a common one) is checked by
# app.auth.passwords, which names the broken rule; the schema only bounds the size.
Password = Annotated[
    str,
    msgspec.Meta(
        max_length=256, description="At least 12 characters; not a common or breached password."
    ),
]
Name = Annotated[str, msgspec.Meta(max_length=200), LINE]
Locale = Annotated[
    str,
    msgspec.Meta(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"),
]
Role = Literal["fan", "organizer", "admin"]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Name = ""
    # Left out: the profile follows the phone's language until the fan picks one.
    locale: Locale | msgspec.UnsetType = msgspec.UNSET


class Registered(msgspec.Struct):
    user_id: str


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254), LINE]
    password: Annotated[str, msgspec.Meta(max_length=256)]


RefreshToken = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class AccessToken(msgspec.Struct):
    """Login and refresh answer: a short access token and the next refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str
    token_type: str = "bearer"


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: RefreshToken


class LogoutIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: RefreshToken | msgspec.UnsetType = msgspec.UNSET


class Profile(msgspec.Struct):
    user_id: str
    email: str
    name: str
    locale: str
    roles: list[Role]
    # False while the fan never picked a language: apps then follow the phone's.
    locale_chosen: bool = True
    # A link sent to the address was opened (some events need it before a purchase).
    email_verified: bool = False


class PasswordResetIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254), LINE]


LinkToken = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class PasswordResetConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    token: LinkToken
    password: Password


class EmailVerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    token: LinkToken


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET
    # Required with `password`: a stolen access token alone cannot take the account.
    current_password: Annotated[str, msgspec.Meta(max_length=256)] | msgspec.UnsetType = (
        msgspec.UNSET
    )


class RolesIn(msgspec.Struct, forbid_unknown_fields=True):
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=3)]
