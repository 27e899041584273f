"""What ``rounds up`` starts, worked out as plain data before any process runs.

Everything here is pure: given the topology, the options and the environment, it says which commands
run with which environment and where they log. The supervisor carries the plan out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rounds.infra.topology import Topology

GATEWAY = "gateway"
HOST = "127.0.0.1"
BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"


@dataclass(frozen=True)
class UpOptions:
    """What the person running ``rounds up`` chose (None means the default)."""

    data_dir: Path
    gateway_port: int | None = None
    service_ports: Mapping[str, int] = field(default_factory=dict)
    broker_port: int | None = None
    timeout_seconds: float = 60.0
    #: ``--demo``: once ready, load the small demo provider and simulate its days live (issue 11).
    demo: bool = False


@dataclass(frozen=True)
class ChildPlan:
    """One child process: its command, its complete environment and its log file."""

    name: str
    command: tuple[str, ...]
    env: Mapping[str, str]
    log_path: Path


@dataclass(frozen=True)
class ComponentPlan(ChildPlan):
    """A long-running HTTP process (a service or the gateway) and where it answers."""

    port: int = field(kw_only=True)

    @property
    def url(self) -> str:
        """The component's base URL."""
        return f"http://{HOST}:{self.port}"

    @property
    def ready_url(self) -> str:
        """The readiness probe: 200 once its database and the broker are reachable."""
        return f"{self.url}/readyz"


@dataclass(frozen=True)
class UpPlan:
    """Everything ``rounds up`` starts, in start order (it stops them in reverse)."""

    data_dir: Path
    logs_dir: Path
    bootstrap_servers: str
    embedded_broker_port: int | None  # None when KAFKA_BOOTSTRAP_SERVERS names an external cluster
    migrations: tuple[ChildPlan, ...]
    components: tuple[ComponentPlan, ...]
    #: The living demo (``--demo``), started once the gateway is ready; its exit never stops the rest.
    demo: ChildPlan | None = None

    @property
    def gateway(self) -> ComponentPlan | None:
        """The gateway, the platform's one public entry (None in a plan without one)."""
        return next((c for c in self.components if c.name == GATEWAY), None)


def component_names(topology: Topology) -> tuple[str, ...]:
    """Every process ``rounds serve`` knows: the services in topology order, then the gateway."""
    return (*(service.name for service in topology.services), GATEWAY)


def port_env_var(component: str) -> str:
    """The variable that sets a component's port, following each service's settings prefix."""
    return f"ROUNDS_{component.upper()}_PORT"


def app_factory(component: str) -> str:
    """The uvicorn import string of the component's app factory."""
    if component == GATEWAY:
        return "gateway.main:create_app"
    return f"services.{component}.main:create_app"


def component_port(component: str, topology: Topology, environ: Mapping[str, str]) -> int:
    """The port a component listens on: its ``ROUNDS_<NAME>_PORT`` when set, else the topology's."""
    override = environ.get(port_env_var(component))
    if override:
        return int(override)
    if component == GATEWAY:
        return topology.gateway_port
    return topology.service(component).port


def planned_ports(topology: Topology, options: UpOptions, environ: Mapping[str, str]) -> dict[str, int]:
    """Each component's port: the command line's choice, then the environment's, then the topology's."""
    chosen = {**options.service_ports}
    if options.gateway_port is not None:
        chosen[GATEWAY] = options.gateway_port
    return {
        name: chosen.get(name) or component_port(name, topology, environ)
        for name in component_names(topology)
    }


def port_clashes(plan: UpPlan) -> list[str]:
    """Ports the plan gives to more than one process, described for the person who chose them."""
    owners: dict[int, list[str]] = {}
    if plan.embedded_broker_port is not None:
        owners.setdefault(plan.embedded_broker_port, []).append("broker")
    for component in plan.components:
        owners.setdefault(component.port, []).append(component.name)
    return [
        f"port {port} is planned for {' and '.join(names)}"
        for port, names in owners.items()
        if len(names) > 1
    ]


def cli_command(python: str, *args: str) -> tuple[str, ...]:
    """Run a ``rounds`` subcommand with this interpreter, so the child sees the same environment."""
    return (python, "-m", "rounds.cli", *args)


def component_env(component: str, ports: Mapping[str, int], common_env: Mapping[str, str]) -> dict[str, str]:
    """One component's environment: the common one, its port and, for the gateway, the services' URLs."""
    env = {**common_env, port_env_var(component): str(ports[component])}
    if component == GATEWAY:
        # The gateway must reach the services this run starts, wherever their ports were moved.
        for name, port in ports.items():
            if name != GATEWAY:
                env[f"ROUNDS_GATEWAY_SERVICE_URLS__{name.upper()}"] = f"http://{HOST}:{port}"
        # Here a broker always runs, so partner webhooks get their events unless told otherwise.
        env.setdefault("ROUNDS_GATEWAY_WEBHOOKS_CONSUME", "true")
    return env


def build_plan(
    topology: Topology,
    options: UpOptions,
    environ: Mapping[str, str],
    *,
    python: str,
    embedded_broker_port: int | None,
) -> UpPlan:
    """The plan for ``rounds up``.

    ``embedded_broker_port`` is where the embedded broker will listen, or None when ``environ``
    names an external cluster in ``KAFKA_BOOTSTRAP_SERVERS``. ``options.data_dir`` should be absolute
    because children resolve it from their own working directory.
    """
    data_dir = options.data_dir
    logs_dir = data_dir / "logs"
    if embedded_broker_port is None:
        bootstrap_servers = environ[BOOTSTRAP_ENV]
    else:
        bootstrap_servers = f"{HOST}:{embedded_broker_port}"
    ports = planned_ports(topology, options, environ)
    common_env = {
        **environ,
        "ROUNDS_DATA_DIR": str(data_dir),
        BOOTSTRAP_ENV: bootstrap_servers,
        # Log lines reach the log files as they happen, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
    }
    if not environ.get("ROUNDS_PEOPLE_FIELD_KEYS"):
        # People's access notes are encrypted with a key kept beside the databases, generated (0600) by
        # whichever process needs it first: the migration, so notes held before issue 12 get encrypted.
        common_env.setdefault("ROUNDS_PEOPLE_FIELD_KEY_FILE", str(data_dir / "people-field-keys"))
    migrations = tuple(
        ChildPlan(
            name=f"migrate {service.name}",
            command=cli_command(python, "migrate", service.name),
            env=common_env,
            log_path=logs_dir / f"migrate-{service.name}.log",
        )
        for service in topology.services
    )
    components = tuple(
        ComponentPlan(
            name=name,
            command=cli_command(python, "serve", name),
            env=component_env(name, ports, common_env),
            log_path=logs_dir / f"{name}.log",
            port=ports[name],
        )
        for name in component_names(topology)
    )
    demo = None
    if options.demo and GATEWAY in ports:
        demo = ChildPlan(
            name="demo",
            command=(python, "-m", "rounds.simulate.live", "--gateway", f"http://{HOST}:{ports[GATEWAY]}"),
            env={**common_env, "ROUNDS_NO_PROGRESS": "1"},
            log_path=logs_dir / "demo.log",
        )
    return UpPlan(
        data_dir=data_dir,
        logs_dir=logs_dir,
        bootstrap_servers=bootstrap_servers,
        embedded_broker_port=embedded_broker_port,
        migrations=migrations,
        components=components,
        demo=demo,
    )
