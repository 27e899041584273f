"""The visits service's HTTP routes: parse, check who is asking, call a handler, shape the response.

Worker apps reach these through the gateway, which vouches for the caller in ``X-Rounds-Actor``; the
rules only this service can apply (is the visit allocated to this worker? is it in this coordinator's
locality?) are applied here from that header and the visit.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import IntegrityError

from rounds.infra.problems import Conflict, NotFound, Problem
from rounds.infra.service import unit_of_work_from
from services.visits import handlers
from services.visits.domain.access import (
    Caller,
    may_amend,
    may_manage,
    may_read,
    may_read_locality,
    may_read_worker,
    worker_recording,
)
from services.visits.domain.errors import NotAllowed, RuleBroken, StateConflict
from services.visits.domain.geo import Point
from services.visits.domain.monitor import PROVIDER_WIDE, Thresholds
from services.visits.domain.reports import Tally, daily
from services.visits.domain.visits import Evidence, VisitState
from services.visits.schemas import (
    AmendmentIn,
    AmendmentOut,
    ConcernIn,
    DailyReportOut,
    HistoryOut,
    IncidentIn,
    NoteIn,
    PresenceIn,
    RecordOut,
    SosIn,
    TagsOut,
    TallyOut,
    TaskIn,
    ThresholdsIn,
    ThresholdsOut,
    VisitOut,
    VisitPage,
    _RecordIn,
)
from services.visits.unit_of_work import VisitsUnitOfWork

router = APIRouter(tags=["visits"])

UoW = Annotated[VisitsUnitOfWork, Depends(unit_of_work_from)]
VisitId = Annotated[UUID, Path(description="the visit, as the rota named it")]
ActorHeader = Annotated[
    str | None,
    Header(
        alias="X-Rounds-Actor",
        description='Who is calling, as the gateway vouches for them: JSON such as {"sub": "...", "role": '
        '"care_worker", "worker_id": "<uuid>"} or {"role": "coordinator", "localities": ["Leeds"]}.',
    ),
]


class Invalid(Problem):
    """A rule of the domain refused a field of the request."""

    status, slug, title = 422, "validation-error", "Request is not valid"


class Forbidden(Problem):
    """The caller may not do this to this visit."""

    status, slug, title = 403, "forbidden", "Forbidden"


class Unauthenticated(Problem):
    """The route needs to know who is calling."""

    status, slug, title = 401, "unauthenticated", "Unauthenticated"


def caller_from(header: str | None) -> Caller:
    """The caller named by ``X-Rounds-Actor``; 401 when it is missing or not what the gateway sends."""
    if not header:
        raise Unauthenticated("This route needs to know who is calling: send X-Rounds-Actor.")
    try:
        claims = json.loads(header)
    except ValueError:
        claims = None
    if not isinstance(claims, dict) or not isinstance(claims.get("role"), str):
        raise Unauthenticated('X-Rounds-Actor must be JSON with a "role" and a "sub".')
    worker: UUID | None = None
    if claims.get("worker_id") is not None:
        try:
            worker = UUID(str(claims["worker_id"]))
        except ValueError as exc:
            raise Unauthenticated("X-Rounds-Actor's worker_id is not a UUID.") from exc
    localities = claims.get("localities") or []
    if not isinstance(localities, list) or not all(isinstance(x, str) for x in localities):
        raise Unauthenticated("X-Rounds-Actor's localities must be a list of names.")
    return Caller(
        subject=str(claims.get("sub") or worker or "")[:200],
        role=claims["role"][:50],
        worker_id=worker,
        localities=frozenset(localities),
    )


def get_caller(x_rounds_actor: ActorHeader = None) -> Caller:
    """FastAPI dependency: the caller."""
    return caller_from(x_rounds_actor)


Who = Annotated[Caller, Depends(get_caller)]


@asynccontextmanager
async def refusals() -> AsyncIterator[None]:
    """The domain's refusals as problem details (nothing was committed when they leave)."""
    try:
        yield
    except RuleBroken as broken:
        raise Invalid(
            f"Fix this field and send the request again: body.{broken.field}.",
            errors=[{"field": f"body.{broken.field}", "reason": broken.reason}],
        ) from broken
    except StateConflict as clash:
        raise Conflict(str(clash)) from clash
    except handlers.RecordIdReused as reused:
        raise Conflict(str(reused), errors=[{"field": "body.record_id", "reason": str(reused)}]) from reused
    except NotAllowed as refused:
        raise Forbidden(str(refused)) from refused
    except handlers.UnknownVisit as unknown:
        raise NotFound(str(unknown)) from unknown


