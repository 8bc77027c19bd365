"""Enqueueing the payment jobs with deterministic ids (the API and workers share this)."""

from __future__ import annotations

from typing import Any

from app.core.jobqueue import enqueue_unique

FINALIZE = "finalize_payment"
REFUND = "refund_order"


def finalize_job_id(payment_intent_id: str) -> str:
    return f"finalize:{payment_intent_id}"


async def enqueue_finalize(
    arq: Any, payment_intent_id: str, authorized: dict[str, Any] | None = None
) -> None:
    """Queue the finalize job of a PaymentIntent.

    arq drops an enqueue whose job id is queued or running. A running job may
    already have read the PaymentIntent before this news, so a dropped enqueue
    queues one follow-up run shortly after; every run is idempotent.
    `authorized`: the authorized PaymentIntent a verified webhook carried (the
    job's first try then starts from it instead of reading it back from Stripe).
    """
    args: tuple[Any, ...] = (
        (payment_intent_id,)
        if authorized is None
        else (
            payment_intent_id,
            authorized,
        )
    )
    job_id = finalize_job_id(payment_intent_id)
    if not await enqueue_unique(arq, FINALIZE, *args, job_id=job_id):
        await enqueue_unique(arq, FINALIZE, *args, job_id=job_id + ":again", defer_s=1)


async def enqueue_refund(arq: Any, order_id: str, *, defer_s: float | None = None) -> None:
    """The refund job of an order; `defer_s`: a safety net behind a refund tried at once."""
    await enqueue_unique(arq, REFUND, order_id, job_id=f"refund:{order_id}", defer_s=defer_s)
