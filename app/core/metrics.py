"""Every Prometheus metric Onsale exports; the names grafana/ charts.

Labels stay bounded: route templates, event ids and section codes (a handful
per deployment), outcomes; never user, hold or order ids.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
LATE_PAYMENTS = Counter(
    "onsale_late_payments_total",
    "Payments authorized after their hold expired, by how they were settled",
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
