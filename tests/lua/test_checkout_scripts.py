"""Every checkout-side script, run directly: inventory AND per-user seats after each outcome."""

from __future__ import annotations

from app.core.clock import now_ms
from app.core.scripts import Scripts
from app.holds.ids import new_hold_id
from app.holds.scripts import Begin, Convert, Reserve
from tests.lua.sale import Sale


async def _held(sale: Sale, user: str, quantity: int) -> str:
    code, hold_id = await sale.reserve(user, quantity)
    assert code == Reserve.OK
    return hold_id


async def test_begin_checkout_moves_the_hold_to_the_checkout_index(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 3)
    expires = await sale.in_expiry(hold_id)
    assert expires is not None

    began = await sale.begin(hold_id, "u1", "pi_1", "o1")
    assert (began.code, began.payment_intent_id, began.order_id) == (Begin.BEGAN, "pi_1", "o1")
    assert began.checkout_deadline_ms == int(expires)
    assert await sale.status(hold_id) == "checking_out"
    assert await sale.in_expiry(hold_id) is None
    assert await sale.in_checkouts(hold_id) == expires
    # Nothing moves in the inventory or the buyer's seats: the seats stay held.
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 3, "sold": 0}
    assert await sale.seats("u1") == 3

    # A second checkout gets the first one's payment, whatever it brings.
    again = await sale.begin(hold_id, "u1", "pi_2", "o2")
    assert (again.code, again.payment_intent_id, again.order_id) == (Begin.ALREADY, "pi_1", "o1")
    assert await sale.field(hold_id, "payment_intent_id") == "pi_1"


async def test_begin_checkout_refusals_change_nothing(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 2)
    assert (await sale.begin(new_hold_id(sale.id), "u1", "pi")).code is Begin.NOT_FOUND
    assert (await sale.begin(hold_id, "u2", "pi")).code is Begin.NOT_OWNER
    expires = int(await sale.field(hold_id, "expires_at_ms") or 0)
    assert (await sale.begin(hold_id, "u1", "pi", now=expires)).code is Begin.EXPIRED
    assert await sale.status(hold_id) == "active"
    assert await sale.in_checkouts(hold_id) is None
    assert await sale.release(hold_id, "u1") == 0
    assert (await sale.begin(hold_id, "u1", "pi")).code is Begin.NOT_ACTIVE
    assert await sale.inv() == {"capacity": 10, "available": 10, "held": 0, "sold": 0}
    assert await sale.seats("u1") == 0


async def test_abort_checkout_puts_the_hold_back_at_its_own_expiry(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 2)
    expires = await sale.in_expiry(hold_id)
    await sale.begin(hold_id, "u1", "pi_1")
    assert await sale.abort(hold_id, "pi_other") is False
    assert await sale.status(hold_id) == "checking_out"

    assert await sale.abort(hold_id, "pi_1") is True
    assert await sale.status(hold_id) == "active"
    assert await sale.field(hold_id, "payment_intent_id") == "pi_1"  # reused by the next card
    assert await sale.field(hold_id, "checkout_deadline_ms") is None
    assert await sale.in_checkouts(hold_id) is None
    assert await sale.in_expiry(hold_id) == expires
    assert await sale.inv() == {"capacity": 10, "available": 8, "held": 2, "sold": 0}
    assert await sale.seats("u1") == 2
    # Not in checkout any more: a second abort does nothing.
    assert await sale.abort(hold_id, "pi_1") is False
    # And the expiry sweeper may now return its seats.
    assert await sale.expire(hold_id) == [1, 2]
    assert await sale.inv() == {"capacity": 10, "available": 10, "held": 0, "sold": 0}
    assert await sale.seats("u1") == 0


async def test_extend_checkout_only_with_its_own_payment(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 2)
    await sale.begin(hold_id, "u1", "pi_1")
    later = now_ms() + 900_000
    assert await sale.extend(hold_id, "pi_other", later) is False
    assert await sale.in_checkouts(hold_id) != later
    assert await sale.extend(hold_id, "pi_1", later) is True
    assert await sale.in_checkouts(hold_id) == later
    assert await sale.field(hold_id, "checkout_deadline_ms") == str(later)
    assert await sale.inv() == {"capacity": 10, "available": 8, "held": 2, "sold": 0}
    assert await sale.seats("u1") == 2
    assert await sale.expire_checkout(hold_id, "pi_1") is True
    assert await sale.extend(hold_id, "pi_1", later + 1) is False
    assert await sale.in_checkouts(hold_id) is None


