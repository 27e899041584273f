"""The operations dashboard: one page and its assets, served by the gateway at ``/``.

It is a static, dependency-free page (no build step, no CDN, so it works offline and under a strict
Content-Security-Policy): it calls the gateway's public API with the user's bearer token, exactly as a
partner app would, so what each role sees follows the gateway's one access policy.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

STATIC = Path(str(files(__name__) / "static"))
ASSET_PREFIX = "/dashboard/assets"
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}


def dashboard_router() -> APIRouter:
    """Routes for the page (``/`` and ``/dashboard``) and its assets; none of them hold personal data."""
    router = APIRouter(include_in_schema=False)
    # The assets are known when the gateway starts; a name not among them is a 404 (no traversal).
    assets = {path.name: path for path in STATIC.iterdir() if path.suffix in _MEDIA_TYPES}
    no_cache = {"Cache-Control": "no-cache"}

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/dashboard", status_code=307)

    @router.get("/dashboard")
    async def page() -> FileResponse:
        return FileResponse(
            STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
        )

    @router.get(ASSET_PREFIX + "/{name}")
    async def asset(name: str) -> FileResponse:
        path = assets.get(name)
        if path is None:
            raise HTTPException(status_code=404, detail=f"No dashboard asset called {name!r}.")
        return FileResponse(path, media_type=_MEDIA_TYPES[path.suffix], headers=no_cache)

    return router
