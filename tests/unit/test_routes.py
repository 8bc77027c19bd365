"""The route table: the bench route comes from devtools only when switched on."""

from __future__ import annotations

from app.asgi import create_app
from app.core.settings import Settings


def paths(settings: Settings) -> set[str]:
    return {route.path for route in create_app(settings).routes}


def test_bench_route_is_mounted_from_devtools_only_when_asked() -> None:
    assert "/api/v1/_bench/echo" in paths(Settings(bench_endpoints=True))
    assert "/api/v1/_bench/echo" not in paths(Settings())


def test_event_stats_keeps_its_path() -> None:
    # The event id is parsed as a UUID at the edge (canonical id); the URL is unchanged.
    assert "/api/v1/events/{event_id:uuid}/stats" in paths(Settings())
