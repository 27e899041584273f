"""Every event type every service consumes, delivered twice, again under a new id, and out of order.

For each (service, event type) pair in the services' subscriptions, an example of the contract is
wrapped in a CloudEvent and handed to the service's real consumer path (``EventConsumer.process``
with an in-memory ``ConsumerRecord``: decode, inbox, handler, commit) on a migrated database of
each kind. The service's state is every table but the inbox and the outbox
(``rounds.infra.messaging_tables``):

1. the first delivery must change it (else the test could not fail);
2. the same envelope again must change nothing and add no outbox row (the inbox);
3. the same content under a new envelope id (a producer that published twice) must change nothing
   where the contract carries a version or a sequence (the handler's own idempotency);
4. for versioned contracts, an older version arriving after a newer one must change nothing.

A subscribed type with no example here fails ``test_every_subscribed_event_type_has_an_example``
and its own case: a new subscription needs an example before it can ship.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord

from rounds.contracts.base import Event
from rounds.contracts.people import (
    CarePlanAgreed,
    GeoPoint,
    IndividualAnonymised,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    KeyPersonAdded,
    KeyPersonUpdated,
    OnCallGap,
    OnCallGapsReported,
    OnCallShiftChanged,
    OnCallShiftScheduled,
    PlanVisit,
    WorkerComplianceChanged,
    WorkerRegistered,
    WorkerUpdated,
)
from rounds.contracts.registry import registered_events
from rounds.contracts.rota import (
    VisitAllocated,
    VisitCancelled,
    VisitChanged,
    VisitScheduled,
    WorkerScheduleChanged,
)
from rounds.contracts.supervision import SupervisionOverdue, SupervisionResolved
from rounds.contracts.visits import (
    IncidentReported,
    VisitConditionResolved,
    VisitLate,
    VisitMissed,
    VisitOverrun,
    VisitShort,
    WorkerOverdue,
    WorkerSos,
)
from rounds.infra.clock import FrozenClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import EventConsumer, Subscriptions
from rounds.infra.kafka import KafkaMessage
from rounds.infra.messaging_tables import inbox, outbox
from rounds.infra.migrations import upgrade_head
from rounds.infra.service import ServiceRuntime
from rounds.infra.topology import load_topology
from services.alerts.consumers import subscriptions as alerts_subscriptions
from services.alerts.main import AlertsRuntime
from services.alerts.settings import AlertsSettings
from services.people.consumers import subscriptions as people_subscriptions
from services.people.main import create_app as create_people_app
from services.people.settings import PeopleSettings
from services.people.unit_of_work import PeopleUnitOfWork
from services.rota.consumers import subscriptions_for
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.travel import StraightLineTravel
from services.rota.handlers import RotaConfig
from services.rota.settings import RotaSettings
from services.rota.unit_of_work import RotaUnitOfWork
from services.supervision.consumers import subscriptions as supervision_subscriptions
from services.supervision.main import SupervisionRuntime
from services.supervision.settings import SupervisionSettings
from services.visits.consumers import subscriptions as visits_subscriptions
from services.visits.main import VisitsRuntime
from services.visits.settings import VisitsSettings

pytestmark = pytest.mark.integration

# Monday 30 March 2026, 08:00 UTC (09:00 BST): a working day inside every service's horizon.
NOW = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
TODAY = date(2026, 3, 30)
LOCALITY = "Harrogate"
NOWHERE = "127.0.0.1:9"  # no broker is needed: nothing here publishes (dead letters are caught below)
MESSAGING_TABLES = {inbox.name, outbox.name, "alembic_version"}


def rota_config() -> RotaConfig:
    """The rota's handler configuration as ``services.rota.main`` builds it (greedy engine only)."""
    return RotaConfig(
        time_zone="Europe/London",
        horizon_days=14,
        travel=StraightLineTravel(road_factor=1.35),
        engines={"greedy": GreedyEngine()},
    )


