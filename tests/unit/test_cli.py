"""The `onsale` command's edges: missing dev extra, a password that cannot be asked for."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

from app import cli


def test_dev_commands_come_from_devtools() -> None:
    for name in cli.DEV_COMMANDS:
        command = cli.main.get_command(click.Context(cli.main), name)
        assert command is not None
        assert command.callback is not None
        assert command.callback.__module__ == "devtools.cli", name


def test_without_the_dev_extra_they_say_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    result = CliRunner().invoke(cli.main, ["dev", "--demo", "--port", "9"])
    assert result.exit_code == 2
    assert "developer tooling" in result.output
    assert '.[dev]"' in result.output
    listed = CliRunner().invoke(cli.main, ["--help"])
    assert "dev " in listed.output
    assert "[needs the dev extra]" in listed.output


def test_users_create_without_a_password_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ONSALE_USER_PASSWORD", raising=False)
    result = CliRunner().invoke(
        cli.main, ["users", "create", "--email", "a@b.c", "--role", "admin"]
    )
    assert result.exit_code == 2
    assert "Aborted" not in result.output
    assert "--password" in result.output
    assert "ONSALE_USER_PASSWORD" in result.output


def test_users_create_reads_the_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    def fake_run(coro: Any) -> str:
        coro.close()
        return "u1"

    monkeypatch.setenv("ONSALE_USER_PASSWORD", "from-the-env-123")
    monkeypatch.setattr("app.cli.asyncio.run", fake_run)
    result = CliRunner().invoke(cli.main, ["users", "create", "--email", "a@b.c"])
    assert result.exit_code == 0, result.output
    assert "created fan a@b.c (u1)" in result.output
