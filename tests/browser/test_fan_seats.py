"""Reserved seating on a phone (360×740, touch) against real API and worker processes: pick two
seats on the map, pay, and see them on the order and in My tickets (English and German);
best available (French); the list alternative with the keyboard only; a seat another fan
takes while this one looks turns grey without a reload, and a hold refused with
`seats_taken` names the seats in words. axe-core on every new screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from playwright.async_api import Page, Route, expect

from app.core.settings import Settings
from devtools.mailsink import MailSink, text_of
from tests.browser.conftest import Phone, Stack, fan_sign_in
from tests.browser.test_fan_payment import fill_card
from tests.support.seat_plans import hold_seats, seated_event

pytestmark = pytest.mark.timeout(300)

SECTION = "STALLS"
WORDS = {
    "en-US": {
        "seat": "Row {row}, seat {n}",
        "hold": "Hold 2 seats",
        "confirmed": "Payment confirmed",
    },
    "de-DE": {
        "seat": "Reihe {row}, Platz {n}",
        "hold": "2 Plätze reservieren",
        "confirmed": "Zahlung bestätigt",
    },
}


# The confirmation email names the seats (in the fan's profile language).
MAIL_SEATS = re.compile(r"row C, seat 6; row C, seat 7|Reihe C, Platz 6; Reihe C, Platz 7", re.I)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, sink: MailSink) -> Settings:
    return msgspec.structs.replace(settings, smtp_url=sink.url, notify_backoff_s=0.05)


async def confirmation_text(sink: MailSink, page: Page) -> str:
    for _ in range(100):
        for m in sink.messages():
            if "Your tickets for" in str(m.message["Subject"]) or "Deine Tickets" in str(
                m.message["Subject"]
            ):
                return text_of(m.message)
        await page.wait_for_timeout(200)
    raise AssertionError("no confirmation email")


async def at_the_map(stack: Stack, phone: Any, locale: str) -> tuple[Phone, dict[str, Any]]:
    """A seated event on sale, a fan on a phone admitted and looking at its seat map."""
    org = await stack.api.user("organizer")
    event = await seated_event(stack.api, org, name="Kammerspiele: Der Sturm")
    assert event["sections"][0]["seated"] is True  # the app asks for seats only then
    fan = await stack.api.user("fan")
    ph: Phone = await phone(locale)
    await fan_sign_in(ph.page, stack.base, fan.email, f"/events/{event['event_id']}/queue")
    await expect(ph.page.locator("#room")).to_have_attribute("data-state", "admitted")
    await expect(ph.page.locator("#seat-picker .seatmap-svg .seat")).to_have_count(96)
    return ph, event


def seat(page: Page, seat_id: str) -> Any:
    return page.locator(f'#seat-picker .seatmap-svg [data-seat="{seat_id}"]')


# Two fingers on the map as the browser reports them (pointer events): they start `a` px either
# side of its centre and spread to `b`; then one finger drags `drag` px to the left.
GESTURE = """async ([a, b, drag]) => {
  const svg = document.querySelector('#seat-picker .seatmap-svg');
  const box = svg.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const fire = (type, id, x, y) => svg.dispatchEvent(new PointerEvent(type, {pointerId: id,
    pointerType: 'touch', clientX: x, clientY: y, bubbles: true, isPrimary: id === 1}));
  fire('pointerdown', 1, cx - a, cy); fire('pointerdown', 2, cx + a, cy);
  for (let i = 1; i <= 5; i++) {
    const d = a + (b - a) * i / 5;
    fire('pointermove', 1, cx - d, cy); fire('pointermove', 2, cx + d, cy);
  }
  fire('pointerup', 2, cx + b, cy); fire('pointerup', 1, cx - b, cy);
  const zoomed = svg.getAttribute('viewBox');
  fire('pointerdown', 3, cx, cy);
  for (let i = 1; i <= 5; i++) fire('pointermove', 3, cx - drag * i / 5, cy);
  fire('pointerup', 3, cx - drag, cy);
  return [zoomed, svg.getAttribute('viewBox')].map((v) => v.split(' ').map(Number));
}"""


async def no_sideways_scroll(page: Page) -> None:
    reach = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert reach[0] <= reach[1], reach


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
async def test_pick_two_seats_on_the_map_pay_and_see_them_on_the_ticket(
    stack: Stack, phone: Any, locale: str, sink: MailSink
) -> None:
    ph, _event = await at_the_map(stack, phone, locale)
    page, words = ph.page, WORDS[locale]
    suffix = "" if locale == "en-US" else "-de"
    await no_sideways_scroll(page)
    await ph.shot(f"fan-seatmap{suffix}")
    assert await ph.axe(f"seatmap{suffix}") == []

    await seat(page, "C-6").tap()
    await seat(page, "C-7").tap()
    await expect(seat(page, "C-6")).to_have_class(re.compile(r"\bpicked\b"))
    chosen = page.locator("#chosen .chosen-seat")
    await expect(chosen).to_have_count(2)
    await expect(chosen.first).to_contain_text(words["seat"].format(row="C", n=6))
    # Premium, €79.00 each.
    await expect(page.locator("#seat-total")).to_have_text(re.compile(r"158[.,]00"))
    await ph.shot(f"fan-seatmap-picked{suffix}")
    # Tapping a picked seat lets it go; tapping it again takes it back.
    await seat(page, "C-7").tap()
    await expect(chosen).to_have_count(1)
    await seat(page, "C-7").tap()
    await expect(chosen).to_have_count(2)
    # Pinch zooms in around the fingers, a drag pans, neither picks; the last button shows all.
    svg = page.locator("#seat-picker .seatmap-svg")
    whole = [float(x) for x in (await svg.get_attribute("viewBox") or "").split()]
    zoomed, panned = await page.evaluate(GESTURE, [20, 80, 60])
    assert zoomed[2] == pytest.approx(whole[2] / 4, rel=0.05)  # 4x closer
    assert panned[0] > zoomed[0]  # dragged left: the map moved right
    await expect(chosen).to_have_count(2)
    await page.locator("#seat-picker .zoom").last.click()
    await page.wait_for_timeout(100)
    again = [float(x) for x in (await svg.get_attribute("viewBox") or "").split()]
    assert again == pytest.approx(whole)

    await page.get_by_role("button", name=words["hold"]).click()
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    held = page.locator("#held-seats li")
    await expect(held).to_have_count(2)
    await expect(held.nth(0)).to_have_text(words["seat"].format(row="C", n=6))
    await expect(held.nth(1)).to_have_text(words["seat"].format(row="C", n=7))
    await expect(page.locator("#card-element input").first).to_be_visible()
    await ph.shot(f"fan-seat-hold{suffix}")
    assert await ph.axe(f"seat-hold{suffix}", exclude=("#card-element",)) == []

    await fill_card(page, "4242424242424242")
    await page.locator("#pay-form button[type=submit]").click()
    await expect(page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    lines = page.locator(".ticket .seat-line")
    await expect(lines).to_have_count(2)
    await expect(lines).to_have_text(
        [words["seat"].format(row="C", n=6), words["seat"].format(row="C", n=7)]
    )

    mail = await confirmation_text(sink, page)
    assert MAIL_SEATS.search(mail), mail

    await page.goto(f"{stack.base}/tickets")
    lines = page.locator("#my-tickets .seat-line")
    await expect(lines).to_have_count(2)
    await expect(lines.first).to_have_text(words["seat"].format(row="C", n=6))
    await no_sideways_scroll(page)
    await ph.shot(f"fan-seat-ticket{suffix}")
    assert await ph.axe(f"seat-ticket{suffix}") == []
    assert ph.errors == []


async def test_best_available_holds_seats_side_by_side(stack: Stack, phone: Any) -> None:
    ph, _event = await at_the_map(stack, phone, "fr-FR")
    page = ph.page
    await page.get_by_text("Les meilleures", exact=True).click()
    await expect(page.locator("#panel-best")).to_be_visible()
    await page.locator("#panel-best .stepper button").last.click()  # 2 -> 3
    await expect(page.locator("#best-qty")).to_have_text("3")
    await ph.shot("fan-seat-best-fr")
    assert await ph.axe("seat-best-fr") == []
    await page.get_by_role("button", name="Trouver les 3 meilleures places").click()
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    held = page.locator("#held-seats li")
    await expect(held).to_have_count(3)
    texts = await held.all_text_contents()
    parsed = [re.fullmatch(r"Rang (\w+), place (\d+)", x) for x in texts]
    assert all(parsed), texts
    rows = {m.group(1) for m in parsed if m}
    numbers = sorted(int(m.group(2)) for m in parsed if m)
    assert len(rows) == 1, texts  # one row
    assert numbers == list(range(numbers[0], numbers[0] + 3)), texts  # side by side
    assert ph.errors == []


async def test_the_list_alternative_with_the_keyboard_only(stack: Stack, phone: Any) -> None:
    ph, _event = await at_the_map(stack, phone, "en-US")
    page = ph.page
    kb = page.keyboard

    async def focused() -> str:
        value: str = await page.evaluate(
            "() => document.activeElement?.id || document.activeElement?.value || ''"
        )
        return value

    async def tab_to(target: str, most: int = 12) -> None:
        for _ in range(most):
            if await focused() == target:
                return
            await kb.press("Tab")
        assert await focused() == target

    # From the section choice, Tab reaches the ways to choose; the arrow keys pick "From a list".
    await tab_to("map")
    await kb.press("ArrowRight")
    await expect(page.locator("#panel-list")).to_be_visible()
    await expect(page.locator("#panel-map")).to_be_hidden()
    await tab_to("seat-row")
    await kb.press("ArrowDown")  # row B
    await kb.press("ArrowDown")  # row C
    await expect(page.locator("#seat-row")).to_have_value("C")
    await tab_to("seat-pick")
    await expect(page.locator("#seat-pick option").first).to_have_text("Seat 1, Premium, €79.00")
    await kb.press("ArrowDown")  # seat 2
    await tab_to("seat-add")
    await kb.press("Enter")
    await expect(page.locator("#chosen .chosen-seat")).to_have_text([re.compile("Row C, seat 2")])
    # Focus goes back to the seat list, which now leaves the picked seat out.
    assert await focused() == "seat-pick"
    await expect(page.locator("#seat-pick option").first).to_have_text("Seat 1, Premium, €79.00")
    await kb.press("ArrowDown")
    await kb.press("ArrowDown")  # seat 4 (2 is picked)
    await tab_to("seat-add")
    await kb.press("Enter")
    await expect(page.locator("#chosen .chosen-seat")).to_have_count(2)
    await expect(page.locator("#live")).to_contain_text("Row C, seat 4 picked. 2 in total.")
    await ph.shot("fan-seat-list")
    assert await ph.axe("seat-list") == []
    await tab_to("hold-seats")
    await kb.press("Enter")
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await expect(page.locator("#held-seats li")).to_have_text(["Row C, seat 2", "Row C, seat 4"])
    assert ph.errors == []


async def test_a_seat_taken_by_someone_else_turns_grey_and_a_refusal_names_the_seats(
    stack: Stack, phone: Any
) -> None:
    ph, event = await at_the_map(stack, phone, "en-US")
    page = ph.page
    event_id = event["event_id"]
    await expect(seat(page, "E-5")).not_to_have_class(re.compile(r"\btaken\b"))

    # Another fan holds E-5 and E-6: this fan's map greys them without a reload.
    await hold_seats(stack.api, event_id, SECTION, ["E-5", "E-6"])
    await expect(seat(page, "E-5")).to_have_class(re.compile(r"\btaken\b"), timeout=10_000)
    await expect(seat(page, "E-6")).to_have_class(re.compile(r"\btaken\b"))
    await ph.shot("fan-seat-taken-live")
    # A grey seat cannot be picked.
    await seat(page, "E-5").tap()
    await expect(page.locator("#seat-status")).to_have_text(
        "Row E, seat 5 is taken. Pick a coloured seat."
    )

    # This fan picks D-1 and D-2; the snapshot stops arriving (a slow network), another fan
    # takes D-2, and the hold is refused: the refusal names the seat and greys it at once.
    await seat(page, "D-1").tap()
    await seat(page, "D-2").tap()
    await expect(page.locator("#chosen .chosen-seat")).to_have_count(2)

    async def stalled(route: Route) -> None:
        await route.abort()

    seats_url = re.compile(r"/api/v1/events/[^/]+/sections/[^/]+/seats$")
    await page.route(seats_url, stalled)
    await hold_seats(stack.api, event_id, SECTION, ["D-2"])
    await page.get_by_role("button", name="Hold 2 seats").click()
    refusal = page.locator("#seats-taken")
    await expect(refusal).to_have_text(
        "Sorry, Row D, seat 2 was just taken by someone else. It is grey now: pick another seat."
    )
    await expect(seat(page, "D-2")).to_have_class(re.compile(r"\btaken\b"))
    await expect(page.locator("#chosen .chosen-seat")).to_have_count(1)
    await expect(page).to_have_url(re.compile(r"/queue$"))
    await page.unroute(seats_url)
    await ph.shot("fan-seats-taken")
    assert await ph.axe("seats-taken") == []
    assert ph.errors == []
