"""Real little services on real sockets for the gateway to stand in front of.

Each stand-in service is a FastAPI app served by uvicorn on a free 127.0.0.1 port in a thread of its
own, so the gateway talks real HTTP to it: connection pooling, timeouts and header handling are the
ones production sees. The gateway itself runs in-process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from gateway.policy import ALL_METHODS, READ_METHODS, Access, RouteRule
from rounds.auth.claims import Role
from rounds.auth.issuer import SigningKey, mint_token
from rounds.infra.topology import SERVICE_NAMES

# Ports that other software on a developer's machine or CI runner may own; never take them.
RESERVED_PORTS = frozenset({5432, 3306, 6379, 5672, 1883, 4222})


# The stand-ins' plumbing routes (echo, slow, stream...) are no real service's, so the real policy
# refuses them; the gateway under test gets these rules after the real ones: registered managers
# anywhere, coordinators where a named locality is theirs.
STAND_IN_RULES: tuple[RouteRule, ...] = tuple(
    RouteRule(
        service,
        ALL_METHODS if template == "/echo/**" else READ_METHODS,
        template,
        {Role.REGISTERED_MANAGER: Access.ANY, Role.COORDINATOR: Access.OWN_LOCALITY_IF_NAMED},
    )
    for service in SERVICE_NAMES
    for template in ("/echo/**", "/slow", "/stream", "/gzipped", "/cookies")
)


def listening_socket() -> socket.socket:
    """A socket bound to a free 127.0.0.1 port and listening, ready to hand to uvicorn."""
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        if sock.getsockname()[1] not in RESERVED_PORTS:
            sock.listen(128)
            return sock
        sock.close()


def dead_url() -> str:
    """A URL at which nothing listens: a port just freed by the OS."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@dataclass
class StandIn:
    """A stand-in service: where it listens and the switch its /readyz reads."""

    name: str
    url: str
    ready: bool = True
    # What its live stream (/live, /alerts/stream) sends: (position, event name, data), and who asked.
    live_events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    live_requests: list[dict[str, Any]] = field(default_factory=list)
    live_status: int = 200


class Worker(BaseModel):
    """Differs per service on purpose, so the merged OpenAPI has to rename it."""

    id: str


def stand_in_app(stand_in: StandIn) -> FastAPI:
    """A small service with the routes the gateway tests need."""
    # FastAPI's native telemetry off: the spans under test are the gateway's only.
    app = FastAPI(
        title=f"stand-in {stand_in.name}", telemetry={"tracing": False, "metrics": False, "logs": False}
    )
    # A model whose fields depend on the service, so ``Worker`` collides between services.
    worker_model: type[BaseModel] = type(
        "Worker", (Worker,), {"__annotations__": {f"{stand_in.name}_field": str}, "__module__": __name__}
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=None)
    async def readyz() -> dict[str, Any] | JSONResponse:
        if stand_in.ready:
            return {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
        return JSONResponse(
            {
                "type": "https://rounds.dev/problems/not-ready",
                "title": "Not ready",
                "status": 503,
                "detail": f"{stand_in.name} cannot serve yet: database unreachable: OperationalError",
                "checks": {"database": "unreachable: OperationalError", "broker": "ok"},
            },
            status_code=503,
            media_type="application/problem+json",
        )

    @app.get("/workers/{worker_id}", response_model=worker_model)
    async def get_worker(worker_id: str, detail: bool = False) -> Any:
        return {"id": worker_id, f"{stand_in.name}_field": str(detail)}

    @app.api_route(
        "/echo/{rest:path}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {
            "service": stand_in.name,
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "body": body.decode(),
            "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw],
        }

    @app.get("/slow")
    async def slow(seconds: float = 2.0) -> dict[str, str]:
        await asyncio.sleep(seconds)
        return {"status": "finally"}

    @app.get("/stream")
    async def stream(chunks: int = 5) -> StreamingResponse:
        async def numbers() -> AsyncIterator[bytes]:
            for i in range(chunks):
                yield f"line {i}\n".encode()

        return StreamingResponse(numbers(), media_type="text/plain")

    async def live(request: Request) -> Response:
        # Like the visits and alerts services: events after Last-Event-ID, then comments while open.
        stand_in.live_requests.append({"headers": dict(request.headers), "query": dict(request.query_params)})
        if stand_in.live_status != 200 or not stand_in.live_events:
            # No stream set up by the test: a plain refusal, so other tests' requests end at once.
            return JSONResponse(
                {"detail": "refused"}, status_code=stand_in.live_status if stand_in.live_events else 404
            )
        after = int(request.headers.get("last-event-id", "0"))

        async def events() -> AsyncIterator[bytes]:
            yield b": connected\n\n"
            for position, name, data in stand_in.live_events:
                if position > after:
                    yield f"id: {position}\nevent: {name}\ndata: {json.dumps(data)}\n\n".encode()
            for _ in range(50):
                await asyncio.sleep(0.1)
                yield b": still here\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    app.add_api_route("/live", live, methods=["GET"], include_in_schema=False)
    app.add_api_route("/alerts/stream", live, methods=["GET"], include_in_schema=False)

    @app.get("/gzipped")
    async def gzipped() -> Response:
        return Response(
            gzip.compress(b'{"compressed": true}'),
            media_type="application/json",
            headers={"Content-Encoding": "gzip"},
        )

    @app.get("/cookies")
    async def cookies() -> Response:
        response = Response(b"", status_code=204)
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    return app


class ServerThread:
    """Uvicorn serving ``app`` on ``sock`` in a background thread."""

    def __init__(self, app: FastAPI, sock: socket.socket, *, lifespan: str = "off") -> None:
        self._sock = sock
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self) -> None:
        """Start serving and wait until uvicorn says it has started."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the stand-in service did not start within 10 s")
            time.sleep(0.01)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()


@dataclass
class RunningGateway:
    """A gateway app after its lifespan started, a client for it, and the spans it finished."""

    app: FastAPI
    client: httpx.AsyncClient
    spans: InMemorySpanExporter
    key: SigningKey

    def token(self, role: str, subject: str = "user-1", **claims: Any) -> str:
        """A token of the gateway's built-in issuer for ``role`` with the relationship ``claims``."""
        return mint_token(self.key, subject=subject, role=role, **claims)

    def as_(self, role: str, subject: str = "user-1", **claims: Any) -> dict[str, str]:
        """Headers that make a request come from ``role`` with ``claims``."""
        return {"Authorization": f"Bearer {self.token(role, subject, **claims)}"}


GatewayFactory = Callable[..., contextlib.AbstractAsyncContextManager[RunningGateway]]
