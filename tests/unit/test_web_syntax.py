"""Every module of the web apps parses as an ES module (`node --check`): a missing brace left
by a merge takes a whole app down in the browser ("Unexpected token 'export'"), and nothing
else short of a browser test would notice."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
NODE = shutil.which("node")


def sources() -> list[Path]:
    """Our modules (vendored files are published bundles, checked by their authors)."""
    return sorted(p for p in WEB.rglob("*.js") if "vendor" not in p.relative_to(WEB).parts)


@pytest.mark.skipif(NODE is None, reason="node is needed (apt-get install nodejs)")
def test_every_web_module_parses(tmp_path: Path) -> None:
    found = sources()
    assert len(found) > 40

    def check(source: Path) -> str | None:
        # As .mjs so node parses it as a module, as the browser does.
        copy = tmp_path / (source.relative_to(WEB).as_posix().replace("/", "__") + ".mjs")
        copy.write_text(source.read_text())
        run = subprocess.run(
            [str(NODE), "--check", str(copy)], capture_output=True, text=True, check=False
        )
        if run.returncode == 0:
            return None
        why = [line for line in run.stderr.splitlines() if "Error" in line] or [run.stderr]
        return f"{source.relative_to(WEB)}: {why[0].strip()}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        bad = [line for line in pool.map(check, found) if line]
    assert bad == []
