"""Service delivery plans (003 HSC415) over HTTP: one plan per individual, every version kept.

``/individuals/{id}/plan`` is the plan's latest version (a draft while one is being prepared) and its
``ETag`` is the plan's revision: any change to the plan moves it on, so a stale ``If-Match`` is 412.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rounds.infra.problems import NotFound
from services.people.api.common import (
    IfMatch,
    Name,
    ShortText,
    Text,
    UoW,
    WallClock,
    decode_cursor,
    encode_cursor,
    expected_version,
    link_next,
    set_etag,
)
from services.people.api.individuals import ActorHeader
from services.people.domain.plans import (
    Concern,
    CopyHolder,
    Need,
    NetworkSupport,
    PlanContent,
    PlanStatus,
    PlanVersion,
    Risk,
    SignerKind,
    VisitLine,
)
from services.people.errors import Invalid
from services.people.handlers import plans as handlers
from services.people.handlers.common import today

router = APIRouter(tags=["care plans"])

LineId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Task = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NeedIo(_Strict):
    """An assessed need (003 P1), noting specialist and communication needs."""

    description: LongText
    specialist: bool = False
    communication: bool = False


class RiskIo(_Strict):
    """A risk in responding to the individual's preferences and how it is to be managed (003 P3, P8)."""

    description: LongText
    management: LongText
    likelihood: Literal["low", "medium", "high"] = "medium"


class VisitLineIo(_Strict):
    """A kind of visit and its tasks (003 P6; 000 P19): the rota and the visits service act on these."""

    id: LineId = Field(examples=["morning"], description="Stable across versions: keep it when revising.")
    name: ShortText = Field(examples=["Morning call"])
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        min_length=1, max_length=7, examples=[[0, 1, 2, 3, 4, 5, 6]], description="0 = Monday ... 6 = Sunday"
    )
    preferred_start: WallClock = Field(examples=["08:00"], description="Local wall-clock time.")
    duration_minutes: int = Field(ge=5, le=720, examples=[45])
    flexibility_minutes: int = Field(default=30, ge=0, le=240)
    tasks: list[Task] = Field(default_factory=list, max_length=40, examples=[["Help to wash and dress"]])
    workers_required: int = Field(default=1, ge=1, le=2, description="2 for a double-up.")
    required_skills: list[ShortText] = Field(default_factory=list, max_length=20)


class NetworkSupportIo(_Strict):
    """What family, friends and networks provide (003 P5)."""

    who: Name
    provides: LongText


class ConcernIo(_Strict):
    """An area that is not the individual's first preference, or where there is conflict (003 P9)."""

    area: ShortText
    note: LongText


class CopyHolderIo(_Strict):
    """Who holds a copy of the plan (003 P15, P32)."""

    holder: Name
    kind: Literal["individual", "key_person", "professional", "provider"] = "individual"


