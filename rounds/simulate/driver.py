"""``rounds simulate``'s driver: the workers' apps of the demo provider, through the gateway.

It reads the day's visits from the rota (planning the day first when nobody is allocated yet), scripts
what each app does (:func:`rounds.demo.day.script_day`), and replays the script on the accelerated
clock (:mod:`rounds.simulate.clock`): each worker's app sends its records in order with its own
care-worker token, a client-made ``record_id`` (the same on a re-run, so a repeated day changes nothing)
and the device's time; offline batches arrive when the script says the phone found signal. At the
sick call the worker's absence goes to the rota, which repairs the day (000 P43); the visits it gave to
others are scripted for their new workers, those it could not place are reported. The monitor and the
alerts service do the rest on their own: late, missed and overdue visits, key people informed.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from rounds.demo.day import (
    ActionKind,
    DayRates,
    DayScript,
    ScheduledVisit,
    WorkerAction,
    script_day,
    script_visits,
)
from rounds.demo.generator import TIME_ZONE, generate
from rounds.demo.loader import PEOPLE, DemoLoadError, GatewayClient, Progress, _Silent
from rounds.demo.model import Provider
from rounds.simulate.clock import SimClock

VISITS = "/v1/visits/visits"
ROTA = "/v1/rota"
#: Record ids are uuid5 under this namespace: the same day, seed and action make the same id.
RECORD_NAMESPACE = uuid.UUID("6f1c3a52-2f0e-4c55-9a57-5e0d7d1c0a11")
#: How long an app keeps retrying a record the visits service cannot take yet (it has not heard of
#: the visit or of its new allocation through Kafka, or the check-in is not there for a check-out).
NOT_YET_SECONDS = 60.0


class SimulationError(Exception):
    """The simulation cannot go on; the message says why and what to do."""


@dataclass
class SimulationReport:
    """What the apps sent, what the platform answered, and what it did about the day."""

    day: date
    visits: int = 0
    allocated: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    replayed: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    not_yet_due: int = 0
    offline_records: int = 0
    sick_worker: str | None = None
    repaired: int = 0
    unallocated_after_repair: int = 0
    missed_scripted: int = 0
    conditions: Counter[str] = field(default_factory=Counter)
    alerts: int | None = None
    notifications: int | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        return {
            "day": self.day.isoformat(),
            "visits": self.visits,
            "allocated": self.allocated,
            "sent": dict(self.sent),
            "accepted": dict(self.accepted),
            "replayed": dict(self.replayed),
            "refused": dict(self.refused),
            "not_yet_due": self.not_yet_due,
            "offline_records": self.offline_records,
            "sick_worker": self.sick_worker,
            "repaired": self.repaired,
            "unallocated_after_repair": self.unallocated_after_repair,
            "missed_scripted": self.missed_scripted,
            "conditions": dict(self.conditions),
            "alerts": self.alerts,
            "notifications": self.notifications,
            "errors": self.errors[:20],
        }


@dataclass(frozen=True)
class SimulationOptions:
    """What to simulate and how fast."""

    size: str = "small"
    seed: int = 7
    day: date | None = None
    #: Local time the simulated clock starts from (before the 07:00 sick call by default).
    start: time = time(6, 55)
    speed: float = 60.0
    #: Go on live (real time) after catching up, until the day's last action; else stop at now.
    follow: bool = False
    #: With ``follow``: stop at this local time instead of the day's last action.
    until: time | None = None
    #: Plan the day (rota planning run) when none of its visits is allocated yet.
    plan: bool = True
    plan_seconds: float = 20.0
    concurrency: int = 8
    #: How often things go differently from the plan (the script's defaults when None).
    rates: DayRates | None = None


def record_id(day: date, seed: int, action: WorkerAction, index: int) -> str:
    """The app's id for the record: the same action of the same day and seed gets the same id."""
    key = f"{day.isoformat()}/{seed}/{action.visit_id}/{action.worker_ref}/{action.kind.value}/{index}"
    return str(uuid.uuid5(RECORD_NAMESPACE, key))


