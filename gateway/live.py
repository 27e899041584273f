"""The live stream for the operations dashboard: visit and alert changes as one server-sent event stream.

Decision (issue 8): the gateway **relays the services' own streams** rather than reading Kafka itself.
The visits service (``/live``) and the alerts service (``/alerts/stream``) already keep their changes
in their databases with a position each, apply their own access rules (only they know an alert's or
a visit's locality) and resume from ``Last-Event-ID``. Reading Kafka in the gateway would have meant
a second copy of those rules, a broker dependency for the front door, and resumption from an
in-memory buffer that a restart loses. Relaying keeps one owner per rule and makes reconnection
exact: the stream's event id carries both positions (``v<visits position>.a<alerts position>``), so
a browser's ``EventSource`` reconnects with ``Last-Event-ID`` and misses nothing from either.

One upstream that ends (the alerts stream closes itself every few minutes) or fails is reopened from
its last position; while it is away the caller gets one ``unavailable`` event naming it, and the other
keeps flowing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from gateway.headers import ACTOR_HEADER
from rounds.infra.request_log import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

# Where each relayed stream lives in its service, and how its events are named on the way out.
VISITS, ALERTS = "visits", "alerts"
UPSTREAM_PATHS = {VISITS: "/live", ALERTS: "/alerts/stream"}
HEARTBEAT_SECONDS = 15.0
RECONNECT_SECONDS = 1.0
# Upstreams send a comment at least every 15 s, so silence this long means the connection is dead.
UPSTREAM_READ_TIMEOUT = 45.0

DONE = "done"  # a reader's last word: its service refused the stream for good
_LAST_EVENT_ID = re.compile(r"v(\d{1,18})\.a(\d{1,18})")


@dataclass
class Positions:
    """How far the caller has seen each upstream; ``None`` means from now."""

    visits: int | None = None
    alerts: int | None = None

    @classmethod
    def parse(cls, last_event_id: str | None) -> Positions:
        """Positions from a ``Last-Event-ID`` this stream sent; anything else means from now."""
        match = _LAST_EVENT_ID.fullmatch(last_event_id or "")
        if match is None:
            return cls()
        return cls(int(match.group(1)), int(match.group(2)))

    def event_id(self) -> str:
        """The id that resumes both upstreams from here."""
        return f"v{self.visits or 0}.a{self.alerts or 0}"


@dataclass(frozen=True)
class SseEvent:
    """One event from an upstream stream."""

    source: str
    id: int | None
    event: str
    data: str


async def parse_sse(lines: AsyncIterator[str], source: str) -> AsyncIterator[SseEvent]:
    """Server-sent events from ``lines`` (the text/event-stream format; comments skipped)."""
    event_id: int | None = None
    name, data = "message", list[str]()
    async for line in lines:
        if line == "":
            if data:
                yield SseEvent(source, event_id, name, "\n".join(data))
            event_id, name, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id" and value.isdigit():
            event_id = int(value)
        elif field == "event":
            name = value
        elif field == "data":
            data.append(value)


def format_event(event_id: str, name: str, data: str) -> bytes:
    """One server-sent event."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"id: {event_id}\nevent: {name}\n{lines}\n".encode()


class LiveRelay:
    """Opens the upstream streams for one caller and merges them."""

    def __init__(
        self, client: httpx.AsyncClient, service_urls: dict[str, str], connect_timeout: float
    ) -> None:
        self._client = client
        self._urls = service_urls
        self._timeout = httpx.Timeout(UPSTREAM_READ_TIMEOUT, connect=connect_timeout)
        # Streams open per subject: each holds two upstream connections, so a caller gets a few only.
        self._open: dict[str, int] = {}

    def open_for(self, subject: str) -> int:
        """How many streams ``subject`` has open on this gateway."""
        return self._open.get(subject, 0)

    async def stream(
        self,
        *,
        subject: str,
        actor_header: str,
        request_id: str,
        locality: str | None,
        positions: Positions,
        seconds: float,
    ) -> AsyncIterator[bytes]:
        """The merged stream for ``seconds``, from ``positions``; ``locality`` narrows both upstreams."""
        queue: asyncio.Queue[SseEvent] = asyncio.Queue(maxsize=1000)
        headers = {ACTOR_HEADER: actor_header, REQUEST_ID_HEADER: request_id, "Accept": "text/event-stream"}
        readers = [
            asyncio.create_task(self._follow(source, headers, locality, positions, queue))
            for source in (VISITS, ALERTS)
        ]
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        finished = 0
        self._open[subject] = self._open.get(subject, 0) + 1
        try:
            yield f"retry: {int(RECONNECT_SECONDS * 1000)}\n\n".encode()
            while (left := until - loop.time()) > 0:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=min(left, HEARTBEAT_SECONDS))
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if event.source == DONE:
                    finished += 1
                    if finished == len(readers):
                        return  # nothing more can come: the caller may reconnect later
                    continue
                if event.source == "gateway":
                    yield format_event(positions.event_id(), event.event, event.data)
                    continue
                if event.source == ALERTS and locality is not None and not _in_locality(event.data, locality):
                    positions.alerts = event.id if event.id is not None else positions.alerts
                    continue
                if event.id is not None:
                    setattr(positions, event.source, event.id)
                name = event.event if event.source == VISITS else f"alert.{event.event}"
                yield format_event(positions.event_id(), name, event.data)
        finally:
            self._open[subject] -= 1
            if not self._open[subject]:
                del self._open[subject]
            for reader in readers:
                reader.cancel()
            for reader in readers:
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _follow(
        self,
        source: str,
        headers: dict[str, str],
        locality: str | None,
        positions: Positions,
        queue: asyncio.Queue[SseEvent],
    ) -> None:
        """Read ``source``'s stream into ``queue`` for as long as the caller listens, reopening it."""
        reported_away = False
        while True:
            position = getattr(positions, source)
            params = {"locality": locality} if source == VISITS and locality else {}
            if source == ALERTS:
                params["seconds"] = "3600"
            wanted = {**headers, **({"Last-Event-ID": str(position)} if position is not None else {})}
            url = self._urls[source] + UPSTREAM_PATHS[source]
            try:
                async with self._client.stream(
                    "GET", url, params=params, headers=wanted, timeout=self._timeout
                ) as response:
                    if response.status_code != 200:
                        body = (await response.aread())[:300].decode("utf-8", "replace")
                        raise UpstreamRefused(
                            response.status_code, f"{source} answered {response.status_code}: {body}"
                        )
                    reported_away = False
                    async for event in parse_sse(response.aiter_lines(), source):
                        await queue.put(event)
            except (httpx.HTTPError, UpstreamRefused) as exc:
                log.warning("live stream from %s interrupted: %r", source, exc)
                refused = isinstance(exc, UpstreamRefused) and 400 <= exc.status < 500
                if not reported_away or refused:
                    reported_away = True
                    detail = json.dumps({"service": source, "detail": str(exc)[:300]})
                    await queue.put(SseEvent("gateway", None, "unavailable", detail))
                if refused:
                    # The service will not change its mind by being asked again.
                    await queue.put(SseEvent(DONE, None, source, ""))
                    return
            await asyncio.sleep(RECONNECT_SECONDS)


class UpstreamRefused(Exception):
    """The service answered the stream request with something other than 200."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _in_locality(data: str, locality: str) -> bool:
    try:
        payload = json.loads(data)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("locality") == locality