async def test_expire_checkout_gives_back_seats_and_the_users_limit(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10, max_per_user=4)
    hold_id = await _held(sale, "u1", 3)
    other = await _held(sale, "u2", 1)
    await sale.begin(hold_id, "u1", "pi_1")
    await sale.begin(other, "u2", "pi_2")

    assert await sale.expire_checkout(hold_id, "pi_other") is False
    assert await sale.inv() == {"capacity": 10, "available": 6, "held": 4, "sold": 0}
    assert await sale.expire_checkout(hold_id, "pi_1") is True
    assert await sale.status(hold_id) == "expired"
    assert await sale.in_checkouts(hold_id) is None
    assert await sale.in_expiry(hold_id) is None
    assert await sale.inv() == {"capacity": 10, "available": 9, "held": 1, "sold": 0}
    assert await sale.seats("u1") == 0
    assert await sale.seats("u2") == 1
    # The limit is free again: u1 may hold its 4 seats now.
    assert (await sale.reserve("u1", 4))[0] == Reserve.OK
    # Once only.
    assert await sale.expire_checkout(hold_id, "pi_1") is False
    assert await sale.inv() == {"capacity": 10, "available": 5, "held": 5, "sold": 0}


async def test_convert_in_checkout_moves_held_to_sold(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 3)
    await sale.begin(hold_id, "u1", "pi_1", "o1")
    assert await sale.convert(hold_id, "pi_2", "u1", 3, "o1") is Convert.OTHER_PAYMENT
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 3, "sold": 0}

    assert await sale.convert(hold_id, "pi_1", "u1", 3, "o1") is Convert.CONVERTED
    assert await sale.status(hold_id) == "converted"
    assert await sale.in_checkouts(hold_id) is None
    assert await sale.in_expiry(hold_id) is None
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}
    assert await sale.seats("u1") == 3  # bought seats still count toward the limit
    # A retried job: nothing twice.
    assert await sale.convert(hold_id, "pi_1", "u1", 3, "o1") is Convert.ALREADY
    assert await sale.convert(hold_id, "pi_2", "u1", 3, "o1") is Convert.OTHER_PAYMENT
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}
    assert await sale.seats("u1") == 3


async def test_convert_of_an_active_hold(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 2)
    assert await sale.convert(hold_id, "pi_1", "u1", 2) is Convert.CONVERTED
    assert await sale.in_expiry(hold_id) is None
    assert await sale.inv() == {"capacity": 10, "available": 8, "held": 0, "sold": 2}
    assert await sale.seats("u1") == 2


async def test_late_convert_retakes_seats_and_counts_them_for_the_buyer(
    scripts: Scripts,
) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = await _held(sale, "u1", 3)
    await sale.begin(hold_id, "u1", "pi_1")
    assert await sale.expire_checkout(hold_id, "pi_1")
    assert await sale.seats("u1") == 0
    assert await sale.convert(hold_id, "pi_1", "u1", 3) is Convert.RETAKEN
    assert await sale.status(hold_id) == "converted"
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}
    assert await sale.seats("u1") == 3
    assert await sale.convert(hold_id, "pi_1", "u1", 3) is Convert.ALREADY
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}


