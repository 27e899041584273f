"""``rounds simulate`` through a real ``rounds up`` (Postgres, embedded broker, every service, gateway).

The tiny demo is loaded; the rota gets a package for one of its individuals with visits a few seconds
from now (the demo's own visits lie hours ahead: the rota only generates visits whose window has not
opened), one of them needing a skill nobody has, so nobody comes. The provider's thresholds are made
short (late after 15 s, missed after 30 s) so the real monitor fires within the test. The simulator
then runs live over the next minute and a half and the effects are read back through the API: records
accepted, and accepted only once when the day is simulated again; the unstaffed visit raised late and
missed by the monitor; the worker sick at 07:00 holds none of the day's remaining visits.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from rounds.demo.day import DayRates
from rounds.demo.generator import TIME_ZONE, generate
from rounds.demo.loader import load_default_demo
from rounds.demo.payloads import planning_profile_body
from rounds.simulate.driver import SimulationOptions, simulate_day
from tests.e2e.test_proving_flow import Platform, platform, platform_databases  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration

ZONE = ZoneInfo(TIME_ZONE)
#: Everybody on time (stays half the planned 5 minutes: beyond the window), nobody missing.
PROMPT = DayRates(
    missed=0.0, never_checked_out=0.0, lateness_bands=((1.0, 0, 0),), duration_mean=0.2, duration_spread=0.0
)


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _on_shift_now(api: httpx.AsyncClient, provider: Any, locality: str, today: date) -> None:
    """Give the locality's visiting workers a shift over the rest of today as well as their own.

    The demo's shifts (early, late, split) leave gaps, and CI runs at any hour: without this the
    test's visits, which start in a minute, could fall where nobody is on shift.
    """
    people = await _get(api, "/v1/people/workers", locality=locality, limit=500)
    ids = {(w["given_name"], w["family_name"]): w["id"] for w in people}
    rest_of_today = {"weekday": today.weekday(), "start": "00:00", "end": "23:59"}
    for worker in provider.workers:
        if worker.locality == locality and worker.visits:
            body = planning_profile_body(worker)
            body["availability"] = [a for a in body["availability"] if a["weekday"] != today.weekday()]
            body["availability"].append(rest_of_today)
            path = f"/v1/rota/workers/{ids[(worker.given_name, worker.family_name)]}/planning-profile"
            response = await api.put(path, json=body)
            assert response.status_code == 204, response.text


async def test_a_simulated_window_through_the_real_platform(
    platform: Platform,  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    today = datetime.now(ZONE).date()
    if datetime.now(ZONE).hour >= 23:
        pytest.skip("the test's visits must start and end on today's local date")
    await load_default_demo(platform.gateway, data_dir, today, size="tiny", seed=7)
    provider = generate("tiny", 7, today)
    async with httpx.AsyncClient(base_url=platform.gateway, headers=platform.auth, timeout=30) as api:
        thresholds = {
            "late_after_minutes": 0.25,
            "missed_after_minutes": 0.5,
            "short_share": 0.1,
            "overrun_after_minutes": 15,
            "overdue_grace_minutes": 30,
        }
        assert (await api.put("/v1/visits/thresholds/*", json=thresholds)).status_code == 200
        individual = provider.individuals[0]
        found = await _get(api, "/v1/people/individuals", name=individual.family_name, limit=50)
        individual_id = next(i["id"] for i in found if i["nhs_number"] == individual.nhs_number)
        start = (datetime.now(ZONE) + timedelta(seconds=40)).replace(microsecond=0)
        await _on_shift_now(api, provider, individual.locality, today)
        line = {
            "weekdays": [today.weekday()],
            "preferred_start": start.time().isoformat(),
            "duration_minutes": 5,
            "flexibility_minutes": 0,
            "tasks": ["wash"],
        }
        package = {
            "individual_id": individual_id,
            "locality": individual.locality,
            "location": {"lat": individual.address.location.lat, "lon": individual.address.location.lon},
            "start_date": today.isoformat(),
            "end_date": today.isoformat(),
            "visits": [{**line, "id": f"sim-{n}"} for n in range(3)]
            + [{**line, "id": "sim-nobody", "required_skills": ["deep sea diving"]}],
        }
        created = await api.post("/v1/rota/packages", json=package)
        assert created.status_code == 201, created.text
        run = await api.post(
            "/v1/rota/planning-runs",
            json={
                "locality": individual.locality,
                "date": today.isoformat(),
                "engine": "greedy",
                "time_limit_s": 5,
            },
        )
        assert run.status_code == 202, run.text
        for _ in range(60):
            state = await _get(api, f"/v1/rota/planning-runs/{run.json()['id']}")
            if state["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.5)
        assert state["status"] == "done", state
        ours = [
            v
            for v in await _get(api, "/v1/rota/visits", date=today.isoformat(), limit=500)
            if v["package_id"] == created.json()["id"]
        ]
        assert len(ours) == 4
        staffed = [v for v in ours if v["workers"]]
        assert staffed, f"the greedy plan staffed none of the test's visits: {state['result']}"
        nobody = next(v for v in ours if not v["workers"])

        # A stay is half the planned 5 minutes (the duration factor's floor): the task is due 75 s in, the
        # check-out 150 s in. Until 105 s: the task is always sent, however fast the set-up went.
        until = (start + timedelta(seconds=105)).time()
        options = SimulationOptions(
            size="tiny", seed=7, day=today, follow=True, until=until, plan=False, rates=PROMPT, speed=100_000
        )
        first = await simulate_day(platform.gateway, data_dir, options)
        assert sum(first.accepted.values()) >= 2, first.as_dict()
        assert first.accepted["check_in"] >= 1, (first.as_dict(), first.errors)
        assert first.accepted["task_done"] >= 1, first.as_dict()
        assert not first.refused, first.errors
        assert first.sick_worker is not None

        # The same day again: the apps send the same records (same ids); nothing is stored twice.
        second = await simulate_day(
            platform.gateway, data_dir, SimulationOptions(**{**options.__dict__, "follow": False})
        )
        assert sum(second.accepted.values()) == 0, second.as_dict()
        assert sum(second.replayed.values()) >= sum(first.accepted.values()), second.as_dict()

        # Every record stored once: as many as the first run had accepted, each id once.
        stored: list[str] = []
        for visit in ours:
            history = await _get(api, f"/v1/visits/visits/{visit['id']}/records")
            stored.extend(r["record_id"] for r in history["records"])
        assert len(stored) == len(set(stored)) == sum(first.accepted.values())

        # The monitor, on the real clock, raised late then missed for the visit nobody could staff.
        raised: set[str] = set()
        for _ in range(60):
            board = await _get(api, f"/v1/visits/visits/{nobody['id']}")
            raised = {c["condition"] for c in board["conditions"]}
            if {"late", "missed"} <= raised:
                break
            await asyncio.sleep(0.5)
        assert {"late", "missed"} <= raised, board

        # The sick worker holds none of the day's visits from 07:00 on: moved to others or unallocated.
        sick_id = next(
            w["id"]
            for w in await _get(api, "/v1/people/workers", limit=500)
            if (w.get("dbs") or {}).get("certificate_number")
            == next(x.dbs.certificate_number for x in provider.workers if x.ref == first.sick_worker)
        )
        day_visits = await _get(api, "/v1/rota/visits", date=today.isoformat(), limit=500)
        seven = datetime.combine(today, datetime.min.time().replace(hour=7), ZONE).astimezone(UTC)
        assert not [
            v
            for v in day_visits
            if sick_id in v["workers"] and datetime.fromisoformat(v["planned_start"]) >= seven
        ]
