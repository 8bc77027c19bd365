"""HTTP routes of the web apps: fingerprinted assets, HTML shells and deep links (SPA fallback)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State

from app.core.errors import not_found
from app.web.assets import NO_CACHE, Asset, Bundle

# Paths that belong to the API and ops: an unknown one is a problem+json 404, never a page.
NOT_PAGES = ("api/", "schema", "health/", "metrics", "assets/")
# Mount point -> app folder; the longest match wins, "" is the fan app under /.
APPS = {"console": "console", "scan": "scan", "room": "room", "": "fan"}
# Service workers live at their app's mount point (a worker controls only pages below its own
# URL); both are the one shared worker, which reads its scope to know which shell to keep.
SERVICE_WORKERS = {"/sw.js": "shared/sw.js", "/scan/sw.js": "shared/sw.js"}
# A worker runs under its own script's policy: it fetches this origin's pages and assets only.
WORKER_CSP = "default-src 'none'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"


def _bundle(state: State) -> Bundle:
    bundle: Bundle = state.web
    return bundle


def _send(request: Request[Any, Any, Any], asset: Asset, cache_control: str) -> Response[bytes]:
    headers = {"Cache-Control": cache_control, "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    body, encoding = asset.encoded(request.headers.get("accept-encoding", ""))
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(body, media_type=asset.media_type, headers=headers)


@get("/assets/{path:path}", include_in_schema=False, sync_to_thread=False)
def asset(request: Request[Any, Any, Any], state: State, path: str) -> Response[bytes]:
    found = _bundle(state).find(path.lstrip("/"))
    if found is None:
        raise not_found("Asset")
    return _send(request, *found)


def app_of(path: str) -> str:
    """The app whose shell answers this page path ("/console/events/1" -> "console")."""
    first = path.strip("/").split("/", 1)[0]
    return APPS.get(first, APPS[""])


@get(list(SERVICE_WORKERS), include_in_schema=False, sync_to_thread=False)
def service_worker(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    found = _bundle(state).find(SERVICE_WORKERS[request.url.path])
    if found is None:
        raise not_found("Resource")
    # no-cache: the browser checks each worker for a new release on every visit.
    response = _send(request, found[0], NO_CACHE)
    response.headers["Content-Security-Policy"] = WORKER_CSP
    return response


@get(["/", "/{path:path}"], include_in_schema=False, sync_to_thread=False)
def page(request: Request[Any, Any, Any], state: State, path: str = "/") -> Response[bytes]:
    """Every page of an app is its one shell: the app routes on location.pathname."""
    if path.lstrip("/").startswith(NOT_PAGES):
        raise not_found("Resource")
    shell = _bundle(state).shell(app_of(path))
    if shell is None:
        raise not_found("Page")
    return _send(request, shell, NO_CACHE)


ROUTES = [asset, service_worker, page]
