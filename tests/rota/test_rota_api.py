"""The rota's API end to end in-process: packages, visits, planning runs, moves, repair and schedules.

Real databases (SQLite and Postgres) through the service's own migrations; events are checked in the
outbox, in the same transaction as the state they describe.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rounds.contracts.people import WorkerRegistered
from rounds.infra.messaging_tables import outbox
from services.rota import handlers
from tests.integration.kit import eventually
from tests.rota.conftest import EVERY_DAY, NOW, TOMORROW

pytestmark = pytest.mark.integration


async def _worker(rota: httpx.AsyncClient, name: str, gender: str, skills: list[str]) -> str:
    """A worker as the consumer of people's events records them, plus a planning profile."""
    worker_id = uuid.uuid4()
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    event = WorkerRegistered(
        worker_id=worker_id,
        given_name=name,
        family_name="Test",
        role="care_worker",
        locality="leeds",
        skills=skills,
    )
    async with runtime.unit_of_work() as uow:
        await handlers.record_worker(uow, event, NOW)
        await uow.commit()
    profile = {"gender": gender, "home": {"lat": 53.80, "lon": -1.55}, "availability": EVERY_DAY}
    response = await rota.put(f"/workers/{worker_id}/planning-profile", json=profile)
    assert response.status_code == 204, response.text
    return str(worker_id)