class PlanContentIo(_Strict):
    """Everything a version of the plan says (003 P1-P14, P23-P33)."""

    start_date: date
    review_date: date | None = Field(default=None, description="When the plan will be reviewed (003 P10).")
    end_date: date | None = None
    needs: list[NeedIo] = Field(default_factory=list, max_length=100)
    outcomes: list[LongText] = Field(default_factory=list, max_length=100)
    preferences: list[LongText] = Field(default_factory=list, max_length=100)
    risks: list[RiskIo] = Field(default_factory=list, max_length=100)
    visits: list[VisitLineIo] = Field(default_factory=list, max_length=50)
    network_support: list[NetworkSupportIo] = Field(default_factory=list, max_length=50)
    flexibility: Text | None = None
    not_first_preference: list[ConcernIo] = Field(default_factory=list, max_length=50)
    monitoring: Text | None = Field(default=None, description="How the plan will be monitored (003 P10).")
    copies_held_by: list[CopyHolderIo] = Field(default_factory=list, max_length=50)
    not_held_by_individual_reason: Text | None = None
    right_of_access: list[Name] = Field(default_factory=list, max_length=50)
    format_and_language: Text | None = Field(default=None, description="003 P11: format and language.")

    def domain(self) -> PlanContent:
        """The domain's value for this body."""
        return PlanContent(
            start_date=self.start_date,
            review_date=self.review_date,
            end_date=self.end_date,
            needs=tuple(Need(n.description, n.specialist, n.communication) for n in self.needs),
            outcomes=tuple(self.outcomes),
            preferences=tuple(self.preferences),
            risks=tuple(Risk(r.description, r.management, r.likelihood) for r in self.risks),
            visits=tuple(
                VisitLine(
                    id=v.id,
                    name=v.name,
                    weekdays=frozenset(v.weekdays),
                    preferred_start=v.preferred_start.replace(second=0, microsecond=0, tzinfo=None),
                    duration_minutes=v.duration_minutes,
                    flexibility_minutes=v.flexibility_minutes,
                    tasks=tuple(v.tasks),
                    workers_required=v.workers_required,
                    required_skills=frozenset(v.required_skills),
                )
                for v in self.visits
            ),
            network_support=tuple(NetworkSupport(n.who, n.provides) for n in self.network_support),
            flexibility=self.flexibility,
            not_first_preference=tuple(Concern(c.area, c.note) for c in self.not_first_preference),
            monitoring=self.monitoring,
            copies_held_by=tuple(CopyHolder(c.holder, c.kind) for c in self.copies_held_by),
            not_held_by_individual_reason=self.not_held_by_individual_reason,
            right_of_access=tuple(self.right_of_access),
            format_and_language=self.format_and_language,
        )

    @classmethod
    def of(cls, content: PlanContent) -> PlanContentIo:
        """The body for ``content``."""
        return cls(
            start_date=content.start_date,
            review_date=content.review_date,
            end_date=content.end_date,
            needs=[
                NeedIo(description=n.description, specialist=n.specialist, communication=n.communication)
                for n in content.needs
            ],
            outcomes=list(content.outcomes),
            preferences=list(content.preferences),
            risks=[
                RiskIo(description=r.description, management=r.management, likelihood=r.likelihood)
                for r in content.risks
            ],
            visits=[
                VisitLineIo(
                    id=v.id,
                    name=v.name,
                    weekdays=sorted(v.weekdays),
                    preferred_start=v.preferred_start,
                    duration_minutes=v.duration_minutes,
                    flexibility_minutes=v.flexibility_minutes,
                    tasks=list(v.tasks),
                    workers_required=v.workers_required,
                    required_skills=sorted(v.required_skills),
                )
                for v in content.visits
            ],
            network_support=[
                NetworkSupportIo(who=n.who, provides=n.provides) for n in content.network_support
            ],
            flexibility=content.flexibility,
            not_first_preference=[ConcernIo(area=c.area, note=c.note) for c in content.not_first_preference],
            monitoring=content.monitoring,
            copies_held_by=[CopyHolderIo(holder=c.holder, kind=c.kind) for c in content.copies_held_by],
            not_held_by_individual_reason=content.not_held_by_individual_reason,
            right_of_access=list(content.right_of_access),
            format_and_language=content.format_and_language,
        )


class SignOffOut(BaseModel):
    """A signature on a version: who signed, in which capacity, when."""

    kind: SignerKind
    signer_id: UUID
    signer_name: str
    signed_at: datetime


class PlanVersionOut(BaseModel):
    """One version of the plan, with its signatures."""

    plan_id: UUID
    individual_id: UUID
    version: int
    status: PlanStatus
    revision: int
    created_at: datetime
    agreed_at: datetime | None
    signed_for_individual: bool
    signed_by_coordinator: bool
    sign_offs: list[SignOffOut]
    content: PlanContentIo

    @classmethod
    def of(cls, v: PlanVersion) -> PlanVersionOut:
        """The body for ``v``."""
        return cls(
            plan_id=v.plan_id,
            individual_id=v.individual_id,
            version=v.version,
            status=v.status,
            revision=v.revision,
            created_at=v.created_at,
            agreed_at=v.agreed_at,
            signed_for_individual=v.signed_for_individual,
            signed_by_coordinator=v.signed_by_coordinator,
            sign_offs=[
                SignOffOut(
                    kind=s.kind, signer_id=s.signer_id, signer_name=s.signer_name, signed_at=s.signed_at
                )
                for s in v.sign_offs
            ],
            content=PlanContentIo.of(v.content),
        )


