"""The one place Onsale talks to Stripe: PaymentIntents and refunds through the official SDK.

Every call carries an idempotency key derived from our own ids, so a retried
request or job never creates a second PaymentIntent, capture or refund on
Stripe (stand-ins such as localstripe ignore the key; our own state machine
makes retries safe there too). The base URL comes from
ONSALE_STRIPE_API_BASE when set (localstripe in tests and `onsale dev`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import stripe
import stripe._api_requestor as stripe_requestor

from app.core.settings import Settings

# PaymentIntent states Stripe can still cancel (docs: "cancel a PaymentIntent").
CANCELLABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
)
# Metadata key naming a part refund (a resale seller's ticket), never the whole payment's.
PART_KEY = "onsale_part"
# Money is reserved (manual capture) or taken: the order may be finalized.
AUTHORIZED = frozenset({"requires_capture", "succeeded"})
# Nobody has paid yet and nothing is in flight at the bank.
UNDECIDED = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


class PaymentDeclined(Exception):
    """The card was declined (Stripe CardError)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Intent:
    """The parts of a PaymentIntent Onsale reads."""

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)
    amount_received: int = 0
    # An attempt to pay failed (a decline, failed authentication): a new card may be tried.
    failed_attempt: bool = False

    @classmethod
    def of(cls, pi: Any) -> Intent:
        obj: dict[str, Any] = pi.to_dict() if hasattr(pi, "to_dict") else dict(pi)
        metadata = obj.get("metadata") or {}
        return cls(
            id=str(obj["id"]),
            status=str(obj["status"]),
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or "").upper(),
            client_secret=str(obj.get("client_secret") or ""),
            metadata={str(k): str(v) for k, v in dict(metadata).items()},
            amount_received=int(obj.get("amount_received") or 0),
            failed_attempt=bool(obj.get("last_payment_error")),
        )


def _formatted_only_when_shown(write: Any, level: int) -> Any:
    """The SDK's log_info / log_debug, which format their line (logfmt of the URL, the
    response body) before asking whether anything shows it: a few percent of a finalize
    worker's CPU on lines nobody reads. Here the line is made only when the "stripe"
    logger takes that level, or STRIPE_LOG / stripe.log asks for console lines."""
    logger = logging.getLogger("stripe")

    def log(message: str, **params: Any) -> None:
        if logger.isEnabledFor(level) or stripe.log or _STRIPE_LOG_ENV:
            write(message, **params)

    return log


_STRIPE_LOG_ENV = bool(os.environ.get("STRIPE_LOG"))
if not getattr(stripe_requestor, "_onsale_lazy_logs", False):
    for _name, _level in (("log_info", logging.INFO), ("log_debug", logging.DEBUG)):
        _write = getattr(stripe_requestor, _name)
        setattr(stripe_requestor, _name, _formatted_only_when_shown(_write, _level))
    stripe_requestor._onsale_lazy_logs = True  # type: ignore[attr-defined]


