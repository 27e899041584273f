"""Supervision records are confidential to the three, shared only with consent or a reason, every read audited
(004 1.37-1.38, appendix 1 "Records of Supervision"). Tested at the API, the caller given explicitly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.supervision.conftest import Supervision
from tests.supervision.test_supervision_api import plan_one, record_body

pytestmark = pytest.mark.integration


async def signed_record(s: Supervision, **plan: Any) -> dict[str, Any]:
    session = await plan_one(s, **plan)
    s.clock.advance(timedelta(days=4, hours=2))
    response = await s.client.post(
        f"/sessions/{session['id']}/record", json=record_body(s), headers=s.as_(s.team.supervisor)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def status_of_read(s: Supervision, path: str, caller: UUID) -> int:
    return (await s.client.get(path, headers=s.as_(caller))).status_code


async def test_a_supervisee_cannot_read_another_workers_records(s: Supervision) -> None:
    record = await signed_record(s)
    for path in (
        f"/records/{record['id']}",
        f"/workers/{s.team.worker}/records",
        f"/workers/{s.team.worker}/agreements",
    ):
        assert await status_of_read(s, path, s.team.colleague) == 403, path
        assert await status_of_read(s, path, s.team.stranger) == 403, path
    refused = await s.client.get(f"/records/{record['id']}", headers=s.as_(s.team.colleague))
    assert refused.headers["content-type"] == "application/problem+json"
    assert "004 1.37" in refused.json()["detail"]


async def test_the_supervisee_the_supervisor_and_the_supervisors_line_manager_read_the_records(
    s: Supervision,
) -> None:
    record = await signed_record(s)
    for caller in (s.team.worker, s.team.supervisor, s.team.manager):
        response = await s.client.get(f"/records/{record['id']}", headers=s.as_(caller))
        assert response.status_code == 200, (caller, response.text)
        assert [
            r["id"]
            for r in (await s.client.get(f"/workers/{s.team.worker}/records", headers=s.as_(caller))).json()
        ] == [record["id"]]


async def test_a_line_manager_can_read_their_supervisors_own_records_but_not_another_teams(
    s: Supervision,
) -> None:
    # The supervisor is supervised by the manager; the stranger manages nobody here.
    assert await status_of_read(s, f"/workers/{s.team.supervisor}/records", s.team.manager) == 200
    assert await status_of_read(s, f"/workers/{s.team.supervisor}/records", s.team.worker) == 403


async def test_a_group_record_is_read_by_each_member_but_their_own_records_stay_their_own(
    s: Supervision,
) -> None:
    group = await signed_record(s, format="group", supervisee_ids=[str(s.team.worker), str(s.team.colleague)])
    assert await status_of_read(s, f"/records/{group['id']}", s.team.colleague) == 200
    individual = await signed_record(s, first_starts_at="2026-02-24T10:00:00Z")
    assert await status_of_read(s, f"/records/{individual['id']}", s.team.colleague) == 403


async def test_sharing_beyond_the_three_records_consent_or_the_reason(s: Supervision) -> None:
    record = await signed_record(s)
    path = f"/workers/{s.team.worker}/shares"
    share = {"shared_with": str(s.team.stranger), "purpose": "Capability procedure", "consent_given": False}
    by_worker = await s.client.post(path, json={**share, "consent_given": True}, headers=s.as_(s.team.worker))
    assert by_worker.status_code == 403
    without_reason = await s.client.post(path, json=share, headers=s.as_(s.team.supervisor))
    assert without_reason.status_code == 422
    assert without_reason.json()["errors"][0]["field"] == "body.reason"
    assert await status_of_read(s, f"/records/{record['id']}", s.team.stranger) == 403

    reason = "Disclosure of a criminal act must be reported (004 1.37); explained to the worker on 20/02"
    shared = await s.client.post(path, json={**share, "reason": reason}, headers=s.as_(s.team.supervisor))
    assert shared.status_code == 201, shared.text
    assert shared.json()["reason"] == reason
    assert await status_of_read(s, f"/records/{record['id']}", s.team.stranger) == 200
    # A share opens the records, not the trail of who read them.
    assert await status_of_read(s, f"/workers/{s.team.worker}/record-reads", s.team.stranger) == 403


async def test_every_read_is_audited_refusals_included(s: Supervision) -> None:
    record = await signed_record(s)
    for caller in (s.team.worker, s.team.stranger, s.team.manager):
        await s.client.get(f"/records/{record['id']}", headers=s.as_(caller))
    trail = (
        await s.client.get(f"/workers/{s.team.worker}/record-reads", headers=s.as_(s.team.worker))
    ).json()
    assert [(r["reader_id"], r["resource"], r["basis"]) for r in trail] == [
        (str(s.team.worker), "record", "self"),
        (str(s.team.stranger), "record", "denied"),
        (str(s.team.manager), "record", "supervisors_line_manager"),
        (str(s.team.worker), "record_reads", "self"),
    ]
    assert all(r["resource_id"] in (record["id"], None) for r in trail)
