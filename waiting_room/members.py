"""A fan's compact queue member: the account UUID's 16 bytes in base64url (22 characters).

Per-fan data is kept minimal (goal: <= 200 bytes per queued fan at 1M): one
zset entry with this member, plus one bit per poll window.
"""

from __future__ import annotations

import base64
import uuid


def member_of(user_id: str) -> str:
    try:
        raw = uuid.UUID(user_id).bytes
    except ValueError:
        return "~" + user_id
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def user_of(member: str) -> str:
    if member.startswith("~"):
        return member[1:]
    return str(uuid.UUID(bytes=base64.urlsafe_b64decode(member + "==")))
