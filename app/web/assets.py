"""The static web bundle: files fingerprinted and precompressed once, HTML shells rendered once.

Nothing is rendered per fan: at startup each file under app/web/<folder>/ gets
a content hash (`/assets/fan/app.3f9c2a1b7d.js`, cached for a year as
immutable) and gzip/brotli bodies. ES modules import each other by plain
relative paths; every HTML shell carries an import map from each plain URL
to its fingerprinted one, so a changed module gets a new URL while an
unchanged importer keeps its cached copy. Plain URLs still answer (no-cache,
with ETag) for anything that bypasses the map. Shells are `no-cache`: they
are tiny, and they are how a new release reaches every phone.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import logging
import mimetypes
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import msgspec

try:  # brotli is smaller by ~15 % on JS; gzip alone is fine where it is missing
    import brotli
except ImportError:  # pragma: no cover - brotli is a declared dependency
    brotli = None

log = logging.getLogger("onsale.web")

WEB_ROOT = Path(__file__).resolve().parent
PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# Compressing below this size costs more than it saves.
MIN_COMPRESS = 512
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
# Shell placeholders: {{asset:fan/app.css}} and {{config:name}}; <!--importmap--> marks
# where the import map goes.
_ASSET_REF = re.compile(r"\{\{asset:([^}]+)\}\}")
_CONFIG_REF = re.compile(r"\{\{config:([a-z_]+)\}\}")
IMPORTMAP_MARK = "<!--importmap-->"
SKIP = {"__init__.py", "__pycache__"}
NOT_SERVED = (".py", ".md")
# Folders every app may import from.
SHARED = ("shared/", "vendor/")

MEDIA = {
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("ONSALE_ASSET_CACHE") or Path(base) / "onsale" / "assets")


def _cached(
    body: bytes, digest: str, suffix: str, decompress: Callable[[bytes], bytes]
) -> bytes | None:
    """A compressed body from the cache folder, trusted only if it decompresses to `body`
    (so a stale or planted file is never served: it is computed again instead)."""
    try:
        data = (_cache_dir() / f"{digest}.{suffix}").read_bytes()
        return data if decompress(data) == body else None
    except Exception:
        return None


def _store(digest: str, suffix: str, data: bytes) -> None:
    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, folder / f"{digest}.{suffix}")
    except OSError as exc:  # a read-only home: compress at each start, as before
        log.debug("asset cache not written: %s", exc)


@functools.lru_cache(maxsize=1024)
def _compressed(body: bytes) -> tuple[bytes, bytes | None]:
    """gzip -9 and brotli -11 of one body, once per process and kept in a cache folder:
    brotli at its best setting takes seconds for the Swagger UI bundle, and every process
    start (each API worker, each in-process app of the test suite) needs the same bytes."""
    digest = hashlib.sha256(body).hexdigest()
    gz = _cached(body, digest, "gz", gzip.decompress)
    if gz is None:
        gz = gzip.compress(body, compresslevel=9, mtime=0)
        _store(digest, "gz", gz)
    if brotli is None:
        return gz, None
    br = _cached(body, digest, "br", brotli.decompress)
    if br is None:
        br = brotli.compress(body, quality=11)
        _store(digest, "br", br)
    return gz, br


class Asset(msgspec.Struct, frozen=True):
    """One servable body with its precompressed variants."""

    body: bytes
    media_type: str
    etag: str
    gzip: bytes | None = None
    br: bytes | None = None

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Asset:
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        gz = br = None
        if len(body) >= MIN_COMPRESS and media_type.startswith(COMPRESSIBLE):
            gz, br = _compressed(body)
        return cls(body=body, media_type=media_type, etag=etag, gzip=gz, br=br)

    def encoded(self, accept_encoding: str) -> tuple[bytes, str | None]:
        """The smallest body the client accepts, and its Content-Encoding."""
        accepted = {p.split(";")[0].strip() for p in accept_encoding.lower().split(",")}
        if self.br is not None and "br" in accepted:
            return self.br, "br"
        if self.gzip is not None and "gzip" in accepted:
            return self.gzip, "gzip"
        return self.body, None


def fingerprinted(logical: str, digest: str) -> str:
    """fan/app.js -> fan/app.<digest>.js"""
    stem, dot, ext = logical.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{logical}.{digest}"


def _media_type(path: str) -> str:
    suffix = Path(path).suffix
    return MEDIA.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


class Bundle:
    """Every asset by plain and fingerprinted path, plus one rendered shell per app."""

    def __init__(
        self,
        sources: Mapping[str, Path],
        *,
        config: Mapping[str, str] | None = None,
        extra_files: Mapping[str, Path] | None = None,
    ) -> None:
        """sources: prefix -> folder (every file below is served as <prefix>/<relative>);
        extra_files: logical path -> one file (e.g. a docs page's vendored scripts)."""
        self.config = dict(config or {})
        self.plain: dict[str, Asset] = {}
        self.hashed: dict[str, Asset] = {}
        self.url_of: dict[str, str] = {}
        # CSP source expressions ('sha256-...') of the inline import maps the shells carry:
        # the only inline script there is, allowed by its hash and nothing else.
        self.inline_script_hashes: list[str] = []
        shells: dict[str, str] = {}
        for logical, file in self._walk(sources, extra_files or {}):
            body = file.read_bytes()
            if file.name == "index.html":
                shells[logical] = body.decode()
                continue
            asset = Asset.of(body, _media_type(logical))
            name = fingerprinted(logical, hashlib.sha256(body).hexdigest()[:10])
            self.plain[logical] = asset
            self.hashed[name] = asset
            self.url_of[logical] = PREFIX + name
        self.shells = {logical: self._render(logical, html) for logical, html in shells.items()}

    @staticmethod
    def _walk(sources: Mapping[str, Path], extra: Mapping[str, Path]) -> Iterable[tuple[str, Path]]:
        for prefix, folder in sources.items():
            if not folder.is_dir():
                continue
            for file in sorted(folder.rglob("*")):
                served = file.suffix not in NOT_SERVED and not SKIP.intersection(file.parts)
                if file.is_file() and served:
                    yield f"{prefix}/{file.relative_to(folder).as_posix()}", file
        yield from extra.items()

    def url(self, logical: str) -> str:
        """The fingerprinted URL of a logical path ("fan/app.css")."""
        return self.url_of[logical]

    def import_map(self, app: str) -> str:
        """Plain URL -> fingerprinted URL of every module and catalog one app may load
        (its own folder plus the shared ones: other apps' files would only cost bytes)."""
        folders = (f"{app}/", *SHARED)
        imports = {
            PREFIX + logical: url
            for logical, url in sorted(self.url_of.items())
            if logical.endswith((".js", ".mjs", ".json")) and logical.startswith(folders)
        }
        return json.dumps({"imports": imports}, separators=(",", ":"))

    def _render(self, logical: str, html: str) -> Asset:
        def asset(match: re.Match[str]) -> str:
            # A missing file must not take the API down with it: the page gets the plain
            # URL (a 404 the browser reports) and the log says which shell asked for it.
            name = match.group(1)
            if name not in self.url_of:
                log.warning("%s refers to a missing asset %s", logical, name)
            return self.url_of.get(name, PREFIX + name)

        def config(match: re.Match[str]) -> str:
            return _attr(self.config.get(match.group(1), ""))

        html = _ASSET_REF.sub(asset, html)
        html = _CONFIG_REF.sub(config, html)
        app = logical.split("/", 1)[0]
        source = self.import_map(app)
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        self.inline_script_hashes.append(f"'sha256-{digest}'")
        importmap = f'<script type="importmap">{source}</script>'
        html = html.replace(IMPORTMAP_MARK, importmap)
        return Asset.of(html.encode(), MEDIA[".html"])

    def shell(self, app: str) -> Asset | None:
        return self.shells.get(f"{app}/index.html")

    def find(self, path: str) -> tuple[Asset, str] | None:
        """(asset, Cache-Control) of a path below /assets/, or None."""
        if path in self.hashed:
            return self.hashed[path], IMMUTABLE
        if path in self.plain:
            return self.plain[path], NO_CACHE
        return None


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def web_sources() -> dict[str, Path]:
    """Every app folder under app/web (fan, console, shared, vendor...)."""
    return {
        child.name: child
        for child in sorted(WEB_ROOT.iterdir())
        if child.is_dir() and child.name not in SKIP
    }


def build(config: Mapping[str, str]) -> Bundle:
    """The bundle of every web app with this page configuration (Stripe.js URL and key...)."""
    from app.web.docs import swagger_files

    return Bundle(web_sources(), config=config, extra_files=swagger_files())
