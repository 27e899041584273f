"""The alerts service in-process on a fresh database of each kind, a frozen clock, and real receivers.

The webhook and SMS channels talk HTTP to :class:`HttpReceiver`, a small real HTTP server on a
local port that records what arrives and answers with the status codes a test asks for; e-mail goes
to an aiosmtpd server on a local port.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiosmtpd.controller import Controller

from rounds.contracts.base import Event
from rounds.contracts.people import (
    IndividualRegistered,
    KeyPersonAdded,
    OnCallShiftScheduled,
    WorkerRegistered,
)
from rounds.contracts.rota import VisitScheduled
from rounds.contracts.visits import VisitLate, VisitMissed
from rounds.infra.clock import FrozenClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.migrations import upgrade_head
from services.alerts.consumers import subscriptions
from services.alerts.main import AlertsRuntime, create_app
from services.alerts.settings import AlertsSettings

# Sunday 29 March 2026, 07:30 UTC = 08:30 BST: the morning after the clocks went forward.
NOW = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
SECRET = "test-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One HTTP request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A real HTTP/1.1 server on 127.0.0.1 that records requests; ``answers`` pops a status per request."""

    port: int
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, value = h.decode().split(":", 1)
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(Received(method, path, headers, body))
                status = self.answers.pop(0) if self.answers else 200
                payload = json.dumps({"id": f"sms-{len(self.received)}"}).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Mailbox]]:
    """A real SMTP server (aiosmtpd) on a local port, collecting what it accepts."""
    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    """The partner app's webhook endpoint and the SMS provider, on one local HTTP server."""
    r = HttpReceiver(free_port())
    await r.start()
    yield r
    await r.stop()


@dataclass
class Team:
    """A locality's on-call chain and the people around one individual."""

    manager: UUID  # on call, level 1
    area_manager: UUID  # level 2
    worker: UUID
    individual: UUID
    daughter: UUID  # consented, prefers SMS, wants to hear about missed visits
    son: UUID  # has not consented
    visit: UUID


