"""The `onsale` command: dev stack, production processes, migrations and admin tools."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from app.core.settings import Settings


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
    """Run the HTTP API (uvicorn, uvloop, httptools)."""
    import uvicorn

    uvicorn.run(
        "app.asgi:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


@main.command()
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit (no cron).")
def worker(burst: bool) -> None:
    """Run an arq worker: finalize orders, expire holds, admit fans, reconcile."""
    from arq.worker import run_worker

    from workers.settings import WorkerSettings, redis_settings

    settings = Settings.from_env()
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


if __name__ == "__main__":
    main()
