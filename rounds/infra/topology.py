"""The platform's shape read from ``rounds/topology.yaml``: processes, ports and topics."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TOPOLOGY_FILE = Path(__file__).resolve().parent.parent / "topology.yaml"
SERVICE_NAMES: tuple[str, ...] = ("people", "rota", "visits", "supervision", "alerts")


@dataclass(frozen=True)
class TopicSpec:
    """A Kafka topic as the platform declares it."""

    name: str
    partitions: int
    retention_ms: int
    key: str
    producer: str


@dataclass(frozen=True)
class ServiceSpec:
    """One service process: its name, default port and a one-line summary."""

    name: str
    port: int
    summary: str


@dataclass(frozen=True)
class Topology:
    """Everything the platform declares about its own shape."""

    provider_time_zone: str
    gateway_port: int
    services: tuple[ServiceSpec, ...]
    topics: tuple[TopicSpec, ...]

    def service(self, name: str) -> ServiceSpec:
        """The service called ``name``; KeyError names the known ones when it is not declared."""
        for spec in self.services:
            if spec.name == name:
                return spec
        raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in self.services)}")

    def topic(self, name: str) -> TopicSpec:
        """The topic called ``name``; KeyError when it is not declared."""
        for spec in self.topics:
            if spec.name == name:
                return spec
        raise KeyError(f"topic {name!r} is not declared in {TOPOLOGY_FILE.name}")

    def dead_letter_topic(self, service: str) -> str:
        """Where ``service``'s consumer sends messages that keep failing."""
        return self.topic(f"rounds.{service}.dlq").name


@cache
def load_topology(path: Path = TOPOLOGY_FILE) -> Topology:
    """Parse the topology file once per process."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Topology(
        provider_time_zone=raw["provider_time_zone"],
        gateway_port=int(raw["gateway"]["port"]),
        services=tuple(
            ServiceSpec(name=name, port=int(spec["port"]), summary=spec["summary"])
            for name, spec in raw["services"].items()
        ),
        topics=tuple(TopicSpec(**topic) for topic in raw["topics"]),
    )
