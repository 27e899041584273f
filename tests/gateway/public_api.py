"""The public API as partners see it: every service's real OpenAPI merged with the gateway's own.

Built from each service's ``create_app`` (no server, no database: FastAPI writes the document from
the routes), so a route a service adds shows up here the moment it is written. The services are
built in a child process: their telemetry set-up instruments libraries process-wide, which would
change the spans the other gateway tests look at.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.openapi.utils import get_openapi

from gateway.main import create_app as create_gateway
from gateway.openapi import HTTP_METHODS, merge_openapi
from gateway.settings import GatewaySettings
from rounds.infra.openapi_problems import with_problem_responses
from rounds.infra.topology import SERVICE_NAMES

_PARAMETER = re.compile(r"\{([^}]+)\}")


_SERVICE_DOCUMENTS = """
import importlib, json, sys
names = sys.argv[1:]
print(json.dumps({n: importlib.import_module(f"services.{n}.main").create_app().openapi() for n in names}))
"""


def merged_public_api(settings: GatewaySettings) -> dict[str, Any]:
    """The merged OpenAPI document the gateway serves, from the services' code."""
    child = subprocess.run(
        [sys.executable, "-c", _SERVICE_DOCUMENTS, *SERVICE_NAMES],
        capture_output=True,
        check=True,
        env={**os.environ, "ROUNDS_DATA_DIR": str(settings.data_dir), "ROUNDS_LOG_LEVEL": "ERROR"},
        timeout=120,
    )
    documents = json.loads(child.stdout)
    gateway = create_gateway(settings)
    own = with_problem_responses(get_openapi(title=gateway.title, version="0", routes=gateway.routes))
    return merge_openapi(documents, gateway=own)


@dataclass(frozen=True)
class PublicRoute:
    """One operation under ``/v1`` of the merged document."""

    method: str
    template: str  # as documented, e.g. /v1/rota/workers/{worker_id}/schedule

    @property
    def parameters(self) -> list[str]:
        """The path parameters' names."""
        return _PARAMETER.findall(self.template)

    def path(self, values: dict[str, str], default: str) -> str:
        """The template with each parameter replaced by ``values[name]`` (or ``default``)."""
        return _PARAMETER.sub(lambda m: values.get(m.group(1), default), self.template)

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


def public_routes(document: dict[str, Any]) -> Iterator[PublicRoute]:
    """Every operation under ``/v1`` (the rest, health and identity, is public by design)."""
    for template, item in sorted(document["paths"].items()):
        if not template.startswith("/v1/"):
            continue
        for method in sorted(item):
            if method in HTTP_METHODS:
                yield PublicRoute(method.upper(), template)