@dataclass
class Alerts:
    """The service under test, its clock and a team it already knows."""

    client: httpx.AsyncClient
    clock: FrozenClock
    runtime: AlertsRuntime
    team: Team

    async def deliver(self, event: Event, at: datetime | None = None) -> Envelope:
        """What the consumer does with one event (the inbox included)."""
        envelope = Envelope.wrap(event, source="/rounds/test", time=at or self.clock.now(), trace_headers={})
        await self.handle(envelope, event)
        return envelope

    async def handle(self, envelope: Envelope, event: Event) -> None:
        subscription = subscriptions.get(envelope.type)
        assert subscription is not None, envelope.type
        async with self.runtime.unit_of_work() as uow:
            if await uow.already_processed("rounds.alerts", envelope.id):
                return
            await subscription.handler(event, envelope, uow)
            await uow.mark_processed("rounds.alerts", envelope)
            await uow.commit()

    def staff(self, person: UUID | str, *localities: str, role: str = "coordinator") -> dict[str, str]:
        actor = {"sub": str(person), "role": role, "localities": list(localities or ("Harrogate",))}
        return {"X-Rounds-Actor": json.dumps(actor)}

    async def alerts(self, **query: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/alerts", params=query, headers=self.staff(self.team.manager, role="registered_manager")
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def alert(self, alert_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/alerts/{alert_id}", headers=self.staff(self.team.manager, role="registered_manager")
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def notifications(self, **query: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/notifications", params=query, headers=self.staff(self.team.manager, role="registered_manager")
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def team_events(team: Team, start: datetime) -> list[Event]:
    """What people and the rota have announced before the day starts."""
    cover_from, cover_to = start - timedelta(hours=12), start + timedelta(hours=36)
    return [
        WorkerRegistered(
            worker_id=team.worker,
            given_name="Asha",
            family_name="Patel",
            role="care_worker",
            locality="Harrogate",
        ),
        IndividualRegistered(
            individual_id=team.individual,
            version=1,
            given_name="Mary",
            family_name="Jones",
            locality="Harrogate",
            status="active",
            address="1 High St",
            location={"lat": 54.0, "lon": -1.54},  # type: ignore[arg-type]
            phone="+447700900001",
        ),
        KeyPersonAdded(
            individual_id=team.individual,
            key_person_id=team.daughter,
            version=1,
            given_name="Joan",
            family_name="Jones",
            relationship="daughter",
            phone="+447700900123",
            email="joan@example.org",
            consent_to_be_informed=True,
            informed_of=["missed_visits", "incidents"],
            preferred_channel="sms",
            language="cy",
            quiet_hours_start="22:00",
            quiet_hours_end="07:00",
        ),
        KeyPersonAdded(
            individual_id=team.individual,
            key_person_id=team.son,
            version=1,
            given_name="Tom",
            family_name="Jones",
            relationship="son",
            phone="+447700900456",
            consent_to_be_informed=False,
            informed_of=["missed_visits"],
            preferred_channel="sms",
        ),
        *[
            OnCallShiftScheduled(
                shift_id=uuid4(),
                version=1,
                locality="Harrogate",
                level=level,
                worker_id=person,
                worker_name=name,
                role="manager",
                contact_phone=phone,
                starts_at=cover_from,
                ends_at=cover_to,
            )
            for level, person, name, phone in (
                (1, team.manager, "Priya Shah", "+447700900777"),
                (2, team.area_manager, "Dev Khan", "+447700900888"),
            )
        ],
        VisitScheduled(
            visit_id=team.visit,
            individual_id=team.individual,
            package_id=uuid4(),
            locality="Harrogate",
            local_date=date(2026, 3, 29),
            planned_start=start,
            planned_end=start + timedelta(minutes=30),
            window_start=start - timedelta(minutes=15),
            window_end=start + timedelta(minutes=15),
            workers_required=1,
            workers=[team.worker],
        ),
    ]


def condition(
    kind: type[VisitLate] | type[VisitMissed], team: Team, start: datetime, visit: UUID | None = None
) -> VisitLate | VisitMissed:
    """The monitor's late or missed condition for the team's visit (or another of the worker's)."""
    return kind(
        visit_id=visit or team.visit,
        individual_id=team.individual,
        locality="Harrogate",
        local_date=date(2026, 3, 29),
        service_type="personal_care",
        planned_start=start,
        planned_end=start + timedelta(minutes=30),
        workers=[team.worker],
        deadline=start + timedelta(minutes=15),
        raised_at=start + timedelta(minutes=15),
        threshold_minutes=15,
        workers_concerned=[team.worker],
        detail="no check-in",
    )


def alerts_settings(database_url: str, kafka: str, receiver: HttpReceiver, **extra: Any) -> AlertsSettings:
    return AlertsSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        kafka_session_timeout_ms=3000,
        webhook_url=f"{receiver.url}/webhook",
        webhook_secret=SECRET,  # type: ignore[arg-type]
        sms_url=f"{receiver.url}/sms",
        runner_interval_seconds=0.2,
        retry_first_wait_seconds=10,
        retry_longest_wait_seconds=60,
        retry_max_attempts=3,
        office_phone="01423 000000",
        **extra,
    )


@pytest.fixture
async def alerts_service(
    database_url: str, kafka_bootstrap: str, receiver: HttpReceiver
) -> AsyncIterator[Alerts]:
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    clock = FrozenClock(NOW)
    app = create_app(alerts_settings(database_url, kafka_bootstrap, receiver), clock=clock)
    runtime: AlertsRuntime = app.state.runtime
    team = Team(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alerts") as client:
        service = Alerts(client, clock, runtime, team)
        for event in team_events(team, NOW - timedelta(minutes=30)):
            await service.deliver(event)
        yield service
    await runtime.stop()
