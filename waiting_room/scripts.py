"""Every waiting-room Lua script behind typed methods: KEYS built here, codes as enums.

Scripts: queue_join, queue_status, queue_leave (one fan), admit_batch (a tick),
queue_seal and queue_reorder (the random_at_open draw). Presence ("seen")
bitmaps are bucketed in windows of SEEN_WINDOW_S; a fan told to poll within
SHORT_POLL_MAX_S must have polled in the last SHORT_NOSHOW_S when reached, one
told to poll later gets LONG_NOSHOW_S (3 x the longest poll interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import msgspec

from app.core import keys
from app.core.ratelimit import Quota
from app.core.scripts import ScriptPipeline, Scripts

SEEN_WINDOW_S = 20
SHORT_POLL_MAX_S = 20
SHORT_NOSHOW_S = 60
LONG_NOSHOW_S = 180
# A no-show who polls again within this long after being skipped is admitted next.
NOSHOW_GRACE_S = 600
# Poll-window bitmaps outlive the longest no-show threshold.
WINDOW_TTL_MS = (LONG_NOSHOW_S + 3 * SEEN_WINDOW_S) * 1000
# Bounds one tick's run time even when a long run of no-shows is skipped.
MAX_EXAMINE = 20_000
# Cron jitter: a tick counts as due this long before its exact time.
TICK_SLACK_MS = 500
SKIP_RETENTION_MS = 6 * 3600 * 1000
RATE_WINDOW_MS = 5 * 60 * 1000


class Join(IntEnum):
    """Return codes of lua/queue_join.lua."""

    CREATED = 1
    ALREADY = 0
    NOT_OPEN = -1
    CLOSED = -2
    NO_EVENT = -4
    RATE_LIMITED = -5  # queue_join_account / queue_join_ip; the reply carries the seconds
    PARTY_MEMBER = -6  # the account's place is its party leader's
    PHASE_NOT_OPEN = -7  # the sale phase the door chose is not joinable at the script's now


class Place(IntEnum):
    """The state code of lua/queue_status.lua."""

    PREQUEUE = 1
    WAITING = 2
    ADMITTED = 3
    EXPIRED = 4
    CLOSED = 5
    NOT_IN_QUEUE = 0
    NO_EVENT = -4
    RATE_LIMITED = -5  # a stream's open (stream_ip / stream_account); position = seconds
    PHASE_ENDED = 6  # entered in a sale phase that has closed: its place is given up


class Tick(IntEnum):
    """Return codes of lua/admit_batch.lua."""

    ADMITTED = 1
    NOT_DUE = 0
    PAUSED = 2
    CLOSED = 3
    NOT_OPEN = 4
    DISABLED = 5
    AWAITING_SHUFFLE = 6
    NO_EVENT = -4


class StatusReply(msgspec.Struct, frozen=True):
    """What queue_status.lua reports of one fan."""

    place: Place
    position: int
    ahead: int
    eta_s: int  # -1: cannot be known honestly now (see the Lua header)
    poll_after_s: int
    session_id: str
    expires_ms: int
    eta_low_s: int = 0
    eta_high_s: int = 0
    eta_confidence: int = 0  # 0 none, 1 low, 2 medium, 3 high
    # The line's admitted-up-to count read with the place (a fan in line only), for
    # the join receipt.
    admitted_through: int | None = None
    # When the fan's room opens (epoch ms), for a fan in its pre-queue (else 0).
    opens_ms: int = 0

    @classmethod
    def of(cls, raw: list[Any]) -> StatusReply:
        code, position, ahead, eta_s, poll_after_s, session_id, expires, low, high, conf = raw[:10]
        return cls(
            Place(int(code)),
            int(position),
            int(ahead),
            int(eta_s),
            int(poll_after_s),
            str(session_id),
            int(expires),
            int(low),
            int(high),
            int(conf),
            int(raw[10]) if len(raw) > 10 else None,
            int(raw[11]) if len(raw) > 11 else 0,
        )


class TickReply(msgspec.Struct, frozen=True):
    code: Tick
    admitted: int
    skipped: int
    active: int
    waiting: int
    # AWAITING_SHUFFLE: the sale phase whose pre-queue shuffle is due ('' the event's).
    phase_id: str = ""


def window_of(now_ms: int) -> int:
    return now_ms // (SEEN_WINDOW_S * 1000)


def presence_keys(event_id: str, now_ms: int) -> tuple[list[str], list[str]]:
    """The short and long seen bitmaps covering the no-show thresholds before now."""
    w = window_of(now_ms)
    n_short = SHORT_NOSHOW_S // SEEN_WINDOW_S + 1
    n_long = LONG_NOSHOW_S // SEEN_WINDOW_S + 1
    return (
        [keys.queue_seen(event_id, w - i) for i in range(n_short)],
        [keys.queue_seen_long(event_id, w - i) for i in range(n_long)],
    )


def _room_keys(event_id: str) -> list[str]:
    """KEYS[1..8] shared by join, status and the admission tick."""
    return [
        keys.event_meta(event_id),
        keys.inventory(event_id),
        keys.queue_line(event_id),
        keys.queue_state(event_id),
        keys.queue_sessions(event_id),
        keys.queue_skipped(event_id),
        keys.queue_comeback(event_id),
        keys.active_sessions(event_id),
    ]


class QueueScripts:
    """The waiting room's scripts of one Redis client (use `queue_scripts(scripts)`)."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._join = scripts.get("queue_join")
        self._status = scripts.get("queue_status")
        self._leave = scripts.get("queue_leave")
        self._admit = scripts.get("admit_batch")
        self._seal = scripts.get("queue_seal")
        self._reorder = scripts.get("queue_reorder")

    def join_keys(self, event_id: str, now: int) -> list[str]:
        return [*_room_keys(event_id), keys.queue_seen(event_id, window_of(now))]

    async def join(
        self,
        event_id: str,
        member: str,
        now: int,
        client: ScriptPipeline | None = None,
        quotas: Sequence[Quota | None] = (),
        phase_id: str = "",
    ) -> Any:
        """queue_join.lua; awaits the Join code, or queues the call on `client` (a pipeline).

        `quotas`: queue_join_account and queue_join_ip (None: off), counted by the script.
        `phase_id`: the sale phase the room's door let the account in for, checked against
        the schedule and written with the place by the script (Join.PHASE_NOT_OPEN).
        """
        quota_keys, quota_args = [], []
        padded = [*quotas, *([None] * (2 - len(quotas)))]
        for quota in padded:
            name, identity = (quota.name, quota.identity) if quota else ("-", "-")
            quota_keys.append(keys.event_rate_limit(event_id, name, identity))
            quota_args += [quota.limit, quota.window_ms] if quota else [0, 0]
        args = [member, now, NOSHOW_GRACE_S * 1000, WINDOW_TTL_MS, *quota_args, phase_id]
        raw = await self._scripts.call(
            self._join,
            [
                *self.join_keys(event_id, now),
                *quota_keys,
                keys.party_of(event_id),
                keys.phase_of(event_id),
                keys.phase_joins(event_id),
            ],
            args,
            client,
        )
        # With a pipeline the call is only queued: the caller reads the reply from execute().
        return raw if client is not None else Join(int(raw[0]))

    def status_keys(self, event_id: str, now: int) -> list[str]:
        window = window_of(now)
        return [
            *_room_keys(event_id),
            keys.queue_seen(event_id, window),
            keys.queue_seen_long(event_id, window),
        ]

    async def status(
        self,
        event_id: str,
        member: str,
        now: int,
        client: ScriptPipeline | None = None,
        quotas: Sequence[Quota | None] = (),
    ) -> Any:
        """queue_status.lua; awaits the StatusReply, or queues the call on `client`.

        `quotas` (a stream's open: stream_ip, stream_account; None: off) are checked and
        counted by the script first: Place.RATE_LIMITED, with the seconds in `position`.
        """
        args: list[Any] = [member, now, NOSHOW_GRACE_S * 1000, SHORT_POLL_MAX_S, WINDOW_TTL_MS]
        status_keys = self.status_keys(event_id, now)
        # Two limit slots always (None: off), so the phase-of hash is KEYS[13].
        for quota in [*quotas, *([None] * (2 - len(quotas)))]:
            name, identity = (quota.name, quota.identity) if quota else ("-", "-")
            status_keys.append(keys.event_rate_limit(event_id, name, identity))
            args += [quota.limit, quota.window_ms] if quota else [0, 0]
        status_keys.append(keys.phase_of(event_id))
        raw = await self._scripts.call(self._status, status_keys, args, client)
        return raw if client is not None else StatusReply.of(raw)

    async def join_and_status(
        self,
        event_id: str,
        member: str,
        now: int,
        quotas: Sequence[Quota | None] = (),
        phase_id: str = "",
    ) -> tuple[Join, int, StatusReply]:
        """Join, then read the place, in one round trip: (code, Retry-After s when
        RATE_LIMITED, else 0, the place)."""
        pipe = self._scripts.pipeline()
        await self.join(event_id, member, now, client=pipe, quotas=quotas, phase_id=phase_id)
        await self.status(event_id, member, now, client=pipe)
        joined, raw = await pipe.execute()
        code = Join(int(joined[0]))
        return code, int(joined[1]) if code is Join.RATE_LIMITED else 0, StatusReply.of(raw)

    async def leave(self, event_id: str, member: str) -> bool:
        removed = await self._scripts.call(
            self._leave,
            [
                keys.queue_line(event_id),
                keys.queue_comeback(event_id),
                keys.queue_skipped(event_id),
                keys.queue_sessions(event_id),
                keys.active_sessions(event_id),
            ],
            [member],
        )
        return bool(removed)

    async def admit_batch(self, event_id: str, now: int) -> TickReply:
        short, long = presence_keys(event_id, now)
        raw = await self._scripts.call(
            self._admit,
            [
                *_room_keys(event_id),
                keys.queue_ticks(event_id),
                *short,
                *long,
                keys.queue_turns(event_id),
                keys.user_seats(event_id),
                keys.phase_of(event_id),
                keys.phase_admits(event_id),
            ],
            [
                now,
                len(short),
                len(long),
                MAX_EXAMINE,
                TICK_SLACK_MS,
                SKIP_RETENTION_MS,
                RATE_WINDOW_MS,
            ],
        )
        code, admitted, skipped, active, waiting = (int(x) for x in raw[:5])
        phase_id = str(raw[5]) if len(raw) > 5 else ""
        return TickReply(Tick(code), admitted, skipped, active, waiting, phase_id)

    async def seal(
        self, event_id: str, now: int, phase_id: str = "", phase_opens_ms: int = 0
    ) -> tuple[bool, int, bool]:
        """(sealed, boundary seq, already opened) of the pre-queue: the event's, or the
        sale phase's when `phase_id` is given (it seals at `phase_opens_ms`)."""
        args: list[str | int] = [now]
        if phase_id:
            args += [phase_id, phase_opens_ms]
        raw = await self._scripts.call(
            self._seal, [keys.event_meta(event_id), keys.queue_state(event_id)], args
        )
        return bool(int(raw[0])), int(raw[1]), bool(int(raw[2]))

    async def reorder(
        self, event_id: str, last: bool, triples: list[str | int], phase_id: str = ""
    ) -> int:
        """Rescore (member, arrival seq, rank) triples; the last chunk opens admission
        (the event's room, or the sale phase's when `phase_id` is given)."""
        opened = ("opened:" + phase_id if phase_id else "opened") if last else ""
        changed = await self._scripts.call(
            self._reorder,
            [keys.queue_line(event_id), keys.queue_state(event_id)],
            [opened, *triples],
        )
        return int(changed)


def queue_scripts(scripts: Scripts) -> QueueScripts:
    return scripts.view(QueueScripts)