class Gateway:
    """PaymentIntent and refund operations of one Stripe account."""

    def __init__(self, settings: Settings) -> None:
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        # The SDK's aiohttp client, not its httpx one: httpcore's pool scans every
        # connection (a poll() syscall each) on every request and every release, so
        # with a worker's ~200 keep-alive connections a call cost ~16 ms of CPU;
        # aiohttp's connector keeps idle connections in a deque: ~0.5 ms
        # (devtools/bench: finalize profile). Pool sized to the worker's concurrent
        # jobs, each of which waits on Stripe; connections are kept alive.
        pool = max(100, settings.worker_max_jobs)
        connector = aiohttp.TCPConnector(
            limit=pool,
            limit_per_host=0,
            ssl=ssl.create_default_context(cafile=stripe.ca_bundle_path),
        )
        http_client = stripe.AIOHTTPClient(
            timeout=aiohttp.ClientTimeout(total=8),  # x3 tries stays inside a 30 s job
            connector=connector,
        )
        self.http_client = http_client
        self.client = stripe.StripeClient(
            settings.stripe_api_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=http_client,
            max_network_retries=2,
        )

    async def create_intent(
        self,
        *,
        amount_cents: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Intent:
        pi = await self.client.v1.payment_intents.create_async(
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "capture_method": "manual",
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return Intent.of(pi)

    async def confirm_with(self, intent_id: str, payment_method: str, attempt: str) -> Intent:
        """Attach a payment method and confirm server-side; PaymentDeclined on a decline.

        Attach and confirm are two calls (not confirm(payment_method=...)) so a
        retry with another card reuses the same PaymentIntent.
        """
        try:
            await self.client.v1.payment_intents.update_async(
                intent_id,
                params={"payment_method": payment_method},
                options={"idempotency_key": f"{attempt}:attach"},
            )
            pi = await self.client.v1.payment_intents.confirm_async(
                intent_id, options={"idempotency_key": f"{attempt}:confirm"}
            )
        except stripe.CardError as exc:
            raise PaymentDeclined(
                str(exc.code or "card_declined"), exc.user_message or str(exc)
            ) from None
        return Intent.of(pi)

    async def _raw(self, method: str, intent_id: str, verb: str = "", **params: Any) -> Intent:
        """A PaymentIntent call through the SDK's raw request: the same request, retries and
        errors (CardError, InvalidRequestError ...) as the typed call, read straight from the
        JSON; no StripeObject tree is built for the few fields Onsale reads. The finalize
        path's calls (retrieve, capture, cancel) go this way."""
        path = f"/v1/payment_intents/{quote(intent_id, safe='')}" + (f"/{verb}" if verb else "")
        response = await self.client.raw_request_async(method, path, **params)
        return Intent.of(response.data)

    async def retrieve(self, intent_id: str) -> Intent:
        return await self._raw("get", intent_id)

    async def capture(self, intent_id: str) -> Intent:
        """Capture an authorized PaymentIntent; a second capture is a no-op."""
        return await self._transition(intent_id, "succeeded", "capture")

    async def cancel(self, intent_id: str) -> Intent:
        """Cancel (release the authorization); an already cancelled one is a no-op."""
        return await self._transition(intent_id, "canceled", "cancel")

    async def _transition(self, intent_id: str, target: str, verb: str) -> Intent:
        """Move a PaymentIntent to `target`; Stripe refusing because it is there already is
        success (a retried job, or a webhook that raced us)."""
        try:
            return await self._raw("post", intent_id, verb, idempotency_key=f"{verb}:{intent_id}")
        except stripe.InvalidRequestError:
            current = await self.retrieve(intent_id)
            if current.status == target:
                return current
            raise

    async def refund(
        self, intent_id: str, idempotency_key: str, amount_cents: int | None = None
    ) -> str:
        """Refund a captured PaymentIntent once, in full or (`amount_cents`: an organizer who
        keeps the booking fees) up to that amount; returns the Stripe refund id.

        An existing refund is reused: stand-ins that ignore Idempotency-Key
        would otherwise refund twice after a crash between refund and commit.
        """
        existing = await self.client.v1.refunds.list_async(
            params={"payment_intent": intent_id, "limit": 100}
        )
        # A part refunded to a resale seller is not the whole refund: the rest is still due.
        parts = 0
        for found in existing.data:
            if not _part_of(found):
                return str(found.id)
            parts += int(found.amount)
        params: dict[str, Any] = {"payment_intent": intent_id}
        if parts or amount_cents is not None:
            paid = await self.retrieve(intent_id)
            # (stand-ins may leave amount_received unset on a captured PaymentIntent)
            received = paid.amount_received or paid.amount
            due = min(received, received if amount_cents is None else amount_cents)
            rest = due - parts
            if rest <= 0:
                return f"parts:{intent_id}"
            if rest < received:
                params["amount"] = rest
        refund = await self.client.v1.refunds.create_async(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
        return str(refund.id)

    async def refund_part(self, intent_id: str, amount: int, part: str) -> str:
        """Refund `amount` of a captured PaymentIntent once per `part` (e.g. a resale
        listing); returns the Stripe refund id. The part's own refund is looked up first,
        marked in its metadata, so a retry after a crash never refunds it twice."""
        existing = await self.client.v1.refunds.list_async(
            params={"payment_intent": intent_id, "limit": 100}
        )
        for found in existing.data:
            if _part_of(found) == part:
                return str(found.id)
        refund = await self.client.v1.refunds.create_async(
            params={"payment_intent": intent_id, "amount": amount, "metadata": {PART_KEY: part}},
            options={"idempotency_key": f"part:{part}"},
        )
        return str(refund.id)

    async def void_or_refund(self, intent_id: str, key: str) -> str:
        """Give the money back whatever state it is in: cancel if uncaptured, else refund.

        Returns "cancelled", "refunded" or "nothing" (never authorized).
        """
        current = await self.retrieve(intent_id)
        if current.status in CANCELLABLE:
            await self.cancel(intent_id)
            return "cancelled"
        if current.status == "succeeded":
            await self.refund(intent_id, key)
            return "refunded"
        return "nothing"

    async def aclose(self) -> None:
        await self.http_client.close_async()  # type: ignore[no-untyped-call]


def _part_of(refund: Any) -> str:
    """The part a refund was made for ("" for a whole payment's refund)."""
    obj: dict[str, Any] = refund.to_dict() if hasattr(refund, "to_dict") else dict(refund)
    return str((obj.get("metadata") or {}).get(PART_KEY) or "")


# One gateway per (event loop, settings): the SDK's async HTTP client belongs to a loop.
_gateways: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], Gateway]] = (
    weakref.WeakKeyDictionary()
)


async def close_gateways() -> None:
    """Close this event loop's Stripe HTTP sessions (process shutdown); a later call to
    gateway() opens a new one."""
    per_loop = _gateways.pop(asyncio.get_running_loop(), {})
    for gw in per_loop.values():
        await gw.aclose()


def gateway(settings: Settings) -> Gateway:
    loop = asyncio.get_running_loop()
    per_loop = _gateways.setdefault(loop, {})
    key = (settings.stripe_api_key, settings.stripe_api_base)
    if key not in per_loop:
        per_loop[key] = Gateway(settings)
    return per_loop[key]