SUBSCRIPTIONS: dict[str, Subscriptions[Any]] = {
    "people": people_subscriptions,
    "rota": subscriptions_for(rota_config()),
    "visits": visits_subscriptions,
    "supervision": supervision_subscriptions,
    "alerts": alerts_subscriptions,
}


def subscribed_pairs() -> list[tuple[str, type[Event]]]:
    """Every (service, event class) a service's consumer handles, from its real subscriptions."""
    return [
        (service, cls)
        for service, subscriptions in SUBSCRIPTIONS.items()
        for cls in registered_events()
        if subscriptions.get(cls.type) is not None
    ]


# --- examples ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The ids one case's events share, so that they are about the same worker, home and visit."""

    worker: UUID = field(default_factory=uuid4)
    manager: UUID = field(default_factory=uuid4)
    individual: UUID = field(default_factory=uuid4)
    key_person: UUID = field(default_factory=uuid4)
    plan: UUID = field(default_factory=uuid4)
    package: UUID = field(default_factory=uuid4)
    visit: UUID = field(default_factory=uuid4)
    shift: UUID = field(default_factory=uuid4)
    record: UUID = field(default_factory=uuid4)


#: An example of a contract: ``n`` = 1 is the first; a larger ``n`` is a later version (where the
#: contract has one) whose content differs, so that a stale one landing last would show.
Example = Callable[[World, int], Event]


def _worker(w: World, n: int, worker: UUID | None = None) -> WorkerRegistered:
    return WorkerRegistered(
        worker_id=worker or w.worker, given_name="Asha", family_name="Patel", role="care_worker",
        locality=LOCALITY, skills=["medication", "personal_care"][:n], contracted_hours_per_week=30 + n,
        start_date=date(2026, 1, 5), job_title="Care worker", contract_type="permanent",
        languages=["en"], gender="female", home_base=GeoPoint(lat=54.0, lon=-1.54),
        line_manager_id=w.manager, version=n,
    )  # fmt: skip


def _worker_updated(w: World, n: int) -> WorkerUpdated:
    return WorkerUpdated(
        worker_id=w.worker, version=n + 1, given_name="Asha", family_name=f"Patel-{n}", role="care_worker",
        locality=LOCALITY, status="active", skills=["medication", "hoist", "dementia"][: n + 1],
        contracted_hours_per_week=20 + n, start_date=date(2026, 1, 5), languages=["en", "pa"][:n],
        gender="female", home_base=GeoPoint(lat=54.0, lon=-1.54), line_manager_id=w.manager,
    )  # fmt: skip


def _compliance(w: World, n: int) -> WorkerComplianceChanged:
    return WorkerComplianceChanged(
        worker_id=w.worker, locality=LOCALITY, day=TODAY, may_work=n % 2 == 0,
        reasons=[] if n % 2 == 0 else ["dbs_expired"], checked_at=NOW + timedelta(minutes=n),
    )  # fmt: skip


def _individual(cls: type[IndividualRegistered] | type[IndividualUpdated], version: int) -> Example:
    def build(w: World, n: int) -> Event:
        v = version + n - 1
        return cls(
            individual_id=w.individual, version=v, given_name="Mary", family_name="Jones",
            preferred_name=f"Molly {v}", locality=LOCALITY, status="active",
            address=f"{v} Station Road, Harrogate HG1 1AA", location=GeoPoint(lat=54.0 + v / 1000, lon=-1.54),
            phone=f"+4477009000{v:02d}", language="en", carer_gender="female",
        )  # fmt: skip

    return build


def _status(w: World, n: int) -> IndividualStatusChanged:
    inside = n % 2 == 1  # 1: into hospital, 2: home again, 3: into hospital ...
    return IndividualStatusChanged(
        individual_id=w.individual, version=n + 1, locality=LOCALITY,
        previous_status="active" if inside else "in_hospital", status="in_hospital" if inside else "active",
        effective_at=NOW + timedelta(minutes=n), reason=f"change {n}",
    )  # fmt: skip


