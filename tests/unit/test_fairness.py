"""The pre-queue draw: deterministic from the seed, uniform, independent of arrival."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from waiting_room import fairness
from waiting_room.members import member_of, user_of


def test_draw_is_the_documented_hmac_sort() -> None:
    seed = "ab" * 32
    users = [str(uuid.uuid4()) for _ in range(200)]
    expected = sorted(
        users, key=lambda u: hmac.new(seed.encode(), u.encode(), hashlib.sha256).hexdigest()
    )
    assert fairness.draw_order(seed, users) == expected
    # Independent of the order the list is given in (arrival gives no advantage).
    assert fairness.draw_order(seed, list(reversed(users))) == expected
    assert fairness.draw_order("cd" * 32, users) != expected


def test_seed_commitment() -> None:
    seed = "00ff" * 16
    assert fairness.seed_matches(seed, hashlib.sha256(seed.encode()).hexdigest())
    assert not fairness.seed_matches(seed, hashlib.sha256(b"other").hexdigest())


def test_draw_positions_are_uniform() -> None:
    """Over many seeds, each entrant lands in each half about equally often."""
    users = [str(uuid.UUID(int=i + 1)) for i in range(10)]
    first_half = dict.fromkeys(users, 0)
    rounds = 2000
    for r in range(rounds):
        order = fairness.draw_order(f"seed-{r}", users)
        for u in order[:5]:
            first_half[u] += 1
    for count in first_half.values():
        assert abs(count / rounds - 0.5) < 0.06


def test_compact_members_round_trip() -> None:
    user = str(uuid.uuid4())
    member = member_of(user)
    assert len(member) == 22
    assert user_of(member) == user
    assert user_of(member_of("not-a-uuid")) == "not-a-uuid"
