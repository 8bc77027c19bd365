"""Return codes of the waiting-room scripts, run directly against a real Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.core import keys
from app.core.clock import now_ms
from app.core.ids import new_id
from app.core.scripts import Scripts
from waiting_room import admission
from waiting_room import scripts as qs
from waiting_room.members import member_of


class Room:
    """One event's meta and inventory as mirror.sync_event writes them."""

    def __init__(self, scripts: Scripts) -> None:
        self.scripts = scripts
        self.redis = scripts.redis
        self.id = new_id()

    async def setup(self, available: int = 10, **meta: Any) -> Room:
        fields: dict[str, Any] = {
            "status": "published",
            "onsale_at_ms": now_ms() - 60_000,
            "offsale_at_ms": now_ms() + 3_600_000,
            "sections": "A,B",
            "wr_enabled": 1,
            "wr_admit_batch_size": 2,
            "wr_admit_interval_s": 10,
            "wr_max_active_shoppers": 3,
            "wr_session_ttl_s": 60,
            "wr_mode": "fifo",
            "wr_prequeue_opens_at_ms": 0,
        }
        fields.update(meta)
        await self.redis.hset(keys.event_meta(self.id), mapping=fields)
        await self.redis.hset(
            keys.inventory(self.id),
            mapping={"A:available": 0, "A:held": 0, "B:available": available, "B:held": 0},
        )
        return self

    async def join(self, user: str, now: int | None = None) -> int:
        now = now_ms() if now is None else now
        raw = await self.scripts.run(
            "queue_join",
            keys=[
                keys.event_meta(self.id),
                keys.inventory(self.id),
                keys.queue_line(self.id),
                keys.queue_state(self.id),
                keys.queue_sessions(self.id),
                keys.queue_skipped(self.id),
                keys.queue_comeback(self.id),
                keys.active_sessions(self.id),
                keys.queue_seen(self.id, qs.window_of(now)),
            ],
            args=[member_of(user), now, qs.NOSHOW_GRACE_S * 1000, qs.WINDOW_TTL_MS],
        )
        return int(raw[0])

    async def status(self, user: str) -> list[Any]:
        now = now_ms()
        w = qs.window_of(now)
        raw: list[Any] = await self.scripts.run(
            "queue_status",
            keys=[
                keys.event_meta(self.id),
                keys.inventory(self.id),
                keys.queue_line(self.id),
                keys.queue_state(self.id),
                keys.queue_sessions(self.id),
                keys.queue_skipped(self.id),
                keys.queue_comeback(self.id),
                keys.active_sessions(self.id),
                keys.queue_seen(self.id, w),
                keys.queue_seen_long(self.id, w),
            ],
            args=[
                member_of(user),
                now,
                qs.NOSHOW_GRACE_S * 1000,
                qs.SHORT_POLL_MAX_S,
                qs.WINDOW_TTL_MS,
            ],
        )
        return raw

    async def tick(self, now: int | None = None) -> admission.TickResult:
        return await admission.tick(self.scripts, self.id, now_ms() if now is None else now)


