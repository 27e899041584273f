"""Load a generated provider into a running platform through the gateway's public API.

Everything goes through ``/v1/people/...`` with a bearer token, as a partner system or a data migration
would: the services' own rules and events apply, so rota, alerts and supervision learn of the demo
through Kafka exactly as they learn of real records.

**Idempotent on re-run: skip what exists.** The services give their own ids, so the loader recognises
what it loaded before by natural keys the generator makes unique and reproducible from the seed:

- localities by name, teams by (locality, name);
- workers by DBS certificate number, individuals by NHS number (the service enforces that one: 409);
- key people by (given name, family name, relationship) within their individual, counted, so a second
  run adds only the ones a first run did not get to;
- a plan by its individual (one plan each): a missing one is started, a draft is signed, an agreed one
  is left alone; on-call shifts by the roster's own rule (someone already on call then: 409, skipped);
- the rota's weekly availability of each visiting worker is a PUT that replaces it (same body, no change).

A record that exists is never changed, with two exceptions that finish what an interrupted run began:
a senior care worker created without their team gets it, and access notes are written again (the
same words) because reading them to compare would itself be an audited access to restricted data.

A different seed loaded into the same platform adds a second provider's worth of people beside the
first (natural keys differ by seed).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx

from rounds.demo import payloads
from rounds.demo.generator import generate
from rounds.demo.model import Individual, Provider, Worker

PEOPLE = "/v1/people"
PLAN_PATH = f"{PEOPLE}/individuals/{{individual_id}}/plan"
ON_CALL_PATH = f"{PEOPLE}/localities/{{locality}}/on-call/shifts"
PROFILE_PATH = "/v1/rota/workers/{worker_id}/planning-profile"
#: How long to wait for the rota to hear of a worker (people's event through Kafka) before giving up.
ROTA_CATCH_UP_SECONDS = 120.0
PAGE = 500
#: Times one request is retried after a 429 before the load gives up.
RATE_LIMIT_RETRIES = 20
#: Times an idempotent request (GET, PUT) is repeated when the service was too busy to answer.
BUSY_RETRIES = 5


class DemoLoadError(Exception):
    """The load cannot go on; the message says why and what to do."""


class Progress(Protocol):
    """Where the loader reports how far it got (a progress bar, or nothing)."""

    def phase(self, name: str, total: int) -> None:
        """A new phase of ``total`` steps begins."""

    def advance(self, steps: int = 1) -> None:
        """Steps of the current phase are done."""


class _Silent:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


@dataclass
class LoadReport:
    """What the load created and what it found already there, by kind of record."""

    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    #: Replaced by a PUT on every run (access notes, the rota's availability): the same words again.
    written: Counter[str] = field(default_factory=Counter)
    features: dict[str, bool] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        return {
            "created": dict(self.created),
            "existing": dict(self.existing),
            "written": dict(self.written),
            "features": self.features,
        }


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "1")
    try:
        return min(max(float(value), 0.1), 30.0)
    except ValueError:
        return 1.0


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(body, dict):
        return str(body)[:500]
    detail = str(body.get("detail") or body.get("title") or body)
    errors = body.get("errors")
    if errors:
        detail += f" {errors}"
    return detail


class GatewayClient:
    """The gateway's API with a bearer token; turns failures into :class:`DemoLoadError` with advice."""

    def __init__(self, client: httpx.AsyncClient, gateway: str) -> None:
        self.client = client
        self.gateway = gateway

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        ok: Iterable[int] = (),
    ) -> httpx.Response:
        """One request; 2xx and the statuses in ``ok`` come back, anything else raises.

        A 429 (the gateway's rate limit) is waited out as its ``Retry-After`` says, a few times; a busy
        service's 502/503/504 is retried for GET and PUT only, which are safe to repeat.
        """
        busy = 0
        for _ in range(RATE_LIMIT_RETRIES):
            try:
                response = await self.client.request(method, path, json=json, params=params)
            except httpx.TransportError as error:
                raise DemoLoadError(
                    f"Lost the gateway at {self.gateway} during {method} {path} "
                    f"({error.__class__.__name__}). Is `rounds up` still running? Run the load again: it "
                    "skips what is already there."
                ) from error
            if response.status_code in (502, 503, 504) and method in ("GET", "PUT") and busy < BUSY_RETRIES:
                busy += 1
                await asyncio.sleep(2.0 * busy)
                continue
            if response.status_code != 429:
                break
            await asyncio.sleep(_retry_after(response))
        if response.is_success or response.status_code in set(ok):
            return response
        if response.status_code == 401:
            raise DemoLoadError(
                f"The gateway refused the token ({_problem(response)}). Use the gateway's data folder "
                "(--data-dir, the one `rounds up` uses) or pass a token with --token."
            )
        if response.status_code == 429:
            raise DemoLoadError(f"The gateway kept limiting the rate of {method} {path}: try --concurrency 2")
        if response.status_code == 403:
            raise DemoLoadError(f"The token may not {method} {path}: {_problem(response)}")
        if response.status_code in (502, 503, 504):
            raise DemoLoadError(f"{method} {path}: the service did not answer ({_problem(response)})")
        raise DemoLoadError(f"{method} {path} failed with {response.status_code}: {_problem(response)}")

    async def every(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a cursor-paginated list."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"limit": PAGE, **(params or {})}
        while True:
            response = await self.call("GET", path, params=query)
            items.extend(response.json())
            cursor = response.headers.get("X-Next-Cursor")
            if not cursor:
                return items
            query = {**query, "cursor": cursor}


async def check_gateway(
    client: httpx.AsyncClient, gateway: str, *, attempts: int = 5, retry_seconds: float = 2.0
) -> dict[str, bool]:
    """Fail clearly when no gateway answers; say which optional parts of the people API it offers."""
    try:
        health = await client.get("/healthz")
    except httpx.TransportError as error:
        raise DemoLoadError(
            f"No gateway answers at {gateway} ({error.__class__.__name__}). Start the platform with "
            "`rounds up` (or point --gateway at a running one) and try again."
        ) from error
    if health.status_code != 200:
        raise DemoLoadError(
            f"The gateway at {gateway} is not healthy: {health.status_code} {_problem(health)}"
        )
    paths: dict[str, Any] = {}
    # A busy people service can miss the gateway's short probe; the merged document then leaves it out
    # (naming it in x-rounds-unavailable), so ask again a few times before giving up.
    for attempt in range(attempts):
        document = await client.get("/openapi.json")
        paths = document.json().get("paths", {}) if document.status_code == 200 else {}
        if f"{PEOPLE}/individuals" in paths:
            return {
                "plans": PLAN_PATH in paths,
                "on_call": ON_CALL_PATH in paths,
                "rota_availability": PROFILE_PATH in paths,
            }
        if attempt + 1 < attempts:
            await asyncio.sleep(retry_seconds)
    raise DemoLoadError(
        f"The gateway at {gateway} does not offer the people service's API (is the people service up? "
        "see `rounds up`'s logs)"
    )


class _Loader:
    def __init__(self, provider: Provider, api: GatewayClient, concurrency: int, progress: Progress) -> None:
        self.provider = provider
        self.api = api
        self.progress = progress
        self.limit = asyncio.Semaphore(concurrency)
        self.report = LoadReport()
        self.locality_ids: dict[str, str] = {}
        self.team_ids: dict[str, str] = {}
        self.worker_ids: dict[str, str] = {}
        self.worker_teams: dict[str, str | None] = {}
        self.individual_ids: dict[str, str] = {}
        self.preexisting_individuals: set[str] = set()
        self.managers = {w.locality: w.ref for w in provider.workers if w.role == "registered_manager"}

    async def each(self, name: str, items: list[Any], work: Callable[[Any], Awaitable[None]]) -> None:
        """Run ``work`` on every item, a few at a time, advancing the progress bar."""
        self.progress.phase(name, len(items))

        async def one(item: Any) -> None:
            async with self.limit:
                await work(item)
            self.progress.advance()

        # TaskGroup cancels the rest when one fails; the first error is the one reported.
        try:
            async with asyncio.TaskGroup() as group:
                for item in items:
                    group.create_task(one(item))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def run(self, features: dict[str, bool]) -> LoadReport:
        self.report.features = features
        await self.localities_and_teams(teams=False)
        await self.workers()
        if features["on_call"]:
            await self.on_call()
        await self.individuals()
        await self.each("key people, notes and plans", list(self.provider.individuals), self.circle_of)
        if features["rota_availability"]:
            visiting = [w for w in self.provider.workers if w.visits]
            await self.each("rota: workers' weekly availability", visiting, self.availability)
        return self.report

    # -- organisation ----------------------------------------------------------------------------------
    async def organisation(self) -> dict[str, Any]:
        response = await self.api.call("GET", f"{PEOPLE}/organisation")
        body: dict[str, Any] = response.json()
        return body

    async def localities_and_teams(self, *, teams: bool) -> None:
        known = await self.organisation()
        self.locality_ids = {loc["name"]: loc["id"] for loc in known["localities"]}
        if not teams:
            missing = [loc for loc in self.provider.localities if loc.name not in self.locality_ids]
            self.report.existing["localities"] += len(self.provider.localities) - len(missing)

            async def add(locality: Any) -> None:
                response = await self.api.call(
                    "POST", f"{PEOPLE}/localities", json={"name": locality.name}, ok=[409]
                )
                if response.status_code == 409:
                    self.report.existing["localities"] += 1
                    return
                self.locality_ids[locality.name] = response.json()["id"]
                self.report.created["localities"] += 1

            await self.each("localities", missing, add)
            if any(loc.name not in self.locality_ids for loc in missing):
                self.locality_ids = {
                    loc["name"]: loc["id"] for loc in (await self.organisation())["localities"]
                }
            return
        existing = {(t["locality_id"], t["name"]): t["id"] for t in known["teams"]}

        async def add_team(team: Any) -> None:
            locality_id = self.locality_ids[team.locality]
            found = existing.get((locality_id, team.name))
            if found:
                self.team_ids[team.ref] = found
                self.report.existing["teams"] += 1
                return
            manager = self.worker_ids.get(team.manager_ref or "")
            body = payloads.team_body(team, locality_id, manager)
            self.team_ids[team.ref] = (await self.api.call("POST", f"{PEOPLE}/teams", json=body)).json()["id"]
            self.report.created["teams"] += 1

        await self.each("teams", list(self.provider.teams), add_team)

    # -- workers ---------------------------------------------------------------------------------------
    async def workers(self) -> None:
        self.progress.phase("reading workers already there", 1)
        existing = {
            w["dbs"]["certificate_number"]: w
            for w in await self.api.every(f"{PEOPLE}/workers")
            if w.get("dbs")
        }
        self.progress.advance()
        for worker in self.provider.workers:
            found = existing.get(worker.dbs.certificate_number)
            if found:
                self.worker_ids[worker.ref] = found["id"]
                self.worker_teams[worker.ref] = found.get("team_id")
        # Managers before their reports, so every line manager has an id when their reports are made.
        waves = [("registered_manager",), ("coordinator",), ("senior_care_worker",)]
        for roles in waves:
            await self.each(
                f"workers: {roles[0].replace('_', ' ')}s",
                [w for w in self.provider.workers if w.role in roles],
                self.add_worker,
            )
        await self.localities_and_teams(teams=True)
        await self.each(
            "workers: care workers and nurses",
            [w for w in self.provider.workers if w.role in ("care_worker", "nurse")],
            self.add_worker,
        )
        seniors = [
            w
            for w in self.provider.workers
            if w.role == "senior_care_worker" and w.team_ref and not self.worker_teams.get(w.ref)
        ]
        await self.each("workers: seniors join their teams", seniors, self.join_team)

    async def add_worker(self, worker: Worker) -> None:
        if worker.ref in self.worker_ids:
            self.report.existing["workers"] += 1
            return
        manager = self.worker_ids.get(worker.line_manager_ref or "")
        team = self.team_ids.get(worker.team_ref or "") if worker.role != "senior_care_worker" else None
        body = payloads.worker_body(worker, manager, team)
        created = (await self.api.call("POST", f"{PEOPLE}/workers", json=body)).json()
        self.worker_ids[worker.ref] = created["id"]
        self.worker_teams[worker.ref] = created.get("team_id")
        self.report.created["workers"] += 1

    async def join_team(self, worker: Worker) -> None:
        team = self.team_ids[worker.team_ref or ""]
        await self.api.call(
            "PATCH", f"{PEOPLE}/workers/{self.worker_ids[worker.ref]}", json={"team_id": team}
        )
        self.report.created["team_memberships"] += 1

    async def on_call(self) -> None:
        phones = {w.ref: w.phone for w in self.provider.workers}

        async def add(shift: Any) -> None:
            body = payloads.on_call_body(shift, self.worker_ids[shift.worker_ref], phones[shift.worker_ref])
            path = ON_CALL_PATH.format(locality=shift.locality)
            response = await self.api.call("POST", path, json=body, ok=[409])
            if response.status_code == 409:
                self.report.existing["on_call_shifts"] += 1
            else:
                self.report.created["on_call_shifts"] += 1

        await self.each("on-call roster", list(self.provider.on_call), add)

    async def availability(self, worker: Worker) -> None:
        """Tell the rota when the worker is available (people has no availability yet; 000 P3 hours).

        The rota knows a worker only once people's ``rounds.worker.registered.v1`` reached it through
        Kafka, so a 404 is waited out. The PUT replaces the timetable: the same one again changes nothing.
        """
        path = PROFILE_PATH.format(worker_id=self.worker_ids[worker.ref])
        body = payloads.planning_profile_body(worker)
        deadline = asyncio.get_running_loop().time() + ROTA_CATCH_UP_SECONDS
        while (await self.api.call("PUT", path, json=body, ok=[404])).status_code == 404:
            if asyncio.get_running_loop().time() > deadline:
                raise DemoLoadError(
                    f"The rota has not heard of worker {worker.ref} after {ROTA_CATCH_UP_SECONDS:.0f} s: is "
                    "the broker up, and the rota consuming rounds.people.workers? (see rota.log)"
                )
            await asyncio.sleep(1.0)
        self.report.written["rota_availability"] += 1

    # -- individuals -----------------------------------------------------------------------------------
    async def individuals(self) -> None:
        self.progress.phase("reading individuals already there", 1)
        existing = {
            i["nhs_number"]: i["id"]
            for i in await self.api.every(f"{PEOPLE}/individuals")
            if i.get("nhs_number")
        }
        self.progress.advance()
        for individual in self.provider.individuals:
            if individual.nhs_number in existing:
                self.individual_ids[individual.ref] = existing[individual.nhs_number]
                self.preexisting_individuals.add(individual.ref)
        await self.each("individuals", list(self.provider.individuals), self.add_individual)

    async def add_individual(self, individual: Individual) -> None:
        if individual.ref in self.individual_ids:
            self.report.existing["individuals"] += 1
            return
        body = payloads.individual_body(individual, self.worker_ids)
        response = await self.api.call("POST", f"{PEOPLE}/individuals", json=body, ok=[409])
        if response.status_code == 409:
            # Made by a run that was interrupted after the list was read: find it by name and NHS number.
            matches = await self.api.every(f"{PEOPLE}/individuals", {"name": individual.family_name})
            found = next(i["id"] for i in matches if i.get("nhs_number") == individual.nhs_number)
            self.individual_ids[individual.ref] = found
            self.preexisting_individuals.add(individual.ref)
            self.report.existing["individuals"] += 1
            return
        self.individual_ids[individual.ref] = response.json()["id"]
        self.report.created["individuals"] += 1

    async def circle_of(self, individual: Individual) -> None:
        """The individual's key people, access notes and plan."""
        individual_id = self.individual_ids[individual.ref]
        await self.key_people(individual, individual_id)
        notes = payloads.access_notes_body(individual)
        if notes is not None:
            await self.api.call("PUT", f"{PEOPLE}/individuals/{individual_id}/access-notes", json=notes)
            self.report.written["access_notes"] += 1
        if self.report.features.get("plans"):
            await self.plan(individual, individual_id)

    async def key_people(self, individual: Individual, individual_id: str) -> None:
        path = f"{PEOPLE}/individuals/{individual_id}/key-people"
        have: Counter[tuple[str, str, str]] = Counter()
        if individual.ref in self.preexisting_individuals:
            have.update(payloads.key_person_identity(p) for p in (await self.api.call("GET", path)).json())
        for person in individual.key_people:
            body = payloads.key_person_body(person)
            identity = payloads.key_person_identity(body)
            if have[identity] > 0:
                have[identity] -= 1
                self.report.existing["key_people"] += 1
                continue
            await self.api.call("POST", path, json=body)
            self.report.created["key_people"] += 1

    async def plan(self, individual: Individual, individual_id: str) -> None:
        """Start the plan and have it signed by the individual and the branch's registered manager."""
        path = PLAN_PATH.format(individual_id=individual_id)
        response = await self.api.call("GET", path, ok=[404])
        if response.status_code == 404:
            response = await self.api.call("POST", path, json=payloads.plan_body(individual.plan))
            self.report.created["plans"] += 1
        else:
            self.report.existing["plans"] += 1
        plan = response.json()
        if plan["status"] != "draft":
            return
        # 003 P14: signed off by the individual and by the service (the branch's registered manager).
        if not plan["signed_for_individual"]:
            body = {"kind": "individual", "signer_id": individual_id}
            plan = (await self.api.call("POST", f"{path}/sign-offs", json=body)).json()
        if not plan["signed_by_coordinator"]:
            manager = self._registered_manager(individual.locality)
            body = {"kind": "coordinator", "signer_id": self.worker_ids[manager]}
            plan = (await self.api.call("POST", f"{path}/sign-offs", json=body)).json()
        if plan["status"] == "agreed":
            self.report.created["plans_agreed"] += 1

    def _registered_manager(self, locality: str) -> str:
        return self.managers[locality]


async def load_provider(
    provider: Provider,
    gateway: str,
    token: str,
    *,
    concurrency: int = 8,
    progress: Progress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 30.0,
) -> LoadReport:
    """Push ``provider`` into the platform behind ``gateway``; what exists already is skipped."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=gateway.rstrip("/"), headers=headers, timeout=timeout, transport=transport
    ) as client:
        features = await check_gateway(client, gateway)
        loader = _Loader(provider, GatewayClient(client, gateway), concurrency, progress or _Silent())
        return await loader.run(features)


def builtin_token(data_dir: Path) -> str:
    """A registered manager's token from the gateway's built-in issuer key in ``data_dir``.

    A registered manager may write people's records in every locality: the load is their data migration.
    """
    from rounds.auth.issuer import key_path, load_or_create_signing_key, mint_token

    if not key_path(data_dir).exists():
        raise DemoLoadError(
            f"No issuer key at {key_path(data_dir)}: pass the data folder of the running gateway with "
            "--data-dir (the one `rounds up` uses), or a bearer token with --token."
        )
    return mint_token(
        load_or_create_signing_key(data_dir),
        subject="demo-loader",
        role="registered_manager",
        ttl=timedelta(hours=4),
    )


async def load_default_demo(
    gateway: str,
    data_dir: Path,
    as_of: date,
    *,
    size: str = "small",
    seed: int = 7,
    progress: Progress | None = None,
) -> LoadReport:
    """What ``rounds up`` can call once the gateway is ready: the small demo branch, loaded or completed.

    Idempotent, so calling it on every start is safe (a second time takes seconds and creates nothing).
    """
    return await load_provider(
        generate(size, seed, as_of), gateway, builtin_token(data_dir), progress=progress
    )