def _package(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "individual_id": str(uuid.uuid4()),
        "locality": "leeds",
        "location": {"lat": 53.81, "lon": -1.56},
        "address": "1 Park Row",
        "start_date": "2026-11-01",
        "visits": [
            {"id": "morning", "weekdays": list(range(7)), "preferred_start": "08:00", "duration_minutes": 45,
             "workers_required": 2, "required_skills": ["hoist"], "tasks": ["transfer", "wash"]},
            {"id": "tea", "weekdays": list(range(7)), "preferred_start": "17:00", "duration_minutes": 30},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


async def _outbox_types(rota: httpx.AsyncClient) -> Counter[str]:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        return Counter(r.type for r in await session.execute(sa.select(outbox.c.type)))


async def test_a_day_is_planned_in_the_background_and_announced(rota: httpx.AsyncClient) -> None:
    anne = await _worker(rota, "Anne", "female", ["hoist", "medication"])
    bea = await _worker(rota, "Bea", "female", ["hoist"])
    created = await rota.post("/packages", json=_package())
    assert created.status_code == 201, created.text
    assert created.json()["visits_scheduled"] == 8  # Mon 17:00 + Tue-Thu, two lines (Mon 08:00 has passed)

    started = await rota.post(
        "/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy"}
    )
    assert started.status_code == 202
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    run = (await rota.get(started.headers["location"].join(["/", ""]))).json()
    assert run["status"] == "done", run
    assert run["result"]["hard_violations"] == 0
    assert run["result"]["indicators"]["unallocated_visits"] == 0

    visits = (await rota.get("/visits", params={"date": str(TOMORROW)})).json()
    morning = next(v for v in visits if v["workers_required"] == 2)
    assert sorted(morning["workers"]) == sorted([anne, bea])
    schedule = (await rota.get(f"/workers/{bea}/schedule", params={"date": str(TOMORROW)})).json()
    assert schedule["version"] == 1
    assert schedule["visits"][0]["local_start"] == "08:00"
    assert schedule["visits"][0]["co_worker"] == anne
    assert schedule["visits"][0]["address"] == "1 Park Row"

    types = await _outbox_types(rota)
    assert types["rounds.visit.scheduled.v1"] == 8
    assert types["rounds.visit.allocated.v1"] == 2
    assert types["rounds.worker.schedule_changed.v1"] == 2


async def test_a_move_breaking_a_hard_rule_is_refused_and_a_soft_one_needs_a_reason(
    rota: httpx.AsyncClient,
) -> None:
    anne = await _worker(rota, "Anne", "female", ["hoist"])
    carl = await _worker(rota, "Carl", "male", ["hoist"])
    await rota.post("/packages", json=_package(carer_gender="female"))
    tea = next(
        v
        for v in (await rota.get("/visits", params={"date": str(TOMORROW)})).json()
        if v["workers_required"] == 1
    )

    refused = await rota.put(
        f"/visits/{tea['id']}/allocation", json={"workers": [carl], "start": tea["planned_start"]}
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert [v["rule"] for v in refused.json()["violations"]] == ["carer_gender"]

    late = "2026-11-24T17:20:00Z"
    soft = await rota.put(f"/visits/{tea['id']}/allocation", json={"workers": [anne], "start": late})
    assert soft.status_code == 409
    assert {v["rule"] for v in soft.json()["violations"]} == {"preferred_time"}
    accepted = await rota.put(
        f"/visits/{tea['id']}/allocation",
        json={"workers": [anne], "start": late, "override_reason": "family asked"},
    )
    assert accepted.status_code == 200, accepted.text
    types = await _outbox_types(rota)
    assert types["rounds.visit.allocated.v1"] == 1


async def test_sickness_moves_only_the_sick_workers_visits(rota: httpx.AsyncClient) -> None:
    workers = [await _worker(rota, f"W{i}", "female", ["hoist"]) for i in range(4)]
    for _ in range(3):
        await rota.post("/packages", json=_package())
    await rota.post(
        "/planning-runs",
        json={"locality": "leeds", "date": str(TOMORROW), "engine": "engine", "time_limit_s": 1},
    )
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    before = {v["id"]: v for v in (await rota.get("/visits", params={"date": str(TOMORROW)})).json()}
    sick = max(workers, key=lambda w: sum(w in v["workers"] for v in before.values()))

    response = await rota.post(
        f"/workers/{sick}/absences", json={"start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z"}
    )
    assert response.status_code == 200, response.text
    moved = response.json()["moved"]
    after = {v["id"]: v for v in (await rota.get("/visits", params={"date": str(TOMORROW)})).json()}
    assert set(moved) == {k for k, v in before.items() if sick in v["workers"]}
    assert all(after[k] == v for k, v in before.items() if k not in moved), "nobody else's visit moved"
    assert all(sick not in v["workers"] for v in after.values())


async def test_a_changed_package_moves_future_visits_and_tells_the_workers(rota: httpx.AsyncClient) -> None:
    await _worker(rota, "Anne", "female", ["hoist"])
    await _worker(rota, "Bea", "female", ["hoist"])
    body = _package()
    package_id = (await rota.post("/packages", json=body)).json()["id"]
    await rota.post("/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy"})
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]

    body["visits"] = body["visits"][:1]  # the tea visit stops
    changed = await rota.put(f"/packages/{package_id}", json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"id": package_id, "version": 2, "visits_scheduled": 0, "visits_changed": 0,
                              "visits_cancelled": 4}  # fmt: skip
    types = await _outbox_types(rota)
    assert types["rounds.visit.cancelled.v1"] == 4
    assert types["rounds.worker.schedule_changed.v1"] >= 3  # two for the plan, one for the tea visit's worker


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visits": []}, "body.visits"),
        ({"carer_gender": "any"}, "body.carer_gender"),
        ({"end_date": "2026-10-01"}, "body.end_date"),
        ({"location": {"lat": 91, "lon": 0}}, "body.location.lat"),
    ],
)
async def test_a_bad_package_is_refused_with_the_field_and_nothing_is_saved(
    rota: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await rota.post("/packages", json=_package(**changes))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await _outbox_types(rota) == Counter()


async def test_lists_page_with_cursors_and_refuse_unbounded_numbers(rota: httpx.AsyncClient) -> None:
    # Regression: an unbounded integer offset overflowed SQLite's integer (500); lists now page by cursor.
    names = sorted([await _worker(rota, f"W{i}", "female", []) for i in range(5)])
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await rota.get("/workers", params=params)
        assert page.status_code == 200, page.text
        seen.extend(w["id"] for w in page.json())
        if "x-next-cursor" not in page.headers:
            break
        assert page.headers["link"].startswith("<workers?limit=2&cursor=")
        params["cursor"] = page.headers["x-next-cursor"]
    assert sorted(seen) == names  # no duplicates, none missed

    await rota.post("/packages", json=_package())
    first = await rota.get("/visits", params={"date": str(TOMORROW), "limit": 1})
    second = await rota.get(
        "/visits", params={"date": str(TOMORROW), "limit": 1, "cursor": first.headers["x-next-cursor"]}
    )
    assert first.json()[0]["planned_start"] < second.json()[0]["planned_start"]
    assert "x-next-cursor" not in second.headers  # two visits tomorrow

    for path, query, field in [
        ("/workers", {"offset": 2**64, "limit": 2**64}, "query.limit"),
        ("/workers", {"cursor": "not-ours"}, "query.cursor"),
        ("/visits", {"date": str(TOMORROW), "cursor": "WyJ4IiwgInkiXQ"}, "query.cursor"),
        ("/visits", {"date": "0001-01-01"}, "query.date"),
    ]:
        refused = await rota.get(path, params=query)
        assert refused.status_code == 422, (path, query, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]]