def users(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


async def test_join_codes(scripts: Scripts) -> None:
    room = await Room(scripts).setup()
    a, b = users(2)
    assert await room.join(a) == 1
    assert await room.join(a) == 0
    assert await room.join(b) == 1
    assert [int(x) for x in (await room.status(b))[:3]] == [2, 2, 1]
    assert int((await room.status(str(uuid.uuid4())))[0]) == 0
    missing = Room(scripts)
    assert await missing.join(a) == -4
    draft = await Room(scripts).setup(status="draft")
    assert await draft.join(a) == -4
    ended = await Room(scripts).setup(status="ended")
    assert await ended.join(a) == -2
    sold_out = await Room(scripts).setup(available=0)
    assert await sold_out.join(a) == -2
    early = await Room(scripts).setup(wr_prequeue_opens_at_ms=now_ms() + 60_000)
    assert await early.join(a) == -1
    disabled_early = await Room(scripts).setup(wr_enabled=0, onsale_at_ms=now_ms() + 60_000)
    assert await disabled_early.join(a) == -1


async def test_prequeue_state_and_boundary(scripts: Scripts) -> None:
    onsale = now_ms() + 60_000
    room = await Room(scripts).setup(onsale_at_ms=onsale, wr_mode="random_at_open")
    a, b = users(2)
    assert await room.join(a) == 1
    assert int((await room.status(a))[0]) == 1
    assert (await room.tick()).outcome == "not_open"
    # First join after open seals the pre-queue at the seqs before it.
    assert await room.join(b, now=onsale + 1) == 1
    assert await scripts.redis.hget(keys.queue_state(room.id), "boundary") == "1"
    assert await admission.seal(scripts, room.id, onsale + 2) == (True, 1, False)


async def test_tick_codes_and_one_admission_per_interval(scripts: Scripts) -> None:
    room = await Room(scripts).setup()
    # One simulated clock for joins and ticks, starting 2 s into a presence window: the
    # fourth tick's no-show check then sees the joins' window whatever the wall clock says
    # (joined at the wall clock, a join in a window's last second looked like a no-show).
    window_ms = qs.SEEN_WINDOW_S * 1000
    now = now_ms() // window_ms * window_ms + 2_000
    for user in users(5):
        await room.join(user, now=now)
    first = await room.tick(now)
    assert (first.outcome, first.admitted, first.active, first.waiting) == ("admitted", 2, 2, 3)
    assert (await room.tick(now + 1)).outcome == "not_due"
    assert (await room.tick(now + 9_000)).outcome == "not_due"
    # Due (within the slack); the cap of 3 active sessions allows only one more.
    second = await room.tick(now + 9_600)
    assert (second.outcome, second.admitted, second.active) == ("admitted", 1, 3)
    third = await room.tick(now + 20_000)
    assert (third.admitted, third.active) == (0, 3)
    # The first two sessions expire (ttl 60 s): their slots go to the last two fans.
    fourth = await room.tick(now + 61_000)
    assert (fourth.admitted, fourth.active) == (2, 3)


@pytest.mark.parametrize(
    ("meta", "outcome"),
    [
        ({"status": "paused"}, "paused"),
        ({"wr_enabled": 0}, "disabled"),
        ({"onsale_in_ms": 60_000}, "not_open"),
        ({"wr_mode": "random_at_open"}, "awaiting_shuffle"),
    ],
)
async def test_tick_does_not_admit(scripts: Scripts, meta: dict[str, Any], outcome: str) -> None:
    if "onsale_in_ms" in meta:  # relative to now: parameters are built at collection time
        meta = {"onsale_at_ms": now_ms() + meta["onsale_in_ms"]}
    room = await Room(scripts).setup(**meta)
    result = await room.tick()
    assert (result.outcome, result.admitted) == (outcome, 0)


async def test_tick_closed_without_seats_or_holds(scripts: Scripts) -> None:
    room = await Room(scripts).setup()
    (user,) = users(1)
    await room.join(user)
    await scripts.redis.hset(keys.inventory(room.id), "B:available", 0)
    assert (await room.tick()).outcome == "closed"
    assert int((await room.status(user))[0]) == 5
    # Held seats could come back: the room is open, but admits nobody while no seat is free.
    await scripts.redis.hset(keys.inventory(room.id), "A:held", 2)
    t = now_ms()
    assert ((await room.tick(t)).outcome, (await room.tick(t + 11_000)).admitted) == (
        "admitted",
        0,
    )
    await scripts.redis.hset(keys.inventory(room.id), mapping={"A:held": 1, "A:available": 1})
    assert (await room.tick(t + 22_000)).admitted == 1


BIG_BATCH = {"wr_admit_batch_size": 100, "wr_max_active_shoppers": 1000}


async def test_admitted_shoppers_who_hold_nothing_yet_count_before_the_line(
    scripts: Scripts,
) -> None:
    room = await Room(scripts).setup(available=4, **BIG_BATCH)
    for user in users(10):
        await room.join(user)
    t = now_ms()
    assert (await room.tick(t)).admitted == 4
    # Two more seats (added capacity): the four shoppers in the shop, holding nothing yet,
    # want four of the six, so two more fans get a turn.
    await scripts.redis.hset(keys.inventory(room.id), "B:available", 6)
    assert (await room.tick(t + 11_000)).admitted == 2


async def test_a_fan_counts_for_the_seats_each_account_takes(scripts: Scripts) -> None:
    room = await Room(scripts).setup(available=10, **BIG_BATCH)
    # 20 accounts own 2 seats each: a fan is worth 2 of the 10 seats left.
    await scripts.redis.hset(keys.user_seats(room.id), mapping={user: 2 for user in users(20)})
    await scripts.redis.hset(keys.inventory(room.id), "B:sold", 40)
    for user in users(30):
        await room.join(user)
    assert (await room.tick()).admitted == 5


async def test_before_holds_are_seen_a_fan_counts_for_a_whole_order(scripts: Scripts) -> None:
    # Measured at 2,000 fans for 400 seats: counting a seat a fan before any hold was seen
    # let 200 fans in for 400 seats at 2.5 a fan, and 40 of them met sold_out.
    room = await Room(scripts).setup(available=12, max_per_order=4, **BIG_BATCH)
    for user in users(30):
        await room.join(user)
    t = now_ms()
    assert (await room.tick(t)).admitted == 3
    # Nothing held yet: the three shoppers may still want all twelve seats.
    assert (await room.tick(t + 11_000)).admitted == 0


async def test_before_20_accounts_hold_the_holding_shoppers_are_counted_by_their_own_seats(
    scripts: Scripts,
) -> None:
    # Five shoppers hold 2 seats each (a whole order is 6): they are five shoppers holding,
    # not 10 / 6 of one, so nobody in the shop still wants seats and the 2 left go to the
    # line (counted by the whole order, five would look like three still to come).
    room = await Room(scripts).setup(available=2, max_per_order=6, **BIG_BATCH)
    shoppers = users(5)
    await scripts.redis.hset(keys.user_seats(room.id), mapping={u: 2 for u in shoppers})
    await scripts.redis.hset(keys.inventory(room.id), "B:held", 10)
    expiry = now_ms() + 60_000
    await scripts.redis.zadd(keys.active_sessions(room.id), {f"s{i}": expiry for i in range(5)})
    for user in users(30)[5:]:
        await room.join(user)
    assert (await room.tick()).admitted == 1


async def test_turns_that_ended_without_a_hold_do_not_discount_the_shoppers(
    scripts: Scripts,
) -> None:
    # 100 turns so far, 20 accounts with seats (2 each): 80 turns ended without a hold,
    # mostly fans refused sold_out. The 10 shoppers in the shop still want 2 seats each.
    room = await Room(scripts).setup(available=20, **BIG_BATCH)
    await scripts.redis.hset(keys.user_seats(room.id), mapping={user: 2 for user in users(20)})
    await scripts.redis.hset(keys.inventory(room.id), "B:sold", 40)
    await scripts.redis.hset(keys.queue_state(room.id), "admitted", 100)
    expiry = now_ms() + 60_000
    await scripts.redis.zadd(keys.active_sessions(room.id), {f"s{i}": expiry for i in range(10)})
    for user in users(30):
        await room.join(user)
    t = now_ms()
    assert (await room.tick(t)).admitted == 0
    await scripts.redis.hset(keys.inventory(room.id), "B:available", 26)
    assert (await room.tick(t + 11_000)).admitted == 3


async def test_only_whole_fans_are_admitted_and_the_last_seats_go_one_fan_at_a_time(
    scripts: Scripts,
) -> None:
    room = await Room(scripts).setup(available=5, **BIG_BATCH)
    # 20 accounts own 2 seats each: 5 seats serve two fans, not three.
    await scripts.redis.hset(keys.user_seats(room.id), mapping={user: 2 for user in users(20)})
    await scripts.redis.hset(keys.inventory(room.id), "B:sold", 40)
    line = users(10)
    for user in line:
        await room.join(user)
    t = now_ms()
    assert (await room.tick(t)).admitted == 2
    # One seat left over while the two shop: nobody more.
    assert (await room.tick(t + 11_000)).admitted == 0
    # The shop is empty and a seat is still left: one fan gets it.
    await scripts.redis.delete(keys.active_sessions(room.id))
    await scripts.redis.hset(keys.inventory(room.id), "B:available", 1)
    assert (await room.tick(t + 22_000)).admitted == 1


async def test_a_shopper_who_held_nothing_for_a_minute_is_taken_as_gone(
    scripts: Scripts,
) -> None:
    room = await Room(scripts).setup(available=10, wr_session_ttl_s=300, **BIG_BATCH)
    t = now_ms()
    # Five shoppers admitted two minutes ago and three a moment ago, none holding.
    sessions = {f"old{i}": t + 300_000 - 120_000 for i in range(5)}
    sessions.update({f"new{i}": t + 300_000 - 1_000 for i in range(3)})
    await scripts.redis.zadd(keys.active_sessions(room.id), sessions)
    for user in users(30):
        await room.join(user)
    # Only the three recent shoppers still count: 7 of the 10 seats serve the line.
    assert (await room.tick(t)).admitted == 7


async def test_leave_and_reorder_guard(scripts: Scripts) -> None:
    room = await Room(scripts).setup()
    a, b = users(2)
    await room.join(a)
    await room.join(b)
    await room.tick()
    removed = await scripts.run(
        "queue_leave",
        keys=[
            keys.queue_line(room.id),
            keys.queue_comeback(room.id),
            keys.queue_skipped(room.id),
            keys.queue_sessions(room.id),
            keys.active_sessions(room.id),
        ],
        args=[member_of(a)],
    )
    assert removed == 1
    assert await scripts.redis.zcard(keys.active_sessions(room.id)) == 1
    # Reorder only touches members whose score still carries the given seq.
    line = keys.queue_line(room.id)
    await scripts.redis.zadd(line, {member_of(a): 5 * admission.SEQ + 5})
    changed = await scripts.run(
        "queue_reorder",
        keys=[line, keys.queue_state(room.id)],
        args=["opened", member_of(a), 4, 1, member_of(a), 5, 2],
    )
    assert changed == 1
    assert await scripts.redis.zscore(line, member_of(a)) == 2 * admission.SEQ + 5
    assert await scripts.redis.hget(keys.queue_state(room.id), "opened") == "1"


async def test_every_admission_is_one_entry_of_the_turns_stream(scripts: Scripts) -> None:
    room = await Room(scripts).setup()
    fans = users(3)
    for user in fans:
        await room.join(user)
    now = now_ms()
    assert (await room.tick(now)).admitted == 2
    assert (await room.tick(now + 1)).outcome == "not_due"  # a tick that admits nobody adds none
    entries = await scripts.redis.xrange(keys.queue_turns(room.id))
    assert [fields["m"] for _, fields in entries] == [member_of(u) for u in fans[:2]]
    sessions = await scripts.redis.hgetall(keys.queue_sessions(room.id))
    for _, fields in entries:
        # The same session id and expiry as the admission itself.
        assert sessions[fields["m"]] == f"{fields['sid']}:{fields['exp']}"
