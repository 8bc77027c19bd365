"""The web bundle without a server: fingerprints, compression choice, import maps, shells."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import brotli
import pytest

from app.web import assets
from app.web.assets import IMMUTABLE, NO_CACHE, Asset, Bundle, fingerprinted
from app.web.routes import app_of


def test_fingerprinted_names_keep_the_extension() -> None:
    assert fingerprinted("fan/app.js", "abc123") == "fan/app.abc123.js"
    assert fingerprinted("fan/i18n/de.json", "f00") == "fan/i18n/de.f00.json"
    assert fingerprinted("vendor/LICENSE", "1") == "vendor/LICENSE.1"


def test_the_smallest_accepted_encoding_is_sent() -> None:
    body = b"console.log('onsale');\n" * 100
    asset = Asset.of(body, "application/javascript; charset=utf-8")
    assert asset.br is not None
    assert asset.gzip is not None
    assert asset.encoded("gzip, deflate, br") == (asset.br, "br")
    assert asset.encoded("gzip") == (asset.gzip, "gzip")
    assert asset.encoded("") == (body, None)
    assert brotli.decompress(asset.br) == body
    assert gzip.decompress(asset.gzip) == body
    tiny = Asset.of(b"{}", "application/json")
    assert tiny.encoded("br, gzip") == (b"{}", None)  # not worth compressing


def make_tree(root: Path) -> dict[str, Path]:
    for rel, text in {
        "fan/index.html": (
            '<link href="{{asset:fan/app.css}}"><meta content="{{config:stripe_js_url}}">'
            '<!--importmap--><script type="module" src="{{asset:fan/app.js}}"></script>'
            '<link href="{{asset:fan/gone.css}}">'
        ),
        "fan/app.js": 'import "../shared/api.js";',
        "fan/app.css": "body{}",
        "fan/i18n/en.json": "{}",
        "shared/api.js": "export const x = 1;",
        "console/index.html": "<!--importmap-->",
        "console/app.js": "export {}",
        "fan/notes.md": "not served",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {name: root / name for name in ("fan", "shared", "console")}


def test_shells_get_urls_config_and_an_import_map_of_their_own_app(tmp_path: Path) -> None:
    bundle = Bundle(make_tree(tmp_path), config={"stripe_js_url": 'https://x/"v3"'})
    shell = bundle.shell("fan")
    assert shell is not None
    html = shell.body.decode()
    assert f'href="{bundle.url("fan/app.css")}"' in html
    assert f'src="{bundle.url("fan/app.js")}"' in html
    assert 'content="https://x/&quot;v3&quot;"' in html
    assert 'href="/assets/fan/gone.css"' in html  # missing: plain URL, app still starts
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', html)[1])["imports"]
    assert set(imports) == {
        "/assets/fan/app.js",
        "/assets/fan/i18n/en.json",
        "/assets/shared/api.js",
    }
    assert imports["/assets/shared/api.js"] == bundle.url("shared/api.js")
    assert bundle.shell("console") is not None
    assert "fan/notes.md" not in bundle.plain


def test_lookups_answer_immutable_for_fingerprints_and_no_cache_for_plain(tmp_path: Path) -> None:
    bundle = Bundle(make_tree(tmp_path))
    hashed = bundle.url("fan/app.js").removeprefix("/assets/")
    assert bundle.find(hashed)[1] == IMMUTABLE
    assert bundle.find("fan/app.js")[1] == NO_CACHE
    assert bundle.find("fan/index.html") is None
    assert bundle.find("../etc/passwd") is None


def test_pages_pick_their_app_by_the_first_path_segment() -> None:
    assert app_of("/") == "fan"
    assert app_of("/events/1/queue") == "fan"
    assert app_of("/console") == "console"
    assert app_of("/console/events/1") == "console"
    assert app_of("/consoles") == "fan"


def test_compressed_bodies_come_from_the_cache_only_when_they_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compression cache saves each process the seconds brotli -11 takes, and a planted
    or stale file in it is never served: it must decompress to the very body."""
    monkeypatch.setenv("ONSALE_ASSET_CACHE", str(tmp_path))
    body = b"console.log('onsale');\n" * 200
    assets._compressed.cache_clear()
    gz, br = assets._compressed(body)
    assert gzip.decompress(gz) == body
    assert br is not None
    assert brotli.decompress(br) == body
    digest = hashlib.sha256(body).hexdigest()
    assert (tmp_path / f"{digest}.br").read_bytes() == br
    # A planted file under the body's name that says something else is not served.
    (tmp_path / f"{digest}.br").write_bytes(brotli.compress(b"alert('planted')"))
    (tmp_path / f"{digest}.gz").write_bytes(b"not gzip")
    assets._compressed.cache_clear()
    gz2, br2 = assets._compressed(body)
    assert gzip.decompress(gz2) == body
    assert br2 is not None
    assert brotli.decompress(br2) == body
    assets._compressed.cache_clear()