async def test_late_convert_of_a_record_that_is_gone(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    hold_id = new_hold_id(sale.id)  # e.g. Redis lost the record
    assert await sale.convert(hold_id, "pi_1", "u9", 2) is Convert.RETAKEN
    assert await sale.inv() == {"capacity": 10, "available": 8, "held": 0, "sold": 2}
    assert await sale.seats("u9") == 2
    assert await sale.field(hold_id, "user_id") == "u9"


async def test_late_convert_with_fewer_seats_left_than_bought_changes_nothing(
    scripts: Scripts,
) -> None:
    """0 < available < quantity: the late payment must not take the last seats."""
    sale = await Sale(scripts).setup(capacity=6)
    hold_id = await _held(sale, "u1", 3)
    await sale.begin(hold_id, "u1", "pi_1")
    assert await sale.expire_checkout(hold_id, "pi_1")
    assert (await sale.reserve("u2", 4))[0] == Reserve.OK  # 2 seats left, 3 were bought
    before = await sale.inv()
    assert before == {"capacity": 6, "available": 2, "held": 4, "sold": 0}
    assert await sale.convert(hold_id, "pi_1", "u1", 3) is Convert.NO_SEATS
    assert await sale.inv() == before
    assert await sale.seats("u1") == 0
    assert await sale.status(hold_id) == "expired"
    # With exactly as many seats left as bought, it goes through.
    other = await _held(sale, "u4", 2)
    await sale.begin(other, "u4", "pi_4")
    assert await sale.expire_checkout(other, "pi_4")
    assert (await sale.inv())["available"] == 2
    assert await sale.convert(other, "pi_4", "u4", 2) is Convert.RETAKEN
    assert await sale.inv() == {"capacity": 6, "available": 0, "held": 4, "sold": 2}
    assert await sale.seats("u4") == 2


async def test_late_convert_never_buys_past_the_per_user_limit(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=20, max_per_user=4)
    late = await _held(sale, "u1", 3)
    await sale.begin(late, "u1", "pi_1")
    assert await sale.expire_checkout(late, "pi_1")
    assert (await sale.reserve("u1", 2))[0] == Reserve.OK  # 2 + 3 would be 5 > 4
    assert await sale.convert(late, "pi_1", "u1", 3) is Convert.OVER_LIMIT
    assert await sale.inv() == {"capacity": 20, "available": 18, "held": 2, "sold": 0}
    assert await sale.seats("u1") == 2
    # Straddling the limit: 2 + 2 = 4 is allowed.
    other = await _held(sale, "u2", 2)
    await sale.begin(other, "u2", "pi_2")
    assert await sale.expire_checkout(other, "pi_2")
    assert await sale.convert(other, "pi_2", "u1", 2) is Convert.RETAKEN
    assert await sale.seats("u1") == 4


async def test_return_seats_once_per_order(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(capacity=10)
    first = await _held(sale, "u1", 2)
    second = await _held(sale, "u2", 3)  # other sales: sold stays >= 2 after one return
    assert await sale.convert(first, "pi_1", "u1", 2, "o1") is Convert.CONVERTED
    assert await sale.convert(second, "pi_2", "u2", 3, "o2") is Convert.CONVERTED
    assert await sale.inv() == {"capacity": 10, "available": 5, "held": 0, "sold": 5}

    assert await sale.return_seats("o1", "u1", 2) is True
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}
    assert await sale.seats("u1") == 0
    assert await sale.seats("u2") == 3
    # A retried refund job: nothing twice, even though sold (3) could pay for it again.
    assert await sale.return_seats("o1", "u1", 2) is False
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}
    assert await sale.seats("u1") == 0
    # More than was sold: drift, nothing changes.
    assert await sale.return_seats("o9", "u9", 4) is False
    assert await sale.inv() == {"capacity": 10, "available": 7, "held": 0, "sold": 3}


async def test_limits_straddle_exactly(scripts: Scripts) -> None:
    """Quantities on both sides of each limit: tells `>` from `>=` in every check."""
    sale = await Sale(scripts).setup(capacity=7, max_per_order=3, max_per_user=5)
    assert (await sale.reserve("u1", 4))[0] == Reserve.LIMIT_PER_ORDER
    assert (await sale.reserve("u1", 3))[0] == Reserve.OK  # = max_per_order
    assert (await sale.reserve("u1", 3))[0] == Reserve.LIMIT_PER_USER  # 6 > 5
    assert (await sale.reserve("u1", 2))[0] == Reserve.OK  # = max_per_user
    assert (await sale.reserve("u1", 1))[0] == Reserve.LIMIT_PER_USER
    assert await sale.seats("u1") == 5
    assert (await sale.reserve("u2", 3))[0] == Reserve.SOLD_OUT  # 2 left
    assert (await sale.reserve("u2", 2))[0] == Reserve.OK  # = available
    assert await sale.inv() == {"capacity": 7, "available": 0, "held": 7, "sold": 0}
    assert (await sale.reserve("u3", 1))[0] == Reserve.SOLD_OUT