class SignOffIn(_Strict):
    """A signature: the individual (their own id), a representative (a key person's id) or a coordinator
    (a worker's id). The name is taken from the records."""

    kind: SignerKind
    signer_id: UUID


class RevisionIn(_Strict):
    """Start a revision; without ``content`` the new draft copies the version in force."""

    content: PlanContentIo | None = None


def _acting_worker(actor: str | None) -> UUID | None:
    """The worker id the gateway vouches for in ``X-Rounds-Actor``, if any."""
    if not actor:
        return None
    try:
        claims = json.loads(actor)
        return (
            UUID(str(claims["worker_id"])) if isinstance(claims, dict) and claims.get("worker_id") else None
        )
    except (ValueError, KeyError):
        return None


@router.post("/individuals/{individual_id}/plan", status_code=status.HTTP_201_CREATED, summary="Start a plan")
async def start_plan(
    individual_id: UUID, body: PlanContentIo, uow: UoW, response: Response
) -> PlanVersionOut:
    """Version 1 of the individual's plan, as a draft (409 when they already have one)."""
    draft = await handlers.start_plan(uow, individual_id, body.domain())
    response.headers["Location"] = f"individuals/{individual_id}/plan"
    set_etag(response, draft.revision)
    return PlanVersionOut.of(draft)


@router.get("/individuals/{individual_id}/plan", summary="Read the plan's latest version")
async def get_plan(individual_id: UUID, uow: UoW, response: Response) -> PlanVersionOut:
    """The latest version (a draft while a revision is prepared), with the plan's ``ETag``."""
    async with uow:
        history = await handlers.plan_history(uow, individual_id)
    set_etag(response, history.latest.revision)
    return PlanVersionOut.of(history.latest)


@router.get("/individuals/{individual_id}/plan/in-force", summary="Read the agreed plan in force")
async def plan_in_force(individual_id: UUID, uow: UoW) -> PlanVersionOut:
    """The newest agreed version, or once the plan has ended the version that was in force (its
    ``end_date`` says the last day it applies); 404 while the first version is still a draft."""
    async with uow:
        history = await handlers.plan_history(uow, individual_id)
    if history.last_in_force is None:
        raise NotFound(f"Individual {individual_id} has no agreed plan.")
    return PlanVersionOut.of(history.last_in_force)


@router.put("/individuals/{individual_id}/plan/draft", summary="Change the draft")
async def change_draft(
    individual_id: UUID, body: PlanContentIo, uow: UoW, response: Response, if_match: IfMatch = None
) -> PlanVersionOut:
    """Replace the draft's content (409 when there is no draft: start a revision). Signatures are cleared."""
    draft = await handlers.change_draft(uow, individual_id, body.domain(), expected_version(if_match))
    set_etag(response, draft.revision)
    return PlanVersionOut.of(draft)


@router.post("/individuals/{individual_id}/plan/sign-offs", summary="Sign the draft off")
async def sign_plan(
    individual_id: UUID,
    body: SignOffIn,
    uow: UoW,
    response: Response,
    if_match: IfMatch = None,
    actor: ActorHeader = None,
) -> PlanVersionOut:
    """One signature; with the individual's (or representative's) and a coordinator's the draft is agreed
    and ``rounds.careplan.agreed.v1`` is announced. 422 lists what an incomplete draft still lacks."""
    command = handlers.SignPlan(
        individual_id, body.kind, body.signer_id, expected_version(if_match), _acting_worker(actor)
    )
    signed = await handlers.sign_plan(uow, command)
    set_etag(response, signed.revision)
    return PlanVersionOut.of(signed)


@router.post(
    "/individuals/{individual_id}/plan/revisions",
    status_code=status.HTTP_201_CREATED,
    summary="Revise the plan",
)
async def start_revision(
    individual_id: UUID, body: RevisionIn, uow: UoW, response: Response, if_match: IfMatch = None
) -> PlanVersionOut:
    """A new draft version from the agreed one (409 while a draft exists); the agreed one stays in force."""
    content = body.content.domain() if body.content else None
    draft = await handlers.start_revision(uow, individual_id, content, expected_version(if_match))
    response.headers["Location"] = f"individuals/{individual_id}/plan/versions/{draft.version}"
    set_etag(response, draft.revision)
    return PlanVersionOut.of(draft)