def request_for(action: WorkerAction, rid: str) -> tuple[str, dict[str, Any]] | None:
    """The visits API route and body for ``action`` (None for the sick call, which goes to the rota)."""
    base: dict[str, Any] = {"record_id": rid, "occurred_at": action.at.astimezone(UTC).isoformat()}
    position = (
        {"lat": action.location.lat, "lon": action.location.lon, "accuracy_m": action.accuracy_m}
        if action.location
        else None
    )
    path = f"{VISITS}/{action.visit_id}"
    match action.kind:
        case ActionKind.CHECK_IN | ActionKind.CHECK_OUT:
            suffix = "check-in" if action.kind is ActionKind.CHECK_IN else "check-out"
            return f"{path}/{suffix}", {**base, "method": "gps", "position": position}
        case ActionKind.TASK_DONE:
            return f"{path}/tasks", {**base, "task": action.detail or "task", "outcome": "done"}
        case ActionKind.TASK_REFUSED:
            task, _, reason = (action.detail or "task: declined").partition(":")
            body = {**base, "task": task, "outcome": "refused", "reason": reason.strip() or "declined"}
            return f"{path}/tasks", body
        case ActionKind.SOS:
            return f"{path}/sos", {**base, "position": position, "message": action.detail}
        case ActionKind.INCIDENT:
            body = {
                **base,
                "kind": "incident",
                "severity": "medium",
                "description": action.detail or "Incident at the visit",
                "actions_taken": "Made comfortable, 111 called, office told",
            }
            return f"{path}/incidents", body
        case ActionKind.REPORT_SICK:
            return None


