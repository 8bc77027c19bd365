"""Every Prometheus metric Onsale exports; the names grafana/ charts.

Labels stay bounded: route templates, event ids and section codes (a handful
per deployment), outcomes; never user, hold or order ids.
"""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter(
    "onsale_http_requests_total",
    "HTTP requests by route template, method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "onsale_http_request_duration_seconds",
    "HTTP request latency by route template and method",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INVENTORY_DRIFT = Gauge(
    "onsale_inventory_drift_seats",
    "Seats by which Redis inventory differs from what Postgres implies (0 = agree)",
    ["event", "section"],
    multiprocess_mode="livemostrecent",
)
SEAT_DRIFT = Gauge(
    "onsale_inventory_seat_drift_seats",
    "Seats of a seated section whose state in Redis disagrees with Postgres (0 = agree)",
    ["event", "section"],
    multiprocess_mode="livemostrecent",
)
HOLDS = Counter(
    "onsale_holds_total",
    "Hold lifecycle transitions",
    ["outcome"],
)
ADMISSIONS = Counter(
    "onsale_queue_admitted_total",
    "Fans admitted from the waiting room",
    ["event"],
)
IDEMPOTENCY_RECORD_FAILURES = Counter(
    "onsale_idempotency_record_failures_total",
    "Outcomes of Idempotency-Key requests that could not be stored after their answer went "
    "out (a retry then runs the request again)",
)
LATE_PAYMENTS = Counter(
    "onsale_late_payments_total",
    "Payments authorized after their hold expired, by how they were settled",
    ["outcome"],
)
TICKET_MOVES = Counter(
    "onsale_ticket_moves_total",
    "Fans' moves of their tickets after the sale (cancel, transfer, accept, list, withdraw)",
    ["move"],
)
RESALE_PAYOUTS = Counter(
    "onsale_resale_payouts_total",
    "Refunds to sellers of resold tickets, by outcome (paid, failed: retried with backoff)",
    ["outcome"],
)
PAYMENTS = Counter(
    "onsale_payments_total",
    "Payment state transitions",
    ["outcome"],
)
JOBS = Counter(
    "onsale_jobs_total",
    "arq jobs by function and outcome",
    ["function", "outcome"],
)
JOB_DURATION = Histogram(
    "onsale_job_duration_seconds",
    "arq job duration by function",
    ["function"],
)
JOB_LAG = Histogram(
    "onsale_job_queue_lag_seconds",
    "Time an arq job waited past its scheduled time before a worker started it",
    ["function"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_SKIPPED = Counter(
    "onsale_queue_skipped_total",
    "Admission slots passed over because the fan stopped polling (no-shows)",
    ["event"],
)
REFUNDS = Counter(
    "onsale_refunds_total",
    "Refunds by outcome (requested by an organizer or automatic after a late payment)",
    ["outcome"],
)
WEBHOOK_TO_CONFIRMED = Histogram(
    "onsale_webhook_to_confirmed_seconds",
    "From receipt of payment_intent.succeeded to the order confirmed in Postgres",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
NOTIFICATIONS = Counter(
    "onsale_notifications_total",
    "Notification delivery attempts by channel and outcome (sent, retry, dead)",
    ["channel", "outcome"],
)
NOTIFICATION_DEAD = Gauge(
    "onsale_notification_dead_letters",
    "Deliveries dead-lettered after every retry and not yet handled, by channel (from Postgres)",
    ["channel"],
    multiprocess_mode="max",
)
ADMISSION_BATCH = Gauge(
    "onsale_admission_batch",
    "Fans admitted per interval as closed-loop admission set it (the configured batch caps it)",
    ["event"],
    multiprocess_mode="livemostrecent",
)
ADMISSION_SIGNAL = Gauge(
    "onsale_admission_signal",
    "The shop signals closed-loop admission steers on (hold_p99_ms, hold_success, "
    "payment_error_rate, shoppers)",
    ["event", "signal"],
    multiprocess_mode="livemostrecent",
)
DEPENDENCY_LATENCY = Histogram(
    "onsale_dependency_duration_seconds",
    "Redis and Postgres call latency by dependency and operation (command or SQL verb)",
    ["dependency", "operation"],
    buckets=(0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)
DEPENDENCY_ERRORS = Counter(
    "onsale_dependency_errors_total",
    "Failed Redis and Postgres calls by dependency and operation",
    ["dependency", "operation"],
)
DEPENDENCY_UP = Gauge(
    "onsale_dependency_up",
    "1 when the dependency answered the latest probe of this process, else 0",
    ["dependency"],
    # Any live process that cannot reach it makes the deployment not ready.
    multiprocess_mode="livemin",
)

# Gauges read from Redis when /metrics is scraped (app/ops/live.py), never set
# in-process, so every API replica reports the same value: chart them with
# max by (...). Name -> (help, labels).
LIVE_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "onsale_inventory_seats": (
        "Seats per event and section by state (capacity, available, held, sold)",
        ("event", "section", "state"),
    ),
    "onsale_holds_active": (
        "Holds not yet ended per event, by status (active, checking_out)",
        ("event", "status"),
    ),
    "onsale_queue_waiting": ("Fans waiting in the line after the sale opened", ("event",)),
    "onsale_queue_prequeue": ("Fans in the pre-queue before the sale opens", ("event",)),
    "onsale_queue_active_shoppers": ("Admitted fans with a live session", ("event",)),
    "onsale_queue_admitted": ("Fans admitted since the room opened", ("event",)),
    "onsale_queue_admit_rate_per_minute": ("Admission rate measured by the admitter", ("event",)),
    "onsale_queue_closed": ("1 when the room is closed (sold out or sale over)", ("event",)),
    "onsale_live_events": ("Events published or paused", ()),
    "onsale_jobs_queued": ("arq jobs waiting in the queue (due or deferred)", ()),
}


def multiprocess_dir() -> str | None:
    """prometheus_client's own switch, set by `onsale api --workers N` (not an app setting)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(*extra: Collector) -> bytes:
    """The text exposition of this process, or of all uvicorn workers in multiprocess mode.

    In multiprocess mode each worker writes its counters and histograms to
    files in PROMETHEUS_MULTIPROC_DIR and any worker answering a scrape sums
    them all; `extra` collectors (the live Redis gauges) are appended as is.
    """
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    out = generate_latest(registry)
    if extra:
        extra_registry = CollectorRegistry(auto_describe=False)
        for collector in extra:
            extra_registry.register(collector)
        out += generate_latest(extra_registry)
    return out


DRIFT_REPAIRED = Counter(
    "onsale_inventory_drift_repaired_total",
    "Sections whose Redis inventory reconcile repaired from Postgres (no hold in doubt)",
    ["event", "section"],
)
DRIFT_PAUSED = Counter(
    "onsale_inventory_drift_paused_total",
    "Sections reconcile paused: Redis and Postgres disagree while holds are in doubt "
    "(which ones: the reconcile log line)",
)
RECONCILER_DECISIONS = Counter(
    "onsale_payment_reconciler_decisions_total",
    "Decisions of the payment reconciler about PaymentIntents no job settled",
    ["decision"],
)
PAYMENT_UNDECIDED_AGE = Gauge(
    "onsale_payment_undecided_oldest_seconds",
    "Age of the oldest PaymentIntent not yet captured with an order or cancelled (0 = none)",
    multiprocess_mode="livemax",
)


# Known label values start at zero, so dashboards and alerts see a series
# (rate() = 0) before the first event of a kind, not "no data".
for _outcome in ("created", "released", "expired", "converted"):
    HOLDS.labels(outcome=_outcome)
for _outcome in ("confirmed", "cancelled"):
    LATE_PAYMENTS.labels(outcome=_outcome)
for _outcome in ("authorized", "captured", "declined", "refunded"):
    PAYMENTS.labels(outcome=_outcome)
REFUNDS.labels(outcome="refunded")
for _decision in ("finalized", "captured", "voided", "cancelled", "left_undecided", "error"):
    RECONCILER_DECISIONS.labels(decision=_decision)
for _dependency in ("redis", "postgres"):
    DEPENDENCY_ERRORS.labels(_dependency, "probe")
for _outcome in ("paid", "failed"):
    RESALE_PAYOUTS.labels(outcome=_outcome)
for _move in ("cancel", "transfer", "accept", "list", "withdraw"):
    TICKET_MOVES.labels(move=_move)
