"""The image the Dockerfile builds agrees with the code and the chart (no Docker engine needed).

The Dockerfile is read instruction by instruction; the wheel its build stage installs (``uv sync
--no-editable`` builds the project's wheel) is built here with ``uv build`` and must hold every file the
processes read at run time, since the runtime stage has the virtual environment and nothing else.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
import zipfile
from dataclasses import dataclass, field

import pytest
from deploy_tools import REPO, Rendered, uv_executable

from rounds.embedded.plan import component_names
from rounds.infra.topology import Topology

PACKAGES = ("rounds", "services", "gateway")


@dataclass
class Stage:
    """One FROM ... AS name block of the Dockerfile: its base and its instructions."""

    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        """The arguments of every ``keyword`` instruction of the stage."""
        return [arguments for key, arguments in self.instructions if key == keyword]


def _stages() -> list[Stage]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    # Continuation lines join their instruction; comments go.
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    stages: list[Stage] = []
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            base, _, name = arguments.partition(" AS ")
            stages.append(Stage(base.strip(), name.strip()))
        else:
            stages[-1].instructions.append((keyword.upper(), arguments.strip()))
    return stages


def _env(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in stage.all("ENV"):
        env.update(dict(re.findall(r"(\w+)=(\S+)", arguments)))
    return env


def test_the_runtime_stage_runs_rounds_as_the_chart_s_non_root_user(rendered: dict[str, Rendered]) -> None:
    runtime = _stages()[-1]
    (user,) = runtime.all("USER")
    uid, _, gid = user.partition(":")

    assert runtime.all("ENTRYPOINT") == ['["rounds"]']
    assert int(uid) >= 10000
    # The pods say the same numbers (Kubernetes checks runAsNonRoot against a numeric USER).
    pods = [
        doc["spec"]["template"]["spec"]
        for r in rendered.values()
        for doc in r.documents
        if doc["kind"] in ("Deployment", "Job")
    ]
    assert pods
    for pod in pods:
        assert pod["securityContext"]["runAsUser"] == int(uid)
        assert pod["securityContext"]["runAsGroup"] == int(gid)


def test_the_image_exposes_every_component_port_and_checks_health_on_its_own(topology: Topology) -> None:
    runtime = _stages()[-1]
    exposed = {int(port) for arguments in runtime.all("EXPOSE") for port in arguments.split()}
    (healthcheck,) = runtime.all("HEALTHCHECK")

    assert exposed == {topology.gateway_port} | {service.port for service in topology.services}
    assert "HEALTH_PORT" in healthcheck
    assert "/healthz" in healthcheck
    assert _env(runtime)["HEALTH_PORT"] == str(topology.gateway_port), "the default command is the gateway"
    assert runtime.all("CMD") == ['["serve", "gateway"]']
    assert "gateway" in component_names(topology)


def test_the_image_writes_only_under_tmp_and_its_state_folder() -> None:
    runtime = _stages()[-1]
    env = _env(runtime)

    assert env["ROUNDS_DATA_DIR"].startswith("/tmp/")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    # Bytecode is compiled at build time instead (the root filesystem is read-only at run time).
    assert _env(_stages()[-2])["UV_COMPILE_BYTECODE"] == "1"
    assert any("/var/lib/rounds" in run and "10001" in run for run in runtime.all("RUN"))


def test_the_python_and_uv_of_the_image_are_pinned_and_fit_the_project() -> None:
    stages = {stage.name: stage for stage in _stages()}
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"])
    assert minimum is not None

    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", stages["uv"].base)
    for name in ("build", "runtime"):
        assert stages[name].base.startswith(f"python:{minimum.group(1)}-slim"), name
    # The runtime stage takes the virtual environment from the build stage, not uv or the sources.
    copies = stages["runtime"].all("COPY")
    assert copies == ["--from=build --chown=root:root /app/.venv /app/.venv"]


def test_dockerignore_lets_through_what_the_build_copies() -> None:
    rules = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = {
        source.rstrip("/")
        for stage in _stages()
        for arguments in stage.all("COPY")
        if not arguments.startswith("--from")
        for source in arguments.split()[:-1]
    }

    assert rules[0] == "*", "only what is named goes to the build context"
    assert copied == {"pyproject.toml", "uv.lock", "README.md", *PACKAGES}
    for source in copied:
        assert f"!{source}" in rules or f"!{source}/" in rules, source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The project's wheel, as the image's build stage installs it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [uv_executable(), "build", "--wheel", "--quiet", "--out-dir", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def _tracked_package_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *PACKAGES], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    return [path for path in listed if (REPO / path).is_file()]


def test_the_wheel_holds_every_file_the_processes_read(wheel: zipfile.ZipFile, topology: Topology) -> None:
    names = set(wheel.namelist())
    tracked = _tracked_package_files()
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))

    assert tracked
    assert sorted(set(tracked) - names) == []
    # Non-Python files the code opens by path: the topology and each Alembic environment.
    assert "rounds/topology.yaml" in names
    for owner in [*(f"services/{s.name}" for s in topology.services), "gateway"]:
        assert f"{owner}/migrations/env.py" in names, owner
        assert f"{owner}/migrations/script.py.mako" in names, owner
        assert any(n.startswith(f"{owner}/migrations/versions/") for n in names), owner
    assert "rounds = rounds.cli:app" in wheel.read(entry_points).decode()