def _evidence(body: PresenceIn) -> Evidence:
    """The evidence of presence; the method's own evidence must be there (422 naming the field)."""
    needed = {"gps": ("position", body.position), "nfc": ("nfc_tag_id", body.nfc_tag_id)}
    needed["telephony"] = ("telephony_number", body.telephony_number)
    name, value = needed[body.method]
    if value is None:
        raise Invalid(
            f"Fix this field and send the request again: body.{name}.",
            errors=[{"field": f"body.{name}", "reason": f"is required when method is {body.method!r}"}],
        )
    position = Point(body.position.lat, body.position.lon) if body.position else None
    return Evidence(
        method=body.method,
        position=position,
        accuracy_m=body.position.accuracy_m if body.position else None,
        nfc_tag_id=body.nfc_tag_id,
        telephony_number=body.telephony_number,
    )


def _settled(request: Request) -> handlers.Settled:
    runtime = request.app.state.runtime
    return handlers.Settled(max_distance_m=runtime.settings.max_distance_m, defaults=runtime.defaults)


async def _record(
    request: Request,
    response: Response,
    uow: VisitsUnitOfWork,
    caller: Caller,
    visit_id: UUID,
    kind: str,
    body: _RecordIn,
    evidence: Evidence | None = None,
) -> dict[str, Any]:
    """Accept a record exactly once: 201 the first time, 200 with the same body for a replay."""
    async with refusals():
        door = handlers.Doorstep(body.record_id, visit_id, worker_recording(caller), body.occurred_at)
        settled = _settled(request)
        attempt: Callable[[VisitsUnitOfWork], Awaitable[handlers.Recorded]] = lambda u: handlers.record(  # noqa: E731
            u, door, kind, body.content(), evidence, settled
        )
        try:
            async with uow:
                recorded = await attempt(uow)
        except IntegrityError:
            # The same id (or the same worker's check-in) committed by a concurrent request: answer
            # from what is stored now, as a replay or as the domain's refusal.
            async with request.app.state.runtime.unit_of_work() as again:
                recorded = await attempt(again)
    response.status_code = status.HTTP_200_OK if recorded.replay else status.HTTP_201_CREATED
    if recorded.replay:
        response.headers["Idempotent-Replayed"] = "true"
    return recorded.body


_RECORD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same record was accepted before: its original answer"},
    403: {"description": "The visit is not allocated to the caller"},
    404: {"description": "No such visit is expected"},
    409: {"description": "The visit's state refuses it (cancelled, no check-in yet, id reused)"},
}


