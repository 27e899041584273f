"""Subject access exports (000 K7) and the lists they draw on, paginated."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.people.test_individuals_api import DAUGHTER, EDNA
from tests.people.test_oncall_api import MANAGER
from tests.people.test_plans_api import PLAN

pytestmark = pytest.mark.integration


def actor(role: str, **claims: Any) -> dict[str, str]:
    return {"X-Rounds-Actor": json.dumps({"sub": f"user-{role}", "role": role, **claims})}


async def test_an_individuals_export_holds_everything_and_is_audited(people: httpx.AsyncClient) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    await people.post(f"/individuals/{edna}/key-people", json=DAUGHTER)
    await people.put(
        f"/individuals/{edna}/access-notes",
        json={"notes": "back door", "key_safe_code": "4821"},
        headers=actor("coordinator"),
    )
    await people.post(f"/individuals/{edna}/plan", json=PLAN)
    url = f"/individuals/{edna}/subject-access-export"

    refused = await people.get(url, headers=actor("key_person", individual_ids=[edna]))
    assert refused.status_code == 403
    someone_else = await people.get(url, headers=actor("individual", individual_ids=["another"]))
    assert someone_else.status_code == 403
    assert (await people.get(url)).status_code == 401

    own = await people.get(url, headers=actor("individual", individual_ids=[edna]))
    assert own.status_code == 200, own.text
    export = own.json()
    assert export["record"]["nhs_number"] == "9434765919"
    assert export["access_notes"]["key_safe_code"] == "4821"
    assert [p["relationship"] for p in export["key_people"]] == ["daughter"]
    assert [v["status"] for v in export["service_delivery_plan_versions"]] == ["draft"]
    assert export["home_risk_assessment"] is None
    # Every attempt, refused or not, is in the access audit the export itself shows.
    assert [(a["action"], a["granted"]) for a in export["access_notes_audit"]] == [
        ("write", True),
        ("export", False),
        ("export", False),
        ("export", True),
    ]


async def test_a_workers_export_holds_their_absences_on_call_and_what_they_read(
    people: httpx.AsyncClient,
) -> None:
    await people.post("/localities", json={"name": "Harrogate"})
    cara = (await people.post("/workers", json=MANAGER)).json()["id"]
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    await people.put(f"/individuals/{edna}/access-notes", json={"notes": "n"}, headers=actor("coordinator"))
    await people.get(f"/individuals/{edna}/access-notes", headers=actor("coordinator", worker_id=cara))
    await people.post(
        f"/workers/{cara}/absences",
        json={"kind": "annual_leave", "first_day": "2026-07-01", "last_day": "2026-07-03"},
    )
    shift = {
        "worker_id": cara,
        "starts_at": "2026-06-01T17:00",
        "ends_at": "2026-06-02T09:00",
        "contact_phone": "0770",
    }
    await people.post("/localities/Harrogate/on-call/shifts", json=shift)
    url = f"/workers/{cara}/subject-access-export"

    assert (await people.get(url, headers=actor("care_worker", worker_id=edna))).status_code == 403
    own = await people.get(url, headers=actor("coordinator", worker_id=cara))
    assert own.status_code == 200, own.text
    export = own.json()
    assert export["record"]["id"] == cara
    assert export["compliance_today"]["may_work"] is True
    assert [a["kind"] for a in export["absences"]] == ["annual_leave"]
    assert [s["starts_local"] for s in export["on_call_shifts"]] == ["2026-06-01T17:00:00+01:00"]
    assert [(r["individual_id"], r["action"]) for r in export["access_notes_read"]] == [(edna, "read")]


async def test_key_people_and_the_access_audit_are_listed_a_page_at_a_time(people: httpx.AsyncClient) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    for given in ("Ann", "Bea", "Cy"):
        await people.post(f"/individuals/{edna}/key-people", json={**DAUGHTER, "given_name": given})
    for _ in range(3):
        await people.get(f"/individuals/{edna}/access-notes", headers=actor("care_worker"))
    names: list[str] = []
    audit: list[str] = []
    for path, out, key in (("key-people", names, "given_name"), ("access-audit", audit, "action")):
        params: dict[str, Any] = {"limit": 2}
        while True:
            page = await people.get(f"/individuals/{edna}/{path}", params=params)
            assert page.status_code == 200, page.text
            out += [item[key] for item in page.json()]
            if "x-next-cursor" not in page.headers:
                break
            params["cursor"] = page.headers["x-next-cursor"]
    assert names == ["Ann", "Bea", "Cy"]
    assert audit == ["read", "read", "read"]
    assert (
        await people.get(f"/individuals/{edna}/access-audit", params={"cursor": "WyJ4Il0"})
    ).status_code == 422
