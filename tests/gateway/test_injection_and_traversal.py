"""SQL injection and path traversal through the gateway, in front of the real people service.

The people service runs on a real socket on a fresh database of each kind (SQLite and Postgres)
behind a gateway with the production access policy (``ROUTE_RULES``). Injection strings go in path
parameters, query parameters (filters and cursors) and JSON string fields; traversal attempts go as
raw request targets straight to the gateway's ASGI app, because HTTP clients (httpx included)
remove dot segments before sending, and an attacker's client does not.

What must hold: no 5xx; an injected filter matches nothing rather than everything; injected strings
are data, stored and read back unchanged; traversal is a 4xx and never a file from outside the
static folders nor another route's data.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from fastapi import FastAPI

from gateway.policy import ROUTE_RULES
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.people.api.common import encode_cursor
from services.people.main import create_app as create_people_app
from services.people.settings import PeopleSettings
from tests.gateway.conftest import gateway_for, stand_ins  # noqa: F401 - fixtures used by name
from tests.gateway.standins import GatewayFactory, RunningGateway, ServerThread, listening_socket

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HOME = {"lat": 54.0, "lon": -1.5}

#: Classic payloads for string-built SQL: tautologies, stacked statements, unions, comments, quotes.
INJECTIONS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "Harrogate' OR 'x'='x",
    "Robert'); DROP TABLE workers;--",
    '" OR ""="',
    "1; SELECT pg_sleep(5) --",
    "' UNION SELECT id, given_name, family_name FROM individuals --",
    "%' OR locality LIKE '%",
    "\\'; --",
]


def worker_body(given: str, family: str, locality: str = "Harrogate") -> dict[str, Any]:
    return {
        "given_name": given, "family_name": family, "role": "care_worker", "locality": locality,
        "contracted_hours_per_week": 30, "start_date": "2026-01-05",
    }  # fmt: skip


def individual_body(given: str, family: str) -> dict[str, Any]:
    return {
        "given_name": given, "family_name": family, "locality": "Harrogate", "date_of_birth": "1936-02-11",
        "address": {"lines": ["1 Station Road"], "postcode": "HG1 1AA", "location": HOME},
    }  # fmt: skip


@pytest.fixture
def people_url(database_url: str) -> Iterator[str]:
    """The people service on a real socket (no broker: its consumer and relay are not started)."""
    upgrade_head("people", database_url)
    settings = PeopleSettings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:9")
    sock = listening_socket()
    server = ServerThread(create_people_app(settings, FrozenClock(NOW)), sock)
    server.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.stop()


@dataclass
class Platform:
    """The gateway, and the records the people service holds before the test sends anything."""

    gateway: RunningGateway
    workers: list[dict[str, Any]]
    individual: dict[str, Any]


@pytest.fixture
async def platform(gateway_for: GatewayFactory, people_url: str) -> AsyncIterator[Platform]:  # noqa: F811
    async with gateway_for(service_urls={"people": people_url}, route_rules=ROUTE_RULES) as gateway:
        workers = []
        for given, family in (("Asha", "Patel"), ("Ben", "Hughes")):
            created = await gateway.client.post("/v1/people/workers", json=worker_body(given, family))
            assert created.status_code == 201, created.text
            workers.append(created.json())
        individual = await gateway.client.post(
            "/v1/people/individuals", json=individual_body("Mary", "Jones")
        )
        assert individual.status_code == 201, individual.text
        yield Platform(gateway, workers, individual.json())


def assert_not_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.url} -> {response.status_code}: {response.text}"


# --- JSON string fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_injected_names_are_stored_verbatim_and_read_back_unchanged(
    platform: Platform, payload: str
) -> None:
    client = platform.gateway.client
    created = await client.post("/v1/people/workers", json=worker_body(payload, f"{payload} Smith"))
    assert created.status_code == 201, created.text
    read = await client.get(f"/v1/people/workers/{created.json()['id']}")
    assert read.status_code == 200, read.text
    assert (read.json()["given_name"], read.json()["family_name"]) == (payload, f"{payload} Smith")

    individual = await client.post("/v1/people/individuals", json=individual_body(payload, payload))
    assert individual.status_code == 201, individual.text
    back = await client.get(f"/v1/people/individuals/{individual.json()['id']}")
    assert (back.json()["given_name"], back.json()["family_name"]) == (payload, payload)

    # The tables are still there and still hold what they held (no stacked DROP, no rewrite).
    listed = await client.get("/v1/people/workers", params={"locality": "Harrogate", "limit": 500})
    assert listed.status_code == 200, listed.text
    names = {(w["given_name"], w["family_name"]) for w in listed.json()}
    assert names == {("Asha", "Patel"), ("Ben", "Hughes"), (payload, f"{payload} Smith")}


# --- query parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_an_injected_locality_filter_matches_nothing(platform: Platform, payload: str) -> None:
    client = platform.gateway.client  # a registered manager: every locality is theirs to read
    for path in ("/v1/people/workers", "/v1/people/individuals"):
        response = await client.get(path, params={"locality": payload})
        assert response.status_code == 200, response.text
        assert response.json() == [], f"{path}?locality={payload!r} returned records"

    # A coordinator of Harrogate naming an injected locality: refused, or nothing; never Harrogate's.
    coordinator = platform.gateway.as_("coordinator", localities=["Harrogate"])
    for path in ("/v1/people/workers", "/v1/people/individuals"):
        response = await client.get(path, params={"locality": payload}, headers=coordinator)
        assert_not_server_error(response)
        assert response.status_code == 403 or response.json() == [], response.text


@pytest.mark.parametrize("payload", [*INJECTIONS, "%", "_", "%%", "\\"])
async def test_an_injected_name_search_matches_only_literally(platform: Platform, payload: str) -> None:
    for path in ("/v1/people/workers", "/v1/people/individuals"):
        response = await platform.gateway.client.get(path, params={"name": payload})
        assert response.status_code == 200, response.text
        assert response.json() == [], f"{path}?name={payload!r} matched records it does not contain"


@pytest.mark.parametrize(
    "cursor",
    [
        *INJECTIONS,
        encode_cursor(["' OR 1=1 --", "' OR 1=1 --", "' OR 1=1 --"]),
        encode_cursor(["Hughes", "Ben", "00000000-0000-0000-0000-000000000000' OR '1'='1"]),
        encode_cursor(["' OR 1=1 --", 1, None]),
    ],
)
async def test_an_injected_cursor_is_a_problem_or_a_bounded_page(platform: Platform, cursor: str) -> None:
    client = platform.gateway.client
    for path in ("/v1/people/workers", "/v1/people/individuals"):
        response = await client.get(path, params={"cursor": cursor})
        assert_not_server_error(response)
        if response.status_code == 200:
            # A cursor is only a position: it may start a page anywhere, never widen one.
            everything = (await client.get(path, params={"limit": 500})).json()
            assert len(response.json()) <= len(everything)
        else:
            assert response.status_code in (400, 422), response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert "query.cursor" in response.text


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_injected_path_parameters_are_refused_or_not_found(platform: Platform, payload: str) -> None:
    client = platform.gateway.client
    segment = quote(payload, safe="")
    for path in (
        f"/v1/people/workers/{segment}",
        f"/v1/people/individuals/{segment}",
        f"/v1/people/individuals/{segment}/key-people",
        f"/v1/people/localities/{segment}/on-call",
        f"/v1/people/fhir/Patient/{segment}",
    ):
        response = await client.get(path)
        assert_not_server_error(response)
        assert response.status_code in (400, 403, 404, 422), f"{path}: {response.status_code} {response.text}"
        for worker in platform.workers:
            assert worker["id"] not in response.text


async def test_an_injected_audit_filter_matches_nothing_and_the_trail_keeps_it_verbatim(
    platform: Platform,
) -> None:
    client = platform.gateway.client
    payload = "' OR 1=1 --"
    asked = await client.get("/v1/people/workers", params={"locality": payload})
    assert asked.status_code == 200
    for name in ("actor", "worker_id", "individual_id", "service"):
        response = await client.get("/v1/audit/records", params={name: payload})
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [], f"audit ?{name}={payload!r} matched records"
    refused = await client.get("/v1/audit/records", params={"cursor": "1 OR 1=1"})
    assert refused.status_code == 422, refused.text
    trail = (await client.get("/v1/audit/records", params={"service": "people"})).json()["items"]
    [entry] = [r for r in trail if r["path"].startswith("/v1/people/workers?")]
    assert entry["locality"] == payload  # whose data: the locality as asked, stored as data
    assert unquote(entry["path"].split("locality=", 1)[1].replace("+", " ")) == payload


# --- traversal --------------------------------------------------------------------------------------


async def raw_request(app: FastAPI, target: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """``GET target`` to the ASGI app exactly as a server would pass it (no dot-segment removal)."""
    raw_path, _, query = target.partition(b"?")
    pairs = headers.items()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": unquote(raw_path.decode("latin-1")), "raw_path": raw_path,
        "query_string": query, "root_path": "", "client": ("203.0.113.7", 50000),
        "server": ("gateway.test", 80),
        "headers": [(b"host", b"gateway.test"), *((k.lower().encode(), v.encode()) for k, v in pairs)],
    }  # fmt: skip
    status, body = 0, b""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    await app(scope, receive, send)
    return status, body


#: Requests for files or routes outside what the target's path names.
TRAVERSALS = [
    b"/dashboard/../../pyproject.toml",
    b"/dashboard/../../../../etc/passwd",
    b"/dashboard/%2e%2e/%2e%2e/pyproject.toml",
    b"/dashboard/assets/../../../pyproject.toml",
    b"/dashboard/assets/..%2F..%2F..%2Fpyproject.toml",
    b"/dashboard/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpyproject.toml",
    b"/dashboard/assets/..%252f..%252f..%252fpyproject.toml",
    b"/dashboard/assets/....//....//pyproject.toml",
    b"/dashboard/assets/%2e%2e%5c%2e%2e%5cpyproject.toml",
    b"/docs/assets/../../../../pyproject.toml",
    b"/docs/assets/..%2F..%2F..%2F..%2Fpyproject.toml",
    b"/docs/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    b"/%2e%2e/%2e%2e/pyproject.toml",
    b"/internal",
    b"/v1/../internal",
    b"/v1/people/../../internal",
    b"/v1/people/%2e%2e/rota/packages",
    b"/v1/people/..%2Frota%2Fpackages",
    b"/v1/people/..%252f..%252finternal",
    b"/v1/people/workers/../individuals",
    b"/v1/people/workers/%2e%2e/individuals",
    b"/v1/people/healthz",
    b"/v1/people/readyz",
    b"/v1/people/openapi.json",
    b"/v1/people/docs",
    b"/v1/people/./workers",
    b"/v1/people//workers",
]

#: Text of files outside the static folders, and of the records behind the routes being dodged.
LEAKS = [b"[project]", b"root:", b"Asha", b"Mary", b"Patel"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_raw_requests_reach_the_static_files_and_the_services(platform: Platform) -> None:
    """The control for the traversal cases: the same raw requests, in their plain form, are served."""
    headers = {"Authorization": platform.gateway.client.headers["Authorization"]}
    status, body = await raw_request(platform.gateway.app, b"/dashboard/assets/dashboard.js", headers)
    assert status == 200
    assert body
    status, body = await raw_request(platform.gateway.app, b"/v1/people/workers?locality=Harrogate", headers)
    assert status == 200
    assert b"Asha" in body


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the gateway's rule, not the store's
async def test_traversal_is_refused_and_never_reads_outside(platform: Platform) -> None:
    headers = {"Authorization": platform.gateway.client.headers["Authorization"]}
    failures = []  # every target is tried on one platform; the message lists each one that got through
    for target in TRAVERSALS:
        status, body = await raw_request(platform.gateway.app, target, headers)
        if status not in (400, 403, 404, 405):
            failures.append(f"{target!r} -> {status}: {body[:300]!r}")
        failures += [f"{target!r} answered with {leak!r}" for leak in LEAKS if leak in body]
    assert failures == []


async def test_a_care_worker_cannot_climb_out_of_their_own_record(platform: Platform) -> None:
    """``/workers/<own id>/..`` matches the care worker's own-record rule; it must not reach others."""
    own = platform.workers[0]["id"]
    headers = {
        "Authorization": platform.gateway.as_("care_worker", subject="u-1", worker_id=own)["Authorization"]
    }
    for tail in (
        b"/../../individuals",
        b"/%2e%2e/%2e%2e/individuals",
        b"/x/..%2F..%2F..%2Findividuals",
        b"/..%2F" + platform.workers[1]["id"].encode(),
        b"/..%252f..%252findividuals",
        b"%2F..%2F" + platform.workers[1]["id"].encode(),
    ):
        target = b"/v1/people/workers/" + own.encode() + tail
        status, body = await raw_request(platform.gateway.app, target, headers)
        assert status in (400, 403, 404, 422), f"{target!r} -> {status}: {body[:300]!r}"
        assert b"Mary" not in body, body[:300]
        assert b"Hughes" not in body, body[:300]
    # The route itself works for them, so the refusals above are about the path, not the token.
    status, body = await raw_request(platform.gateway.app, b"/v1/people/workers/" + own.encode(), headers)
    assert status == 200
    assert json.loads(body)["id"] == own
