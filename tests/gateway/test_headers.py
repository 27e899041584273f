"""Which headers cross the gateway, and the ones it adds; and how a gateway path becomes a service URL."""

from __future__ import annotations

import pytest

from gateway.headers import (
    downstream_response_headers,
    upstream_request_headers,
    without_hop_by_hop,
)
from gateway.proxy import upstream_url
from rounds.infra.request_log import accepted_request_id


def names(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [name for name, _ in headers]


def test_hop_by_hop_headers_are_dropped() -> None:
    headers = [
        (b"Connection", b"keep-alive"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Transfer-Encoding", b"chunked"),
        (b"TE", b"trailers"),
        (b"Upgrade", b"h2c"),
        (b"Proxy-Authorization", b"Basic c2VjcmV0"),
        (b"Content-Type", b"application/json"),
    ]
    assert without_hop_by_hop(headers) == [(b"content-type", b"application/json")]


def test_headers_named_by_connection_are_dropped_too() -> None:
    headers = [(b"connection", b"close, X-Hop-Secret"), (b"x-hop-secret", b"1"), (b"accept", b"*/*")]
    assert without_hop_by_hop(headers) == [(b"accept", b"*/*")]


def test_upstream_headers_carry_request_id_forwarding_chain_and_only_the_gateways_actor() -> None:
    incoming = [
        (b"host", b"api.rounds.example"),
        (b"x-forwarded-for", b"198.51.100.1"),
        (b"x-request-id", b"from-caller"),
        (b"x-forwarded-proto", b"gopher"),
        (b"x-forwarded-prefix", b"/v1/forged"),
        (b"authorization", b"Bearer abc"),
        (b"x-rounds-actor", b'{"role": "registered_manager"}'),
        (b"connection", b"keep-alive"),
    ]
    out = dict(
        upstream_request_headers(
            incoming,
            request_id="r-1",
            client_host="203.0.113.7",
            scheme="https",
            prefix="/v1/people",
            actor='{"sub":"u1","role":"care_worker"}',
        )
    )
    # The token stays at the gateway, and only the gateway says who the caller is.
    assert out == {
        b"x-rounds-actor": b'{"sub":"u1","role":"care_worker"}',
        b"x-request-id": b"r-1",
        b"x-forwarded-for": b"198.51.100.1, 203.0.113.7",
        b"x-forwarded-proto": b"https",
        b"x-forwarded-host": b"api.rounds.example",
        b"x-forwarded-prefix": b"/v1/people",
    }


def test_upstream_headers_keep_repeated_headers() -> None:
    incoming = [(b"accept", b"text/html"), (b"accept", b"application/json")]
    out = upstream_request_headers(incoming, request_id="r", client_host=None, scheme="http")
    assert [value for name, value in out if name == b"accept"] == [b"text/html", b"application/json"]
    assert b"x-forwarded-for" not in names(out)


def test_response_headers_lose_what_the_gateway_writes_itself() -> None:
    upstream = [
        (b"content-type", b"application/json"),
        (b"content-length", b"12"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"date", b"Mon, 01 Jan 2024 00:00:00 GMT"),
        (b"server", b"uvicorn"),
        (b"x-request-id", b"service-own"),
        (b"transfer-encoding", b"chunked"),
    ]
    assert downstream_response_headers(upstream) == [
        (b"content-type", b"application/json"),
        (b"content-length", b"12"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]


@pytest.mark.parametrize("offered", ["abc", "0b7c3c2e-4b0e-4f8e-9b1a-3c1f1a2b3c4d", "01HV5Z:span.7"])
def test_well_formed_request_ids_are_kept(offered: str) -> None:
    assert accepted_request_id(offered) == offered


@pytest.mark.parametrize("offered", [None, "", "has space", "x" * 129, "line\r\nbreak", "ünï"])
def test_missing_or_malformed_request_ids_are_replaced(offered: str | None) -> None:
    generated = accepted_request_id(offered)
    assert generated != offered
    assert len(generated) == 32
    assert accepted_request_id(generated) == generated


def test_service_url_keeps_encoded_characters_and_query() -> None:
    url = upstream_url(
        "http://people:8101", b"/v1/people/workers/a%2Fb", "people", "workers/a/b", b"x=1&y=%20"
    )
    assert str(url) == "http://people:8101/workers/a%2Fb?x=1&y=%20"


def test_service_url_joins_a_base_path() -> None:
    url = upstream_url("http://edge/people-api/", b"/v1/people/workers", "people", "workers", b"")
    assert str(url) == "http://edge/people-api/workers"


def test_service_url_honours_a_root_path_in_front_of_the_gateway() -> None:
    url = upstream_url("http://people:8101", b"/api/v1/people/workers/1", "people", "workers/1", b"")
    assert str(url) == "http://people:8101/workers/1"


def test_service_url_falls_back_to_the_decoded_path() -> None:
    url = upstream_url("http://people:8101", None, "people", "workers/Ann Smith", b"")
    assert str(url) == "http://people:8101/workers/Ann%20Smith"