def _key_person(cls: type[KeyPersonAdded] | type[KeyPersonUpdated], version: int) -> Example:
    def build(w: World, n: int) -> Event:
        v = version + n - 1
        return cls(
            individual_id=w.individual, key_person_id=w.key_person, version=v, given_name="Joan",
            family_name="Jones", relationship="daughter", phone=f"+4477009001{v:02d}",
            email="joan@example.org", consent_to_be_informed=v % 2 == 1,
            informed_of=["missed_visits", "visit_changes", "hospital_admissions", "plan_changes"][: v + 1],
            preferred_channel="sms",
        )  # fmt: skip

    return build


def _plan(w: World, n: int) -> CarePlanAgreed:
    return CarePlanAgreed(
        individual_id=w.individual, plan_id=w.plan, version=n, supersedes_version=n - 1 if n > 1 else None,
        locality=LOCALITY, start_date=TODAY, review_date=TODAY + timedelta(days=90),
        visits=[
            PlanVisit(
                id="morning", name="Morning call", weekdays=list(range(7)),
                preferred_start=f"{7 + n:02d}:30", duration_minutes=30 + 15 * n, tasks=["medication"],
                required_skills=["medication", "hoist", "dementia"][:n],
            )
        ],
        outcomes=[f"outcome {n}"], agreed_at=NOW + timedelta(minutes=n),
    )  # fmt: skip


def _shift(cls: type[OnCallShiftScheduled] | type[OnCallShiftChanged], version: int) -> Example:
    def build(w: World, n: int) -> Event:
        v = version + n - 1
        return cls(
            shift_id=w.shift, version=v, locality=LOCALITY, level=1, worker_id=w.manager,
            worker_name="Sam Lee", role="registered_manager", contact_phone=f"+4477009002{v:02d}",
            contact_email="sam@example.org", starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=10 + v),
        )  # fmt: skip

    return build


def _gaps(w: World, n: int) -> OnCallGapsReported:
    return OnCallGapsReported(
        locality=LOCALITY, checked_at=NOW + timedelta(minutes=n), horizon_start=NOW,
        horizon_end=NOW + timedelta(days=7),
        gaps=[OnCallGap(level=1, starts_at=NOW + timedelta(hours=12 + n), ends_at=NOW + timedelta(hours=24))],
    )  # fmt: skip


def _visit_fields(w: World, n: int, workers: list[UUID]) -> dict[str, Any]:
    start = NOW + timedelta(hours=2, minutes=15 * n)
    return {
        "visit_id": w.visit, "individual_id": w.individual, "package_id": w.package, "locality": LOCALITY,
        "local_date": TODAY, "planned_start": start, "planned_end": start + timedelta(minutes=30),
        "window_start": start - timedelta(minutes=30), "window_end": start + timedelta(minutes=30),
        "tasks": ["medication"], "workers_required": 1, "workers": workers,
        "address": "1 Station Road, Harrogate HG1 1AA", "location": {"lat": 54.001, "lon": -1.54},
        "visit_kind": "morning",
    }  # fmt: skip


def _condition(cls: type[Any], **extra: Any) -> Example:
    def build(w: World, n: int) -> Event:
        start = NOW - timedelta(minutes=30)
        return cls(  # type: ignore[no-any-return]
            visit_id=w.visit, individual_id=w.individual, locality=LOCALITY, local_date=TODAY,
            service_type="personal_care", planned_start=start, planned_end=start + timedelta(minutes=30),
            workers=[w.worker], deadline=start + timedelta(minutes=15),
            raised_at=start + timedelta(minutes=15), threshold_minutes=15, workers_concerned=[w.worker],
            detail=f"no check-in ({n})", **extra,
        )  # fmt: skip

    return build


def _record(w: World) -> dict[str, Any]:
    start = NOW - timedelta(minutes=30)
    return {
        "visit_id": w.visit, "individual_id": w.individual, "locality": LOCALITY, "local_date": TODAY,
        "service_type": "personal_care", "planned_start": start, "planned_end": start + timedelta(minutes=30),
        "workers": [w.worker], "worker_id": w.worker, "record_id": w.record,
        "occurred_at": NOW - timedelta(minutes=1), "received_at": NOW,
    }  # fmt: skip


