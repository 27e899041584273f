"""Retention (issue 12): an individual is anonymised the provider's day after 8 years from the end of care.

Around the boundary with a frozen clock (the last retained day, local midnight in summer time), what is
removed and what stays, the event, idempotence, and the rules of the schedule on their own.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa

from rounds.infra.clock import FrozenClock
from services.people.adapters.tables import access_notes, individuals, key_people, visit_windows
from services.people.domain.geo import Coordinates
from services.people.domain.individuals import Address, Individual, IndividualStatus
from services.people.domain.retention import (
    CARE_RECORD_YEARS,
    SCHEDULE,
    due_for_anonymisation,
    retained_until,
)
from services.people.retention_job import run
from services.people.settings import PeopleSettings
from tests.people.conftest import NOW, outbox_events
from tests.people.test_individuals_api import DAUGHTER, EDNA
from tests.people.test_oncall_api import MANAGER

COORDINATOR = {"X-Rounds-Actor": json.dumps({"sub": "cara", "role": "coordinator"})}


def test_the_record_is_kept_8_years_to_the_day_and_a_missing_29_february_keeps_to_28_february() -> None:
    assert CARE_RECORD_YEARS == 8
    assert retained_until(date(2026, 6, 1)) == date(2034, 6, 1)
    assert retained_until(date(2028, 2, 29)) == date(2036, 2, 29)
    # 8 years on from a leap day is a leap day, except in a century year that is not a leap year.
    assert retained_until(date(2092, 2, 29)) == date(2100, 2, 28)


@pytest.mark.parametrize(
    ("status", "anonymised_on", "today", "due"),
    [
        (IndividualStatus.ENDED, None, date(2034, 6, 1), False),  # the last retained day
        (IndividualStatus.ENDED, None, date(2034, 6, 2), True),
        (IndividualStatus.ENDED, date(2034, 6, 2), date(2034, 6, 3), False),  # done already
        (IndividualStatus.ACTIVE, None, date(2040, 1, 1), False),  # care never ended
        (IndividualStatus.IN_HOSPITAL, None, date(2040, 1, 1), False),
    ],
)
def test_only_an_ended_record_past_its_retention_is_due(
    status: IndividualStatus, anonymised_on: date | None, today: date, due: bool
) -> None:
    edna = Individual(
        id=uuid4(),
        given_name="Edna",
        family_name="Moss",
        locality="Harrogate",
        address=Address(("12 Station Road",), "HG5 0AA", Coordinates(54.0, -1.46)),
        status=status,
        anonymised_on=anonymised_on,
    )
    assert due_for_anonymisation(edna, date(2026, 6, 1), today) is due


def test_the_schedule_names_every_kind_of_record_the_run_touches_with_its_basis() -> None:
    records = " ".join(rule.record for rule in SCHEDULE)
    for kind in ("individual", "key people", "access notes", "access audit", "plans", "workers"):
        assert kind in records
    assert all(rule.basis for rule in SCHEDULE)


async def retention_run(people: httpx.AsyncClient, clock: FrozenClock) -> dict[str, Any]:
    """One run of the job on the service's database, as it prints it."""
    settings: PeopleSettings = people.app.state.runtime.settings  # type: ignore[attr-defined]
    done = await run(settings, FrozenClock(clock.now()))
    return {
        "run_on": done.run_on.isoformat(),
        "anonymised": [str(i) for i in done.anonymised],
        "still_retained": done.still_retained,
        "already_anonymised": done.already_anonymised,
    }


