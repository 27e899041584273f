"""``rounds up``: the broker, the migrations, every service and the gateway, as child processes.

The supervisor carries out an :class:`~rounds.embedded.plan.UpPlan`: it starts the children in order,
waits until each answers ``/readyz``, watches them while they run and stops them in reverse order on
Ctrl-C or SIGTERM. When one fails it names it, shows the end of its log and stops the rest.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from rounds.embedded import processes
from rounds.embedded.broker import BrokerStartError, EmbeddedBroker, default_broker_port
from rounds.embedded.plan import (
    BOOTSTRAP_ENV,
    ChildPlan,
    ComponentPlan,
    UpOptions,
    UpPlan,
    build_plan,
    port_clashes,
)
from rounds.embedded.ports import is_port_free
from rounds.infra.topology import Topology

_POLL_SECONDS = 0.25


@dataclass
class ChildFailed(Exception):
    """A child process failed to start or stopped on its own; what to tell the person watching."""

    name: str
    reason: str
    log_path: Path | None = None
    log_tail: str = ""
    hint: str = ""


def run_up(options: UpOptions, topology: Topology, console: Console, environ: Mapping[str, str]) -> int:
    """Run the whole platform until Ctrl-C or SIGTERM; the exit code is 0 then, 1 when a child fails."""
    data_dir = options.data_dir.expanduser().resolve()
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    external = bool(environ.get(BOOTSTRAP_ENV))
    broker_port = None if external else (options.broker_port or default_broker_port())
    if external and options.broker_port is not None:
        console.print(f"[yellow]--broker-port is ignored:[/] {BOOTSTRAP_ENV} names the cluster to use.")
    plan = build_plan(
        topology,
        dataclasses.replace(options, data_dir=data_dir),
        environ,
        python=sys.executable,
        embedded_broker_port=broker_port,
    )
    problems = port_clashes(plan) + ports_in_use(plan)
    if problems:
        console.print(Panel("\n".join(problems), title="rounds up cannot start", border_style="red"))
        console.print(
            "Stop whatever holds those ports (another [bold]rounds up[/]?), or choose others with "
            "--gateway-port, --service-port SERVICE=PORT or --broker-port."
        )
        return 1
    return Supervisor(plan, console, timeout_seconds=options.timeout_seconds).run()


def ports_in_use(plan: UpPlan) -> list[str]:
    """The plan's ports that another process already listens on."""
    wanted = [(component.name, component.port) for component in plan.components]
    if plan.embedded_broker_port is not None:
        wanted.insert(0, ("broker", plan.embedded_broker_port))
    return [f"port {port} ({name}) is already in use" for name, port in wanted if not is_port_free(port)]


def dashboard_sign_in(gateway_url: str, data_dir: Path, environ: Mapping[str, str]) -> str | None:
    """A link that opens the dashboard signed in, when the gateway is its own issuer (the embedded default).

    The token travels in the URL's fragment, which browsers never send to a server; the page keeps it
    in the tab's session storage and removes it from the address bar.
    """
    if environ.get("ROUNDS_GATEWAY_OIDC_ISSUER"):
        return None  # the provider's identity provider signs people in
    from datetime import timedelta

    from rounds.auth.issuer import load_or_create_signing_key, mint_token

    token = mint_token(
        load_or_create_signing_key(data_dir),
        subject="registered-manager",
        role="registered_manager",
        ttl=timedelta(hours=12),
    )
    return f"{gateway_url}/dashboard#token={token}"