def _supervision(cls: type[SupervisionOverdue] | type[SupervisionResolved]) -> Example:
    def build(w: World, n: int) -> Event:
        extra = {"overdue_since": date(2026, 3, 21)} if cls is SupervisionOverdue else {}
        return cls(
            worker_id=w.worker, worker_name="Asha Patel", supervisor_id=w.manager, line_manager_id=w.manager,
            locality=LOCALITY, rule="one_to_one_supervision", item="", due_on=date(2026, 3, 20),
            severity="high", source="004 1.18", description=f"One-to-one supervision overdue ({n})",
            **extra,
        )  # fmt: skip

    return build


EXAMPLES: dict[type[Event], Example] = {
    WorkerRegistered: _worker,
    WorkerUpdated: _worker_updated,
    WorkerComplianceChanged: _compliance,
    IndividualRegistered: _individual(IndividualRegistered, 1),
    IndividualUpdated: _individual(IndividualUpdated, 2),
    IndividualStatusChanged: _status,
    KeyPersonAdded: _key_person(KeyPersonAdded, 1),
    # Version n + 1: after the world's registration (v1), as people's anonymisation follows the record.
    IndividualAnonymised: lambda w, n: IndividualAnonymised(
        individual_id=w.individual,
        version=n + 1,
        locality=LOCALITY,
        key_person_ids=[w.key_person],
        care_ended_on=date(2018, 3, 1),
        retained_until=date(2026, 3, 1),
        anonymised_at=NOW + timedelta(minutes=n),
    ),
    KeyPersonUpdated: _key_person(KeyPersonUpdated, 2),
    CarePlanAgreed: _plan,
    OnCallShiftScheduled: _shift(OnCallShiftScheduled, 1),
    OnCallShiftChanged: _shift(OnCallShiftChanged, 2),
    OnCallGapsReported: _gaps,
    VisitScheduled: lambda w, n: VisitScheduled(**_visit_fields(w, n, [])),
    VisitAllocated: lambda w, n: VisitAllocated(**_visit_fields(w, n, [w.worker]), reason="manual"),
    VisitChanged: lambda w, n: VisitChanged(
        **_visit_fields(w, n, [w.worker]), previous_planned_start=NOW + timedelta(hours=2), reason="manual"
    ),
    VisitCancelled: lambda w, n: VisitCancelled(**_visit_fields(w, n, [w.worker]), reason="repair"),
    WorkerScheduleChanged: lambda w, n: WorkerScheduleChanged(
        worker_id=w.worker,
        local_date=TODAY,
        schedule_version=n,
        visits_added=[w.visit][: n % 2],
        visits_moved=[w.visit][: 1 - n % 2],
        reason="manual",
    ),
    VisitLate: _condition(VisitLate),
    VisitMissed: _condition(VisitMissed),
    VisitShort: _condition(VisitShort, stayed_minutes=5, planned_minutes=30),
    VisitOverrun: _condition(VisitOverrun, stayed_minutes=70, planned_minutes=30),
    WorkerOverdue: _condition(WorkerOverdue),
    VisitConditionResolved: lambda w, n: VisitConditionResolved(
        **{
            k: v
            for k, v in _record(w).items()
            if k not in ("worker_id", "record_id", "occurred_at", "received_at")
        },
        condition="late",
        raised_at=NOW - timedelta(minutes=15),
        resolved_at=NOW,
        resolution="checked_in",
        worker_id=w.worker,
        detail=f"checked in ({n})",
    ),
    WorkerSos: lambda w, n: WorkerSos(**_record(w), message=f"help ({n})"),
    IncidentReported: lambda w, n: IncidentReported(
        **_record(w),
        kind="accident",
        severity="high",
        description=f"Mary slipped in the bathroom ({n})",
        injured=True,
    ),
    SupervisionOverdue: _supervision(SupervisionOverdue),
    SupervisionResolved: _supervision(SupervisionResolved),
}

