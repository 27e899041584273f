"""``rounds demo load`` into a real gateway and people service (real processes, Postgres, the broker).

The demo is loaded through the gateway's public API with a token from the gateway's own issuer key,
then read back through the same API and counted against what the generator made; a second run finds
everything there and creates nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from rounds.auth.issuer import load_or_create_signing_key, mint_token
from rounds.demo.cli import demo_app
from rounds.demo.generator import generate
from rounds.demo.loader import load_default_demo
from rounds.embedded.ports import find_free_port
from rounds.infra.migrations import upgrade_head
from rounds.infra.topology import SERVICE_NAMES

pytestmark = pytest.mark.integration

AS_OF = "2026-11-23"
runner = CliRunner(env={"COLUMNS": "160", "ROUNDS_NO_PROGRESS": "1", "ROUNDS_TOKEN": ""})


@dataclass
class Platform:
    gateway: str
    data_dir: Path
    logs: list[Path]

    def client(self) -> httpx.Client:
        token = mint_token(
            load_or_create_signing_key(self.data_dir), subject="test", role="registered_manager"
        )
        return httpx.Client(base_url=self.gateway, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _start(component: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "rounds.cli", "serve", component],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait(url: str, processes: list[subprocess.Popen[bytes]], logs: list[Path], ready: Any) -> None:
    deadline = time.monotonic() + 90
    with httpx.Client(timeout=3) as client:
        while time.monotonic() < deadline:
            for process, log in zip(processes, logs, strict=True):
                if process.poll() is not None:
                    pytest.fail(f"{log.name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if ready(client.get(url)):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    pytest.fail(f"{url} was not ready in 90 s:\n" + "\n".join(log.read_text()[-2000:] for log in logs))


@pytest.fixture
def platform(tmp_path: Path, postgres_database: str, kafka_bootstrap: str) -> Iterator[Platform]:
    """The people service on Postgres and the gateway in front of it, as ``rounds up`` runs them."""
    upgrade_head("people", postgres_database)
    people_port = find_free_port()
    gateway_port = find_free_port(exclude=frozenset({people_port}))
    nowhere = find_free_port(exclude=frozenset({people_port, gateway_port}))
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "ROUNDS_DATA_DIR": str(data_dir),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ROUNDS_KAFKA_SESSION_TIMEOUT_MS": "3000",
        "ROUNDS_PEOPLE_DATABASE_URL": postgres_database,
        "ROUNDS_PEOPLE_PORT": str(people_port),
        "ROUNDS_GATEWAY_PORT": str(gateway_port),
        "ROUNDS_GATEWAY_SERVICE_URLS__PEOPLE": f"http://127.0.0.1:{people_port}",
        # Only people runs here: the others point nowhere, never at another platform on default ports.
        **{
            f"ROUNDS_GATEWAY_SERVICE_URLS__{name.upper()}": f"http://127.0.0.1:{nowhere}"
            for name in SERVICE_NAMES
            if name != "people"
        },
    }
    logs = [tmp_path / "people.log", tmp_path / "gateway.log"]
    processes = [_start("people", env, logs[0]), _start("gateway", env, logs[1])]
    gateway = f"http://127.0.0.1:{gateway_port}"
    try:
        _wait(f"http://127.0.0.1:{people_port}/readyz", processes, logs, lambda r: r.status_code == 200)
        _wait(f"{gateway}/openapi.json", processes, logs, lambda r: "/v1/people/individuals" in r.text)
        yield Platform(gateway, data_dir, logs)
    finally:
        for process in processes:
            _stop(process)


def _every(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        items.extend(response.json())
        if "X-Next-Cursor" not in response.headers:
            return items
        params["cursor"] = response.headers["X-Next-Cursor"]


def _load(platform: Platform, out: Path) -> dict[str, Any]:
    arguments = ["load", "--size", "small", "--seed", "7", "--as-of", AS_OF, "--gateway", platform.gateway]
    arguments += ["--data-dir", str(platform.data_dir), "--json", str(out)]
    result = runner.invoke(demo_app, arguments)
    assert result.exit_code == 0, result.output + "\n".join(log.read_text()[-3000:] for log in platform.logs)
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def test_small_provider_loads_through_the_gateway_and_a_second_run_creates_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    provider = generate("small", 7, date.fromisoformat(AS_OF))
    summary = provider.summary()

    first = _load(platform, tmp_path / "first.json")
    assert first["created"]["workers"] == summary["workers"] == 50
    assert first["created"]["individuals"] == summary["individuals"]
    assert first["created"]["key_people"] == summary["key_people"]
    assert first["created"]["teams"] == summary["teams"]
    assert first["created"]["localities"] == 1

    with platform.client() as client:
        organisation = client.get("/v1/people/organisation").json()
        assert [loc["name"] for loc in organisation["localities"]] == ["Harrogate"]
        assert len(organisation["teams"]) == summary["teams"]
        workers = _every(client, "/v1/people/workers?locality=Harrogate")
        individuals = _every(client, "/v1/people/individuals?locality=Harrogate")
        assert len(workers) == 50
        assert len(individuals) == summary["individuals"]
        assert sorted(i["nhs_number"] for i in individuals) == sorted(
            i.nhs_number for i in provider.individuals
        )
        key_people = sum(
            len(client.get(f"/v1/people/individuals/{i['id']}/key-people").json()) for i in individuals
        )
        assert key_people == summary["key_people"]

        # Relationships arrive as service ids: line managers, teams and refused workers.
        by_certificate = {w["dbs"]["certificate_number"]: w for w in workers}
        by_ref = {w.ref: by_certificate[w.dbs.certificate_number] for w in provider.workers}
        for worker in provider.workers:
            loaded = by_ref[worker.ref]
            assert loaded["skills"] == list(worker.skills)
            assert loaded["home_base"] == {"lat": worker.home.lat, "lon": worker.home.lon}
            if worker.line_manager_ref:
                assert loaded["line_manager_id"] == by_ref[worker.line_manager_ref]["id"]
            if worker.team_ref:
                assert loaded["team_id"] is not None
        by_nhs = {i["nhs_number"]: i for i in individuals}
        refusing = [i for i in provider.individuals if i.preferences.refused_worker_refs]
        for individual in refusing:
            expected = sorted(by_ref[r]["id"] for r in individual.preferences.refused_worker_refs)
            assert by_nhs[individual.nhs_number]["preferences"]["refused_worker_ids"] == expected

        # Plans are loaded and agreed (both signatures), so rota can build packages from them.
        assert first["features"]["plans"]
        assert first["created"]["plans"] == first["created"]["plans_agreed"] == summary["individuals"]
        if first["features"]["plans"]:
            sample = provider.individuals[:5]
            for individual in sample:
                plan = client.get(f"/v1/people/individuals/{by_nhs[individual.nhs_number]['id']}/plan").json()
                assert plan["status"] == "agreed"
                assert [v["workers_required"] for v in plan["content"]["visits"]] == [
                    v.workers_required for v in individual.plan.visits
                ]
        if first["features"]["on_call"]:
            assert first["created"]["on_call_shifts"] == 7
    # Without a rota behind the gateway, availability is left for a later run.
    assert first["features"]["rota_availability"] is False

    # The second run is what `rounds up` can call on every start.
    second = asyncio.run(
        load_default_demo(
            platform.gateway, platform.data_dir, date.fromisoformat(AS_OF), size="small", seed=7
        )
    ).as_dict()
    for kind in ("localities", "teams", "workers", "individuals", "key_people", "plans", "on_call_shifts"):
        assert second["created"].get(kind, 0) == 0, kind
    assert second["existing"]["localities"] == 1
    assert second["existing"]["workers"] == 50
    assert second["existing"]["individuals"] == summary["individuals"]
    assert second["existing"]["key_people"] == summary["key_people"]
    with platform.client() as client:
        assert len(_every(client, "/v1/people/workers?locality=Harrogate")) == 50
        assert len(_every(client, "/v1/people/individuals?locality=Harrogate")) == summary["individuals"]
