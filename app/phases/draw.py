"""The registration draw: a seeded, reproducible order of registrants (no I/O).

Derivation (docs/fans-organizers/sale-phases.md): the registrants' account ids, lower case, sorted
and joined by newlines, hash to ``registrations_sha256``; the draw order is the
waiting room's (waiting_room.fairness): registrants sorted by
``HMAC-SHA256(seed, user_id)``. The first ``winners`` of the order get codes, the
rest form the list, in order. The seed's SHA-256 is public from the phase's
creation, before anyone can register, and the seed after registration closes.
Before the draw, `one_per_person` sets aside the second accounts of one person
(same phone, same payment card); the published registrants are the accounts kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from waiting_room import fairness

DERIVATION = (
    "registrations_sha256 = sha256(utf8('\\n'.join(sorted(lowercase user_id)))); "
    + fairness.DERIVATION
    + "; the first `winners` of the order get codes, the rest are the list in order"
)


class Registrant:
    """A registration with what names the person behind the account, where known."""

    __slots__ = ("cards", "phone", "user_id")

    def __init__(self, user_id: str, phone: str | None = None, cards: Iterable[str] = ()) -> None:
        self.user_id = user_id
        self.phone = phone
        self.cards = tuple(cards)


def phone_key(phone: str | None) -> str | None:
    """A phone number as a person's mark: digits only (a leading 00 read as +)."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    return digits if len(digits) >= 6 else None


def one_per_person(registrants: Sequence[Registrant]) -> tuple[list[str], list[str]]:
    """(kept, set aside) account ids: one registration per person.

    `registrants` come in registration order. An account whose phone or one of whose
    payment cards was already seen on an earlier registration is the same person's
    second account and is set aside; its marks join the seen ones either way, so a
    chain of accounts sharing marks pairwise (a phone with one, a card with the next)
    counts once. The verified email (required to register) is the first rule.
    """
    seen: set[str] = set()
    kept: list[str] = []
    aside: list[str] = []
    for r in registrants:
        marks = {f"card:{c}" for c in r.cards if c}
        phone = phone_key(r.phone)
        if phone is not None:
            marks.add(f"phone:{phone}")
        (aside if marks & seen else kept).append(r.user_id)
        seen |= marks
    return kept, aside


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