#: Contracts that carry a version or a sequence: a producer's retry under a new envelope id, or an
#: older version landing after a newer one, must change nothing.
VERSIONED: dict[type[Event], str] = {
    cls: name for cls in EXAMPLES for name in ("version", "schedule_version") if name in cls.model_fields
}

#: What must already be known for an event to have an effect: the world the producers built first
#: (only the types the service consumes are delivered, never the type under test), then extras.
WORLD: tuple[Callable[[World], Event], ...] = (
    lambda w: _worker(w, 1, worker=w.manager),
    lambda w: _worker(w, 1),
    lambda w: EXAMPLES[IndividualRegistered](w, 1),
    lambda w: EXAMPLES[KeyPersonAdded](w, 1),
    lambda w: _plan(w, 1),
    lambda w: EXAMPLES[OnCallShiftScheduled](w, 1),
    lambda w: VisitScheduled(**_visit_fields(w, 0, [])),
)
PREREQUISITES: dict[type[Event], tuple[Callable[[World], Event], ...]] = {
    VisitConditionResolved: (lambda w: EXAMPLES[VisitLate](w, 1),),
    SupervisionResolved: (lambda w: EXAMPLES[SupervisionOverdue](w, 1),),
    # A cancellation takes away what an allocation gave (people's windows on the access notes).
    VisitCancelled: (lambda w: EXAMPLES[VisitAllocated](w, 0),),
}
#: Per service, a different example where the contract allows it and the generic one has no effect
#: there: people keeps windows only for allocated workers, and a visit may arrive already allocated.
OVERRIDES: dict[tuple[str, type[Event]], Example] = {
    ("people", VisitScheduled): lambda w, n: VisitScheduled(**_visit_fields(w, n, [w.worker])),
}

# People owns workers and individuals: they come through its own API, not events, and name the ids.
PEOPLE_WORKER = {
    "given_name": "Asha", "family_name": "Patel", "role": "care_worker", "locality": LOCALITY,
    "contracted_hours_per_week": 30, "start_date": "2026-01-05",
}  # fmt: skip
PEOPLE_INDIVIDUAL = {
    "given_name": "Mary", "family_name": "Jones", "locality": LOCALITY, "date_of_birth": "1936-02-11",
    "address": {"lines": ["1 Station Road"], "postcode": "HG1 1AA", "location": {"lat": 54.0, "lon": -1.54}},
}  # fmt: skip


# --- the service under test -------------------------------------------------------------------------


class DeadLetters:
    """Stands in for the publisher: the consumer only publishes dead letters, which must not happen."""

    def __init__(self) -> None:
        self.messages: list[KafkaMessage] = []

    async def send_batch(self, messages: list[KafkaMessage]) -> None:
        self.messages.extend(messages)


def build_runtime(service: str, database_url: str, clock: FrozenClock) -> ServiceRuntime[Any]:
    """The service's runtime as its ``main.py`` builds it (not started: no relay, no broker)."""
    common: dict[str, Any] = {"database_url": database_url, "kafka_bootstrap_servers": NOWHERE}
    if service == "people":
        return ServiceRuntime(PeopleSettings(**common), PeopleUnitOfWork, people_subscriptions, clock)
    if service == "rota":
        return ServiceRuntime(RotaSettings(**common), RotaUnitOfWork, SUBSCRIPTIONS["rota"], clock)
    if service == "visits":
        return VisitsRuntime(VisitsSettings(**common, monitor_enabled=False), clock)
    if service == "supervision":
        return SupervisionRuntime(SupervisionSettings(**common, notice_sweep_seconds=0), clock)
    if service == "alerts":
        return AlertsRuntime(AlertsSettings(**common), clock)
    raise AssertionError(f"no runtime for {service}")


