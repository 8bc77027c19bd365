"""Property-based API fuzzing with schemathesis against a real server, from /schema.

Covers every operation of the live OpenAPI document, once with a fan's token and
once with an organizer's: no 5xx for any generated input, and every response
(status, media type, body) conforms to the published document.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.core.settings import Settings
from tests.support.api import Api
from tests.support.servers import api_process


@pytest.mark.slow
@pytest.mark.parametrize("role", ["fan", "organizer"])
async def test_schemathesis_whole_api(settings: Settings, tmp_path: Path, role: str) -> None:
    with api_process(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            user = await Api(client, settings.database_url).user(role)
        exe = Path(sys.executable).parent / "schemathesis"
        cmd = [
            str(exe), "run", f"{base}/schema/openapi.json",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "-H", f"Authorization: Bearer {user.token}",
            "--max-examples", os.environ.get("ONSALE_SCHEMATHESIS_EXAMPLES", "25"),
            "--seed", "20261121",
            "--request-timeout", "20",
            "--no-color",
        ]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, check=False)
        (tmp_path / "schemathesis.log").write_text(result.stdout + result.stderr)
        assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