@router.post("/visits/{visit_id}/check-in", status_code=201, responses=_RECORD_RESPONSES)
async def check_in(
    visit_id: VisitId, body: PresenceIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """The worker arrived (EVV start time and location); a far position is accepted and flagged."""
    return await _record(request, response, uow, caller, visit_id, "check_in", body, _evidence(body))


@router.post("/visits/{visit_id}/check-out", status_code=201, responses=_RECORD_RESPONSES)
async def check_out(
    visit_id: VisitId, body: PresenceIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """The worker left (EVV end time); a short or overrunning stay is raised at once."""
    return await _record(request, response, uow, caller, visit_id, "check_out", body, _evidence(body))


@router.post("/visits/{visit_id}/tasks", status_code=201, responses=_RECORD_RESPONSES)
async def record_task(
    visit_id: VisitId, body: TaskIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """A task of the plan done, refused or not needed, with the reason (000 P19)."""
    if body.outcome != "done" and body.reason is None:
        raise Invalid(
            "Fix this field and send the request again: body.reason.",
            errors=[{"field": "body.reason", "reason": f"a task {body.outcome} needs the reason (000 P19)"}],
        )
    return await _record(request, response, uow, caller, visit_id, "task", body)


@router.post("/visits/{visit_id}/notes", status_code=201, responses=_RECORD_RESPONSES)
async def add_note(
    visit_id: VisitId, body: NoteIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """A note for the visit's record (000 P13)."""
    return await _record(request, response, uow, caller, visit_id, "note", body)


@router.post("/visits/{visit_id}/concerns", status_code=201, responses=_RECORD_RESPONSES)
async def raise_concern(
    visit_id: VisitId, body: ConcernIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """A concern or difficulty (000 P21); announced as ``rounds.concern.raised.v1``."""
    return await _record(request, response, uow, caller, visit_id, "concern", body)


@router.post("/visits/{visit_id}/incidents", status_code=201, responses=_RECORD_RESPONSES)
async def report_incident(
    visit_id: VisitId, body: IncidentIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """An incident or accident (000 P38-P40); announced as ``rounds.incident.reported.v1``."""
    return await _record(request, response, uow, caller, visit_id, "incident", body)


@router.post("/visits/{visit_id}/sos", status_code=201, responses=_RECORD_RESPONSES)
async def sos(
    visit_id: VisitId, body: SosIn, request: Request, response: Response, uow: UoW, caller: Who
) -> dict[str, Any]:
    """The worker needs help now; announced as ``rounds.worker.sos.v1`` for on-call (000 P14-P16)."""
    return await _record(request, response, uow, caller, visit_id, "sos", body)


async def _visible(uow: VisitsUnitOfWork, visit_id: UUID, caller: Caller) -> VisitState:
    state = await uow.visits.state(visit_id)
    if state is None:
        raise NotFound(f"No visit {visit_id} is expected: the rota has not announced it.")
    async with refusals():
        may_read(caller, state.visit)
    return state


@router.get("/visits/{visit_id}", responses={403: {}, 404: {}})
async def get_visit(visit_id: VisitId, uow: UoW, caller: Who) -> VisitOut:
    """The visit as expected, who is there, and what the monitor raised."""
    async with uow:
        return VisitOut.of(await _visible(uow, visit_id, caller))


@router.get("/visits/{visit_id}/records", responses={403: {}, 404: {}})
async def visit_history(visit_id: VisitId, uow: UoW, caller: Who) -> HistoryOut:
    """Every record of the visit with its amendments; each read is audited (personal data)."""
    async with uow:
        state = await _visible(uow, visit_id, caller)
        records = await uow.records.of_visit(visit_id)
        amendments = await uow.records.amendments_of_visit(visit_id)
        await uow.records.note_read(visit_id, caller.name, caller.role, uow.clock.now(), "records")
        await uow.commit()
    return HistoryOut(
        visit=VisitOut.of(state),
        records=[
            RecordOut(
                record_id=r.record_id,
                worker_id=r.worker_id,
                kind=r.kind,
                occurred_at=r.occurred_at,
                received_at=r.received_at,
                content=r.content,
                verification=r.verification,
                flagged=r.flagged,
                evv=handlers.evv(state, r.worker_id, r.verification),
                amendments=[
                    AmendmentOut(
                        amendment_id=a.amendment_id,
                        record_id=a.record_id,
                        amended_by=a.amended_by,
                        amended_at=a.amended_at,
                        reason=a.reason,
                        changes=a.changes,
                    )
                    for a in amendments
                    if a.record_id == r.record_id
                ],
            )
            for r in records
        ],
    )


@router.post(
    "/visits/{visit_id}/records/{record_id}/amendments", status_code=201, responses={403: {}, 404: {}}
)
async def amend_record(
    visit_id: VisitId, record_id: Annotated[UUID, Path()], body: AmendmentIn, uow: UoW, caller: Who
) -> AmendmentOut:
    """Correct a record: the original stays; the amendment says who, when and why."""
    async with uow, refusals():
        state = await uow.visits.state(visit_id)
        if state is None:
            raise NotFound(f"No visit {visit_id} is expected: the rota has not announced it.")
        may_amend(caller, state.visit)
        a = await handlers.amend_record(uow, visit_id, record_id, caller.name, body.reason, body.changes)
    return AmendmentOut(
        amendment_id=a.amendment_id,
        record_id=a.record_id,
        amended_by=a.amended_by,
        amended_at=a.amended_at,
        reason=a.reason,
        changes=a.changes,
    )


# --- lists ------------------------------------------------------------------------------------------

Limit = Annotated[int, Query(ge=1, le=200, description="at most this many visits")]
Cursor = Annotated[str | None, Query(max_length=200, description="from the previous page's next_cursor")]


def _today(request: Request, uow: VisitsUnitOfWork) -> date:
    zone = ZoneInfo(request.app.state.runtime.settings.provider_time_zone)
    return uow.clock.now().astimezone(zone).date()


def _encode(state: VisitState) -> str:
    key = json.dumps([state.visit.planned_start.isoformat(), str(state.visit.visit_id)])
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[datetime, UUID] | None:
    if not cursor:
        return None
    try:
        start, visit_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(start), UUID(visit_id)
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "Fix this field and send the request again: query.cursor.",
            errors=[{"field": "query.cursor", "reason": "is not a cursor this service gave"}],
        ) from exc


def _page(states: list[VisitState], limit: int) -> VisitPage:
    more = len(states) > limit
    states = states[:limit]
    return VisitPage(
        items=[VisitOut.of(s) for s in states], next_cursor=_encode(states[-1]) if more else None
    )


@router.get("/visits", responses={403: {}})
async def list_visits(
    request: Request,
    uow: UoW,
    caller: Who,
    locality: Annotated[str, Query(min_length=1, max_length=200)],
    day: Annotated[date | None, Query(alias="date", description="local date; today when absent")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> VisitPage:
    """A locality's visits on a local day in planned order, with their status (the day's board)."""
    async with uow, refusals():
        may_read_locality(caller, locality)
        states = await uow.visits.for_locality(
            locality, day or _today(request, uow), _decode(cursor), limit + 1
        )
    return _page(states, limit)


@router.get("/workers/{worker_id}/visits", responses={403: {}})
async def worker_visits(
    worker_id: Annotated[UUID, Path()],
    request: Request,
    uow: UoW,
    caller: Who,
    day: Annotated[date | None, Query(alias="date", description="local date; today when absent")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> VisitPage:
    """A worker's visits on a local day (000 P18, P20: their own schedule and tasks)."""
    async with uow, refusals():
        may_read_worker(caller, worker_id)
        states = await uow.visits.for_worker(
            worker_id, day or _today(request, uow), _decode(cursor), limit + 1
        )
    return _page(states, limit)


# --- thresholds and NFC tags ------------------------------------------------------------------------

VisitType = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^(\*|[a-z][a-z0-9_]*)$")]


def _thresholds_out(visit_type: str, thresholds: Thresholds, source: str) -> ThresholdsOut:
    return ThresholdsOut(
        visit_type=visit_type,
        source=source,
        late_after_minutes=thresholds.late_after.total_seconds() / 60,
        missed_after_minutes=thresholds.missed_after.total_seconds() / 60,
        short_share=thresholds.short_share,
        overrun_after_minutes=thresholds.overrun_after.total_seconds() / 60,
        overdue_grace_minutes=thresholds.overdue_grace.total_seconds() / 60,
    )


@router.get("/thresholds/{visit_type}", responses={403: {}})
async def get_thresholds(visit_type: VisitType, uow: UoW, caller: Who) -> ThresholdsOut:
    """The thresholds that apply to a visit type (``*``: the provider's)."""
    async with uow, refusals():
        may_manage(caller)
        book = await uow.thresholds.book(uow.defaults)
    if visit_type in book.by_visit_type:
        return _thresholds_out(visit_type, book.by_visit_type[visit_type], "visit_type")
    source = "settings" if book.provider == uow.defaults else "provider"
    return _thresholds_out(visit_type, book.provider, source)


@router.put("/thresholds/{visit_type}", responses={403: {}})
async def put_thresholds(visit_type: VisitType, body: ThresholdsIn, uow: UoW, caller: Who) -> ThresholdsOut:
    """Set a visit type's thresholds (``*``: the provider's); deadlines of visits ahead move with them."""
    if body.missed_after_minutes < body.late_after_minutes:
        raise Invalid(
            "Fix this field and send the request again: body.missed_after_minutes.",
            errors=[
                {"field": "body.missed_after_minutes", "reason": "cannot be less than late_after_minutes"}
            ],
        )
    thresholds = Thresholds(
        late_after=_minutes(body.late_after_minutes),
        missed_after=_minutes(body.missed_after_minutes),
        short_share=body.short_share,
        overrun_after=_minutes(body.overrun_after_minutes),
        overdue_grace=_minutes(body.overdue_grace_minutes),
    )
    async with uow, refusals():
        may_manage(caller)
        await handlers.set_thresholds(uow, visit_type, thresholds, caller.name, uow.defaults)
    return _thresholds_out(
        visit_type, thresholds, "provider" if visit_type == PROVIDER_WIDE else "visit_type"
    )


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


@router.put("/individuals/{individual_id}/nfc-tags/{tag_id}", responses={403: {}, 409: {}})
async def register_tag(
    individual_id: Annotated[UUID, Path()],
    tag_id: Annotated[str, Path(min_length=4, max_length=100, pattern=r"^[A-Za-z0-9:_-]+$")],
    uow: UoW,
    caller: Who,
) -> TagsOut:
    """Register an NFC tag fixed in the individual's home; a check-in tapping it is verified."""
    async with uow, refusals():
        may_manage(caller)
        other = await uow.homes.register_tag(tag_id, individual_id, uow.clock.now(), caller.name)
        if other is not None:
            raise Conflict(f"Tag {tag_id} is registered to another home; remove it there first.")
        await uow.commit()
        tags = await uow.homes.tags_of(individual_id)
    return TagsOut(individual_id=individual_id, tags=tags)


# --- reports and the live stream --------------------------------------------------------------------


def _tally_out(tally: Tally) -> TallyOut:
    return TallyOut(
        visits=tally.visits,
        delivered=tally.delivered,
        punctual=tally.punctual,
        missed=tally.missed,
        punctuality=tally.punctuality,
        mean_lateness_minutes=tally.mean_lateness_minutes,
        planned_minutes=round(tally.planned_minutes, 2),
        delivered_minutes=round(tally.delivered_minutes, 2),
        delivered_share=tally.delivered_share,
    )


@router.get("/reports/daily", responses={403: {}})
async def daily_report(
    request: Request,
    uow: UoW,
    caller: Who,
    day: Annotated[date | None, Query(alias="date", description="local date; today when absent")] = None,
    locality: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> DailyReportOut:
    """Punctuality, minutes delivered against planned and missed visits, per locality and per worker."""
    async with uow, refusals():
        if locality is None:
            if caller.role not in ("registered_manager", "partner_system"):
                raise NotAllowed("Name one of your localities with ?locality=.")
        else:
            may_read_locality(caller, locality)
        on = day or _today(request, uow)
        states = await uow.visits.all_on(locality, on)
        book = await uow.thresholds.book(uow.defaults)
        report = daily(states, book, uow.clock.now())
    return DailyReportOut(
        date=on,
        by_locality={name: _tally_out(t) for name, t in sorted(report.by_locality.items())},
        by_worker={name: _tally_out(t) for name, t in sorted(report.by_worker.items())},
    )


LIVE_POLL_SECONDS = 0.25
LIVE_HEARTBEAT_SECONDS = 15.0


@router.get(
    "/live",
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}, 403: {}},
    response_class=StreamingResponse,
)
async def live(
    request: Request,
    caller: Who,
    locality: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> StreamingResponse:
    """Visit status changes as server-sent events (one per event on ``rounds.visits.telemetry``).

    Each event's ``id`` is its place in the stream: reconnect with ``Last-Event-ID`` to miss nothing.
    A coordinator names a locality of theirs; a registered manager may watch the whole provider.
    """
    async with refusals():
        if locality is None:
            if caller.role != "registered_manager":
                raise NotAllowed("Name one of your localities with ?locality=.")
        else:
            may_read_locality(caller, locality)
    runtime = request.app.state.runtime
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    if start is None:
        async with runtime.unit_of_work() as uow:
            start = await uow.live.latest_position()
    return StreamingResponse(
        _stream(request, runtime, locality, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(request: Request, runtime: Any, locality: str | None, position: int) -> AsyncIterator[str]:
    yield ": connected\n\n"
    quiet = 0.0
    while not await request.is_disconnected():
        async with runtime.unit_of_work() as uow:
            found = await uow.live.after(position)
        for item in found:
            position = item.position
            if locality is None or item.data.get("locality") == locality:
                yield f"id: {item.position}\nevent: {item.type}\ndata: {json.dumps(item.data)}\n\n"
                quiet = 0.0
        if not found:
            await asyncio.sleep(LIVE_POLL_SECONDS)
            quiet += LIVE_POLL_SECONDS
            if quiet >= LIVE_HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"