@dataclass
class Service:
    """One service on its own database, fed through its real consumer."""

    name: str
    runtime: ServiceRuntime[Any]
    consumer: EventConsumer[Any]
    dead_letters: DeadLetters
    offset: int = 0

    async def deliver(self, envelope: Envelope) -> None:
        """One Kafka record of ``envelope`` through ``EventConsumer.process``; it must not dead-letter."""
        message = envelope.to_kafka()
        key = message.key.encode()
        self.offset += 1
        record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
            topic=message.topic, partition=0, offset=self.offset, timestamp=0, timestamp_type=0, key=key,
            value=message.value, checksum=None, serialized_key_size=len(key),
            serialized_value_size=len(message.value), headers=message.headers,
        )  # fmt: skip
        await self.consumer.process(record)
        if self.dead_letters.messages:
            headers = dict(self.dead_letters.messages[0].headers)
            pytest.fail(f"{self.name} dead-lettered {envelope.type}: {headers['rounds_error']!r}")

    async def state(self) -> dict[str, list[str]]:
        """Every row of every table of the service (messaging tables aside), in a stable order."""
        async with self.runtime.engine.connect() as conn:
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            state: dict[str, list[str]] = {}
            for name in sorted(set(names) - MESSAGING_TABLES):
                rows = await conn.execute(sa.text(f'SELECT * FROM "{name}"'))  # the database's own names
                state[name] = sorted(repr(tuple(row)) for row in rows)
            return state

    async def people_world(self, w: World) -> World:
        """Register the worker and the individual through people's API; the world takes their ids."""
        # The people app answers with this runtime's database (its own runtime is never started).
        app = create_people_app(self.runtime.settings, self.runtime.clock)  # type: ignore[arg-type]
        await app.state.runtime.stop()
        app.state.runtime = self.runtime
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://people"
        ) as http:
            worker = await http.post("/workers", json=PEOPLE_WORKER)
            individual = await http.post("/individuals", json=PEOPLE_INDIVIDUAL)
        assert (worker.status_code, individual.status_code) == (201, 201), (worker.text, individual.text)
        return replace(w, worker=UUID(worker.json()["id"]), individual=UUID(individual.json()["id"]))

    async def outbox_rows(self) -> int:
        async with self.runtime.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one())


def envelope(event: Event, at: datetime = NOW) -> Envelope:
    """``event`` in a new CloudEvent, from the service that produces its topic."""
    producer = load_topology().topic(event.topic).producer
    return Envelope.wrap(event, source=f"/rounds/{producer}", time=at, trace_headers={})


@pytest.fixture
async def service_factory(database_url: str) -> AsyncIterator[Callable[[str], Any]]:
    runtimes: list[ServiceRuntime[Any]] = []

    async def open_service(name: str) -> Service:
        await asyncio.to_thread(upgrade_head, name, database_url)
        runtime = build_runtime(name, database_url, FrozenClock(NOW))
        runtimes.append(runtime)
        dead_letters = DeadLetters()
        consumer = EventConsumer(
            runtime.settings.model_copy(update={"consumer_max_attempts": 1}),
            SUBSCRIPTIONS[name],
            runtime.unit_of_work,
            dead_letters,  # type: ignore[arg-type]
            load_topology().dead_letter_topic(name),
        )
        return Service(name, runtime, consumer, dead_letters)

    yield open_service
    for runtime in runtimes:
        await runtime.stop()


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """Rows gone and rows new, per table that differs (for readable failures)."""
    return {
        table: {
            "gone": sorted(set(before.get(table, [])) - set(after.get(table, []))),
            "new": sorted(set(after.get(table, [])) - set(before.get(table, []))),
        }
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    }


#: Tables where a service notes that an announcement came again (alerts: "suppressed" on the alert's
#: timeline, and the alert's count of signals): a record of the repeat, not a second effect.
REPEAT_NOTES = {"alert_timeline", "alerts"}
#: Contracts with no version, sequence or record id, whose handler takes a repeat under a new id as a
#: new fact: a visit moved again is told again (the cause is the envelope id). Named so it is visible.
NO_IDENTITY: dict[tuple[str, type[Event]], str] = {
    ("alerts", VisitChanged): "no version in the contract: a second announcement is told as a second move",
    ("alerts", VisitCancelled): "no version in the contract: a second announcement is told again",
}


