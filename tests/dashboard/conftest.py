"""A real headless Chromium (Debian's) and a real platform (``rounds up``) for the dashboard's browser tests.

The project installs its own browser: when ``/usr/bin/chromium`` is missing, the session runs
``apt-get update`` and ``apt-get install -y chromium`` (as root). Where that cannot be done the browser
tests are skipped with the reason, except under CI (``CI=true``), where that is a failure.
Screenshots are test artefacts, written to ``build/test-artefacts/dashboard`` (or
``$ROUNDS_TEST_ARTEFACTS``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from rounds.auth.issuer import SigningKey, load_or_create_signing_key, mint_token
from rounds.embedded.broker import EmbeddedBroker
from rounds.embedded.ports import find_free_port
from rounds.infra.db import create_engine
from rounds.infra.topology import SERVICE_NAMES

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[2]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed with apt-get when it is missing (the project's own set-up)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        _unavailable("no /usr/bin/chromium and no apt-get to install Debian's chromium")
    if os.geteuid() != 0:
        _unavailable("no /usr/bin/chromium, and installing it with apt-get needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            _unavailable(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    if not CHROMIUM.exists():
        _unavailable("apt-get installed chromium but /usr/bin/chromium is not there")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    """A headless Chromium driven by Playwright, per module: its sync API keeps an event loop running in
    this thread while it is open, which the async tests of later modules could not share."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox"], headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Where screenshots go (kept after the run, for people and CI to look at)."""
    folder = Path(os.environ.get("ROUNDS_TEST_ARTEFACTS", REPO / "build" / "test-artefacts" / "dashboard"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Platform:
    """A running ``rounds up`` on Postgres and a real broker, and its issuer key for tokens."""

    url: str
    key: SigningKey
    log: Path
    data_dir: Path

    def token(self, role: str, **claims: Any) -> str:
        """A bearer token of the platform's built-in issuer."""
        return mint_token(self.key, subject=f"{role}-{uuid.uuid4().hex[:6]}", role=role, **claims)

    def client(self, token: str) -> httpx.Client:
        """An HTTP client of the gateway, signed in with ``token``."""
        return httpx.Client(base_url=self.url, timeout=15, headers={"Authorization": f"Bearer {token}"})


async def _drop_databases(admin_url: str, names: list[str]) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for name in names:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 150
    with httpx.Client(timeout=3) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"rounds up exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    pytest.fail(f"the platform was not ready within 150 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def platform(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """``rounds up`` as an operator starts it: gateway and every service, on free ports, own databases."""
    folder = tmp_path_factory.mktemp("platform")
    prefix = f"rounds_dash_{uuid.uuid4().hex[:8]}"
    base = make_url(postgres_server)
    databases = {
        name: base.set(database=f"{prefix}_{name}").render_as_string(hide_password=False)
        for name in SERVICE_NAMES
    }
    with EmbeddedBroker(log_dir=folder / "broker") as broker:
        gateway_port = find_free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "ROUNDS_KAFKA_SESSION_TIMEOUT_MS": "3000",
            **{f"ROUNDS_{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
        }
        command = [sys.executable, "-m", "rounds.cli", "up", "--data-dir", str(folder / "data")]
        command += ["--gateway-port", str(gateway_port)]
        for name in SERVICE_NAMES:
            command += ["--service-port", f"{name}={find_free_port(exclude=frozenset({gateway_port}))}"]
        log = folder / "rounds-up.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        url = f"http://127.0.0.1:{gateway_port}"
        try:
            _wait_until_ready(url, process, log)
            yield Platform(url, load_or_create_signing_key(folder / "data"), log, folder / "data")
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
            names = [f"{prefix}_{name}" for name in SERVICE_NAMES]
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _drop_databases(postgres_server, names)).result()
