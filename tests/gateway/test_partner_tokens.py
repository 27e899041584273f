"""Partner systems get tokens with OAuth2 client credentials and read only within their scopes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gateway.partners import add_client, hash_secret, load_clients, main, secret_matches
from tests.gateway.standins import GatewayFactory

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"


def test_secrets_are_stored_as_salted_hashes_only(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    secret = add_client(path, "harrogate-council", ["schedules:read"], "acme-care")
    stored = path.read_text()
    assert secret not in stored
    assert path.stat().st_mode & 0o777 == 0o600
    client = load_clients(path)["harrogate-council"]
    assert secret_matches(secret, client.secret_hash)
    assert not secret_matches(secret + "x", client.secret_hash)
    assert hash_secret(secret) != client.secret_hash  # a fresh salt each time


def test_unknown_scopes_are_refused_when_adding_a_client(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scopes"):
        add_client(tmp_path / "c.json", "x", ["everything"], "acme-care")


def test_the_partners_command_prints_the_secret_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.json"
    code = main(
        [
            "add",
            "--client-id",
            "payroll",
            "--provider",
            "acme-care",
            "--scope",
            "workers:read",
            "--file",
            str(path),
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert secret_matches(printed["client_secret"], load_clients(path)["payroll"].secret_hash)


async def test_a_partner_gets_a_token_and_reads_a_schedule_within_its_scope(
    gateway_for: GatewayFactory, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.json"
    secret = add_client(clients, "harrogate-council", ["schedules:read"], "acme-care")
    async with gateway_for(partner_clients_file=clients, provider_id="acme-care") as gw:
        response = await gw.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "harrogate-council",
                "client_secret": secret,
            },
            headers={"Authorization": ""},
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        issued = response.json()
        assert issued["token_type"] == "Bearer"
        assert issued["scope"] == "schedules:read"
        assert issued["expires_in"] == 3600
        partner = {"Authorization": f"Bearer {issued['access_token']}"}

        schedule = await gw.client.get("/v1/rota/workers/w1", headers=partner)
        assert schedule.status_code == 200, schedule.text
        # people's worker records need workers:read, which this client does not have
        record = await gw.client.get("/v1/people/workers/w1", headers=partner)
        assert record.status_code == 403
        assert "workers:read" in record.json()["detail"]


async def test_http_basic_client_authentication_works_too(
    gateway_for: GatewayFactory, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.json"
    secret = add_client(clients, "payroll", ["workers:read"], "acme-care")
    basic = base64.b64encode(f"payroll:{secret}".encode()).decode()
    async with gateway_for(partner_clients_file=clients) as gw:
        response = await gw.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "payroll", "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "client_id": "payroll", "client_secret": "x"},
            400,
            "unsupported_grant_type",
        ),
        ({"grant_type": "client_credentials"}, 400, "invalid_request"),
    ],
)
async def test_bad_token_requests_get_oauth_errors_as_problems(
    gateway_for: GatewayFactory, tmp_path: Path, form: dict[str, str], status: int, error: str
) -> None:
    clients = tmp_path / "clients.json"
    add_client(clients, "payroll", ["workers:read"], "acme-care")
    async with gateway_for(partner_clients_file=clients) as gw:
        response = await gw.client.post("/oauth/token", data=form, headers={"Authorization": ""})
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["error"] == error


async def test_a_partner_cannot_ask_for_scopes_it_was_not_given(
    gateway_for: GatewayFactory, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.json"
    secret = add_client(clients, "payroll", ["workers:read"], "acme-care")
    async with gateway_for(partner_clients_file=clients) as gw:
        response = await gw.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "payroll",
                "client_secret": secret,
                "scope": "workers:read visits:write",
            },
            headers={"Authorization": ""},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"


async def test_a_partner_of_another_provider_is_refused_everything(gateway_for: GatewayFactory) -> None:
    async with gateway_for(provider_id="acme-care") as gw:
        other = gw.as_("partner_system", scope="schedules:read", provider="other-care")
        response = await gw.client.get("/v1/rota/workers/w1", headers=other)
        assert response.status_code == 403
        assert "provider" in response.json()["detail"]