async def assert_a_repeat_tells_nobody(
    service: Service, repeat: Envelope, pair: tuple[str, type[Event]]
) -> None:
    """An unversioned event announced again under a new id: no new rows (bar notes of the repeat),
    nothing new in the outbox, so nobody downstream or at the end of a channel hears it twice."""
    if pair in NO_IDENTITY:
        return
    before, outbox_before = await service.state(), await service.outbox_rows()
    await service.deliver(repeat)
    grown = {
        table: len(rows) - len(before.get(table, []))
        for table, rows in (await service.state()).items()
        if len(rows) != len(before.get(table, [])) and table not in REPEAT_NOTES
    }
    assert grown == {}, f"{repeat.type} announced again under a new id added rows: {grown}"
    assert changes(before, await service.state()).keys() <= REPEAT_NOTES
    assert await service.outbox_rows() == outbox_before


# --- the tests --------------------------------------------------------------------------------------


def test_every_subscribed_event_type_has_an_example() -> None:
    missing = sorted(f"{service}: {cls.type}" for service, cls in subscribed_pairs() if cls not in EXAMPLES)
    assert not missing, f"subscribed event types with no example in this test: {missing}"
    assert len(subscribed_pairs()) >= 50  # the five services' subscriptions were found


#: Defects this test found and that are not fixed yet: strict, so a fix turns them into failures
#: until the entry goes (each needs more than a handler change; see docs/reliability.md).
KNOWN_DEFECTS: dict[tuple[str, type[Event]], str] = {}

PAIRS = [
    pytest.param(
        service, cls, id=f"{service}-{cls.type}",
        marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[service, cls])]
        if (service, cls) in KNOWN_DEFECTS else [],
    )
    for service, cls in subscribed_pairs()
]  # fmt: skip


@pytest.mark.parametrize(("service_name", "event_class"), PAIRS)
async def test_redelivered_and_reordered_event_has_one_effect(
    service_factory: Callable[[str], Any], service_name: str, event_class: type[Event]
) -> None:
    example = EXAMPLES.get(event_class)
    if example is None:
        pytest.fail(f"{event_class.__name__} ({event_class.type}) has no example: add one to EXAMPLES")
    service: Service = await service_factory(service_name)
    subscriptions = SUBSCRIPTIONS[service_name]
    w = World()
    if service_name == "people":
        w = await service.people_world(w)
    example = OVERRIDES.get((service_name, event_class), example)
    world = [build(w) for build in WORLD]
    preamble = [e for e in world if type(e) is not event_class and subscriptions.get(e.type)]
    preamble += [build(w) for build in PREREQUISITES.get(event_class, ())]
    for event in preamble:
        await service.deliver(envelope(event, NOW - timedelta(minutes=5)))

    before = await service.state()
    first = envelope(example(w, 1))
    await service.deliver(first)
    after_first, outbox_first = await service.state(), await service.outbox_rows()
    assert after_first != before, f"the first {event_class.type} changed nothing in {service_name}"

    await service.deliver(first)  # the broker redelivers the same record
    assert changes(after_first, await service.state()) == {}
    assert await service.outbox_rows() == outbox_first

    versioned = VERSIONED.get(event_class)
    if versioned is None:
        await assert_a_repeat_tells_nobody(service, envelope(example(w, 1)), (service_name, event_class))
        return
    await service.deliver(envelope(example(w, 1)))  # the producer published it twice: a new ce_id
    assert changes(after_first, await service.state()) == {}, (
        "a producer's retry under a new id had an effect"
    )
    assert await service.outbox_rows() == outbox_first

    await service.deliver(envelope(example(w, 3), NOW + timedelta(minutes=3)))  # the newest version
    newest, outbox_newest = await service.state(), await service.outbox_rows()
    await service.deliver(envelope(example(w, 2), NOW + timedelta(minutes=2)))  # an older one, late
    assert changes(newest, await service.state()) == {}, f"an older {versioned} overwrote a newer one"
    assert await service.outbox_rows() == outbox_newest