@router.get("/individuals/{individual_id}/plan/versions", summary="The plan's history")
async def plan_versions(
    individual_id: UUID,
    uow: UoW,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200, description="From X-Next-Cursor.")] = None,
) -> list[PlanVersionOut]:
    """Every version, oldest first, with its signatures; a page at a time (``Link`` rel=next)."""
    after = decode_cursor(cursor, 1)
    if after is not None and not (after[0].isdigit() and len(after[0]) < 10):
        raise Invalid.on("query.cursor", "is not a cursor this service gave; start from the first page")
    after_version = int(after[0]) if after else 0
    async with uow:
        history = await handlers.plan_history(uow, individual_id)
    later = [v for v in history.versions if v.version > after_version]
    page = later[:limit]
    next_cursor = encode_cursor([str(page[-1].version)]) if len(later) > limit else None
    link_next(response, f"individuals/{individual_id}/plan/versions", next_cursor, {"limit": limit})
    return [PlanVersionOut.of(v) for v in page]


@router.get("/individuals/{individual_id}/plan/versions/{version}", summary="One version of the plan")
async def plan_version(
    individual_id: UUID, version: Annotated[int, Path(ge=1, le=100_000)], uow: UoW
) -> PlanVersionOut:
    """A version as it was agreed or superseded (or the draft)."""
    async with uow:
        history = await handlers.plan_history(uow, individual_id)
    found = next((v for v in history.versions if v.version == version), None)
    if found is None:
        raise NotFound(f"The plan of individual {individual_id} has no version {version}.")
    return PlanVersionOut.of(found)


class EndIn(_Strict):
    """End the plan: the last day it applies, and why."""

    end_date: date
    reason: Text | None = None


@router.post("/individuals/{individual_id}/plan/end", summary="End the plan")
async def end_plan(
    individual_id: UUID, body: EndIn, uow: UoW, response: Response, if_match: IfMatch = None
) -> PlanVersionOut:
    """The version in force ends on ``end_date`` and a draft in progress is withdrawn (409 once ended);
    announces ``rounds.careplan.ended.v1``. Answers with the version that was in force, or the draft."""
    history = await handlers.end(uow, individual_id, body.end_date, body.reason, expected_version(if_match))
    set_etag(response, history.latest.revision)
    return PlanVersionOut.of(history.last_in_force or history.latest)


class PlanDueOut(BaseModel):
    """A plan in force whose review date has come (003 P10)."""

    individual_id: UUID
    plan_id: UUID
    version: int
    review_date: date
    monitoring: str | None


@router.get("/plans/due-for-review", summary="Plans due for review")
async def plans_due_for_review(
    uow: UoW,
    response: Response,
    by: Annotated[date | None, Query(description="Due on or before this day; default: today.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="From X-Next-Cursor.")] = None,
) -> list[PlanDueOut]:
    """Agreed plans whose review date is on or before ``by``, soonest first (003 P10: review and monitor)."""
    after = decode_cursor(cursor, 2)
    key: tuple[date, UUID] | None = None
    if after is not None:
        try:
            key = (date.fromisoformat(after[0]), UUID(after[1]))
        except ValueError:
            raise Invalid.on("query.cursor", "is not a cursor this service gave") from None
    async with uow:
        found = await uow.plans.due_for_review(by=by or today(uow), limit=limit + 1, after=key)
    page = found[:limit]
    last = page[-1] if page else None
    next_cursor = (
        encode_cursor([str(last.content.review_date), str(last.plan_id)])
        if last and len(found) > limit
        else None
    )
    link_next(
        response, "plans/due-for-review", next_cursor, {"limit": limit, "by": by.isoformat() if by else None}
    )
    return [
        PlanDueOut(
            individual_id=v.individual_id,
            plan_id=v.plan_id,
            version=v.version,
            review_date=v.content.review_date,  # agreed plans always have one (003 P10)
            monitoring=v.content.monitoring,
        )
        for v in page
    ]
