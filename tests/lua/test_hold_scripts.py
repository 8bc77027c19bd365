"""Every return code of the hold scripts, run directly against a real Redis."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core import keys
from app.core.clock import now_ms
from app.core.ids import new_id
from app.core.ratelimit import Quota
from app.core.scripts import Scripts
from app.holds.ids import new_hold_id
from app.holds.scripts import Release, Reserve, hold_scripts

DAY_MS = 24 * 3600 * 1000


class Ev:
    """One event's keys in Redis, set up as mirror.sync_event + load_inventory would."""

    def __init__(self, scripts: Scripts) -> None:
        self.scripts = scripts
        self.redis = scripts.redis
        self.id = new_id()

    async def setup(self, capacity: int = 10, **meta: Any) -> Ev:
        fields = {
            "status": "published",
            "onsale_at_ms": now_ms() - 60_000,
            "offsale_at_ms": now_ms() + 3_600_000,
            "hold_ttl_s": 600,
            "max_per_order": 4,
            "max_per_user": 6,
            "currency": "EUR",
            "price:A": 1500,
            **meta,
        }
        await self.redis.hset(keys.event_meta(self.id), mapping=fields)
        await self.scripts.run(
            "load_inventory", keys=[keys.inventory(self.id)], args=["A", capacity, 0]
        )
        return self

    async def session(self, ttl_ms: int = 60_000) -> str:
        session_id = new_id()
        await self.redis.zadd(keys.active_sessions(self.id), {session_id: now_ms() + ttl_ms})
        return session_id

    async def reserve(
        self,
        user: str,
        session: str,
        quantity: int,
        *,
        section: str = "A",
        idem: str = "",
        fp: str = "",
        now: int | None = None,
    ) -> list[Any]:
        hold_id = new_hold_id(self.id)
        result: list[Any] = await self.scripts.run(
            "reserve_seats",
            keys=[
                keys.event_meta(self.id),
                keys.inventory(self.id),
                keys.user_seats(self.id),
                keys.active_sessions(self.id),
                keys.hold(self.id, hold_id),
                keys.hold_expiry(self.id),
                keys.hold_ends(self.id),
                keys.idempotency(self.id, "holds", idem or "-"),
            ],
            args=[
                now or now_ms(),
                self.id,
                user,
                session,
                section,
                quantity,
                hold_id,
                fp,
                DAY_MS,
                DAY_MS,
            ],
        )
        return result

    async def release(self, hold_id: str, user: str) -> int:
        code: int = await self.scripts.run(
            "release_hold",
            keys=[
                keys.hold(self.id, hold_id),
                keys.inventory(self.id),
                keys.user_seats(self.id),
                keys.hold_expiry(self.id),
                keys.hold_ends(self.id),
            ],
            args=[now_ms(), user, DAY_MS],
        )
        return code

    async def expire(self, hold_ids: list[str], now: int) -> list[int]:
        result: list[int] = await self.scripts.run(
            "expire_holds",
            keys=[
                keys.hold_expiry(self.id),
                keys.inventory(self.id),
                keys.user_seats(self.id),
                keys.hold_ends(self.id),
                *(keys.hold(self.id, h) for h in hold_ids),
            ],
            args=[now, DAY_MS, *hold_ids],
        )
        return result

    async def inv(self) -> dict[str, int]:
        raw = await self.redis.hgetall(keys.inventory(self.id))
        return {k.split(":")[1]: int(v) for k, v in raw.items()}


