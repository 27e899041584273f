"""The ``rounds`` command: run the platform on one machine, or one of its processes.

Each command is a thin shell over a module that does the work, so groups of commands added later
(``rounds bench ...``) are one ``app.add_typer(...)`` each.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table

from rounds.bench import bench_app
from rounds.demo.cli import demo_app
from rounds.embedded.plan import UpOptions, app_factory, component_names, component_port
from rounds.infra.settings import DEFAULT_DATA_DIR
from rounds.infra.topology import Topology, load_topology
from rounds.simulate.cli import simulate

app = typer.Typer(
    name="rounds",
    help="Rounds: an event-driven platform for home care providers.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(bench_app)
app.add_typer(demo_app)
app.command()(simulate)

_MS_PER_DAY = 24 * 60 * 60 * 1000


def _console() -> Console:
    return Console()


def _check_component(component: str, allowed: tuple[str, ...]) -> None:
    if component not in allowed:
        raise typer.BadParameter(f"unknown component {component!r}; choose one of: {', '.join(allowed)}")


def _parse_service_ports(values: list[str], topology: Topology) -> dict[str, int]:
    ports: dict[str, int] = {}
    known = tuple(service.name for service in topology.services)
    for value in values:
        name, _, port = value.partition("=")
        if name not in known or not port.isdigit():
            raise typer.BadParameter(
                f"{value!r} is not SERVICE=PORT with SERVICE one of {', '.join(known)}",
                param_hint="--service-port",
            )
        ports[name] = int(port)
    return ports


@app.command()
def up(
    data_dir: Annotated[
        Path, typer.Option(help="Folder for the SQLite databases, logs and traces.")
    ] = DEFAULT_DATA_DIR,
    gateway_port: Annotated[
        int | None, typer.Option(help="Gateway port.", show_default="8000, from topology")
    ] = None,
    broker_port: Annotated[
        int | None, typer.Option(help="Embedded broker port.", show_default="19092, or a free one")
    ] = None,
    service_port: Annotated[
        list[str] | None, typer.Option(help="Move a service, as SERVICE=PORT; repeatable.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds each step may take to become ready.")] = 60.0,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Once ready, load the demo provider and live its days, so the dashboard is alive."
        ),
    ] = False,
) -> None:
    """Run the whole platform here: broker, migrations, every service and the gateway."""
    # Imported here so the six `rounds serve` processes do not load the supervisor.
    from rounds.embedded.supervisor import run_up

    topology = load_topology()
    options = UpOptions(
        data_dir=data_dir,
        gateway_port=gateway_port,
        service_ports=_parse_service_ports(service_port or [], topology),
        broker_port=broker_port,
        timeout_seconds=timeout,
        demo=demo,
    )
    code = run_up(options, topology, _console(), os.environ)
    raise typer.Exit(code)


@app.command()
def serve(component: Annotated[str, typer.Argument(help="A service name, or gateway.")]) -> None:
    """Run one service or the gateway in the foreground (what `rounds up` starts for each)."""
    import uvicorn

    topology = load_topology()
    _check_component(component, component_names(topology))
    uvicorn.run(
        app_factory(component),
        factory=True,
        host=os.environ.get(f"ROUNDS_{component.upper()}_HOST", "127.0.0.1"),
        port=component_port(component, topology, os.environ),
        # The app configures JSON logging and logs each request itself.
        log_config=None,
        access_log=False,
        # Do not let a slow client hold up `rounds up` stopping everything.
        timeout_graceful_shutdown=5,
    )


@app.command()
def migrate(target: Annotated[str, typer.Argument(help="A service name, or all.")]) -> None:
    """Bring a service's database (or every service's) to the latest schema."""
    from rounds.infra.migrations import upgrade_head  # written alongside the services

    topology = load_topology()
    services = tuple(service.name for service in topology.services)
    _check_component(target, (*services, "all"))
    for name in services if target == "all" else (target,):
        upgrade_head(name)
        typer.echo(f"{name}: database at the latest schema")


@app.command()
def retention() -> None:
    """Anonymise the individuals whose retention has run out (people database; docs/people.md).

    Run it once a day; the chart's CronJob does. Idempotent: a second run anonymises nothing.

    Prints one JSON line of ids and counts only, never personal data.
    """
    # Imported here so the other commands do not load the people service.
    from services.people.retention_job import main

    main()


@app.command()
def broker(
    port: Annotated[
        int | None, typer.Option(help="Port to listen on.", show_default="19092, or a free one")
    ] = None,
    log_dir: Annotated[Path, typer.Option(help="Folder for broker.log.")] = DEFAULT_DATA_DIR / "logs",
) -> None:
    """Run only the embedded Kafka-protocol broker, in the foreground until Ctrl-C."""
    from rounds.embedded import processes
    from rounds.embedded.broker import BrokerStartError, EmbeddedBroker, default_broker_port

    console = _console()
    embedded = EmbeddedBroker(port or default_broker_port(), log_dir=log_dir)
    with processes.sigterm_as_keyboard_interrupt():
        try:
            embedded.start()
            console.print(f"Broker ready: KAFKA_BOOTSTRAP_SERVERS={embedded.bootstrap_servers}")
            console.print(f"Log: {embedded.log_path}. Messages live in memory. Press Ctrl-C to stop.")
            while embedded.is_running:
                time.sleep(0.5)
            console.print(f"[red]The broker stopped on its own.[/] Last lines of {embedded.log_path}:")
            console.print(embedded.log_tail(), markup=False, highlight=False)
            raise typer.Exit(1)
        except BrokerStartError as exc:
            console.print(str(exc), markup=False, highlight=False)
            raise typer.Exit(1) from exc
        except KeyboardInterrupt:
            pass
        finally:
            embedded.stop()
    console.print("Broker stopped.")


@app.command()
def topics() -> None:
    """List the Kafka topics the platform declares (rounds/topology.yaml)."""
    table = Table(title="Rounds topics")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("Topic", "left"),
        ("Partitions", "right"),
        ("Retention", "right"),
        ("Key", "left"),
        ("Producer", "left"),
    )
    for column, justify in columns:
        # Topic names are what people copy from here, so they are never cut short.
        table.add_column(column, justify=justify, no_wrap=column == "Topic")
    for topic in load_topology().topics:
        days = topic.retention_ms / _MS_PER_DAY
        table.add_row(topic.name, str(topic.partitions), f"{days:g} days", topic.key, topic.producer)
    _console().print(table)


@app.command()
def schemas(
    out: Annotated[
        Path | None, typer.Option(help="Write one <type>.schema.json per event into this folder.")
    ] = None,
) -> None:
    """List the event contracts (CloudEvents types and topics), or export their JSON Schemas."""
    from rounds.contracts.registry import json_schemas, registered_events

    if out is None:
        table = Table(title="Rounds events")
        table.add_column("Type", no_wrap=True)
        table.add_column("Topic", no_wrap=True)
        table.add_column("Key")
        for event in registered_events():
            table.add_row(event.type, event.topic, event.key_field)
        _console().print(table)
        return
    out.mkdir(parents=True, exist_ok=True)
    for event_type, schema in json_schemas().items():
        (out / f"{event_type}.schema.json").write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    _console().print(f"Wrote {len(json_schemas())} schemas to {out}")


@app.command()
def token(
    role: Annotated[str, typer.Option(help="care_worker, coordinator, registered_manager, supervisor, ...")],
    subject: Annotated[
        str | None, typer.Option(help="Who the token is for.", show_default="role-based")
    ] = None,
    worker_id: Annotated[str | None, typer.Option(help="A care worker's own worker id.")] = None,
    locality: Annotated[list[str] | None, typer.Option(help="A coordinator's locality; repeatable.")] = None,
    individual_id: Annotated[
        list[str] | None, typer.Option(help="An individual's (or key person's) individual; repeatable.")
    ] = None,
    consent: Annotated[
        list[str] | None, typer.Option(help="For a key person: a section consent allows; repeatable.")
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="For a partner system: a scope; repeatable.")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="For a partner system: its provider.")] = None,
    minutes: Annotated[int, typer.Option(help="How long the token is valid.")] = 60,
    data_dir: Annotated[
        Path, typer.Option(envvar="ROUNDS_DATA_DIR", help="The data folder of the gateway (its issuer key).")
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Print a bearer token of the embedded default's built-in issuer, for curl and partner apps."""
    from datetime import timedelta

    from rounds.auth.claims import ROLES
    from rounds.auth.issuer import load_or_create_signing_key, mint_token

    if role not in ROLES:
        raise typer.BadParameter(
            f"{role!r} is not a role; choose one of: {', '.join(ROLES)}", param_hint="--role"
        )
    individuals = individual_id or []
    typer.echo(
        mint_token(
            load_or_create_signing_key(data_dir),
            subject=subject or worker_id or f"{role}-{'-'.join(locality or individuals) or 'user'}",
            role=role,
            ttl=timedelta(minutes=minutes),
            worker_id=worker_id,
            localities=locality or [],
            individual_ids=individuals if role != "key_person" else [],
            consents={ind: consent or [] for ind in individuals} if role == "key_person" else {},
            scope=" ".join(scope or []),
            provider=provider,
        )
    )


if __name__ == "__main__":
    app()
