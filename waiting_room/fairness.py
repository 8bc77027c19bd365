"""The provably fair pre-queue draw of random_at_open events.

Derivation (published in docs/fans-organizers/waiting-room.md): every entrant's draw key is
``HMAC-SHA256(key = seed as UTF-8, message = user_id as lowercase UUID text)``
in hex; the admission order of the pre-queue is the entrants sorted by that
key ascending (ties, which need a SHA-256 collision, by user_id). The seed's
SHA-256 is public before open and the seed itself after open, so anyone with
the organizer's entrant export can recompute the order exactly; nobody,
including the organizer, can steer it after the seed is committed, and
arrival time inside the pre-queue gives no advantage.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

DERIVATION = (
    "order = entrants sorted ascending by hex(HMAC-SHA256(key=utf8(seed), "
    "msg=utf8(lowercase user_id))), ties by user_id; check sha256(utf8(seed)) == seed_sha256"
)


def draw_key(seed: str, user_id: str) -> str:
    return hmac.new(seed.encode(), user_id.lower().encode(), hashlib.sha256).hexdigest()


def draw_order(seed: str, user_ids: Iterable[str]) -> list[str]:
    """The pre-queue entrants in admission order."""
    return sorted(user_ids, key=lambda u: (draw_key(seed, u), u))


def seed_matches(seed: str, seed_sha256: str) -> bool:
    return hmac.compare_digest(hashlib.sha256(seed.encode()).hexdigest(), seed_sha256)
