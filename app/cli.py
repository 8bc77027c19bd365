"""The `onsale` command: dev stack, production processes, migrations and admin tools."""

from __future__ import annotations

import asyncio
import sys

import click

from app.core.settings import Settings

# Developer commands live in the devtools package (installed by the dev extra) and are
# found through this entry point group; app/ never imports devtools.
DEV_ENTRY_POINTS = "onsale.commands"
DEV_COMMANDS = {
    "dev": "Run the whole system on this machine (embedded servers).",
    "bench": "Benchmark the hot paths.",
    "simulate": "Drive a whole onsale with simulated fans and check the invariants.",
    "demo": "Demo helpers against a running `onsale dev --demo`.",
    "docs": "Serve the documentation site locally (or build it).",
}
DEV_INSTALL_HINT = (
    "`onsale {name}` is developer tooling: install Onsale with its dev extra, from a "
    'checkout: pip install -c constraints.txt -e ".[dev]"'
)


def refuse_weak_secrets(settings: Settings) -> None:
    """Exit with a message naming the variable when production would run on a weak secret."""
    from app.core.secrets import WeakSecretError, require_strong_secrets

    try:
        require_strong_secrets(settings)
    except WeakSecretError as exc:
        raise click.ClickException(str(exc)) from None


def _dev_command(name: str) -> click.Command:
    """The devtools command `name`, or one that says how to install it."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=DEV_ENTRY_POINTS, name=name):
        try:
            command = entry.load()
        except ImportError:
            break
        if isinstance(command, click.Command):
            return command

    @click.command(
        name=name,
        help="[needs the dev extra] " + DEV_COMMANDS[name],
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    def missing() -> None:
        raise click.UsageError(DEV_INSTALL_HINT.format(name=name))

    return missing


class OnsaleGroup(click.Group):
    """The production commands, plus the developer ones loaded only when called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *DEV_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in DEV_COMMANDS:
            return _dev_command(cmd_name)
        return command


