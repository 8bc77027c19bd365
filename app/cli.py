"""The `onsale` command: dev stack, production processes, migrations and admin tools."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from app.core.settings import Settings


def refuse_weak_secrets(settings: Settings) -> None:
    """Exit with a message naming the variable when production would run on a weak secret."""
    from app.core.secrets import WeakSecretError, require_strong_secrets

    try:
        require_strong_secrets(settings)
    except WeakSecretError as exc:
        raise click.ClickException(str(exc)) from None


def running_base_url() -> str:
    """The API of the `onsale dev` running from this folder, else the default port."""
    import os

    from app.core.settings import dev_stack_env

    env = {**dev_stack_env(os.environ), **os.environ}
    return env.get("ONSALE_BASE_URL", "http://127.0.0.1:8000")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Onsale: high-concurrency ticket onsale (waiting room, holds, Stripe, workers).

    Configuration comes from ONSALE_* environment variables (see README).
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port the API listens on.")
@click.option("--demo", is_flag=True, help="Create a demo event that is on sale now.")
@click.option(
    "--data-dir",
    default=".onsale",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where embedded Valkey and PostgreSQL keep their data (reused on the next start).",
)
def dev(host: str, port: int, demo: bool, data_dir: Path) -> None:
    """Run the whole system on this machine: embedded servers when none is configured,
    migrations, the API and a worker. Ctrl-C stops everything it started."""
    from app.devserver import run_dev

    sys.exit(run_dev(host, port, data_dir, demo))


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
def api(host: str, port: int, workers: int) -> None:
    """Run the HTTP API (uvicorn, uvloop, httptools).

    With --workers > 1, metrics run in prometheus multiprocess mode: each worker
    writes to a fresh PROMETHEUS_MULTIPROC_DIR and /metrics sums them all.
    """
    import uvicorn

    from app.ops.multiproc import multiprocess_metrics

    refuse_weak_secrets(Settings.from_env())

    with multiprocess_metrics(workers):
        uvicorn.run(
            "app.asgi:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            access_log=False,
            # X-Forwarded-For is read by app.core.clientip, only from
            # ONSALE_TRUSTED_PROXIES; uvicorn's own handling would trust loopback.
            proxy_headers=False,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )


@main.command()
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit (no cron).")
@click.option(
    "--metrics-port",
    default=0,
    show_default=True,
    type=int,
    envvar="ONSALE_METRICS_PORT",
    help="Serve this worker's Prometheus metrics on this port (0: off).",
)
@click.option("--metrics-host", default="0.0.0.0", show_default=True)
def worker(burst: bool, metrics_port: int, metrics_host: str) -> None:
    """Run an arq worker: finalize orders, expire holds, admit fans, reconcile."""
    from arq.worker import run_worker

    from app.core.logs import configure_logging
    from workers.settings import WorkerSettings, redis_settings

    settings = Settings.from_env()
    refuse_weak_secrets(settings)
    configure_logging(settings.log_level)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)
    run_worker(
        WorkerSettings,  # type: ignore[arg-type]
        redis_settings=redis_settings(settings),
        ctx={"settings": settings},
        burst=burst,
    )


@main.command()
def migrate() -> None:
    """Apply pending schema migrations (safe to run from many processes at once)."""
    from app.core.migrate import migrate_url

    applied = asyncio.run(migrate_url(Settings.from_env().database_url))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing pending"))


@main.command()
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    default=("ceiling", "holds", "holds_pg", "lua_raw", "logins", "queue", "finalize"),
    show_default=True,
    help="Scenario to run (repeat the option for several).",
)
@click.option(
    "--connections", default="16,64,256", show_default=True, help="Connection counts for HTTP runs."
)
@click.option(
    "--duration", default=None, type=int, help="Seconds per HTTP run [default: 10, --quick: 3]."
)
@click.option(
    "--quick", is_flag=True, help="Short runs, 100k queued fans, fewer orders (about 2 min)."
)
@click.option("--no-profile", is_flag=True, help="Skip the py-spy profile of the hold path.")
@click.option(
    "--out",
    default="bench-results",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for bench-results/<timestamp>/ (report.md, summary.json, plots).",
)
def bench(
    scenarios: tuple[str, ...],
    connections: str,
    duration: int | None,
    quick: bool,
    no_profile: bool,
    out: Path,
) -> None:
    """Benchmark the hot paths against the framework ceiling and the Postgres-lock way.

    Starts its own servers (embedded unless ONSALE_REDIS_URL / ONSALE_DATABASE_URL are set)
    and `onsale api --workers 2`, drives them with wrk (installed from Debian when missing),
    profiles the hold path with py-spy (installed from PyPI when missing)."""
    from app.bench.suite import Plan, run_suite

    counts = [int(c) for c in connections.split(",") if c.strip()]
    plan = Plan.quick(duration) if quick else Plan(duration_s=duration or 10)
    run_suite(out, list(scenarios), counts, plan, with_profile=not no_profile)


@main.command()
@click.option("--fans", default=1000, show_default=True, type=int, help="Simulated fans.")
@click.option("--capacity", default=200, show_default=True, type=int, help="Seats in total.")
@click.option(
    "--sections",
    default=None,
    help="Sections as CODE[:SEATS],... (seats left out share the rest of --capacity).",
)
@click.option("--base-url", default=None, help="API base URL [default: the running `onsale dev`].")
@click.option("--abandon", default=0.1, show_default=True, type=float, help="Share who abandon.")
@click.option("--hold-ttl", default=20, show_default=True, type=int, help="Hold TTL (s).")
@click.option("--concurrency", default=200, show_default=True, type=int, help="Requests in flight.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the fans' choices.")
def simulate(
    fans: int,
    capacity: int,
    sections: str | None,
    base_url: str | None,
    abandon: float,
    hold_ttl: int,
    concurrency: int,
    seed: int,
) -> None:
    """Drive a whole onsale with simulated fans against a running instance and check the
    invariants (no oversell, conservation, no lost sale). Exits 1 if one fails."""
    from app.simulate import run_simulation

    url = base_url or running_base_url()
    sys.exit(
        run_simulation(
            Settings.from_env(), url, fans, capacity, sections, abandon, hold_ttl, concurrency, seed
        )
    )


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option(
    "--role", type=click.Choice(["fan", "organizer", "admin"]), default="fan", show_default=True
)
@click.option("--name", default="")
def users_create(email: str, password: str, role: str, name: str) -> None:
    """Create a user with a role (fan, organizer or admin)."""
    from app.auth import service
    from app.core.db import create_pool
    from app.core.errors import AppError

    async def run() -> str:
        pool = await create_pool(Settings.from_env().database_url, size=2)
        try:
            return await service.create_user(pool, email, password, name=name, roles=(role,))
        finally:
            await pool.close()

    try:
        user_id = asyncio.run(run())
    except AppError as exc:
        raise click.ClickException(exc.detail or exc.title) from None
    click.echo(f"created {role} {email} ({user_id})")


@main.command()
@click.argument("event_id")
def reconcile(event_id: str) -> None:
    """Compare an event's Redis inventory with Postgres; rebuild it if Redis lost it."""
    import msgspec

    from app.core.db import create_pool
    from app.core.errors import AppError
    from app.core.redis import create_redis
    from app.core.scripts import Scripts
    from app.holds.reconcile import reconcile_event

    settings = Settings.from_env()

    async def run() -> str:
        pool = await create_pool(settings.database_url, size=2)
        redis = create_redis(settings.redis_url, pool_size=4)
        try:
            report = await reconcile_event(pool, redis, Scripts(redis), settings, event_id)
        finally:
            await redis.aclose()
            await pool.close()
        return msgspec.json.encode(report).decode()

    try:
        click.echo(asyncio.run(run()))
    except AppError as exc:
        raise click.ClickException(exc.detail or exc.title) from None


