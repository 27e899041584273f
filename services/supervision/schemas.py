"""The supervision API's request and response bodies (pydantic at the edge, dataclasses inside)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.supervision.domain.agreements import AgreementStatus, SupervisionAgreement
from services.supervision.domain.compliance import (
    ComplianceReport,
    Frequency,
    MilestoneKind,
    ObligationStatus,
    RuleId,
    SessionFormat,
    Severity,
)
from services.supervision.domain.confidentiality import RecordShare
from services.supervision.domain.records import (
    Action,
    DbsChangeAnswer,
    Disagreement,
    RecordContent,
    SupervisionFunction,
    SupervisionRecord,
)
from services.supervision.domain.sessions import SessionStatus, SupervisionSession
from services.supervision.domain.supervisees import SuperviseeProfile

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Strict(BaseModel):
    """Bodies refuse fields they do not know, so a typo is an error rather than silently lost."""

    model_config = ConfigDict(extra="forbid")


# --- supervisees ----------------------------------------------------------------------------------


class ArrangementsIn(Strict):
    """Supervision arrangements people does not publish yet (they will come from people's events)."""

    supervisor_id: UUID | None = None
    line_manager_id: UUID | None = None
    team: Line | None = None
    nqsw: bool = Field(
        default=False, description="A newly qualified social worker in the ASYE year (004 appendix D)."
    )
    on_probation: bool = False
    probation_months: int = Field(default=6, description="6, extended to 12 at most (004 timeline, month 5).")


class SuperviseeOut(BaseModel):
    """A worker as supervision knows them."""

    worker_id: UUID
    given_name: str
    family_name: str
    role: str
    locality: str
    start_date: date | None
    known_since: datetime
    new_starter: bool
    nqsw: bool
    on_probation: bool
    probation_months: int
    supervisor_id: UUID | None
    line_manager_id: UUID | None
    team: str | None
    active: bool = Field(description="False once people says the worker has left.")

    @classmethod
    def of(cls, p: SuperviseeProfile) -> SuperviseeOut:
        """The body for ``p``."""
        return cls(
            worker_id=p.worker_id,
            given_name=p.given_name,
            family_name=p.family_name,
            role=p.role,
            locality=p.locality,
            start_date=p.start_date,
            known_since=p.known_since,
            new_starter=p.new_starter,
            nqsw=p.nqsw,
            on_probation=p.on_probation,
            probation_months=p.probation_months,
            supervisor_id=p.supervisor_id,
            line_manager_id=p.line_manager_id,
            team=p.team,
            active=p.active,
        )


# --- agreements -----------------------------------------------------------------------------------


class AgreementIn(Strict):
    """004 appendix 1: the staff supervision agreement."""

    supervisee_id: UUID
    supervisor_id: UUID
    frequency: Frequency
    duration_minutes: int = Field(ge=1, le=600)
    venue: Line
    agreed_on: date
    review_on: date
    team: Line | None = None
    expectations: list[Line] = Field(default_factory=list, max_length=30)


class AgreementOut(BaseModel):
    """A supervision agreement and its signatures."""

    id: UUID
    supervisee_id: UUID
    supervisor_id: UUID
    frequency: Frequency
    duration_minutes: int
    venue: str
    team: str | None
    agreed_on: date
    review_on: date
    expectations: list[str]
    supervisee_signed_at: datetime | None
    supervisor_signed_at: datetime | None
    status: AgreementStatus
    replaces_id: UUID | None

    @classmethod
    def of(cls, a: SupervisionAgreement) -> AgreementOut:
        """The body for ``a``."""
        return cls(
            id=a.id,
            supervisee_id=a.supervisee_id,
            supervisor_id=a.supervisor_id,
            frequency=a.frequency,
            duration_minutes=a.duration_minutes,
            venue=a.venue,
            team=a.team,
            agreed_on=a.agreed_on,
            review_on=a.review_on,
            expectations=list(a.expectations),
            supervisee_signed_at=a.supervisee_signed_at,
            supervisor_signed_at=a.supervisor_signed_at,
            status=a.status,
            replaces_id=a.replaces_id,
        )


# --- sessions -------------------------------------------------------------------------------------


class PlanIn(Strict):
    """The next meetings to programme (004 1.18)."""

    supervisor_id: UUID
    supervisee_ids: list[UUID] = Field(min_length=1, max_length=50)
    format: SessionFormat = SessionFormat.ONE_TO_ONE
    first_starts_at: AwareDatetime
    count: int = Field(description="1, 2, 6 or 12 (004 1.18)")
    frequency: Frequency = Frequency.MONTHLY
    duration_minutes: int = Field(default=60, ge=1, le=600)
    venue: Line
    reflective: bool = Field(default=False, description="ASYE reflective supervision (004 appendix D).")


class RescheduleIn(Strict):
    """Move a meeting; the reason is kept (004 1.16)."""

    starts_at: AwareDatetime
    reason: Line


class CancelIn(Strict):
    """Call a meeting off; the reason is kept (004 1.16)."""

    reason: Line


class RescheduleOut(BaseModel):
    """One move of a session."""

    moved_by: UUID
    moved_at: datetime
    from_starts_at: datetime
    to_starts_at: datetime
    reason: str


class SessionOut(BaseModel):
    """A planned or held session; ``starts_at`` in UTC, ``local_start`` in the provider's zone."""

    id: UUID
    supervisor_id: UUID
    supervisee_ids: list[UUID]
    format: SessionFormat
    reflective: bool
    starts_at: datetime
    local_start: datetime
    duration_minutes: int
    venue: str
    series_id: UUID | None
    status: SessionStatus
    reschedules: list[RescheduleOut]

    @classmethod
    def of(cls, s: SupervisionSession, zone: ZoneInfo) -> SessionOut:
        """The body for ``s`` with its local start in ``zone``."""
        return cls(
            id=s.id,
            supervisor_id=s.supervisor_id,
            supervisee_ids=list(s.supervisee_ids),
            format=s.format,
            reflective=s.reflective,
            starts_at=s.starts_at,
            local_start=s.starts_at.astimezone(zone),
            duration_minutes=s.duration_minutes,
            venue=s.venue,
            series_id=s.series_id,
            status=s.status,
            reschedules=[RescheduleOut(**vars(r)) for r in s.reschedules],
        )


# --- records --------------------------------------------------------------------------------------


class ActionIn(Strict):
    """A task: what, by whom and by what date (004 appendix 2)."""

    function: SupervisionFunction
    description: Line
    owner_id: UUID
    due_on: date


class DbsChangeIn(Strict):
    """004 1.27 / appendix 2 item 6: asked, and whether anything changed since the original check."""

    asked: bool
    change_reported: bool = False
    details: Text | None = None


class RecordIn(Strict):
    """The staff supervision record (004 appendix 2)."""

    meeting_on: date
    duration_minutes: int = Field(ge=1, le=600)
    previous_actions_review: Text = Field(description="Review of previous meeting and tasks (item 5).")
    dbs_change: DbsChangeIn
    management: Text = Field(description="Workload review and work performance (item 7).")
    development: Text = Field(description="Development needs and opportunities, the PDP (item 8).")
    support: Text = Field(description="Staff care issues including health and safety (item 9).")
    conflicts: Text = Field(default="", description="Any conflict or disagreement (item 10).")
    pdp_reviewed: bool = False
    leave_dates: Text = ""
    next_appraisal_review_on: date | None = None
    actions: list[ActionIn] = Field(default_factory=list, max_length=100)

    def content(self) -> RecordContent:
        """The domain's record content."""
        return RecordContent(
            meeting_on=self.meeting_on,
            duration_minutes=self.duration_minutes,
            previous_actions_review=self.previous_actions_review,
            dbs_change=DbsChangeAnswer(
                self.dbs_change.asked, self.dbs_change.change_reported, self.dbs_change.details
            ),
            management=self.management,
            development=self.development,
            support=self.support,
            conflicts=self.conflicts,
            pdp_reviewed=self.pdp_reviewed,
            leave_dates=self.leave_dates,
            next_appraisal_review_on=self.next_appraisal_review_on,
            actions=tuple(Action(a.function, a.description, a.owner_id, a.due_on) for a in self.actions),
        )


class DisagreementIn(Strict):
    """004 1.32: what is not agreed, how it will be resolved, and by when."""

    about: Line
    how_to_resolve: Line
    resolve_by: date


class DisagreementOut(BaseModel):
    """A recorded disagreement."""

    raised_by: UUID
    about: str
    how_to_resolve: str
    resolve_by: date


class RecordOut(BaseModel):
    """A supervision record with its signatures; ``signed`` once everyone has signed this version."""

    id: UUID
    session_id: UUID
    supervisor_id: UUID
    supervisee_ids: list[UUID]
    content: RecordIn
    version: int
    signatures: dict[UUID, datetime]
    signed: bool
    disagreement: DisagreementOut | None
    amends_id: UUID | None
    created_at: datetime

    @classmethod
    def of(cls, r: SupervisionRecord) -> RecordOut:
        """The body for ``r``."""
        c = r.content
        return cls(
            id=r.id,
            session_id=r.session_id,
            supervisor_id=r.supervisor_id,
            supervisee_ids=list(r.supervisee_ids),
            content=RecordIn(
                meeting_on=c.meeting_on,
                duration_minutes=c.duration_minutes,
                previous_actions_review=c.previous_actions_review,
                dbs_change=DbsChangeIn(**vars(c.dbs_change)),
                management=c.management,
                development=c.development,
                support=c.support,
                conflicts=c.conflicts,
                pdp_reviewed=c.pdp_reviewed,
                leave_dates=c.leave_dates,
                next_appraisal_review_on=c.next_appraisal_review_on,
                actions=[ActionIn(**vars(a)) for a in c.actions],
            ),
            version=r.version,
            signatures=dict(r.signatures),
            signed=r.signed,
            disagreement=DisagreementOut(**vars(r.disagreement)) if r.disagreement else None,
            amends_id=r.amends_id,
            created_at=r.created_at,
        )


def disagreement_of(body: DisagreementIn, raised_by: UUID) -> Disagreement:
    """The domain's disagreement from the body."""
    return Disagreement(raised_by, body.about, body.how_to_resolve, body.resolve_by)


# --- sharing, evidence ----------------------------------------------------------------------------


class ShareIn(Strict):
    """004 1.38: share records beyond the three, with consent or the reason explained."""

    shared_with: UUID
    purpose: Line
    consent_given: bool
    reason: Text | None = None
    until: date | None = None


class ShareOut(BaseModel):
    """A recorded share."""

    id: UUID
    worker_id: UUID
    shared_with: UUID
    purpose: str
    consent_given: bool
    reason: str | None
    shared_by: UUID
    shared_at: datetime
    until: date | None

    @classmethod
    def of(cls, s: RecordShare) -> ShareOut:
        """The body for ``s``."""
        return cls(**vars(s))


class MilestoneIn(Strict):
    """A stage of the timeline done: probation review, ASYE submission or PDP review."""

    kind: MilestoneKind
    stage: int = Field(
        ge=0, le=12, description="The month of the timeline (e.g. 3 for the three-month review)."
    )
    completed_on: date
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = "completed"
    notes: Text = ""


class TrainingIn(Strict):
    """A completed course; ``expires_on`` is its last valid day."""

    course: Line
    completed_on: date
    expires_on: date | None = None
    mandatory: bool = True


class DbsCheckIn(Strict):
    """A DBS check and its re-check date (004 1.27)."""

    checked_on: date
    recheck_due_on: date


class Created(BaseModel):
    """The id of what was recorded."""

    id: UUID


# --- compliance -----------------------------------------------------------------------------------


class ObligationOut(BaseModel):
    """One thing owed, with its rule and source."""

    rule: RuleId
    item: str
    due_on: date
    status: ObligationStatus
    severity: Severity
    source: str
    description: str


class FindingOut(BaseModel):
    """A breach that is not a deadline."""

    rule: RuleId
    on: date
    source: str
    description: str


class ComplianceOut(BaseModel):
    """A worker's compliance on a local day."""

    worker_id: UUID
    on: date
    compliant: bool
    overdue: list[ObligationOut]
    due_soon: list[ObligationOut]
    due: list[ObligationOut]
    findings: list[FindingOut]
    one_to_ones_last_12_months: int

    @classmethod
    def of(cls, r: ComplianceReport) -> ComplianceOut:
        """The body for ``r``."""

        def listed(status: ObligationStatus) -> list[ObligationOut]:
            return [ObligationOut(**vars(o)) for o in r.with_status(status)]

        return cls(
            worker_id=r.worker_id,
            on=r.on,
            compliant=r.compliant,
            overdue=listed(ObligationStatus.OVERDUE),
            due_soon=listed(ObligationStatus.DUE_SOON),
            due=listed(ObligationStatus.DUE),
            findings=[FindingOut(**vars(f)) for f in r.findings],
            one_to_ones_last_12_months=r.one_to_ones_last_12_months,
        )