class Simulation:
    """One simulated day of the demo provider's apps through the gateway at ``gateway``."""

    def __init__(
        self,
        options: SimulationOptions,
        client: httpx.AsyncClient,
        gateway: str,
        worker_token: Callable[[str], str],
        progress: Progress | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        state_dir: Path | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.options = options
        self.api = GatewayClient(client, gateway)
        self.client = client
        self.worker_token = worker_token
        self.progress: Progress = progress or _Silent()
        self.now = now
        self.provider: Provider | None = None
        self.worker_ids: dict[str, str] = {}
        self.worker_refs: dict[str, str] = {}
        self.individual_refs: dict[str, str] = {}
        self.localities: dict[str, str] = {}
        self.limit = asyncio.Semaphore(options.concurrency)
        self.report = SimulationReport(day=options.day or now().date())

    # -- reading the platform ----------------------------------------------------------------------
    async def check(self) -> None:
        """Fail clearly when no gateway answers or it lacks the visits or rota API."""
        try:
            health = await self.client.get("/healthz")
        except httpx.TransportError as error:
            raise SimulationError(
                f"No gateway answers at {self.api.gateway} ({error.__class__.__name__}). Start the platform "
                "with `rounds up` and load the demo with `rounds demo load`, then try again."
            ) from error
        if health.status_code != 200:
            raise SimulationError(f"The gateway at {self.api.gateway} is not healthy ({health.status_code})")
        paths: dict[str, Any] = {}
        for attempt in range(5):
            document = await self.client.get("/openapi.json")
            paths = document.json().get("paths", {}) if document.status_code == 200 else {}
            missing = [
                p
                for p in (f"{VISITS}/{{visit_id}}/check-in", f"{ROTA}/visits", f"{PEOPLE}/workers")
                if p not in paths
            ]
            if not missing:
                return
            if attempt < 4:
                await asyncio.sleep(2.0)
        raise SimulationError(
            f"The gateway at {self.api.gateway} does not offer {', '.join(missing)}: are the visits, "
            "rota and people services up? (see `rounds up`'s logs)"
        )

    async def identities(self, provider: Provider) -> None:
        """Map the demo's refs to the services' ids by natural keys, as the loader does."""
        self.progress.phase("finding the demo's workers and individuals", 2)
        by_dbs = {w.dbs.certificate_number: w.ref for w in provider.workers}
        for worker in await self.api.every(f"{PEOPLE}/workers"):
            ref = by_dbs.get((worker.get("dbs") or {}).get("certificate_number", ""))
            if ref:
                self.worker_ids[ref] = worker["id"]
                self.worker_refs[worker["id"]] = ref
        self.progress.advance()
        by_nhs = {i.nhs_number: i.ref for i in provider.individuals}
        for individual in await self.api.every(f"{PEOPLE}/individuals"):
            ref = by_nhs.get(individual.get("nhs_number") or "")
            if ref:
                self.individual_refs[individual["id"]] = ref
        self.progress.advance()
        if not self.worker_ids or not self.individual_refs:
            raise SimulationError(
                f"The {self.options.size} demo (seed {self.options.seed}) is not loaded here: run "
                f"`rounds demo load --size {self.options.size} --seed {self.options.seed}` first."
            )

    async def day_visits(self, provider: Provider, day: date) -> list[dict[str, Any]]:
        """The rota's visits of ``day`` in the demo's localities."""
        visits: list[dict[str, Any]] = []
        for locality in provider.localities:
            visits.extend(
                await self.api.every(f"{ROTA}/visits", {"date": day.isoformat(), "locality": locality.name})
            )
        return [v for v in visits if v["status"] != "cancelled"]

    async def plan_day(self, provider: Provider, day: date) -> None:
        """A planning run per locality (the rota's own engine), waited for."""
        runs: list[str] = []
        self.progress.phase("planning the day (rota)", len(provider.localities))
        for locality in provider.localities:
            body = {
                "locality": locality.name,
                "date": day.isoformat(),
                "engine": "engine",
                "time_limit_s": self.options.plan_seconds,
            }
            runs.append((await self.api.call("POST", f"{ROTA}/planning-runs", json=body)).json()["id"])
        deadline = asyncio.get_running_loop().time() + self.options.plan_seconds * 3 + 60
        for run in runs:
            while True:
                state = (await self.api.call("GET", f"{ROTA}/planning-runs/{run}")).json()
                if state["status"] in ("done", "failed"):
                    if state["status"] == "failed":
                        self.report.errors.append(f"planning run {run} failed: {state.get('error')}")
                    break
                if asyncio.get_running_loop().time() > deadline:
                    raise SimulationError(f"The rota's planning run {run} did not finish (see rota.log)")
                await asyncio.sleep(1.0)
            self.progress.advance()

    def scheduled(self, visits: Iterable[dict[str, Any]], provider: Provider) -> list[ScheduledVisit]:
        """The rota's visits as the script wants them (refs, not service ids); others' visits left out."""
        out: list[ScheduledVisit] = []
        for visit in visits:
            individual = self.individual_refs.get(visit["individual_id"])
            if individual is None:
                continue
            refs = tuple(self.worker_refs[w] for w in visit["workers"] if w in self.worker_refs)
            start = visit.get("allocated_start") or visit["planned_start"]
            out.append(
                ScheduledVisit(
                    visit_id=visit["id"],
                    individual_ref=individual,
                    worker_refs=refs if len(refs) == len(visit["workers"]) else (),
                    planned_start=datetime.fromisoformat(start),
                    duration_minutes=visit["duration_minutes"],
                    tasks=tuple(visit["tasks"]),
                    workers_required=visit.get("workers_required", 1),
                )
            )
        return out

    # -- the apps -----------------------------------------------------------------------------------
    async def send(self, action: WorkerAction, index: int, day: date) -> None:
        """One record from a worker's app; retried while the visits service has not caught up."""
        request = request_for(action, record_id(day, self.options.seed, action, index))
        if request is None:
            return
        path, body = request
        kind = action.kind.value
        headers = {"Authorization": f"Bearer {self.worker_token(self.worker_ids[action.worker_ref])}"}
        self.report.sent[kind] += 1
        if action.sent_at > action.at:
            self.report.offline_records += 1
        deadline = asyncio.get_running_loop().time() + NOT_YET_SECONDS
        while True:
            async with self.limit:
                try:
                    response = await self.client.post(path, json=body, headers=headers)
                except httpx.TransportError as error:
                    raise SimulationError(
                        f"Lost the gateway at {self.api.gateway} ({error.__class__.__name__}): is "
                        "`rounds up` still running?"
                    ) from error
            status = response.status_code
            # 404: visits has not heard of the visit; 403: nor of its new allocation; 409 on a check-out:
            # the check-in is on its way; 429: the gateway's rate limit. All pass with time.
            retry = status in (403, 404, 409, 429, 502, 503, 504)
            if retry and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(
                    float(response.headers.get("Retry-After", "0.5")) if status == 429 else 0.5
                )
                continue
            break
        if status == 201:
            self.report.accepted[kind] += 1
        elif status == 200:
            self.report.replayed[kind] += 1
        else:
            self.report.refused[kind] += 1
            self.report.errors.append(f"{kind} {action.visit_id}: {status} {response.text[:200]}")

    async def report_sick(self, action: WorkerAction, provider: Provider, day: date) -> list[WorkerAction]:
        """The rota records the absence and repairs the day; the new workers' actions come back."""
        worker_id = self.worker_ids[action.worker_ref]
        zone = ZoneInfo(provider.time_zone)
        end = datetime.combine(day + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
        body = {"start": action.at.astimezone(UTC).isoformat(), "end": end.isoformat()}
        response = await self.api.call("POST", f"{ROTA}/workers/{worker_id}/absences", json=body)
        moved: dict[str, list[str]] = response.json().get("moved", {})
        self.report.sick_worker = action.worker_ref
        self.report.repaired = sum(1 for workers in moved.values() if workers)
        self.report.unallocated_after_repair = sum(1 for workers in moved.values() if not workers)
        if not moved:
            return []
        repaired = [
            visit
            for visit in self.scheduled(await self.day_visits(provider, day), provider)
            if visit.visit_id in moved and visit.worker_refs
        ]
        return list(script_visits(provider, repaired, self.options.seed, self.options.rates))

    async def replay(self, script: DayScript, provider: Provider, day: date, clock: SimClock) -> None:
        """Send every action when the simulated clock reaches it; each worker's app in its own order."""
        pending = list(script.actions)
        last = self.cutoff(provider, day)
        due = [a for a in pending if last is None or a.sent_at <= last]
        self.report.not_yet_due = len(pending) - len(due)
        self.progress.phase("the day, as the apps send it", len(due))
        queues: dict[str, asyncio.Queue[tuple[WorkerAction, int] | None]] = {}
        counters: Counter[tuple[str | None, str, str]] = Counter()

        async def app(queue: asyncio.Queue[tuple[WorkerAction, int] | None]) -> None:
            while (item := await queue.get()) is not None:
                await self.send(item[0], item[1], day)
                self.progress.advance()

        async with asyncio.TaskGroup() as group:
            queue_of: dict[str, asyncio.Queue[tuple[WorkerAction, int] | None]] = {}
            extra: list[WorkerAction] = []
            index = 0
            while index < len(due) or extra:
                if extra:
                    due = sorted([*due[index:], *extra], key=lambda a: (a.sent_at, a.at, a.worker_ref))
                    index = 0
                    if last is not None:
                        self.report.not_yet_due += sum(1 for a in due if a.sent_at > last)
                        due = [a for a in due if a.sent_at <= last]
                    self.progress.phase("the day, as the apps send it (after the repair)", len(due))
                    extra = []
                    continue
                action = due[index]
                index += 1
                wait = (clock.real_for(action.sent_at) - self.now()).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)
                if action.kind is ActionKind.REPORT_SICK:
                    extra = await self.report_sick(action, provider, day)
                    self.progress.advance()
                    continue
                key = (action.visit_id, action.worker_ref, action.kind.value)
                counters[key] += 1
                queue = queue_of.get(action.worker_ref)
                if queue is None:
                    queue = queue_of[action.worker_ref] = asyncio.Queue()
                    queues[action.worker_ref] = queue
                    group.create_task(app(queue))
                queue.put_nowait((action, counters[key]))
            for queue in queue_of.values():
                queue.put_nowait(None)

    def cutoff(self, provider: Provider, day: date) -> datetime | None:
        """The last instant whose actions are sent: now, or with ``follow`` the ``until`` time (or none)."""
        if not self.options.follow:
            return self.now()
        if self.options.until is None:
            return None
        return datetime.combine(day, self.options.until, ZoneInfo(provider.time_zone)).astimezone(UTC)

    async def outcomes(self, provider: Provider, day: date) -> None:
        """What the monitor and alerts made of the day (read back through the API)."""
        self.progress.phase("reading back what the platform made of it", len(provider.localities) + 2)
        for locality in provider.localities:
            try:
                board = await self.pages(VISITS, {"locality": locality.name, "date": day.isoformat()})
            except DemoLoadError as error:
                self.report.errors.append(f"visits board: {error}")
                board = []
            for visit in board:
                for condition in visit.get("conditions", []):
                    self.report.conditions[condition["condition"]] += 1
            self.progress.advance()
        for name, path in (("alerts", "/v1/alerts/alerts"), ("notifications", "/v1/alerts/notifications")):
            try:
                count = len(await self.pages(path, {}, most=10))
            except DemoLoadError as error:
                self.report.errors.append(f"{name}: {error}")
                count = None
            setattr(self.report, name, count)
            self.progress.advance()

    async def pages(self, path: str, params: dict[str, Any], most: int = 1000) -> list[dict[str, Any]]:
        """Items of a ``{items, next_cursor}`` list (visits, alerts), at most ``most`` pages of 200."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {**params, "limit": 200}
        for _ in range(most):
            body = (await self.api.call("GET", path, params=query)).json()
            items.extend(body["items"])
            if not body.get("next_cursor"):
                break
            query = {**query, "cursor": body["next_cursor"]}
        return items

    def state_path(self, day: date) -> Path | None:
        """Where the day's chosen events are kept (None: not kept)."""
        if self.state_dir is None:
            return None
        return self.state_dir / f"{self.options.size}-{self.options.seed}-{day.isoformat()}.json"

    async def run(self) -> SimulationReport:
        """The whole day: read, plan if needed, script, replay, read back."""
        await self.check()
        zone = ZoneInfo(TIME_ZONE)
        day = self.options.day or self.now().astimezone(zone).date()
        self.report.day = day
        provider = generate(self.options.size, self.options.seed, day)
        origin = datetime.combine(day, self.options.start, zone).astimezone(UTC)
        if origin > self.now() + timedelta(minutes=5):
            raise SimulationError(
                f"{day} {self.options.start} has not come yet: apps cannot report the future (the visits "
                "service refuses device times ahead of its clock). Simulate today or a past day."
            )
        await self.identities(provider)
        raw = await self.day_visits(provider, day)
        if self.options.plan and raw and not any(v["workers"] for v in raw):
            await self.plan_day(provider, day)
            raw = await self.day_visits(provider, day)
        visits = self.scheduled(raw, provider)
        self.report.visits = len(visits)
        self.report.allocated = sum(1 for v in visits if v.worker_refs)
        if not self.report.allocated:
            raise SimulationError(
                f"None of the demo's {len(visits)} visits on {day} is allocated: plan the day with "
                "`POST /v1/rota/planning-runs` (or run without --no-plan)."
            )
        state = self.state_path(day)
        pinned = json.loads(state.read_text(encoding="utf-8")) if state and state.exists() else None
        script = script_day(provider, day, visits, self.options.seed, self.options.rates, pinned=pinned)
        if state is not None and pinned is None:
            # A second run of the day replays the same sickness, SOS and incident (same record ids).
            state.parent.mkdir(parents=True, exist_ok=True)
            chosen = {
                "sick": script.sick_worker_ref,
                "sos": script.sos_visit,
                "incident": script.incident_visit,
            }
            state.write_text(json.dumps(chosen), encoding="utf-8")
        self.report.missed_scripted = len(script.missed)
        clock = SimClock(origin=origin, started=self.now(), speed=self.options.speed)
        await self.replay(script, provider, day, clock)
        await self.outcomes(provider, day)
        return self.report


def worker_tokens(data_dir: Path) -> Callable[[str], str]:
    """A care worker's token per worker id (with the ``worker_id`` claim), minted from the gateway's key."""
    from rounds.auth.issuer import key_path, load_or_create_signing_key, mint_token

    if not key_path(data_dir).exists():
        raise SimulationError(
            f"No issuer key at {key_path(data_dir)}: pass the running gateway's data folder with --data-dir "
            "(the one `rounds up` uses); each worker's app needs its own token."
        )
    key = load_or_create_signing_key(data_dir)
    tokens: dict[str, str] = {}

    def token(worker_id: str) -> str:
        if worker_id not in tokens:
            tokens[worker_id] = mint_token(
                key,
                subject=f"demo-app-{worker_id}",
                role="care_worker",
                worker_id=worker_id,
                ttl=timedelta(hours=26),
            )
        return tokens[worker_id]

    return token


async def simulate_day(
    gateway: str,
    data_dir: Path,
    options: SimulationOptions,
    *,
    progress: Progress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SimulationReport:
    """Run one simulated day against the platform behind ``gateway`` (its data folder: ``data_dir``)."""
    from rounds.demo.loader import builtin_token

    try:
        manager = builtin_token(data_dir)
    except DemoLoadError as error:
        raise SimulationError(str(error)) from None
    tokens = worker_tokens(data_dir)
    async with httpx.AsyncClient(
        base_url=gateway.rstrip("/"),
        headers={"Authorization": f"Bearer {manager}"},
        timeout=30.0,
        transport=transport,
    ) as client:
        simulation = Simulation(options, client, gateway, tokens, progress, state_dir=data_dir / "simulate")
        try:
            return await simulation.run()
        except DemoLoadError as error:
            raise SimulationError(str(error)) from None
