"""Helpers of the browser tests at the door: tickets bought through real API and worker
processes, the scanner role, and the codes a fan's phone shows (live, old, changed)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import segno
from PIL import Image

from app.tickets import codes
from tests.support import checkout as h
from tests.support.api import Api, User, bulk_fans


async def bought(
    api: Api, settings: Any, event_id: str, quantity: int = 2, fan: User | None = None
) -> tuple[User, dict[str, Any]]:
    """A fan with a confirmed order: hold, card checkout, Stripe's webhook, the worker's
    finalize (as a phone and the real processes do it)."""
    fan = fan or (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    order_id = r.json()["order_id"]

    async def read() -> dict[str, Any]:
        got = await api.client.get(f"/api/v1/orders/{order_id}", headers=fan.headers)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body

    order = await h.eventually(read, lambda o: o["status"] == "confirmed", timeout=30)
    assert order["status"] == "confirmed", order
    return fan, order


async def scanner_of(api: Api, organizer: User, event_id: str) -> User:
    """A new account the organizer grants the scanner role on the event."""
    scanner = await api.user("fan")
    r = await api.client.put(
        f"/api/v1/events/{event_id}/scanners/{scanner.email}", headers=organizer.headers
    )
    assert r.status_code == 204, r.text
    return scanner


def live_code(ticket: dict[str, Any], at: float | None = None) -> str:
    """The rotating code the fan app shows at `at` (now by default)."""
    secret = codes.secret_from_b32(ticket["rotation"]["secret"])
    return codes.rotating_code(ticket["code"], secret, time.time() if at is None else at)


def changed(code: str) -> str:
    """The code with one character of its signature changed (still canonical base64url,
    so only the signature check can tell)."""
    at = len("T2.") + len(code.split(".")[1]) + 1 + 10
    swap = "B" if code[at] == "A" else "A"
    return code[:at] + swap + code[at + 1 :]


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def respelled(signed: str) -> str:
    """The same signature bytes spelled another way: the last of its 86 characters carries
    4 unused bits, and flipping one gives a string a lenient decoder reads as the same."""
    last = B64URL.index(signed[-1])
    return signed[:-1] + B64URL[last ^ 1]


def shown_code_is_live(code: str, ticket: dict[str, Any], scanner_keys: dict[str, Any]) -> None:
    """A code read off a phone's screen: signed by the event's published key, the ticket's
    own, and its six digits fresh now (what a scanner checks offline)."""
    public = {k["kid"]: codes.public_key_from(k["public_key"]) for k in scanner_keys["keys"]}
    parsed = codes.verify(code, public)
    assert parsed.signed == ticket["code"]
    assert parsed.claim.ticket_id == ticket["ticket_id"]
    assert parsed.totp is not None, "the phone shows a rotating code"
    secret = codes.secret_from_b32(ticket["rotation"]["secret"])
    assert codes.totp_fresh(secret, parsed.totp, time.time())


def qr_y4m(path: Path, text: str, frames: int = 10, size: tuple[int, int] = (640, 480)) -> Path:
    """A Y4M video of `text` as a QR code on white, for Chromium's fake camera
    (--use-file-for-fake-video-capture), which plays it in a loop."""
    width, height = size
    png = io.BytesIO()
    segno.make(text, error="m").save(png, kind="png", scale=6, border=4)
    qr = Image.open(io.BytesIO(png.getvalue())).convert("L")
    frame = Image.new("L", size, 255)
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path
