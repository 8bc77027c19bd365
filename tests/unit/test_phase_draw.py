"""The registration draw is reproducible from its seed, and its inputs are pinned by hashes."""

from __future__ import annotations

import hashlib
import uuid

from app.phases import draw
from app.phases.service import new_code, normalize_code

SEED = "a" * 64


def _users(n: int) -> list[str]:
    return [str(uuid.UUID(int=i * 7919 + 1)) for i in range(n)]


def _report(users: list[str], winners: int) -> dict[str, object]:
    order = draw.order(SEED, users)
    return {
        "seed": SEED,
        "seed_sha256": hashlib.sha256(SEED.encode()).hexdigest(),
        "registrants": sorted(users),
        "registrations": len(users),
        "registrations_sha256": draw.registrations_sha256(users),
        "winners": winners,
        "order": order,
    }


def test_same_seed_same_order_whatever_the_input_order() -> None:
    users = _users(500)
    assert draw.order(SEED, users) == draw.order(SEED, list(reversed(users)))
    assert draw.order(SEED, users) != draw.order("b" * 64, users)
    assert sorted(draw.order(SEED, users)) == sorted(users)


def test_changing_one_registration_changes_the_hash() -> None:
    # The published rule, computed by hand.
    expected = hashlib.sha256(b"0000a\n0000b\n0000c").hexdigest()
    assert draw.registrations_sha256(["0000C", "0000a", "0000b"]) == expected
    users = _users(100)
    changed = [*users[:-1], str(uuid.UUID(int=10**9))]
    assert draw.registrations_sha256(users) != draw.registrations_sha256(changed)
    assert draw.registrations_sha256(users) == draw.registrations_sha256(reversed(users))


def test_verify_accepts_the_true_report_and_names_each_tampering() -> None:
    users = _users(200)
    good = _report(users, 20)
    assert draw.verify(good) == []
    swapped = dict(good, order=[good["order"][1], good["order"][0], *good["order"][2:]])  # type: ignore[index]
    assert draw.verify(swapped) == ["the published order is not the seeded order"]
    dropped = dict(good, registrants=sorted(users)[1:])
    assert "the registrants do not hash to registrations_sha256" in draw.verify(dropped)
    other_seed = dict(good, seed="c" * 64)
    assert "sha256(seed) differs from the committed seed_sha256" in draw.verify(other_seed)
    assert draw.verify(dict(good, seed=None)) == ["the seed is not revealed yet"]


def test_codes_are_readable_and_normalized() -> None:
    code = new_code()
    assert len(code) == 14
    assert not set(code.replace("-", "")) & set("01OI")
    assert normalize_code(f"  {code.lower()} ") == code


def test_one_registration_per_person_by_phone_and_card() -> None:
    people = [
        draw.Registrant("a", phone="+49 170 1234567"),
        draw.Registrant("b", cards=["fp1"]),
        draw.Registrant("c", phone="0049 170 123-4567"),  # a's phone, written another way
        draw.Registrant("d", cards=["fp1", "fp2"]),  # b's card
        draw.Registrant("e", cards=["fp2"]),  # d's other card: b, d and e are one person
        draw.Registrant("f", phone="12", cards=[""]),  # too short to name anyone, no card
        draw.Registrant("g", phone="12"),
        draw.Registrant("h", phone="+33 6 12 34 56 78", cards=["fp3"]),
    ]
    kept, aside = draw.one_per_person(people)
    assert kept == ["a", "b", "f", "g", "h"]
    assert aside == ["c", "d", "e"]
    # The first registration of a person is the one kept, whichever account it is.
    kept, aside = draw.one_per_person(list(reversed(people)))
    assert kept == ["h", "g", "f", "e", "c"]
    assert aside == ["d", "b", "a"]


def test_phone_marks() -> None:
    assert draw.phone_key("+49 (170) 123-4567") == draw.phone_key("0049170 1234567")
    assert draw.phone_key(None) is None
    assert draw.phone_key("  ") is None
    assert draw.phone_key("12345") is None
