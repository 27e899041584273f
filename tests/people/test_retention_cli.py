"""`rounds retention`: the command the chart's CronJob runs, on a migrated SQLite people database.

The job judges by the real clock, so the record's care ends in 2010 (a frozen clock then): its 8 years ran
out long ago, while a record still cared for stays. The command reads the database the way the people
service does (ROUNDS_PEOPLE_DATABASE_URL, PeopleSettings), prints ids and counts only, and is idempotent.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from rounds.cli import app
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.people.main import create_app
from services.people.settings import PeopleSettings
from tests.people.test_individuals_api import EDNA

runner = CliRunner()
#: When the seeded records are written: 10:00 in London, 1 June 2010.
LONG_AGO = datetime(2010, 6, 1, 9, 0, tzinfo=UTC)


async def _seed(settings: PeopleSettings) -> tuple[str, str]:
    """Edna, whose care ended on 1 June 2010, and Alf, still cared for: their ids."""
    app_ = create_app(settings, FrozenClock(LONG_AGO))
    transport = httpx.ASGITransport(app=app_)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://people") as people:
            assert (await people.post("/localities", json={"name": "Harrogate"})).status_code < 300
            edna = (await people.post("/individuals", json=EDNA)).json()["id"]
            alf = {**EDNA, "given_name": "Alf", "nhs_number": None}
            alf_id = (await people.post("/individuals", json=alf)).json()["id"]
            ended = await people.post(f"/individuals/{edna}/status", json={"status": "ended"})
            assert ended.status_code == 200, ended.text
    finally:
        await app_.state.runtime.stop()
    return edna, alf_id


async def _given_name(settings: PeopleSettings, individual_id: str) -> str:
    app_ = create_app(settings, FrozenClock(LONG_AGO))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_), base_url="http://p") as people:
            name: str = (await people.get(f"/individuals/{individual_id}")).json()["given_name"]
    finally:
        await app_.state.runtime.stop()
    return name


def _retention(database_url: str) -> dict[str, object]:
    """``rounds retention`` with the people database named as the chart names it; its one JSON line."""
    result = runner.invoke(app, ["retention"], env={"ROUNDS_PEOPLE_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    printed: dict[str, object] = json.loads(line)
    return printed


def test_rounds_retention_anonymises_what_ran_out_prints_ids_only_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'people.db'}"
    upgrade_head("people", url)
    # The app and the command keep their field-key file here, not in the working folder.
    monkeypatch.setenv("ROUNDS_DATA_DIR", str(tmp_path))
    settings = PeopleSettings(database_url=url, data_dir=tmp_path)
    edna, alf = asyncio.run(_seed(settings))

    first = _retention(url)

    assert set(first) == {"run_on", "anonymised", "still_retained", "already_anonymised"}
    # The provider's day (Europe/London); today in UTC or the day either side of it.
    assert abs((date.fromisoformat(str(first["run_on"])) - datetime.now(UTC).date()).days) <= 1
    assert first["anonymised"] == [edna]
    assert (first["still_retained"], first["already_anonymised"]) == (0, 0)
    printed = json.dumps(first)
    for detail in ("Edna", "Moss", "Alf", "9434765919", "Station Road", "HG5"):
        assert detail not in printed, detail
    assert asyncio.run(_given_name(settings, edna)) == "(anonymised)"
    assert asyncio.run(_given_name(settings, alf)) == "Alf"

    second = _retention(url)

    assert second["anonymised"] == []
    assert (second["still_retained"], second["already_anonymised"]) == (0, 1)
