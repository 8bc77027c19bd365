"""Bench-only payment stand-in: the PaymentIntent calls Onsale makes, answered after a delay.

localstripe is one single-threaded Python process doing real work per call,
so a finalize benchmark through it measures localstripe. Real Stripe answers
in a few hundred milliseconds whatever the load; this stand-in does the same:
each call waits `delay_ms` (default 300) on a timer, then answers from a dict
in memory, so a thousand calls in flight cost no CPU while they wait.

Plain asyncio streams with HTTP/1.1 keep-alive, no framework. It speaks just
what app/payments/gateway.py uses: create, retrieve, update (payment method),
confirm, capture and cancel a PaymentIntent, list and create refunds; a
replayed Idempotency-Key gets the first answer. No webhooks: the bench fires
them itself, after authorizing the PaymentIntents through `POST /_bench/intents`
(no delay: the fans' side is not what it measures). Not a Stripe emulator and
not for tests of payment behaviour.

    python -m devtools.bench.paystub --port 8421 --delay-ms 300
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

DEFAULT_DELAY_MS = 300
_ids = itertools.count(1)
_encode = msgspec.json.Encoder().encode


def _new_id(prefix: str) -> str:
    return f"{prefix}_{time.monotonic_ns():x}{next(_ids):06d}"


def _form(body: bytes) -> dict[str, Any]:
    """Stripe's form encoding, flat keys plus one level of `metadata[key]`."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        if key.startswith("metadata[") and key.endswith("]"):
            out.setdefault("metadata", {})[key[9:-1]] = value
        else:
            out[key] = value
    return out


def _error(status: int, message: str, code: str = "") -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": "invalid_request_error", "message": message, "code": code}}


class Store:
    """PaymentIntents and refunds in memory; each handler returns (status, JSON object)."""

    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, list[dict[str, Any]]] = {}
        self.replies: dict[str, tuple[int, dict[str, Any]]] = {}

    def handle(
        self, method: str, target: str, body: bytes, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        if key is not None and method == "POST" and key in self.replies:
            return self.replies[key]
        url = urlsplit(target)
        parts = [p for p in url.path.split("/") if p]
        reply = self._route(method, parts, _form(body), dict(parse_qsl(url.query)))
        if key is not None and method == "POST" and reply[0] < 500:
            self.replies[key] = reply
        return reply

    def _route(
        self, method: str, parts: list[str], form: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if parts[:2] == ["v1", "payment_intents"]:
            if len(parts) == 2 and method == "POST":
                return self.create(form)
            pi = self.intents.get(parts[2]) if len(parts) >= 3 else None
            if pi is None:
                return _error(404, "No such payment_intent", "resource_missing")
            if len(parts) == 3:
                if method == "POST":
                    pi.update({k: v for k, v in form.items() if k != "metadata"})
                    pi["metadata"].update(form.get("metadata", {}))
                return 200, pi
            return self.transition(pi, parts[3])
        if parts == ["v1", "refunds"]:
            if method == "GET":
                data = self.refunds.get(query.get("payment_intent", ""), [])
                return 200, {
                    "object": "list",
                    "data": data,
                    "has_more": False,
                    "url": "/v1/refunds",
                }
            return self.refund(form)
        return _error(404, f"unknown path /{'/'.join(parts)}")

    def bench_intents(self, ask: dict[str, Any]) -> dict[str, Any]:
        """The bench's shortcut, no delay: these PaymentIntents (authorized with a test card
        first when `authorize`), as a fan's app would have left them."""
        out = []
        for pi_id in ask["ids"]:
            pi = self.intents[pi_id]
            if ask.get("authorize") and pi["status"] == "requires_payment_method":
                pi["payment_method"] = "pm_card_visa"
                self.transition(pi, "confirm")
            out.append(pi)
        return {"intents": out}

    def create(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pi_id = _new_id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": int(form.get("amount", 0)),
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": form.get("currency", "eur"),
            "capture_method": form.get("capture_method", "automatic"),
            "client_secret": f"{pi_id}_secret_bench",
            "created": int(time.time()),
            "livemode": False,
            "metadata": form.get("metadata", {}),
            "payment_method": None,
            "status": "requires_payment_method",
        }
        self.intents[pi_id] = pi
        return 200, pi

    def transition(self, pi: dict[str, Any], verb: str) -> tuple[int, dict[str, Any]]:
        status = pi["status"]
        if verb == "confirm" and status in ("requires_payment_method", "requires_confirmation"):
            if pi.get("payment_method") is None:
                return _error(400, "no payment method", "payment_intent_unexpected_state")
            if pi["capture_method"] == "manual":
                pi.update(status="requires_capture", amount_capturable=pi["amount"])
            else:
                pi.update(status="succeeded", amount_received=pi["amount"])
        elif verb == "capture" and status == "requires_capture":
            pi.update(status="succeeded", amount_received=pi["amount"], amount_capturable=0)
        elif verb == "cancel" and status not in ("succeeded", "canceled"):
            pi.update(status="canceled", amount_capturable=0)
        else:
            return _error(
                400, f"cannot {verb} a PaymentIntent in {status}", "payment_intent_unexpected_state"
            )
        return 200, pi

    def refund(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pi = self.intents.get(form.get("payment_intent", ""))
        if pi is None or pi["status"] != "succeeded":
            return _error(400, "nothing to refund", "charge_not_refundable")
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": pi["amount_received"],
            "payment_intent": pi["id"],
            "status": "succeeded",
        }
        self.refunds.setdefault(pi["id"], []).append(refund)
        return 200, refund


REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}


class Server:
    def __init__(self, delay_ms: int = DEFAULT_DELAY_MS) -> None:
        self.delay_s = delay_ms / 1000
        self.store = Store()
        self.calls = 0

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                self.calls += 1
                if target.startswith("/v1/"):
                    # The whole point: Stripe's latency, spent on a timer, not the CPU.
                    await asyncio.sleep(self.delay_s)
                if target == "/_bench/calls":
                    status, obj = 200, {"calls": self.calls}
                elif target == "/_bench/intents":
                    status, obj = 200, self.store.bench_intents(msgspec.json.decode(body))
                else:
                    status, obj = self.store.handle(
                        method, target, body, headers.get("idempotency-key")
                    )
                payload = _encode(obj)
                writer.write(
                    b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nRequest-Id: req_bench\r\n\r\n"
                    % (status, REASONS.get(status, b"Error"), len(payload))
                    + payload
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        writer.close()


async def serve(host: str, port: int, delay_ms: int) -> None:
    server = Server(delay_ms)
    listener = await asyncio.start_server(server.connection, host, port, backlog=4096)
    async with listener:
        await listener.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--delay-ms", type=int, default=DEFAULT_DELAY_MS)
    args = parser.parse_args()
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args.host, args.port, args.delay_ms))


if __name__ == "__main__":
    main()
