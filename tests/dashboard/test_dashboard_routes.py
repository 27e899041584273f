"""The dashboard's page and assets are served, and nothing else is."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rounds.dashboard import ASSET_PREFIX, dashboard_router


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(dashboard_router())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def test_the_root_opens_the_dashboard(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/dashboard"
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'src="{ASSET_PREFIX}/dashboard.js"' in page.text


@pytest.mark.parametrize(
    ("name", "media_type"), [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")]
)
async def test_assets_are_served_with_their_media_type(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await client.get(f"{ASSET_PREFIX}/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)


@pytest.mark.parametrize("name", ["missing.js", "..%2F__init__.py", "__init__.py", "%2Fetc%2Fpasswd"])
async def test_nothing_outside_the_assets_is_served(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"{ASSET_PREFIX}/{name}")
    assert response.status_code == 404
