"""Teams are changed with If-Match and ended once nobody is left in them."""

from __future__ import annotations

import httpx
import pytest

from tests.people.test_workers_api import ASHA

pytestmark = pytest.mark.integration


async def test_a_team_is_renamed_given_a_manager_and_ended_when_empty(people: httpx.AsyncClient) -> None:
    locality = (await people.post("/localities", json={"name": "Leeds"})).json()["id"]
    team = (await people.post("/teams", json={"name": "North", "locality_id": locality})).json()
    manager = (await people.post("/workers", json={**ASHA, "role": "coordinator"})).json()["id"]
    url = f"/teams/{team['id']}"
    changed = await people.patch(
        url, json={"name": "North East", "manager_id": manager}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["manager_id"], changed.headers["etag"]) == (
        "North East",
        manager,
        '"2"',
    )
    assert (await people.patch(url, json={"name": "X"}, headers={"If-Match": '"1"'})).status_code == 412
    unknown = await people.patch(url, json={"manager_id": "00000000-0000-0000-0000-000000000001"})
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (404, "body.manager_id")
    assert (await people.patch(url, json={"name": None})).status_code == 422

    member = (await people.post("/workers", json={**ASHA, "team_id": team["id"]})).json()
    busy = await people.post(f"{url}/end")
    assert (busy.status_code, busy.json()["errors"][0]["field"]) == (409, "path.team_id")
    await people.patch(f"/workers/{member['id']}", json={"team_id": None})
    ended = await people.post(f"{url}/end")
    assert (ended.status_code, ended.json()["active"]) == (200, False)
    assert (await people.get(url)).json()["active"] is False
    assert (await people.patch(url, json={"name": "Back"})).status_code == 409
    assert (await people.get("/teams/00000000-0000-0000-0000-000000000001")).status_code == 404
