"""The ``/docs`` page: Swagger UI served by the app itself, a CDN only as the fallback.

The Swagger UI files come from the ``swagger-ui-bundle-v2`` distribution (import name
``swagger_ui_bundle``), a dependency of khorsyio: the page then works offline. When no
bundle of Swagger UI 5 or later is installed (``--no-deps``, or the older
``swagger-ui-bundle`` 1.x, Swagger UI 4, which cannot show OpenAPI 3.1), the page loads
Swagger UI from a CDN instead and logs that once.
"""

from __future__ import annotations

import functools
import html
import importlib.resources
import json
import logging
import re
from collections.abc import Callable, Coroutine
from importlib.resources.abc import Traversable
from typing import Any

from khorsyio.http.request import Request
from khorsyio.http.response import Response, Send
from khorsyio.http.routes import Route

__all__ = [
    "ASSETS_PATH",
    "CDN_URL",
    "asset_routes",
    "docs_page",
    "local_assets",
]

log = logging.getLogger("khorsyio.http")

ASSETS_PATH = "/docs/assets"
"""Where the app serves the Swagger UI files (``/docs/assets/swagger-ui-bundle.js``...)."""
CDN_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
"""Where the page loads Swagger UI from when no local bundle is installed."""

_MIN_MAJOR = 5  # Swagger UI 5 is the first to render OpenAPI 3.1
_FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_CACHE = {"cache-control": "public, max-age=86400"}


class LocalAssets:
    """The installed Swagger UI files: their ``version`` and ``read(name)``."""

    def __init__(self, root: Traversable, version: str) -> None:
        self.root = root
        self.version = version
        self._bytes: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        """The file's bytes, read on first use and then kept (about 1.7 MB in all)."""
        data = self._bytes.get(name)
        if data is None:
            data = self._bytes[name] = self.root.joinpath(name).read_bytes()
        return data


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


@functools.cache
def local_assets() -> LocalAssets | None:
    """The newest installed Swagger UI (5 or later) with every file the page uses, or None."""
    try:
        vendor = importlib.resources.files("swagger_ui_bundle").joinpath("vendor")
        dirs = [d for d in vendor.iterdir() if d.is_dir()] if vendor.is_dir() else []
    except (ImportError, OSError):
        return None
    found: list[tuple[tuple[int, ...], LocalAssets]] = []
    for d in dirs:
        m = re.fullmatch(r"swagger-ui-(\d+(?:\.\d+)*)", d.name)
        if m is None:
            continue
        key = _version_key(m.group(1))
        if key[0] >= _MIN_MAJOR and all(d.joinpath(f).is_file() for f in _FILES):
            found.append((key, LocalAssets(d, m.group(1))))
    if not found:
        return None
    return max(found, key=lambda kv: kv[0])[1]


def _asset_handler(
    name: str, content_type: str
) -> Callable[[Request, Send], Coroutine[Any, Any, None]]:
    async def serve_asset(req: Request, send: Send) -> None:
        assets = local_assets()
        if assets is None:  # uninstalled while running: say so plainly
            await Response.error(send, "Swagger UI is not installed", 404, code="not_found")
            return
        await Response.raw(send, assets.read(name), content_type=content_type, headers=_CACHE)

    return serve_asset


def asset_routes() -> list[Route]:
    """The routes serving the local Swagger UI files; none when the bundle is absent."""
    assets = local_assets()
    if assets is None:
        log.info(
            "/docs loads Swagger UI from %s (no local bundle: pip install swagger-ui-bundle-v2)",
            CDN_URL,
        )
        return []
    return [
        Route("GET", f"{ASSETS_PATH}/{name}", _asset_handler(name, ct), include_in_schema=False)
        for name, ct in _FILES.items()
    ]


def docs_page(openapi_url: str, title: str, *, local: bool | None = None) -> str:
    """The HTML of ``/docs``: Swagger UI from ``ASSETS_PATH``, or from the CDN without it.

    ``local`` forces one or the other; by default the local files are used when installed.
    """
    if local is None:
        local = local_assets() is not None
    base = ASSETS_PATH if local else CDN_URL
    b = html.escape(base, quote=True)
    t = html.escape(title)
    u = html.escape(openapi_url, quote=True)
    # JSON in a <script>: escape "<" so the URL cannot close the element
    config = json.dumps(
        {
            "url": openapi_url,
            "dom_id": "#swagger-ui",
            "deepLinking": True,
            "validatorUrl": None,  # the default badge asks a validator on the internet
        }
    ).replace("<", "\\u003c")
    icon = f'<link rel="icon" type="image/png" href="{b}/favicon-32x32.png">\n' if local else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} - API docs</title>
{icon}<link rel="stylesheet" href="{b}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{b}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({config});
</script>
<noscript>The interactive docs need JavaScript; the document itself is at
<a href="{u}">{u}</a>.</noscript>
</body>
</html>
"""