@click.group(cls=OnsaleGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Onsale: high-concurrency ticket onsale (waiting room, holds, Stripe, workers).

    Configuration comes from ONSALE_* environment variables (see the documentation,
    Operators > Configuration: `onsale docs` serves it).
    """


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
    import uvloop
    from arq.worker import get_kwargs

    from app.core.logs import configure_logging
    from workers.claiming import ClaimingWorker
    from workers.settings import WorkerSettings, redis_settings

    settings = Settings.from_env()
    refuse_weak_secrets(settings)
    configure_logging(settings.log_level)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)
    options = {
        **get_kwargs(WorkerSettings),  # type: ignore[arg-type]
        "redis_settings": redis_settings(settings),
        "ctx": {"settings": settings},
        "burst": burst,
        "max_jobs": settings.worker_max_jobs,
    }
    # uvloop: with the Stripe calls cheap, the event loop's own work is a large share of a
    # finalize job; measured 3.3-3.9 vs 4.2-4.6 worker CPU ms per order (bench, A/B twice).
    uvloop.install()
    ClaimingWorker(**options).run()


@main.command()
def migrate() -> None:
    """Apply pending schema migrations (safe to run from many processes at once)."""
    from app.core.migrate import migrate_url

    applied = asyncio.run(migrate_url(Settings.with_dev_stack().database_url))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing pending"))


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option(
    "--password",
    envvar="ONSALE_USER_PASSWORD",
    help="The new user's password [default: $ONSALE_USER_PASSWORD, else asked on a terminal].",
)
@click.option(
    "--role", type=click.Choice(["fan", "organizer", "admin"]), default="fan", show_default=True
)
@click.option("--name", default="")
def users_create(email: str, password: str | None, role: str, name: str) -> None:
    """Create a user with a role (fan, organizer or admin)."""
    if not password:
        if not sys.stdin.isatty():
            raise click.UsageError(
                "no password given: pass --password or set ONSALE_USER_PASSWORD "
                "(stdin is not a terminal, so it cannot be asked for)"
            )
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    from app.auth import service
    from app.core.db import create_pool
    from app.core.errors import AppError

    async def run() -> str:
        pool = await create_pool(Settings.with_dev_stack().database_url, size=2)
        try:
            return await service.create_user(pool, email, password, name=name, roles=(role,))
        finally:
            await pool.close()

    try:
        user_id = asyncio.run(run())
    except AppError as exc:
        raise click.ClickException(exc.detail or exc.title) from None
    click.echo(f"created {role} {email} ({user_id})")


@main.group()
def notifications() -> None:
    """Inspect and retry notification deliveries."""


@notifications.command("retry-dead")
def notifications_retry_dead() -> None:
    """Send every dead-lettered delivery again, with a fresh budget of attempts."""
    from app.core.db import create_pool
    from app.notifications import repo

    async def run() -> int:
        pool = await create_pool(Settings.with_dev_stack().database_url, size=1)
        try:
            return await repo.retry_dead(pool)
        finally:
            await pool.close()

    click.echo(f"requeued {asyncio.run(run())} dead deliveries")


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

    settings = Settings.with_dev_stack()

    async def run() -> str:
        pool = await create_pool(settings.database_url, size=2)
        redis = create_redis(settings.redis_url, pool_size=4, cluster=settings.cluster)
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
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False),
    help="The event's public keys: a saved scanner-key answer (JSON) or one base64url key a line.",
)
@click.option("--event", "event_id", help="Fetch this event's public keys from --api.")
@click.option(
    "--api", default="http://127.0.0.1:8000", show_default=True, help="Onsale's base URL."
)
@click.option(
    "--secret",
    help="The ticket's rotation secret (base32, from checkin-data): also checks a rotating "
    "code's digits against the clock.",
)
def tickets_verify(
    code: str, key_file: str | None, event_id: str | None, api: str, secret: str | None
) -> None:
    """Check a ticket code with the event's PUBLIC key only (exit 1 when forged or malformed).

    Needs no secret of the server: whatever verifies tickets cannot mint them.
    """
    import time

    from app.tickets import codes

    if key_file is None and event_id is None:
        raise click.UsageError("give the event's public keys: --key-file FILE or --event ID")
    text = _read_key_file(key_file) if key_file else _fetch_keys(api, event_id or "")
    try:
        public_keys = codes.parse_public_keys(text)
        parsed = codes.verify(code, public_keys)
    except codes.BadCode as exc:
        click.echo(f"invalid: not a genuine Onsale ticket code ({exc.reason})")
        sys.exit(1)
    except ValueError as exc:
        raise click.ClickException(f"unreadable public keys: {exc}") from None
    claim = parsed.claim
    click.echo(
        f"valid: ticket {claim.ticket_id} event {claim.event_id} "
        f"section {claim.section} seat #{claim.seq} (key {claim.kid})"
        + (f" reserved seat {claim.seat}" if claim.seat else "")
    )
    if parsed.totp is None:
        click.echo("static code: admits only where the event allows static codes")
    elif secret is None:
        click.echo("rotating code: digits not checked (pass --secret to check them)")
    elif codes.totp_fresh(codes.secret_from_b32(secret), parsed.totp, time.time()):
        click.echo("rotating code: fresh")
    else:
        click.echo("stale: the rotating digits are not current (a copy or a screenshot)")
        sys.exit(1)


def _read_key_file(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _fetch_keys(api: str, event_id: str) -> str:
    import httpx

    url = f"{api.rstrip('/')}/api/v1/events/{event_id}/scanner-key"
    try:
        response = httpx.get(url, timeout=10)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot fetch {url}: {exc}") from None
    if response.status_code != 200:
        raise click.ClickException(f"{url} answered {response.status_code}")
    return response.text


@tickets.command("rotate-key")
@click.argument("event_id")
@click.option(
    "--retire-old",
    is_flag=True,
    help="Re-sign every ticket with the new key and stop publishing the old ones "
    "(when a key may have leaked; printed static codes change too).",
)
def tickets_rotate_key(event_id: str, retire_old: bool) -> None:
    """A new ticket signing key for an event; old public keys stay listed unless retired."""
    from app.core.db import create_pool
    from app.core.errors import AppError
    from app.tickets import keys

    settings = Settings.with_dev_stack()

    async def run() -> tuple[str, int]:
        pool = await create_pool(settings.database_url, size=2)
        try:
            kid, resigned = await keys.rotate(pool, settings, event_id, retire_old=retire_old)
            if retire_old:
                # Processes that read the old key just before the rotation may still sign
                # with it for SIGNER_TTL_S: re-sign what they issued meanwhile.
                await asyncio.sleep(keys.SIGNER_TTL_S + 1)
                async with pool.acquire() as conn, conn.transaction():
                    key = await keys.signer_of(conn, settings, event_id, kid)
                    assert key is not None
                    resigned += await keys.resign_tickets(conn, key)
            return kid, resigned
        finally:
            await pool.close()

    try:
        kid, resigned = asyncio.run(run())
    except AppError as exc:
        raise click.ClickException(exc.detail or exc.title) from None
    click.echo(f"new key {kid}" + (f"; {resigned} tickets re-signed" if retire_old else ""))


if __name__ == "__main__":
    main()