@main.group()
def tickets() -> None:
    """Ticket codes."""


@tickets.command("verify")
@click.argument("code")
def tickets_verify(code: str) -> None:
    """Check a ticket code offline with ONSALE_SECRET_KEY (exit 1 when forged or malformed)."""
    from app.orders.tickets import verify_ticket

    claim = verify_ticket(Settings.from_env().secret_key, code)
    if claim is None:
        click.echo("invalid: not a genuine Onsale ticket code")
        sys.exit(1)
    click.echo(
        f"valid: ticket {claim.ticket_id} event {claim.event_id} "
        f"section {claim.section} seat #{claim.seq}"
    )


@main.group()
def demo() -> None:
    """Demo helpers against a running instance (`onsale dev --demo`)."""


@demo.command("buy")
@click.option("--base-url", default=None, help="API base URL [default: the running `onsale dev`].")
@click.option("--event-id", default=None, help="Defaults to the newest on-sale event.")
@click.option("--quantity", default=2, show_default=True, type=int)
@click.option("--card", default="pm_card_visa", show_default=True, help="Stripe test card.")
def demo_buy(base_url: str | None, event_id: str | None, quantity: int, card: str) -> None:
    """The whole fan path, browser-free: log in, queue, admitted, hold, pay, order confirmed."""
    from app.demo_fan import buy

    sys.exit(asyncio.run(buy(base_url or running_base_url(), event_id, quantity, card)))


if __name__ == "__main__":
    main()