class Supervisor:
    """Starts, watches and stops the children of one ``rounds up``."""

    def __init__(self, plan: UpPlan, console: Console, *, timeout_seconds: float, stop_grace: float = 10.0):
        self.plan = plan
        self.console = console
        self.timeout_seconds = timeout_seconds
        self.stop_grace = stop_grace
        self.broker: EmbeddedBroker | None = None
        self._running: list[tuple[ChildPlan, subprocess.Popen[bytes]]] = []
        self._up = False
        # Logs are appended run after run; a failure report quotes only what this run wrote.
        self._log_offsets: dict[str, int] = {}

    def run(self) -> int:
        """Start everything, watch it until interrupted, then stop it all; return the exit code."""
        code = 0
        with processes.sigterm_as_keyboard_interrupt():
            try:
                self._start_broker()
                self._migrate()
                self._start_components()
                self._print_summary()
                self._start_demo()
                self._up = True
                self._watch()
            except KeyboardInterrupt:
                self.console.print("\nStopping Rounds…")
            except ChildFailed as failure:
                self._report(failure)
                code = 1
            finally:
                # A second Ctrl-C must not leave half the children running.
                with processes.signals_ignored():
                    self._stop_all()
        return code

    def _start_broker(self) -> None:
        if self.plan.embedded_broker_port is None:
            self.console.print(f"Using the Kafka cluster at [bold]{self.plan.bootstrap_servers}[/]")
            return
        self.broker = EmbeddedBroker(self.plan.embedded_broker_port, log_dir=self.plan.logs_dir)
        with self.console.status(f"Starting the embedded broker on {self.plan.bootstrap_servers}…"):
            try:
                self.broker.start()
            except BrokerStartError as exc:
                raise ChildFailed(
                    "broker",
                    str(exc).split("\n", 1)[0],
                    self.broker.log_path,
                    self.broker.log_tail(),
                    "Start it alone with `rounds broker` to see it fail in the foreground, or point "
                    "KAFKA_BOOTSTRAP_SERVERS at a running Kafka cluster.",
                ) from exc
        self.console.print(f"[green]✓[/] broker on {self.plan.bootstrap_servers} (embedded, in memory)")

    def _migrate(self) -> None:
        started = [(step, self._spawn(step)) for step in self.plan.migrations]
        deadline = time.monotonic() + self.timeout_seconds
        with self._progress() as progress:
            tasks = {step.name: progress.add_task(step.name, total=1) for step, _ in started}
            pending = list(started)
            while pending:
                for step, process in [(s, p) for s, p in pending if p.poll() is not None]:
                    pending.remove((step, process))
                    self._check_migrated(step, process)
                    progress.update(tasks[step.name], completed=1, description=f"[green]✓[/] {step.name}")
                if pending and time.monotonic() > deadline:
                    reason = f"still running after {self.timeout_seconds:g} s"
                    raise self._failure(pending[0][0], reason, _TIMEOUT_HINT)
                time.sleep(_POLL_SECONDS)

    def _check_migrated(self, step: ChildPlan, process: subprocess.Popen[bytes]) -> None:
        if process.returncode != 0:
            service = step.name.removeprefix("migrate ")
            hint = f"Run `rounds migrate {service}` to see the error in the foreground."
            raise self._failure(step, processes.describe_exit(process.returncode), hint)

    def _start_components(self) -> None:
        started = [(component, self._spawn(component)) for component in self.plan.components]
        deadline = time.monotonic() + self.timeout_seconds
        with self._progress() as progress, httpx.Client(timeout=1.0) as http:
            tasks = {c.name: progress.add_task(f"{c.name} starting", total=1) for c, _ in started}
            pending = list(started)
            last_answer: dict[str, str] = {}
            while pending:
                for component, process in list(pending):
                    try:
                        self._check_alive(component, process)
                    except ChildFailed:
                        progress.update(tasks[component.name], completed=1, description=_failed(component))
                        raise
                    answer = _readiness(http, component)
                    if answer is None:
                        pending.remove((component, process))
                        progress.update(tasks[component.name], completed=1, description=_ready(component))
                    else:
                        last_answer[component.name] = answer
                if pending and time.monotonic() > deadline:
                    component = pending[0][0]
                    progress.update(tasks[component.name], completed=1, description=_failed(component))
                    raise self._not_ready(component, last_answer.get(component.name, "none"))
                time.sleep(_POLL_SECONDS)

    def _start_demo(self) -> None:
        """``--demo``: the demo loads and lives in its own child; ``_watch`` ignores its exit."""
        if self.plan.demo is not None:
            self._spawn(self.plan.demo)
            self.console.print(
                "Demo: loading the small demo branch, then its workers' apps live "
                f"(log: {_shown(self.plan.demo.log_path)})."
            )

    def _not_ready(self, component: ComponentPlan, last_answer: str) -> ChildFailed:
        reason = (
            f"did not answer GET {component.ready_url} with 200 within {self.timeout_seconds:g} s "
            f"(last answer: {last_answer})"
        )
        return self._failure(component, reason, _TIMEOUT_HINT)

    def _watch(self) -> None:
        while True:
            if self.broker is not None and not self.broker.is_running:
                raise ChildFailed(
                    "broker",
                    "the embedded broker stopped on its own",
                    self.broker.log_path,
                    self.broker.log_tail(),
                    "Its messages are lost; run `rounds up` again.",
                )
            for child, process in self._running:
                if isinstance(child, ComponentPlan):
                    self._check_alive(child, process)
            time.sleep(_POLL_SECONDS * 2)

    def _check_alive(self, child: ComponentPlan, process: subprocess.Popen[bytes]) -> None:
        code = process.poll()
        if code is not None:
            raise self._failure(
                child,
                processes.describe_exit(code),
                f"Run `rounds serve {child.name}` with the same settings to see it fail in the foreground.",
            )

    def _spawn(self, child: ChildPlan) -> subprocess.Popen[bytes]:
        self._log_offsets[child.name] = child.log_path.stat().st_size if child.log_path.exists() else 0
        process = processes.spawn(child.command, env=child.env, log_path=child.log_path)
        self._running.append((child, process))
        return process

    def _stop_all(self) -> None:
        with self.console.status("Stopping…") as status:
            for child, process in reversed(self._running):
                status.update(f"Stopping {child.name}…")
                processes.stop(process, self.stop_grace)
            self._running.clear()
            if self.broker is not None:
                status.update("Stopping the embedded broker…")
                self.broker.stop()
        self.console.print("Rounds stopped.")

    def _failure(self, child: ChildPlan, reason: str, hint: str) -> ChildFailed:
        offset = self._log_offsets.get(child.name, 0)
        tail = processes.log_tail(child.log_path, start_offset=offset)
        return ChildFailed(child.name, reason, child.log_path, tail, hint)

    def _report(self, failure: ChildFailed) -> None:
        body = f"[bold]{failure.name}[/] {failure.reason}."
        if failure.log_path is not None:
            body += f"\n\nLast lines of {_shown(failure.log_path)}:"
        title = "Rounds stopped: a process failed" if self._up else "Rounds could not start"
        self.console.print(Panel(body, title=title, border_style="red"))
        if failure.log_tail:
            self.console.print(failure.log_tail, markup=False, highlight=False)
        if failure.hint:
            self.console.print(f"\n[bold]Next:[/] {failure.hint}")

    def _print_summary(self) -> None:
        table = Table(title="Rounds is up")
        for column in ("Component", "URL", "Status", "Log"):
            table.add_column(column)
        if self.broker is not None:
            table.add_row("broker", self.plan.bootstrap_servers, "embedded", _shown(self.broker.log_path))
        else:
            table.add_row("broker", self.plan.bootstrap_servers, "external", "")
        for component in self.plan.components:
            table.add_row(component.name, component.url, "[green]ready[/]", _shown(component.log_path))
        self.console.print(table)
        gateway = self.plan.gateway
        if gateway is not None:
            self.console.print(f"Gateway:  [bold]{gateway.url}[/]\nAPI docs: [bold]{gateway.url}/docs[/]")
            sign_in = dashboard_sign_in(gateway.url, self.plan.data_dir, os.environ)
            if sign_in:
                self.console.print(
                    f"Dashboard (registered manager, for 12 hours):\n{sign_in}", soft_wrap=True
                )
        self.console.print(f"Data folder: {self.plan.data_dir}\nPress Ctrl-C to stop.")

    def _progress(self) -> Progress:
        return Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console
        )


_TIMEOUT_HINT = "Look at its log for what it waits on, or give it longer with --timeout."


def _readiness(http: httpx.Client, component: ComponentPlan) -> str | None:
    """None when the component is ready, else a short account of what its probe answered."""
    try:
        response = http.get(component.ready_url)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    if response.status_code == 200:
        return None
    return f"HTTP {response.status_code} {response.text[:200]}"


def _ready(component: ComponentPlan) -> str:
    return f"[green]✓[/] {component.name} ready on {component.url}"


def _failed(component: ComponentPlan) -> str:
    return f"[red]✗[/] {component.name} failed"


def _shown(path: Path) -> str:
    """A path as short as it can be said from the current directory."""
    try:
        return str(path.relative_to(Path(os.getcwd())))
    except ValueError:
        return str(path)
