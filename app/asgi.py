"""create_app(settings) -> Litestar: wiring only."""

from __future__ import annotations

import gc

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from app import routes
from app.core import httpobs
from app.core.bodyguard import MAX_BODY_BYTES, BodyGuardMiddleware
from app.core.errors import EXCEPTION_HANDLERS
from app.core.idempotency import IdempotencyMiddleware
from app.core.logs import configure_logging
from app.core.openapi import document_media_types, document_problems
from app.core.secrets import require_strong_secrets
from app.core.securityheaders import SecurityHeaders
from app.core.settings import Settings
from app.core.urlguard import UrlGuardMiddleware
from app.deps import (
    provide_optional_principal,
    provide_phase_rooms,
    provide_pool,
    provide_principal,
    provide_redis,
    provide_resources,
    provide_scripts,
    provide_seat_maps,
    provide_settings,
)
from app.holds.ids import event_of_path
from app.lifespan import lifespan, probe_lifespan, revocations_lifespan, signals_lifespan
from app.web import csp as web_csp
from app.web import docs as web_docs
from app.web.setup import web_bundle


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    web = web_bundle(settings)
    app = Litestar(
        route_handlers=routes.all_routes(bench=settings.bench_endpoints),
        dependencies={
            "resources": Provide(provide_resources, sync_to_thread=False),
            "pool": Provide(provide_pool, sync_to_thread=False),
            "redis": Provide(provide_redis, sync_to_thread=False),
            "scripts": Provide(provide_scripts, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "seat_maps": Provide(provide_seat_maps, sync_to_thread=False),
            "phase_rooms": Provide(provide_phase_rooms, sync_to_thread=False),
            "principal": Provide(provide_principal),
            "maybe_principal": Provide(provide_optional_principal),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        # No control characters in the path or query; strict, bounded bodies; then
        # Idempotency-Key on every POST (POST /holds does it inside its Lua script).
        middleware=[
            UrlGuardMiddleware(),
            BodyGuardMiddleware(),
            IdempotencyMiddleware(event_of=event_of_path),
        ],
        request_max_body_size=MAX_BODY_BYTES,
        # At the app's edge, so 404s, 405s and errors carry them too.
        before_send=[
            SecurityHeaders(
                app_csp=web_csp.app_policy(settings, web),
                docs_csp=web_csp.DOCS_POLICY,
                trusted_proxies=settings.trusted_proxies,
            )
        ],
        lifespan=[lifespan, probe_lifespan, signals_lifespan, revocations_lifespan],
        on_startup=[document_problems, document_media_types],
        state=State({"settings": settings, "web": web}),
        openapi_config=OpenAPIConfig(
            title="Onsale API",
            version="1.0.0",
            description="High-concurrency ticket onsale: waiting room, holds, checkout, orders.",
            path="/schema",
            # Served from the package: the docs work with no outside host reachable.
            render_plugins=web_docs.render_plugins(web),
        ),
        debug=False,
    )
    httpobs.install(app)
    # After Litestar, whose default logging config would replace the JSON handler.
    configure_logging(settings.log_level)
    return app


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory app.asgi:app_from_env` (one call per server process;
    refuses weak production secrets)."""
    settings = Settings.from_env()
    require_strong_secrets(settings)
    app = create_app(settings)
    # Everything built so far (modules, routes, schemas: a few hundred thousand
    # objects) lives as long as the process. Left in the collector's reach, every
    # full collection walks all of it while requests wait: `onsale bench`'s tail
    # probe timed 250-330 ms gen2 pauses per worker, the hold path's p99. Frozen,
    # they are skipped. Only here, in a server process: tests build many apps.
    gc.collect()
    gc.freeze()
    return app
