"""One event's inventory in Redis, driven through the typed hold script wrappers."""

from __future__ import annotations

from typing import Any

from app.core import keys
from app.core.clock import now_ms
from app.core.ids import new_id
from app.core.scripts import Scripts
from app.holds.ids import new_hold_id
from app.holds.scripts import Began, Convert, DiscountRequest, Reserved, hold_scripts
from app.waitlist.scripts import Offer, waitlist_scripts

DAY_MS = 24 * 3600 * 1000
SECTION = "A"


class Sale:
    """An event with one section, set up as mirror.sync_event + load_inventory would."""

    def __init__(self, scripts: Scripts) -> None:
        self.scripts = scripts
        self.hs = hold_scripts(scripts)
        self.redis = scripts.redis
        self.id = new_id()
        self.session_id = ""

    async def setup(
        self, capacity: int = 10, *, max_per_order: int = 4, max_per_user: int = 6, **meta: Any
    ) -> Sale:
        fields = {
            "status": "published",
            "onsale_at_ms": now_ms() - 60_000,
            "offsale_at_ms": now_ms() + 3_600_000,
            "hold_ttl_s": 600,
            "max_per_order": max_per_order,
            "max_per_user": max_per_user,
            "currency": "EUR",
            f"price:{SECTION}": 1500,
            **meta,
        }
        await self.redis.hset(keys.event_meta(self.id), mapping=fields)  # type: ignore[misc]
        await self.scripts.run(
            "load_inventory", keys=[keys.inventory(self.id)], args=[SECTION, capacity, 0]
        )
        self.session_id = new_id()
        await self.redis.zadd(keys.active_sessions(self.id), {self.session_id: now_ms() + 600_000})
        return self

    # --- the hold scripts -------------------------------------------------------------------
    async def reserve(self, user: str, quantity: int) -> tuple[int, str]:
        """(reserve_seats code, hold id)."""
        out = await self.hs.reserve(
            event_id=self.id,
            user_id=user,
            session_id=self.session_id,
            section=SECTION,
            quantity=quantity,
            hold_id=new_hold_id(self.id),
            idempotency=None,
            now=now_ms(),
            idempotency_ttl_ms=DAY_MS,
        )
        return int(out.code), out.hold_id

    async def reserve_with(
        self, user: str, quantity: int, code: str = "", phase_id: str = ""
    ) -> Reserved:
        """reserve_seats with a discount code (and the admission's phase), its whole answer."""
        return await self.hs.reserve(
            event_id=self.id,
            user_id=user,
            session_id=self.session_id,
            section=SECTION,
            quantity=quantity,
            hold_id=new_hold_id(self.id),
            idempotency=None,
            now=now_ms(),
            idempotency_ttl_ms=DAY_MS,
            discount=DiscountRequest(code, phase_id) if code else None,
        )

    async def add_code(
        self,
        code: str,
        *,
        max_uses: int,
        percent: int = 0,
        amount: int = 0,
        section: str = "",
        phase: str = "",
    ) -> None:
        """A discount code as app.discounts publishes it (lua/_discounts.lua's fields)."""
        c = code + ":"
        await self.redis.hset(  # type: ignore[misc]
            keys.discounts(self.id),
            mapping={
                c + "kind": "percent" if percent else "amount",
                c + "value": percent or amount,
                c + "max": max_uses,
                c + "section": section,
                c + "phase": phase,
                c + "off": 0,
            },
        )
        await self.redis.hsetnx(keys.discounts(self.id), c + "used", 0)  # type: ignore[misc]

    async def code_uses(self, code: str) -> int:
        value = await self.redis.hget(keys.discounts(self.id), code + ":used")  # type: ignore[misc]
        return int(value or 0)

    # --- ticket types (lua/_types.lua, lua/put_ticket_type.lua) ---------------------------
    async def add_type(
        self,
        code: str,
        *,
        quota: int,
        price: int,
        limit: int = 0,
        opens: int = 0,
        closes: int = 0,
        companion: str = "",
    ) -> list[int]:
        """A ticket type of the section as app.tickettypes writes it: put_ticket_type."""
        listed = await self.redis.hget(keys.ticket_types(self.id), SECTION + ":types")  # type: ignore[misc]
        codes = [c for c in (listed or "").split(",") if c and c != code] + [code]
        out = await self.scripts.run(
            "put_ticket_type",
            keys=[keys.ticket_types(self.id)],
            args=[
                "put", SECTION, code, quota, 0, 0, ",".join(codes),
                "price", price, "limit", limit, "opens", opens, "closes", closes,
                "companion", companion, "name", code.title(),
            ],
        )  # fmt: skip
        return [int(v) for v in out]

    async def reserve_lines(
        self, user: str, lines: list[tuple[str, int]], code: str = "", now: int | None = None
    ) -> Reserved:
        """reserve_seats with lines by ticket type (quantity: their sum), its whole answer."""
        return await self.hs.reserve(
            event_id=self.id,
            user_id=user,
            session_id=self.session_id,
            section=SECTION,
            quantity=sum(q for _, q in lines),
            hold_id=new_hold_id(self.id),
            idempotency=None,
            now=now if now is not None else now_ms(),
            idempotency_ttl_ms=DAY_MS,
            discount=DiscountRequest(code) if code else None,
            lines=lines,
        )

    async def type_counts(self, code: str) -> dict[str, int]:
        """A type's counters: quota, available, held, sold."""
        f = f"{SECTION}/{code}:"
        names = ("quota", "available", "held", "sold")
        values = await self.redis.hmget(keys.ticket_types(self.id), [f + n for n in names])  # type: ignore[misc]
        return {n: int(v or 0) for n, v in zip(names, values, strict=True)}

    async def release(self, hold_id: str, user: str) -> int:
        return int(await self.hs.release(self.id, hold_id, user_id=user, now=now_ms()))

    async def expire(self, hold_id: str, at_ms: int | None = None) -> list[int]:
        """expire_holds with this one candidate, as the sweeper would at `at_ms` (default: far
        in the future, so a hold in the expiry index is due)."""
        at = at_ms if at_ms is not None else now_ms() + 10 * DAY_MS
        return list(await self.hs.expire(self.id, [hold_id], at))

    # --- the checkout scripts (through the app's wrappers) ------------------------------
    async def begin(
        self, hold_id: str, user: str, pi: str, order_id: str = "", now: int | None = None
    ) -> Began:
        return await self.hs.begin_checkout(
            self.id,
            hold_id,
            user_id=user,
            payment_intent_id=pi,
            order_id=order_id or f"o-{hold_id}",
            now=now if now is not None else now_ms(),
        )

    async def abort(self, hold_id: str, pi: str) -> bool:
        return await self.hs.abort_checkout(self.id, hold_id, pi)

    async def extend(self, hold_id: str, pi: str, deadline_ms: int) -> bool:
        return await self.hs.extend_checkout(self.id, hold_id, pi, deadline_ms)

    async def expire_checkout(self, hold_id: str, pi: str) -> bool:
        return await self.hs.expire_checkout(self.id, hold_id, pi, now_ms())

    async def convert(
        self, hold_id: str, pi: str, user: str, quantity: int, order_id: str = "", lines: str = ""
    ) -> Convert:
        return await self.hs.convert(
            self.id,
            hold_id,
            payment_intent_id=pi,
            order_id=order_id or f"o-{hold_id}",
            user_id=user,
            section=SECTION,
            quantity=quantity,
            now=now_ms(),
            lines=lines,
        )

    async def return_seats(self, order_id: str, user: str, quantity: int, lines: str = "") -> bool:
        """True when the order's seats went back now (False: already, or more than sold)."""
        return await self.hs.return_seats(
            self.id,
            order_id=order_id,
            section=SECTION,
            quantity=quantity,
            user_id=user,
            lines=lines,
        )

    # --- what the tests look at -----------------------------------------------------------
    # --- the waiting list (lua/waitlist_join.lua, lua/offer_seats.lua) ---------------------
    async def wait(self, user: str, quantity: int) -> int:
        """waitlist_join's code for this user and quantity in the section."""
        code, _ = await waitlist_scripts(self.scripts).join(
            self.id, user, SECTION, quantity, now_ms()
        )
        return int(code)

    async def offer(self) -> Offer:
        """One offer step: the next waiting fan whose request fits gets a hold."""
        return await waitlist_scripts(self.scripts).offer(
            self.id, new_hold_id(self.id), 600_000, now_ms()
        )

    async def inv(self) -> dict[str, int]:
        raw: dict[str, str] = await self.redis.hgetall(keys.inventory(self.id))  # type: ignore[misc]
        return {k.split(":")[1]: int(v) for k, v in raw.items() if k.startswith(SECTION + ":")}

    async def seats(self, user: str) -> int:
        value = await self.redis.hget(keys.user_seats(self.id), user)  # type: ignore[misc]
        return int(value or 0)

    async def status(self, hold_id: str) -> str | None:
        value: str | None = await self.redis.hget(keys.hold(self.id, hold_id), "status")  # type: ignore[misc]
        return value

    async def field(self, hold_id: str, name: str) -> str | None:
        value: str | None = await self.redis.hget(keys.hold(self.id, hold_id), name)  # type: ignore[misc]
        return value

    async def in_expiry(self, hold_id: str) -> float | None:
        score: float | None = await self.redis.zscore(keys.hold_expiry(self.id), hold_id)
        return score

    async def in_checkouts(self, hold_id: str) -> float | None:
        score: float | None = await self.redis.zscore(keys.checkouts(self.id), hold_id)
        return score
