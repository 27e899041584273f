"""Playing the compressed day through the gateway: each worker's app sends its records when they fall due.

Each (visit, worker) chain is one app's records for one visit, sent in order (a check-out needs its
check-in), each no earlier than its due time on the compressed clock. Requests share ``connections``
HTTP connections; when the platform is slower than the day, records queue in the apps and go late,
as a real app's would behind a slow server (the monitor then sees late check-ins: that is measured,
not hidden). An answer the service cannot give yet (404/403/409 while its state catches up, 429,
5xx) is retried for up to a minute, as the simulator's apps do.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from rounds.auth.issuer import SigningKey, mint_token
from rounds.bench._day_script import Send
from rounds.bench._ingest_load import Clients

RETRY_STATUSES = frozenset({403, 404, 409, 429, 502, 503, 504})
RETRY_SECONDS = 60.0


@dataclass
class Played:
    """What the apps sent and what the gateway answered."""

    sent: Counter[str] = field(default_factory=Counter)
    accepted: set[str] = field(default_factory=set)
    replayed: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    late_s: list[float] = field(default_factory=list)
    first_sent: float | None = None
    last_answer: float | None = None
    #: Records with a final answer (accepted, replayed or refused).
    answered: int = 0


class Apps:
    """The workers' apps of the day, tokens minted once per worker."""

    def __init__(
        self, client: Clients, connections: int, key: SigningKey, started: float, advance: Callable[[], None]
    ) -> None:
        self._client = client
        # At most one request per connection in flight: the others wait in their apps, not in a pool
        # that would time them out.
        self._limit = asyncio.Semaphore(connections)
        self._key = key
        self._tokens: dict[str, dict[str, str]] = {}
        self._started = started
        self._advance = advance
        self.played = Played()

    def _headers(self, worker: str) -> dict[str, str]:
        headers = self._tokens.get(worker)
        if headers is None:
            token = mint_token(
                self._key, subject=worker, role="care_worker", worker_id=worker, ttl=timedelta(hours=24)
            )
            headers = self._tokens[worker] = {"authorization": f"Bearer {token}"}
        return headers

    async def _send(self, send: Send) -> None:
        played = self.played
        headers = self._headers(send.worker_id)
        path, body = send.request()
        played.sent[send.kind] += 1
        deadline = time.perf_counter() + RETRY_SECONDS
        played.first_sent = played.first_sent or time.perf_counter()
        while True:
            try:
                async with self._limit:
                    response = await self._client.post(path, json=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError as error:
                status, response = 0, None
                played.errors.append(f"{send.kind} {send.record_id}: {error!r}"[:200])
            if (status in RETRY_STATUSES or status == 0) and time.perf_counter() < deadline:
                played.retries += 1
                await asyncio.sleep(0.5)
                continue
            break
        played.last_answer = time.perf_counter()
        played.answered += 1
        # How long after its due time the record got its answer: the app's wait behind a slow platform.
        played.late_s.append(max(0.0, played.last_answer - self._started - send.due_s))
        if status == 201:
            played.accepted.add(send.record_id)
        elif status == 200:  # the same record id again: it was accepted before (an answer lost)
            played.accepted.add(send.record_id)
            played.replayed += 1
        else:
            played.refused[status] += 1
            if response is not None:
                played.errors.append(f"{send.kind} {path}: {status} {response.text[:150]}")
        self._advance()

    async def _chain(self, chain: list[Send]) -> None:
        for send in chain:
            wait = self._started + send.due_s - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._send(send)

    async def play(self, chains: list[list[Send]]) -> Played:
        """Start each chain at its first record's due time; return once every record has its answer."""
        async with asyncio.TaskGroup() as group:
            for chain in chains:
                wait = self._started + chain[0].due_s - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                group.create_task(self._chain(chain))
        return self.played