async def rows(people: httpx.AsyncClient, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
    runtime = people.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        query = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
        return [dict(r._mapping) for r in (await session.execute(query)).all()]


@pytest.mark.integration
async def test_an_ended_individual_is_anonymised_the_day_after_8_years_and_only_once(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await people.post("/localities", json={"name": "Harrogate"})
    cara = (await people.post("/workers", json=MANAGER)).json()["id"]
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    still_cared_for = (
        await people.post("/individuals", json={**EDNA, "given_name": "Alf", "nhs_number": None})
    ).json()["id"]
    jane = (await people.post(f"/individuals/{edna}/key-people", json=DAUGHTER)).json()["id"]
    await people.put(
        f"/individuals/{edna}/access-notes",
        json={"notes": "back door", "key_safe_code": "4821"},
        headers=COORDINATOR,
    )
    window = {"worker_id": cara, "starts_at": "2026-06-01T12:00:00Z", "ends_at": "2026-06-01T13:00:00Z"}
    assert (await people.post(f"/individuals/{edna}/visit-windows", json=window)).status_code < 300
    # Care ends on 1 June 2026 (10:00 in London): kept to the end of 1 June 2034.
    ended = await people.post(f"/individuals/{edna}/status", json={"status": "ended"})
    assert ended.status_code == 200, ended.text
    version_when_ended = ended.json()["version"]

    # 23:59 on the last retained day, London summer time (22:59 UTC): nothing happens.
    clock.advance(datetime(2034, 6, 1, 22, 59, tzinfo=UTC) - NOW)
    assert await retention_run(people, clock) == {
        "run_on": "2034-06-01",
        "anonymised": [],
        "still_retained": 1,
        "already_anonymised": 0,
    }
    assert (await people.get(f"/individuals/{edna}")).json()["family_name"] == "Moss"

    # 00:01 the next local day (23:01 UTC, still 1 June in UTC): anonymised.
    clock.advance(timedelta(minutes=2))
    assert await retention_run(people, clock) == {
        "run_on": "2034-06-02",
        "anonymised": [edna],
        "still_retained": 0,
        "already_anonymised": 0,
    }

    record = (await people.get(f"/individuals/{edna}")).json()
    assert (record["given_name"], record["family_name"]) == ("(anonymised)", "(anonymised)")
    assert record["nhs_number"] is None
    assert record["date_of_birth"] is None
    assert record["address"]["lines"] == ["(anonymised)"]
    assert record["address"]["postcode"] == "(anonymised)"
    assert record["address"]["location"] == {"lat": 54.0, "lon": -1.5}  # a district, not the house
    assert (record["id"], record["locality"], record["status"]) == (edna, "Harrogate", "ended")
    assert record["version"] == version_when_ended + 1
    stored = json.dumps((await rows(people, individuals, id=UUID(edna)))[0], default=str)
    for detail in ("Edna", "Moss", "9434765919", "Station Road", "HG5", "1936-02-11", "hard of hearing"):
        assert detail not in stored, detail
    (kept_jane,) = await rows(people, key_people, individual_id=UUID(edna))
    assert json.dumps(kept_jane, default=str).count("07700") == 0
    assert (kept_jane["given_name"], kept_jane["active"]) == ("(anonymised)", False)
    assert await rows(people, access_notes) == []
    assert await rows(people, visit_windows) == []
    notes = await people.get(f"/individuals/{edna}/access-notes", headers=COORDINATOR)
    assert notes.status_code == 404
    # Alf, still cared for, is untouched; the access audit (staff ids only) is kept.
    assert (await people.get(f"/individuals/{still_cared_for}")).json()["given_name"] == "Alf"
    audit = await people.get(f"/individuals/{edna}/access-audit", headers=COORDINATOR)
    assert [a["action"] for a in audit.json()][:1] == ["write"]

    (event,) = [e for e in await outbox_events(people) if e["type"] == "rounds.individual.anonymised.v1"]
    assert event["key"] == edna
    assert event["data"]["version"] == version_when_ended + 1
    assert event["data"]["key_person_ids"] == [jane]
    assert (event["data"]["care_ended_on"], event["data"]["retained_until"]) == ("2026-06-01", "2034-06-01")
    assert "Moss" not in json.dumps(event)

    # Idempotent: the next run, and the next day's, change nothing and announce nothing.
    again = await retention_run(people, clock)
    assert again["anonymised"] == []
    assert again["already_anonymised"] == 1
    clock.advance(timedelta(days=1))
    await retention_run(people, clock)
    assert (await people.get(f"/individuals/{edna}")).json()["version"] == version_when_ended + 1
    assert (
        len([e for e in await outbox_events(people) if e["type"] == "rounds.individual.anonymised.v1"]) == 1
    )
