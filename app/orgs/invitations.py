"""The link in an invitation email: a signed code naming the invitation and the address it
went to, minted when the email is written (no usable link is stored)."""

from __future__ import annotations

from urllib.parse import quote

import msgspec

from app.core.signed import BadCode, SignedCodec

# Where the console accepts an invitation (below the public URL).
ACCEPT_PATH = "/console/invitations"
# How long an invitation stays open.
TTL_S = 14 * 86400


class InviteClaim(msgspec.Struct, array_like=True, frozen=True):
    invitation_id: str
    email: str


CODEC = SignedCodec(InviteClaim, version="i1", purpose="org-invitation")


def token(secret: str, invitation_id: str, email: str) -> str:
    return CODEC.sign(secret, InviteClaim(invitation_id, email.lower()))


def read(secret: str, value: str) -> InviteClaim | None:
    """The claim of a genuine link, or None."""
    try:
        return CODEC.verify(secret, value)
    except BadCode:
        return None


def url(public_url: str, value: str) -> str:
    return f"{public_url.rstrip('/')}{ACCEPT_PATH}?token={quote(value, safe='')}"