async def test_reserve_ok_writes_everything(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup()
    session = await ev.session()
    before = now_ms()
    code, replayed, hold_id, expires_at_ms, amount, currency, _, _ = await ev.reserve(
        "u1", session, 3
    )
    assert (code, replayed, amount, currency) == (Reserve.OK, 0, 4500, "EUR")
    assert before + 600_000 <= expires_at_ms <= now_ms() + 600_000
    assert await ev.inv() == {"capacity": 10, "available": 7, "held": 3, "sold": 0}
    assert await ev.redis.hget(keys.user_seats(ev.id), "u1") == "3"
    record = await ev.redis.hgetall(keys.hold(ev.id, hold_id))
    assert record["status"] == "active"
    assert record["user_id"] == "u1"
    assert record["session_id"] == session
    assert record["quantity"] == "3"
    assert int(record["expires_at_ms"]) == expires_at_ms
    assert await ev.redis.pttl(keys.hold(ev.id, hold_id)) > 600_000 + DAY_MS - 10_000
    assert await ev.redis.zscore(keys.hold_expiry(ev.id), hold_id) == expires_at_ms
    ((_, entry),) = await ev.redis.xrange(keys.hold_ends(ev.id))
    assert entry["hold_id"] == hold_id
    assert entry["status"] == "active"
    assert entry["expires_at_ms"] == str(expires_at_ms)


async def test_reserve_refusals(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup(capacity=5)
    session = await ev.session()
    assert (await ev.reserve("u1", "no-such-session", 1))[0] == Reserve.NOT_ADMITTED
    expired = await ev.session(ttl_ms=-1)
    assert (await ev.reserve("u1", expired, 1))[0] == Reserve.ADMISSION_EXPIRED
    assert (await ev.reserve("u1", session, 1, section="B"))[0] == Reserve.NO_SUCH_SECTION
    code, *_, n1, _ = await ev.reserve("u1", session, 5)
    assert (code, n1) == (Reserve.LIMIT_PER_ORDER, 4)
    assert (await ev.reserve("u1", session, 4))[0] == Reserve.OK
    code, *_, n1, n2 = await ev.reserve("u1", session, 3)
    assert (code, n1, n2) == (Reserve.LIMIT_PER_USER, 6, 4)
    code, *_, n1, _ = await ev.reserve("u2", session, 2)
    assert (code, n1) == (Reserve.SOLD_OUT, 1)
    assert await ev.inv() == {"capacity": 5, "available": 1, "held": 4, "sold": 0}

    missing = Ev(scripts)
    await missing.redis.zadd(keys.active_sessions(missing.id), {"s": now_ms() + 60_000})
    assert (await missing.reserve("u1", "s", 1))[0] == Reserve.NO_SUCH_EVENT


@pytest.mark.parametrize(
    "meta",
    [
        {"status": "paused"},
        {"status": "draft"},
        {"onsale_at_ms": "9999999999999"},
        {"offsale_at_ms": "1"},
    ],
)
async def test_reserve_sale_not_open(scripts: Scripts, meta: dict[str, Any]) -> None:
    ev = await Ev(scripts).setup(**meta)
    session = await ev.session()
    assert (await ev.reserve("u1", session, 1))[0] == Reserve.SALE_NOT_OPEN
    assert (await ev.inv())["available"] == 10


async def test_reserve_idempotency_replay_and_conflict(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup(capacity=3)
    session = await ev.session()
    first = await ev.reserve("u1", session, 2, idem="u1:k", fp="A|2")
    assert first[:2] == [Reserve.OK, 0]
    again = await ev.reserve("u1", session, 2, idem="u1:k", fp="A|2")
    assert again[0] == Reserve.OK
    assert again[1] == 1
    assert again[2:] == first[2:]
    assert (await ev.reserve("u1", session, 1, idem="u1:k", fp="A|1"))[0] == (
        Reserve.IDEMPOTENCY_CONFLICT
    )
    assert (await ev.inv())["held"] == 2
    refused = await ev.reserve("u2", session, 2, idem="u2:k", fp="A|2")
    assert refused[:2] == [Reserve.SOLD_OUT, 0]
    assert (await ev.reserve("u2", session, 2, idem="u2:k", fp="A|2"))[:2] == [Reserve.SOLD_OUT, 1]
    assert await ev.redis.pttl(keys.idempotency(ev.id, "holds", "u1:k")) > DAY_MS - 10_000


async def test_release_codes(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup()
    session = await ev.session()
    hold_id = (await ev.reserve("u1", session, 2))[2]
    assert await ev.release(hold_id, "someone-else") == Release.NOT_FOUND
    assert await ev.release(new_hold_id(ev.id), "u1") == Release.NOT_FOUND
    assert await ev.release(hold_id, "u1") == Release.RELEASED
    assert await ev.inv() == {"capacity": 10, "available": 10, "held": 0, "sold": 0}
    assert await ev.redis.hget(keys.user_seats(ev.id), "u1") is None
    assert await ev.redis.zscore(keys.hold_expiry(ev.id), hold_id) is None
    assert await ev.redis.hget(keys.hold(ev.id, hold_id), "status") == "released"
    assert await ev.release(hold_id, "u1") == Release.ALREADY_ENDED
    statuses = [e["status"] for _, e in await ev.redis.xrange(keys.hold_ends(ev.id))]
    assert statuses == ["active", "released"]

    other = (await ev.reserve("u1", session, 1))[2]
    await ev.redis.hset(keys.hold(ev.id, other), "status", "checking_out")
    assert await ev.release(other, "u1") == Release.NOT_ACTIVE
    assert (await ev.inv())["held"] == 1


async def test_expire_only_what_is_due_and_active(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup(hold_ttl_s=1)
    session = await ev.session()
    due = [(await ev.reserve(f"u{i}", session, 2))[2] for i in range(3)]
    in_checkout = (await ev.reserve("u9", session, 1))[2]
    await ev.redis.hset(keys.hold(ev.id, in_checkout), "status", "checking_out")
    later = now_ms() + 1_000
    # Not yet due: nothing happens.
    assert await ev.expire(due, now_ms() - 10) == [0, 0]
    gone = new_hold_id(ev.id)
    await ev.redis.zadd(keys.hold_expiry(ev.id), {gone: 1})
    assert await ev.expire([*due, in_checkout, gone], later + 10) == [3, 6]
    assert await ev.inv() == {"capacity": 10, "available": 9, "held": 1, "sold": 0}
    assert await ev.redis.zcard(keys.hold_expiry(ev.id)) == 0
    assert await ev.redis.hlen(keys.user_seats(ev.id)) == 1  # only u9 (in checkout)
    assert {await ev.redis.hget(keys.hold(ev.id, h), "status") for h in due} == {"expired"}
    assert await ev.redis.hget(keys.hold(ev.id, in_checkout), "status") == "checking_out"
    # Expiring twice returns nothing twice.
    assert await ev.expire(due, later + 20) == [0, 0]


async def test_adjust_capacity_codes(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup(capacity=10)
    session = await ev.session()
    await ev.reserve("u1", session, 4)

    async def adjust(section: str, delta: int) -> list[int]:
        result: list[int] = await scripts.run(
            "adjust_capacity", keys=[keys.inventory(ev.id)], args=[section, delta]
        )
        return result

    assert await adjust("A", 5) == [0, 15, 11, 4, 0]
    assert await adjust("A", -12) == [2, 15, 11, 4, 0]
    assert await adjust("A", -11) == [0, 4, 0, 4, 0]
    assert await adjust("B", 1) == [1, 0, 0, 0, 0]
    assert await ev.inv() == {"capacity": 4, "available": 0, "held": 4, "sold": 0}


async def test_restore_inventory_once(scripts: Scripts) -> None:
    ev = Ev(scripts)
    hold_id = new_hold_id(ev.id)
    expires = now_ms() + 60_000
    payload = {
        "sections": [["A", 10, 3, 2]],
        "users": [["u1", 2], ["u2", 3]],
        "holds": [
            {
                "fields": {
                    "hold_id": hold_id,
                    "user_id": "u1",
                    "section": "A",
                    "quantity": "2",
                    "status": "active",
                    "expires_at_ms": str(expires),
                },
                "index": "expiry",
                "score": expires,
                "expires_at_ms": expires,
            }
        ],
    }
    restore_keys = [
        keys.inventory(ev.id),
        keys.user_seats(ev.id),
        keys.hold_expiry(ev.id),
        keys.checkouts(ev.id),
        keys.hold(ev.id, hold_id),
    ]
    result = await scripts.run(
        "restore_inventory", keys=restore_keys, args=[now_ms(), DAY_MS, json.dumps(payload)]
    )
    assert result == [1, 1]
    assert await ev.inv() == {"capacity": 10, "available": 5, "held": 2, "sold": 3}
    assert await ev.redis.hgetall(keys.user_seats(ev.id)) == {"u1": "2", "u2": "3"}
    assert await ev.redis.zscore(keys.hold_expiry(ev.id), hold_id) == expires
    assert (await ev.redis.hgetall(keys.hold(ev.id, hold_id)))["status"] == "active"
    result = await scripts.run(
        "restore_inventory", keys=restore_keys, args=[now_ms(), DAY_MS, json.dumps(payload)]
    )
    assert result == [0, 0]


async def test_reserve_counts_the_hold_rate_limits_itself(scripts: Scripts) -> None:
    """holds_account in the script: the sliding window counter, a truthful Retry-After."""
    ev = await Ev(scripts).setup()
    session = await ev.session(ttl_ms=600_000)
    window = 60_000
    quota = Quota("holds_account", "u1", 3, window)
    base = (now_ms() // window + 1) * window  # a window's start

    async def reserve(at: int) -> tuple[Reserve, int]:
        out = await hold_scripts(scripts).reserve(
            event_id=ev.id,
            user_id="u1",
            session_id=session,
            section="A",
            quantity=1,
            hold_id=new_hold_id(ev.id),
            idempotency=None,
            now=at,
            idempotency_ttl_ms=DAY_MS,
            account_quota=quota,
        )
        return out.code, out.n1

    for _ in range(3):
        assert (await reserve(base + 30_000))[0] == Reserve.OK
    # This window is spent: the next hit fits 1 ms into the next window, where the
    # three weigh 3 * 59,999 / 60,000 (rounded down: 2).
    assert await reserve(base + 30_000) == (Reserve.RATE_LIMITED, 31)
    assert await ev.inv() == {"capacity": 10, "available": 7, "held": 3, "sold": 0}
    assert await ev.redis.hget(keys.user_seats(ev.id), "u1") == "3"
    assert (await reserve(base + window))[0] == Reserve.RATE_LIMITED
    assert (await reserve(base + window + 1))[0] == Reserve.OK
    # 1 s later: 3 * 59/60 rounded down + 1 = 3, full until 20 s into the window.
    assert await reserve(base + window + 1_000) == (Reserve.RATE_LIMITED, 20)
    assert (await reserve(base + window + 20_000))[0] == Reserve.RATE_LIMITED
    assert (await reserve(base + window + 20_001))[0] == Reserve.OK
    assert (await ev.inv())["held"] == 5
    counter = keys.event_rate_limit(ev.id, "holds_account", "u1")
    assert 0 < await ev.redis.pttl(counter) <= 2 * window


async def test_reserve_refused_by_one_limit_counts_toward_none(scripts: Scripts) -> None:
    ev = await Ev(scripts).setup()
    session = await ev.session()
    account = Quota("holds_account", "u1", 10, 60_000)
    address = Quota("holds_ip", "192.0.2.1", 1, 60_000)

    async def reserve() -> Reserve:
        out = await hold_scripts(scripts).reserve(
            event_id=ev.id,
            user_id="u1",
            session_id=session,
            section="A",
            quantity=1,
            hold_id=new_hold_id(ev.id),
            idempotency=None,
            now=now_ms(),
            idempotency_ttl_ms=DAY_MS,
            account_quota=account,
            address_quota=address,
        )
        return out.code

    assert await reserve() == Reserve.OK
    assert await reserve() == Reserve.RATE_LIMITED
    assert await reserve() == Reserve.RATE_LIMITED
    counted = await ev.redis.hget(keys.event_rate_limit(ev.id, "holds_account", "u1"), "c")
    assert counted == "1"
    assert (await ev.inv())["held"] == 1
