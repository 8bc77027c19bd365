"""The API docs page (Swagger UI) served from the package, never from a CDN."""

from __future__ import annotations

from pathlib import Path

from litestar.openapi.plugins import OpenAPIRenderPlugin, SwaggerRenderPlugin

from app.web.assets import Bundle

FILES = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")


def swagger_files() -> dict[str, Path]:
    """Logical asset path -> file of the Swagger UI shipped by swagger-ui-bundle-v2."""
    import swagger_ui_bundle

    folder = Path(swagger_ui_bundle.swagger_ui_path)
    return {f"docs/{name}": folder / name for name in FILES if (folder / name).is_file()}


def render_plugins(bundle: Bundle) -> list[OpenAPIRenderPlugin]:
    """Swagger UI at /schema and /schema/swagger, its scripts from /assets/docs/."""
    if "docs/swagger-ui-bundle.js" not in bundle.url_of:
        return []
    return [
        SwaggerRenderPlugin(
            path=["/", "/swagger"],
            js_url=bundle.url("docs/swagger-ui-bundle.js"),
            css_url=bundle.url("docs/swagger-ui.css"),
            standalone_preset_js_url=bundle.url("docs/swagger-ui-standalone-preset.js"),
            favicon="<link rel='icon' href='data:,'>",
        )
    ]
