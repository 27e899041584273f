"""The bare FastAPI endpoint ``rounds bench ingest`` holds the gateway against.

It parses the same JSON body a worker's app sends (a record with its id and device time) and answers
202, with nothing behind it: no token check, no database, no broker. What it takes per second on this
machine, through the same client, is the ceiling of any FastAPI service here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import FastAPI, status


def create_app() -> FastAPI:
    """The app uvicorn serves (``--factory``)."""
    app = FastAPI(title="bare ingest", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/visits/{visit_id}/{kind}", status_code=status.HTTP_202_ACCEPTED)
    async def accept(visit_id: UUID, kind: str, body: dict[str, Any]) -> dict[str, str]:
        # The body is parsed and validated as JSON (FastAPI reads it into a dict), then dropped.
        return {"visit_id": str(visit_id), "kind": kind, "record_id": str(body.get("record_id"))}

    return app
