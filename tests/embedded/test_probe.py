"""The Kafka ApiVersions probe that tells when a broker is ready, on the wire level."""

from __future__ import annotations

import struct

import pytest

from rounds.embedded.probe import BrokerNotAnswering, api_versions_request, check_api_versions_response

CORRELATION = 0x524E4453


def test_the_request_is_a_size_prefixed_api_versions_v0_request() -> None:
    request = api_versions_request()

    (size,) = struct.unpack_from(">i", request)
    api_key, api_version, correlation, client_len = struct.unpack_from(">hhih", request, 4)
    assert size == len(request) - 4
    assert (api_key, api_version, correlation) == (18, 0, CORRELATION)
    assert request[14 : 14 + client_len] == b"rounds-probe"


def test_an_answer_without_error_means_ready() -> None:
    check_api_versions_response(struct.pack(">ihi", CORRELATION, 0, 0))


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (struct.pack(">ihi", CORRELATION, 35, 0), "error code 35"),
        (struct.pack(">ihi", 7, 0, 0), "another request"),
        (b"\x00\x01", "short"),
    ],
)
def test_anything_else_is_not_ready(payload: bytes, complaint: str) -> None:
    with pytest.raises(BrokerNotAnswering, match=complaint):
        check_api_versions_response(payload)
