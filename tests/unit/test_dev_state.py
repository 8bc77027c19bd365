"""Finding 1 of security round 2: `.onsale/dev.json` never reaches a production process.

The file a running `onsale dev` leaves in its folder tells the dev commands where its
servers listen. It must not switch a process into dev mode, hand it a secret or turn a
guard off, and it holds nothing but server addresses, readable by its owner alone.
"""

from __future__ import annotations

import stat
from pathlib import Path

import msgspec

from app.core.settings import DEV_SECRET_KEY, Settings
from devtools.devserver import DevStack, write_state

HOSTILE = {
    "ONSALE_ENV": "dev",
    "ONSALE_WEBHOOK_ALLOW_PRIVATE": "true",
    "ONSALE_SECRET_KEY": "a-secret-someone-left-in-the-dev-state-file",
    "ONSALE_BOOTSTRAP_ADMIN_EMAIL": "root@dev.example",
    "ONSALE_BOOTSTRAP_ADMIN_PASSWORD": "the bootstrap password",
    "ONSALE_TRUSTED_PROXIES": "0.0.0.0/0",
    "ONSALE_REDIS_URL": "redis://10.9.8.7:6379/0",
    "ONSALE_DATABASE_URL": "postgresql://dev@10.9.8.7:5432/onsale",
}


def hostile_state(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "dev.json"
    path.write_bytes(msgspec.json.encode(HOSTILE))
    return {"ONSALE_DEV_STATE": str(path)}


def test_production_settings_never_read_the_dev_state(tmp_path: Path) -> None:
    env = hostile_state(tmp_path)
    settings = Settings.from_env(env)
    assert settings.env == "production"
    assert settings.webhook_allow_private is False
    assert settings.secret_key == ""
    assert settings.bootstrap_admin_password == ""
    assert settings.trusted_proxies == ""
    assert settings.redis_url == Settings().redis_url
    # Explicit production: still nothing from the file.
    explicit = Settings.from_env({**env, "ONSALE_ENV": "production"})
    assert explicit.webhook_allow_private is False
    assert explicit.database_url == Settings().database_url


def test_dev_commands_take_only_server_addresses_from_the_dev_state(tmp_path: Path) -> None:
    env = hostile_state(tmp_path)
    dev = Settings.with_dev_stack(env, default_env="dev")
    assert dev.env == "dev"
    assert dev.redis_url == HOSTILE["ONSALE_REDIS_URL"]
    assert dev.database_url == HOSTILE["ONSALE_DATABASE_URL"]
    assert dev.secret_key == DEV_SECRET_KEY  # dev's published key, not the file's
    assert dev.webhook_allow_private is False
    assert dev.bootstrap_admin_password == ""
    assert dev.trusted_proxies == "127.0.0.1,::1"
    # The admin tools (reconcile, ...) read it only under an explicit ONSALE_ENV=dev.
    admin = Settings.with_dev_stack(env)
    assert admin.env == "production"
    assert admin.redis_url == Settings().redis_url
    explicit_dev = Settings.with_dev_stack({**env, "ONSALE_ENV": "dev"})
    assert explicit_dev.redis_url == HOSTILE["ONSALE_REDIS_URL"]
    # Variables set in the environment still win over the file.
    mine = Settings.with_dev_stack(
        {**env, "ONSALE_REDIS_URL": "redis://mine:1/0"}, default_env="dev"
    )
    assert mine.redis_url == "redis://mine:1/0"


def test_onsale_dev_writes_its_state_0600_without_secrets(tmp_path: Path) -> None:
    path = tmp_path / "state" / "dev.json"
    path.parent.mkdir()
    path.write_text("{}")
    path.chmod(0o644)  # a state file left by an older `onsale dev`
    env = {**HOSTILE, "ONSALE_DEV_STATE": str(path), "ONSALE_STRIPE_WEBHOOK_SECRET": "whsec_x"}
    write_state(DevStack("127.0.0.1", 8000, tmp_path, env), "127.0.0.1", 8000, 9100)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    state = msgspec.json.decode(path.read_bytes(), type=dict[str, str])
    assert state == {
        "ONSALE_REDIS_URL": HOSTILE["ONSALE_REDIS_URL"],
        "ONSALE_DATABASE_URL": HOSTILE["ONSALE_DATABASE_URL"],
        "ONSALE_BASE_URL": "http://127.0.0.1:8000",
        "ONSALE_WORKER_METRICS_URL": "http://127.0.0.1:9100/metrics",
    }
