"""Real little services on real sockets for the gateway to stand in front of.

Each stand-in service is a FastAPI app served by uvicorn on a free 127.0.0.1 port in a thread of its
own, so the gateway talks real HTTP to it: connection pooling, timeouts and header handling are the
ones production sees. The gateway itself runs in-process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from rounds.auth.issuer import SigningKey, mint_token

# Ports that other software on a developer's machine or CI runner may own; never take them.
RESERVED_PORTS = frozenset({5432, 3306, 6379, 5672, 1883, 4222})


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

    def __init__(self, app: FastAPI, sock: socket.socket) -> None:
        self._sock = sock
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
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