async def test_an_absence_far_ahead_repairs_only_the_horizon(rota: httpx.AsyncClient) -> None:
    worker = await _worker(rota, "Anne", "female", [])
    long = await rota.post(
        f"/workers/{worker}/absences", json={"start": "2026-11-24T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    )
    assert long.status_code == 200, long.text
    ancient = await rota.post(
        f"/workers/{worker}/absences", json={"start": "0001-01-01T00:00:00+14:00", "end": "2026-01-01T00:00Z"}
    )
    assert ancient.status_code == 422
    assert "body.start" in [e["field"] for e in ancient.json()["errors"]]


async def test_a_worker_subscribes_to_their_visits_as_a_calendar(rota: httpx.AsyncClient) -> None:
    anne = await _worker(rota, "Anne", "female", ["hoist"])
    bea = await _worker(rota, "Bea", "female", ["hoist"])
    await rota.post("/packages", json=_package(address="1 Park Row, Leeds; side door"))
    await rota.post("/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy"})
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]

    feed = await rota.get(f"/workers/{bea}/schedule.ics", params={"from": str(TOMORROW), "days": 2})
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    text = feed.text
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART:20261124T080000Z" in unfolded  # 08:00 in November is 08:00 UTC
    assert "LOCATION:1 Park Row\\, Leeds\\; side door" in unfolded
    assert f"with {anne}" in unfolded  # the double-up's co-worker
    assert "SEQUENCE:1" in unfolded


async def test_generation_brings_new_days_into_the_horizon_once(rota: httpx.AsyncClient) -> None:
    await rota.post("/packages", json=_package())
    clock = rota.app.state.runtime.clock  # type: ignore[attr-defined]
    clock.advance(timedelta(days=2))  # two days later the horizon reaches two more days
    first = await rota.post("/visit-generation")
    assert first.status_code == 200, first.text
    assert first.json() == {"visits_scheduled": 4, "horizon_days": 3}
    again = await rota.post("/visit-generation")
    assert again.json()["visits_scheduled"] == 0


async def test_a_visit_moved_by_its_package_on_a_planned_day_is_repaired_into_the_gaps(
    rota: httpx.AsyncClient,
) -> None:
    await _worker(rota, "Anne", "female", ["hoist"])
    await _worker(rota, "Bea", "female", ["hoist"])
    body = _package()
    package_id = (await rota.post("/packages", json=body)).json()["id"]
    await rota.post("/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy"})
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    before = {v["id"]: v for v in (await rota.get("/visits", params={"date": str(TOMORROW)})).json()}
    morning = next(v for v in before.values() if v["workers_required"] == 2)

    body["visits"][1]["preferred_start"] = "18:00"  # tea moves an hour later
    assert (await rota.put(f"/packages/{package_id}", json=body)).status_code == 200
    after = {v["id"]: v for v in (await rota.get("/visits", params={"date": str(TOMORROW)})).json()}
    tea = next(v for v in after.values() if v["workers_required"] == 1)
    assert tea["planned_start"] == "2026-11-24T18:00:00Z"
    assert tea["allocated_start"] == "2026-11-24T18:00:00Z"
    assert len(tea["workers"]) == 1
    assert set(tea["workers"]) <= set(before[morning["id"]]["workers"])  # one of the two on shift
    assert after[morning["id"]] == morning  # the unchanged visit kept its allocation
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        reasons = [
            json.loads(r.data)["reason"]
            for r in await session.execute(
                sa.select(outbox.c.data).where(outbox.c.type == "rounds.visit.allocated.v1")
            )
        ]
    assert reasons.count("repair") == 1


