"""Asks a Kafka-protocol broker whether it answers, with no Kafka client library.

An ApiVersions request is the first thing every Kafka client sends, so a broker that answers it with
no error is ready for clients. Plain sockets keep the check usable from sync code (pytest fixtures)
and from a running event loop alike, which a client library bound to asyncio is not.
"""

from __future__ import annotations

import asyncio
import socket
import struct

_API_VERSIONS_KEY = 18
_CLIENT_ID = b"rounds-probe"
_CORRELATION_ID = 0x524E4453  # "RNDS": any value the broker echoes back


class BrokerNotAnswering(Exception):
    """The address accepted a connection, or not, but did not answer as a Kafka broker."""


def api_versions_request() -> bytes:
    """An ApiVersions v0 request, size-prefixed, as it goes on the wire (request header v1, no body)."""
    header = struct.pack(">hhih", _API_VERSIONS_KEY, 0, _CORRELATION_ID, len(_CLIENT_ID)) + _CLIENT_ID
    return struct.pack(">i", len(header)) + header


def check_api_versions_response(payload: bytes) -> None:
    """Accept an ApiVersions v0 response body (the bytes after the size); raise when it is not one."""
    if len(payload) < 6:
        raise BrokerNotAnswering(f"short ApiVersions response ({len(payload)} bytes)")
    correlation_id, error_code = struct.unpack_from(">ih", payload)
    if correlation_id != _CORRELATION_ID:
        raise BrokerNotAnswering(f"ApiVersions response for another request (correlation {correlation_id})")
    if error_code != 0:
        raise BrokerNotAnswering(f"ApiVersions answered with Kafka error code {error_code}")


def _response_size(prefix: bytes) -> int:
    size: int = struct.unpack(">i", prefix)[0]
    if not 0 < size < 1 << 20:
        raise BrokerNotAnswering(f"implausible response size {size}: is this a Kafka broker?")
    return size


def probe(host: str, port: int, timeout: float = 1.0) -> None:
    """Send ApiVersions to ``host:port`` and check the answer; raises OSError or BrokerNotAnswering."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(api_versions_request())
        reader = conn.makefile("rb")
        prefix = reader.read(4)
        if len(prefix) < 4:
            raise BrokerNotAnswering("connection closed before an ApiVersions response")
        payload = reader.read(_response_size(prefix))
        check_api_versions_response(payload)


async def probe_async(host: str, port: int, timeout: float = 1.0) -> None:
    """:func:`probe` for a running event loop, without blocking it."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(api_versions_request())
            await writer.drain()
            try:
                prefix = await reader.readexactly(4)
                payload = await reader.readexactly(_response_size(prefix))
            except asyncio.IncompleteReadError as exc:
                raise BrokerNotAnswering("connection closed before an ApiVersions response") from exc
            check_api_versions_response(payload)
        finally:
            writer.close()
            await writer.wait_closed()
