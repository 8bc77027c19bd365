"""The bench's and the simulator's pure parts: interleaving, spreads, goals, histogram quantiles."""

from __future__ import annotations

import pytest

from devtools.bench import interleave, suite
from devtools.bench.wrk import WrkResult
from devtools.simulate import histogram_quantile, parse_histograms


def result(rps: float, p50: float = 1.0, p99: float = 2.0, cpu: float | None = None) -> WrkResult:
    return WrkResult(
        requests=int(rps),
        duration_s=1.0,
        rps=rps,
        p50_ms=p50,
        p90_ms=p99,
        p99_ms=p99,
        max_ms=p99,
        errors=0,
        non_2xx=0,
        cpu_us_per_request=cpu,
    )


def test_rounds_alternate_their_order_so_every_pair_stays_adjacent() -> None:
    calls: list[str] = []
    runners = {name: (lambda n=name: calls.append(n) or result(1.0)) for name in ("a", "b", "c")}
    got = interleave.run_rounds(runners, 4)
    assert calls == ["a", "b", "c", "c", "b", "a", "a", "b", "c", "c", "b", "a"]
    assert {k: len(v) for k, v in got.items()} == {"a": 4, "b": 4, "c": 4}


def test_spread_gives_median_extremes_and_quartiles() -> None:
    spread = interleave.Spread.of([0.4, 0.6, 0.5, 0.9, 0.55])
    assert spread is not None
    assert (spread.median, spread.min, spread.max, spread.n) == (0.55, 0.4, 0.9, 5)
    assert spread.q1 == 0.5
    assert spread.q3 == 0.6
    assert "0.55 (0.40–0.90" in spread.text()
    assert interleave.Spread.of([]) is None


def test_ratios_pair_each_round_with_its_neighbour_not_the_medians() -> None:
    # The machine slows down by half in round 2: per-round ratios stay at 0.5,
    # a ratio of separate medians would not.
    holds = [result(500), result(250), result(500)]
    ceiling = [result(1000), result(500), result(1000)]
    assert interleave.paired(holds, ceiling, lambda r: r.rps) == [0.5, 0.5, 0.5]


def test_goals_are_judged_on_the_median_of_the_rounds() -> None:
    rounds = {
        "ceiling": {64: [result(1000, cpu=100), result(900, cpu=110), result(1100, cpu=100)]},
        "holds": {64: [result(600, 5, 14, 200), result(400, 5, 20, 220), result(550, 5, 13, 200)]},
        "holds_pg": {64: [result(150, p99=20), result(100, p99=30), result(160, p99=20)]},
    }
    summary = suite.summarize(rounds, {}, suite.Plan())
    assert summary["holds_vs_ceiling"] == pytest.approx(0.5, abs=0.01)
    assert summary["ratios"]["holds_vs_ceiling"]["min"] == pytest.approx(0.444, abs=0.001)
    assert summary["holds_vs_pg"] == pytest.approx(4.0)
    assert summary["holds_p99_vs_p50"] == pytest.approx(2.8)
    goals = summary["goals"]
    assert goals["holds_vs_ceiling >= 0.5"] is True
    # 4.0 misses the goal of 5.
    assert goals["holds_vs_pg >= 5"] is False
    # Ceiling CPU ÷ holds CPU per round 0.5, 0.5, 0.5: holds cost 2 x the ceiling, over 1.8 x.
    assert goals["holds CPU/req <= 1.8 x ceiling's"] is False
    # Per round 0.7, 0.67, 0.65: the median 0.67 misses 0.5.
    assert summary["holds_p99_vs_pg_p99"] == pytest.approx(0.667, abs=0.001)
    assert goals["holds p99 <= 0.5 x holds_pg p99"] is False
    assert goals["holds p99 <= 3 x holds p50"] is True
    assert goals["finalize >= 200 orders/s (2 workers, 300 ms stand-in)"] is None
    assert goals["finalize CPU <= 4 ms per order (all processes)"] is None
    assert goals["logins >= 40 per core-second"] is None


HOLDS_ROUTE = 'method="POST",route="/api/v1/events/{event_id:str}/holds"'
METRICS = "\n".join(
    [
        "# HELP onsale_http_request_duration_seconds HTTP request latency",
        "# TYPE onsale_http_request_duration_seconds histogram",
        *(
            f'onsale_http_request_duration_seconds_bucket{{le="{le}",{HOLDS_ROUTE}}} %d'
            for le in ("0.001", "0.01", "0.1", "+Inf")
        ),
        "",
    ]
)


def test_server_percentiles_come_from_the_histogram_increase_over_the_run() -> None:
    before = parse_histograms(METRICS % (50, 100, 100, 100))
    after = parse_histograms(METRICS % (50, 190, 199, 200))
    key = ("POST", "/api/v1/events/{event_id}/holds")
    assert key in after
    # 100 new requests: 90 in (1, 10] ms, 9 in (10, 100] ms, 1 above.
    p50 = histogram_quantile(before[key], after[key], 0.5)
    p99 = histogram_quantile(before[key], after[key], 0.99)
    assert p50 == pytest.approx(0.001 + 0.009 * 50 / 90)
    assert p99 == pytest.approx(0.1)
    assert histogram_quantile(after[key], after[key], 0.5) is None


def test_finalize_profile_counts_a_sample_for_its_innermost_known_layer() -> None:
    from devtools.bench import profile

    loop = "Worker.run (arq/worker.py:313);BaseEventLoop._run_once (asyncio/base_events.py:1922)"
    job = "finalize_payment (app/orders/finalize.py:79);Gateway.retrieve (app/payments/gw.py:1)"
    raw = "\n".join(
        [
            f"{loop};{job};StripeService._request_async (stripe/_stripe_service.py:82) 3",
            f"{loop};{job};ClientSession._request (aiohttp/client.py:1) 1",
            f"{loop};order_by_id (app/orders/repo.py:1);Pool.fetchrow (asyncpg/pool.py:1) 2",
            "Thread._bootstrap (threading.py:1);x (y.py:1) 50",  # helper threads: not counted
        ]
    )
    summary = profile.summarize(raw, profile.FINALIZE_LAYERS)
    assert summary["samples"] == 6
    assert summary["layers"]["Stripe SDK (requests, responses, StripeObject)"] == 50.0
    assert summary["layers"]["asyncpg (order transaction, bookkeeping queries)"] == 33.3
    # aiohttp is no named layer: the sample counts for the code that called it.
    assert summary["layers"]["finalize + confirm (our code)"] == 16.7
