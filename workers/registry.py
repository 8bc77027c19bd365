"""Every arq job function and cron job, gathered for WorkerSettings."""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob

from app.core import keys


async def heartbeat(ctx: dict[str, Any]) -> None:
    """Proves the worker runs its cron (readiness of the worker side)."""
    await ctx["resources"].redis.set(keys.worker_heartbeat(), "1", ex=30)


# arq leases a running job for the longest job timeout + 10 s and retries a
# job whose worker died only when that lease runs out: every job stays short
# so a crashed finalize is retried within JOB_TIMEOUT_S + 10 s.
JOB_TIMEOUT_S = 30


def functions() -> list[Any]:
    from arq.worker import func

    from workers.finalize import finalize_payment, refund_order

    return [
        # keep_result=0: the job id is free again as soon as a run ends, so the
        # next webhook of the same PaymentIntent queues a fresh (idempotent) run.
        func(finalize_payment, keep_result=0, timeout=JOB_TIMEOUT_S),
        func(refund_order, keep_result=0, timeout=JOB_TIMEOUT_S),
    ]


def cron_jobs() -> list[CronJob]:
    from arq.cron import cron

    from workers.admission import admission_tick
    from workers.control import control_tick
    from workers.events import end_events_tick
    from workers.gate import gate_tick
    from workers.holds import expire_holds_tick, hold_ledger_tick, reconcile_tick
    from workers.moves import resale_payouts_tick
    from workers.notifications import notify_tick, reminders_tick
    from workers.payments import reconcile_payments, sweep_checkouts
    from workers.stream import stream_tick
    from workers.waitlist import waitlist_tick

    return [
        cron(heartbeat, second={0, 10, 20, 30, 40, 50}, run_at_startup=True),
        # Every second; admit_batch.lua decides per event whether a batch is due.
        cron(admission_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        # Holds: expired seats back on sale within about a second; ledger a second behind.
        cron(expire_holds_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        cron(hold_ledger_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        cron(reconcile_tick, second=30, timeout=JOB_TIMEOUT_S, keep_result=0, run_at_startup=True),
        # Checkouts past their deadline: ask Stripe, then finalize, extend or expire.
        cron(sweep_checkouts, second=set(range(0, 60, 2)), timeout=JOB_TIMEOUT_S, keep_result=0),
        # Notifications: your-turn and nudges queued, the outbox dispatched and sent.
        cron(notify_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        cron(reminders_tick, second=15, timeout=JOB_TIMEOUT_S, keep_result=0),
        # The outbox published to the event stream (RabbitMQ), when one is configured.
        cron(stream_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        # The standalone room's gate: the protected origin measured, fans queued or let in.
        cron(gate_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        # Returned seats offered to waiting-list fans; the admission rate steered to targets.
        cron(waitlist_tick, second=set(range(60)), timeout=JOB_TIMEOUT_S, keep_result=0),
        cron(control_tick, second=set(range(0, 60, 2)), timeout=JOB_TIMEOUT_S, keep_result=0),
        # Sellers of resold tickets refunded; a failed refund is retried with backoff.
        cron(
            resale_payouts_tick, second=set(range(3, 60, 5)), timeout=JOB_TIMEOUT_S, keep_result=0
        ),
        # Sales past offsale_at end once no hold is left (and leave every per-event loop).
        cron(end_events_tick, second={15, 45}, timeout=JOB_TIMEOUT_S, keep_result=0),
        # PaymentIntents no job settled: captured with tickets, or cancelled.
        cron(
            reconcile_payments,
            second=set(range(5, 60, 10)),
            timeout=JOB_TIMEOUT_S,
            keep_result=0,
            run_at_startup=True,
        ),
    ]