async def test_an_individual_sees_when_visits_are_and_who_is_coming(rota: httpx.AsyncClient) -> None:
    await _worker(rota, "Anne", "female", ["hoist"])
    await _worker(rota, "Bea", "female", ["hoist"])
    body = _package()
    await rota.post("/packages", json=body)
    await rota.post("/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy"})
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]

    response = await rota.get(
        f"/individuals/{body['individual_id']}/schedule", params={"from": str(TOMORROW), "days": 2}
    )
    assert response.status_code == 200, response.text
    visits = response.json()["visits"]
    assert [(v["local_date"], v["local_start"]) for v in visits] == [
        ("2026-11-24", "08:00"), ("2026-11-24", "17:00"), ("2026-11-25", "08:00"), ("2026-11-25", "17:00"),
    ]  # fmt: skip
    assert sorted(w["given_name"] for w in visits[0]["workers"]) == ["Anne", "Bea"]
    assert visits[2]["workers"] == []  # the 25th is not planned yet
    other = await rota.get(f"/individuals/{uuid.uuid4()}/schedule", params={"from": str(TOMORROW)})
    assert other.json()["visits"] == []


async def test_a_running_plan_reports_progress_as_its_time_limit_goes_by(rota: httpx.AsyncClient) -> None:
    await _worker(rota, "Anne", "female", ["hoist"])
    await rota.post("/packages", json=_package())
    started = await rota.post(
        "/planning-runs",
        json={"locality": "leeds", "date": str(TOMORROW), "engine": "engine", "time_limit_s": 4},
    )
    url = f"/planning-runs/{started.json()['id']}"
    rota.app.state.runtime.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]

    async def running() -> bool:
        return bool((await rota.get(url)).json()["status"] == "running")

    await eventually(running, timeout=10)
    assert (await rota.get(url)).json()["progress"] == pytest.approx(0.525, abs=0.01)  # 0.1 + 0.85 x 2/4
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    done = (await rota.get(url)).json()
    assert (done["status"], done["progress"]) == ("done", 1.0)


async def test_a_coordinator_tunes_a_runs_soft_costs_and_the_result_says_which_were_used(
    rota: httpx.AsyncClient,
) -> None:
    await _worker(rota, "Anne", "female", ["hoist", "medication"])
    await _worker(rota, "Bea", "female", ["hoist"])
    await rota.post("/packages", json=_package())
    chosen = {"unknown_worker": 0, "travel_minute": 3}
    started = await rota.post(
        "/planning-runs",
        json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy", "weights": chosen},
    )
    assert started.status_code == 202, started.text
    assert started.json()["weights"] == {
        "travel_minute": 3, "lateness_minute": 1, "unknown_worker": 0, "overtime_minute": 2,
    }  # fmt: skip
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    run = (await rota.get(f"/planning-runs/{started.json()['id']}")).json()
    assert run["status"] == "done", run
    assert run["weights"] == started.json()["weights"]
    assert run["result"]["weights"] == started.json()["weights"]

    default = await rota.post("/planning-runs", json={"locality": "leeds", "date": str(TOMORROW)})
    assert default.json()["weights"] is None
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    used = (await rota.get(f"/planning-runs/{default.json()['id']}")).json()["result"]["weights"]
    assert used["unknown_worker"] == 300


@pytest.mark.parametrize(
    ("weights", "field"),
    [({"unknown_worker": -1}, "unknown_worker"), ({"continuity": 5}, "continuity"),
     ({"travel_minute": 1001}, "travel_minute")],
)  # fmt: skip
async def test_weights_out_of_range_or_unknown_are_refused_naming_the_field(
    rota: httpx.AsyncClient, weights: dict[str, int], field: str
) -> None:
    refused = await rota.post(
        "/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "weights": weights}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert any(field in error["field"] for error in refused.json()["errors"]), refused.json()
