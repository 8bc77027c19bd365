"""`onsale demo buy`: the demo fan's whole purchase against a running instance, over HTTP only."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import click
import httpx

from devtools.demo import FAN


def _say(step: str, detail: str = "") -> None:
    click.echo(f"  {click.style(step, bold=True):<28} {detail}")


async def _json(response: httpx.Response, *ok: int) -> Any:
    if response.status_code not in ok:
        request = response.request
        raise click.ClickException(
            f"{request.method} {request.url.path}: {response.status_code} {response.text}"
        )
    return response.json()


async def buy(base_url: str, event_id: str | None, quantity: int, card: str) -> int:
    """Log in, join the queue, wait for admission, hold, pay with a test card, wait for tickets."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as client:
        login = await _json(
            await client.post("/api/v1/auth/login", json={"email": FAN[0], "password": FAN[1]}), 200
        )
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        _say("logged in", FAN[0])
        if event_id is None:
            events = (await _json(await client.get("/api/v1/events"), 200))["items"]
            on_sale = [e for e in events if e.get("on_sale")]
            if not on_sale:
                raise click.ClickException("no event is on sale (start with `onsale dev --demo`)")
            event_id = on_sale[-1]["event_id"]
        event = await _json(await client.get(f"/api/v1/events/{event_id}"), 200)
        section = max(event["sections"], key=lambda s: s["available"])
        _say("event", f"{event['name']} ({event_id}), section {section['code']}")

        status = await _json(
            await client.post(f"/api/v1/events/{event_id}/queue", headers=auth), 200, 201
        )
        _say("joined the queue", f"state {status['state']}, position {status.get('position')}")
        while status["state"] != "admitted":
            if status["state"] in ("expired", "closed"):
                raise click.ClickException(f"queue {status['state']}")
            await asyncio.sleep(min(max(status.get("poll_after_s", 1), 0.5), 2))
            status = await _json(
                await client.get(f"/api/v1/events/{event_id}/queue", headers=auth), 200
            )
            _say(
                "waiting",
                f"state {status['state']}, ahead {status.get('ahead')}, "
                f"eta {status.get('eta_s')} s",
            )
        _say("admitted", f"until {status.get('admission_expires_at')}")

        hold = await _json(
            await client.post(
                f"/api/v1/events/{event_id}/holds",
                json={"section": section["code"], "quantity": quantity},
                headers={
                    **auth,
                    "X-Admission-Token": status["admission_token"],
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            ),
            201,
        )
        _say(
            "seats held",
            f"{hold['quantity']} x {hold['section']}, "
            f"{hold['amount_cents'] / 100:.2f} {hold['currency']}, hold {hold['hold_id']}",
        )

        checkout = await _json(
            await client.post(
                f"/api/v1/holds/{hold['hold_id']}/checkout",
                json={"payment_method": card},
                headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            ),
            201,
        )
        _say(
            "paid",
            f"PaymentIntent {checkout['payment_intent_id']} ({checkout['payment_status']}), "
            f"order {checkout['order_id']}",
        )

        deadline = time.monotonic() + 30
        while True:
            order = await _json(
                await client.get(f"/api/v1/orders/{checkout['order_id']}", headers=auth), 200
            )
            if order["status"] != "pending" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        _say("order " + order["status"], f"after {time.monotonic() - started:.1f} s")
        for ticket in order["tickets"]:
            _say("  ticket", f"{ticket['section']} {ticket['code']}")
    return 0 if order["status"] == "confirmed" else 1
