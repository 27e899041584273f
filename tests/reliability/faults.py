"""Ways to break things on purpose: a Postgres of the test's own, a cuttable link to the broker, processes.

- :class:`PrivatePostgres` is a real PostgreSQL cluster in a temporary folder on a free port, so a test
  can stop and start it without touching the server other tests use.
- :class:`CuttableLink` is a TCP relay between the clients and the broker. The embedded broker keeps
  its log in memory, so restarting it would lose what it held, which a real Kafka cluster does not;
  cutting every connection and refusing new ones for a while is what an outage looks like from the
  services' side, with the broker's log intact, as Kafka's would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from rounds.embedded.broker import resolve_binary
from rounds.embedded.ports import find_free_port

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql")


def _pg_tool(name: str) -> str:
    """A PostgreSQL server binary (initdb, pg_ctl) from the machine's installation."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(PG_BIN.glob(f"*/bin/{name}"), reverse=True)
    if not candidates:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL server package")
    return str(candidates[0])


class PrivatePostgres:
    """A PostgreSQL cluster of one test: initdb into a new folder, then start and stop at will."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="rounds-pg-"))
        self.data = self.folder / "pgdata"
        self.port = find_free_port()
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """The async SQLAlchemy URL of its ``postgres`` database."""
        return f"postgresql+asyncpg://postgres@{HOST}:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as_postgres, *command], capture_output=True, timeout=60, check=False)
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def init(self) -> PrivatePostgres:
        """Create the cluster (trust auth, like the machine's own server) and start it."""
        if self._as_postgres:
            shutil.chown(self.folder, user="postgres")
        self._run(_pg_tool("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return self.start()

    def start(self) -> PrivatePostgres:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={HOST} -c fsync=off"
        self._run(
            _pg_tool("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.folder / "log"),
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop the server at once (fast shutdown: open connections are cut)."""
        self._run(_pg_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        """Stop it if running and remove its folder."""
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class CuttableLink:
    """A broker behind a relay: clients reach it at :attr:`bootstrap`, and the link can be cut."""

    def __init__(self, log_dir: Path) -> None:
        self._broker_port = find_free_port()
        self.port = find_free_port()
        self._log = (log_dir / "broker.log").open("wb")
        self._broker: subprocess.Popen[bytes] | None = None
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.connected = True

    @property
    def bootstrap(self) -> str:
        """Where the clients connect (the broker advertises this address too)."""
        return f"{HOST}:{self.port}"

    async def start(self) -> CuttableLink:
        """Start the broker (advertising the relay's address) and the relay."""
        self._broker = subprocess.Popen(
            [
                resolve_binary(),
                "broker",
                "--listener-url",
                f"tcp://{HOST}:{self._broker_port}",
                "--advertised-listener-url",
                f"tcp://{self.bootstrap}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._server = await asyncio.start_server(self._relay, HOST, self.port)
        for _ in range(100):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection(HOST, self._broker_port)
                writer.close()
                return self
            await asyncio.sleep(0.1)
        raise RuntimeError("the broker behind the link did not start")

    def cut(self) -> None:
        """Drop every open connection and refuse new ones, as an unreachable broker would."""
        self.connected = False
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        """Let clients through again."""
        self.connected = True

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if not self.connected:
            client_writer.transport.abort()
            return
        try:
            broker_reader, broker_writer = await asyncio.open_connection(HOST, self._broker_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._open.update((client_writer, broker_writer))
        await asyncio.gather(
            _pipe(client_reader, broker_writer), _pipe(broker_reader, client_writer), return_exceptions=True
        )
        for writer in (client_writer, broker_writer):
            self._open.discard(writer)
            writer.transport.abort()

    async def stop(self) -> None:
        """Stop the relay and the broker."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._broker is not None:
            self._broker.terminate()
            self._broker.wait(timeout=10)
        self._log.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


class ConsumerProcess:
    """A counting consumer in a process of its own (see ``counting_consumer``), to be killed."""

    def __init__(self, database_url: str, bootstrap: str, topic: str, group: str, delay_ms: int) -> None:
        self._args = [database_url, bootstrap, topic, group, str(delay_ms)]
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> ConsumerProcess:
        """Start it from the repository root."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.counting_consumer", *self._args],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no offset commit, no leaving the group."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def failure(self) -> str | None:
        """Its error output when it has exited on its own."""
        if self._process is None or self._process.poll() is None:
            return None
        return (self._process.stderr.read() if self._process.stderr else b"").decode(errors="replace")[-3000:]
