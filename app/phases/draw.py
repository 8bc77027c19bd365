"""The registration draw: a seeded, reproducible order of registrants (no I/O).

Derivation (docs/fans-organizers/sale-phases.md): the registrants' account ids, lower case, sorted
and joined by newlines, hash to ``registrations_sha256``; the draw order is the
waiting room's (waiting_room.fairness): registrants sorted by
``HMAC-SHA256(seed, user_id)``. The first ``winners`` of the order get codes, the
rest form the list, in order. The seed's SHA-256 is public from the phase's
creation, before anyone can register, and the seed after registration closes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from waiting_room import fairness

DERIVATION = (
    "registrations_sha256 = sha256(utf8('\\n'.join(sorted(lowercase user_id)))); "
    + fairness.DERIVATION
    + "; the first `winners` of the order get codes, the rest are the list in order"
)


def registrations_sha256(user_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(u.lower() for u in user_ids)).encode()).hexdigest()


def order(seed: str, user_ids: Iterable[str]) -> list[str]:
    return fairness.draw_order(seed, [u.lower() for u in user_ids])


def verify(report: dict[str, Any]) -> list[str]:
    """The problems found re-running a published draw report ([] when it checks out)."""
    problems: list[str] = []
    seed, registrants = report.get("seed"), report.get("registrants")
    if not seed:
        return ["the seed is not revealed yet"]
    if registrants is None:
        return ["the report lists no registrants"]
    if not fairness.seed_matches(seed, report.get("seed_sha256", "")):
        problems.append("sha256(seed) differs from the committed seed_sha256")
    if registrations_sha256(registrants) != report.get("registrations_sha256"):
        problems.append("the registrants do not hash to registrations_sha256")
    if len(registrants) != report.get("registrations"):
        problems.append("the number of registrants differs from `registrations`")
    if report.get("order") is not None and order(seed, registrants) != report["order"]:
        problems.append("the published order is not the seeded order")
    return problems
