"""Discount codes in the hold scripts, run directly: the amount a code takes off, its limit
to the use, its scope, and the use's way back (release, expiry, abandoned checkout) or not
(a sale; a late payment only while a use is left)."""

from __future__ import annotations

from app.core.scripts import Scripts
from app.holds.scripts import Convert, Reserve
from tests.lua.sale import Sale


async def test_percent_rounds_down_to_the_minor_unit_and_an_amount_never_passes_the_order(
    scripts: Scripts,
) -> None:
    sale = await Sale(scripts).setup(capacity=20, max_per_user=20, **{"price:A": 999})
    await sale.add_code("P33", max_uses=9, percent=33)
    await sale.add_code("BIG", max_uses=9, amount=5000)
    await sale.add_code("SMALL", max_uses=9, amount=250)
    out = await sale.reserve_with("u1", 1, "P33")
    # 33 % of 9.99 is 3.2967: 3.29 off, 6.70 to pay.
    assert (out.code, out.amount_cents, out.discount_cents) == (Reserve.OK, 670, 329)
    out = await sale.reserve_with("u1", 3, "P33")
    assert (out.amount_cents, out.discount_cents) == (2008, 989)  # 33 % of 29.97 = 9.8901
    out = await sale.reserve_with("u1", 2, "BIG")
    assert (out.amount_cents, out.discount_cents) == (0, 1998)
    out = await sale.reserve_with("u1", 2, "SMALL")
    assert (out.amount_cents, out.discount_cents) == (1748, 250)
    assert await sale.field(out.hold_id, "amount_cents") == "1748"
    assert await sale.field(out.hold_id, "discount") == "SMALL"


async def test_a_code_is_used_up_at_its_limit_and_refusals_take_nothing(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10, max_per_order=10, max_per_user=10)
    await sale.add_code("TWO", max_uses=2, percent=10)
    await sale.add_code("FLOOR", max_uses=5, percent=10, section="B")
    await sale.add_code("PRESALE", max_uses=5, percent=10, phase="phase-1")
    assert (await sale.reserve_with("u1", 1, "TWO")).code is Reserve.OK
    assert (await sale.reserve_with("u2", 1, "TWO")).code is Reserve.OK
    third = await sale.reserve_with("u3", 1, "TWO")
    assert (third.code, third.n1) == (Reserve.CODE_EXHAUSTED, 2)
    assert (await sale.reserve_with("u3", 1, "NOPE")).code is Reserve.NO_SUCH_CODE
    assert (await sale.reserve_with("u3", 1, "FLOOR")).code is Reserve.CODE_NOT_APPLICABLE
    assert (await sale.reserve_with("u3", 1, "PRESALE")).code is Reserve.CODE_NOT_APPLICABLE
    assert (await sale.reserve_with("u3", 1, "PRESALE", "phase-2")).code is (
        Reserve.CODE_NOT_APPLICABLE
    )
    assert await sale.inv() == {"capacity": 10, "available": 8, "held": 2, "sold": 0}
    assert await sale.seats("u3") == 0
    assert await sale.code_uses("TWO") == 2
    assert await sale.code_uses("PRESALE") == 0
    assert (await sale.reserve_with("u3", 1, "PRESALE", "phase-1")).code is Reserve.OK
    # Sold out comes before the code: a refusal for seats takes no use.
    assert (await sale.reserve_with("u4", 9, "PRESALE", "phase-1")).code is Reserve.SOLD_OUT
    assert await sale.code_uses("PRESALE") == 1
    # Disabled: no new use.
    await sale.redis.hset(f"{{ev:{sale.id}}}:discounts", "PRESALE:off", 1)  # type: ignore[misc]
    assert (await sale.reserve_with("u4", 1, "PRESALE", "phase-1")).code is Reserve.NO_SUCH_CODE


async def test_a_hold_that_ends_without_a_sale_gives_its_use_back(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10, max_per_user=10)
    await sale.add_code("ONE", max_uses=1, percent=50)
    released = await sale.reserve_with("u1", 1, "ONE")
    assert await sale.code_uses("ONE") == 1
    assert await sale.release(released.hold_id, "u1") == 0
    assert await sale.code_uses("ONE") == 0
    # A second release does not give back twice.
    assert await sale.release(released.hold_id, "u1") == 3
    assert await sale.code_uses("ONE") == 0

    expired = await sale.reserve_with("u2", 1, "ONE")
    assert (await sale.reserve_with("u3", 1, "ONE")).code is Reserve.CODE_EXHAUSTED
    assert await sale.expire(expired.hold_id) == [1, 1]
    assert await sale.code_uses("ONE") == 0
    assert await sale.expire(expired.hold_id) == [0, 0]
    assert await sale.code_uses("ONE") == 0

    abandoned = await sale.reserve_with("u3", 1, "ONE")
    await sale.begin(abandoned.hold_id, "u3", "pi_1")
    assert await sale.expire_checkout(abandoned.hold_id, "pi_1") is True
    assert await sale.code_uses("ONE") == 0

    sold = await sale.reserve_with("u4", 1, "ONE")
    await sale.begin(sold.hold_id, "u4", "pi_2")
    assert await sale.convert(sold.hold_id, "pi_2", "u4", 1) is Convert.CONVERTED
    assert await sale.code_uses("ONE") == 1
    assert (await sale.reserve_with("u5", 1, "ONE")).code is Reserve.CODE_EXHAUSTED


async def test_a_late_payment_retakes_its_use_only_while_one_is_left(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10, max_per_user=10)
    await sale.add_code("ONE", max_uses=1, percent=50)
    late = await sale.reserve_with("u1", 2, "ONE")
    await sale.expire(late.hold_id)
    # Nobody took the use meanwhile: the late payment gets its seats and the use back.
    assert await sale.convert(late.hold_id, "pi_1", "u1", 2) is Convert.RETAKEN
    assert await sale.code_uses("ONE") == 1

    await sale.add_code("AGAIN", max_uses=1, percent=50)
    gone = await sale.reserve_with("u2", 2, "AGAIN")
    await sale.expire(gone.hold_id)
    taker = await sale.reserve_with("u3", 1, "AGAIN")
    assert taker.code is Reserve.OK
    # The use went to someone else: the late payment is refunded, nothing moves.
    before = await sale.inv()
    assert await sale.convert(gone.hold_id, "pi_2", "u2", 2) is Convert.NO_SEATS
    assert await sale.inv() == before
    assert await sale.code_uses("AGAIN") == 1
    assert await sale.seats("u2") == 0
