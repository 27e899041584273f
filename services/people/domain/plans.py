"""Service delivery plans (003 HSC415) and their versions: draft -> agreed -> superseded by a revision.

A plan records the assessed needs (003 P1), agreed outcomes, preferences (P2), risks with their agreed
management (P3, P8), the visits and the tasks of each (P6; 000 P19-P20), what family, friends and
networks provide (P5), where it is flexible (P7), where it is not the individual's first preference or
where there is conflict (P9), how it is monitored and when it is reviewed (P10), and who holds copies
and who has the right of access (P15, P32).

**Versions.** Version 1 starts as a draft. A draft is agreed when both the individual (or a key person
who may represent them) and a coordinator have signed it off (P14, P31). Changing a draft after someone
signed clears the signatures: they signed what they read. A revision is a new draft copied from the
latest version (P19, P30); when it is agreed the version it replaces becomes ``superseded``. Nothing is
ever deleted: the history is every version with its signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

#: Bounds of a visit line, the same the rota enforces on the packages it builds from agreed plans.
MIN_VISIT_MINUTES = 5
MAX_VISIT_MINUTES = 12 * 60
MAX_FLEXIBILITY_MINUTES = 240


class PlanStatus(StrEnum):
    """Where one version of a plan stands."""

    DRAFT = "draft"
    AGREED = "agreed"
    SUPERSEDED = "superseded"
    ENDED = "ended"  # the service ended: the version that was in force, with its end date
    WITHDRAWN = "withdrawn"  # a draft never agreed, set aside when the plan ended


class SignerKind(StrEnum):
    """Who signs a plan off (003 P14): the individual or their representative, and a coordinator."""

    INDIVIDUAL = "individual"
    REPRESENTATIVE = "representative"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Need:
    """An assessed need, incl. specialist needs and communication requirements (003 P1)."""

    description: str
    specialist: bool = False
    communication: bool = False


@dataclass(frozen=True)
class Risk:
    """A risk in responding to the individual's preferences and its agreed management (003 P3, P8)."""

    description: str
    management: str
    likelihood: str = "medium"


@dataclass(frozen=True)
class VisitLine:
    """A kind of visit and its tasks: "Mon-Fri at 08:00 for 45 minutes, +/- 30, two workers" (003 P6).

    ``id`` is stable across versions so the rota can keep a visit's allocation when its line did not
    change. ``weekdays`` are 0 (Monday) to 6 (Sunday); ``preferred_start`` is local wall-clock time.
    """

    id: str
    name: str
    weekdays: frozenset[int]
    preferred_start: time
    duration_minutes: int
    flexibility_minutes: int = 30
    tasks: tuple[str, ...] = ()
    workers_required: int = 1
    required_skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NetworkSupport:
    """What family, friends and personal networks provide (003 P5)."""

    who: str
    provides: str


@dataclass(frozen=True)
class Concern:
    """An area that is not the individual's first preference, or where there is conflict (003 P9)."""

    area: str
    note: str


@dataclass(frozen=True)
class CopyHolder:
    """Someone who holds a copy of the plan (003 P15, P32)."""

    holder: str
    kind: str = "individual"  # individual, key_person, professional, provider


@dataclass(frozen=True)
class PlanContent:
    """Everything a version of the plan says."""

    start_date: date
    review_date: date | None = None
    end_date: date | None = None
    needs: tuple[Need, ...] = ()
    outcomes: tuple[str, ...] = ()
    preferences: tuple[str, ...] = ()
    risks: tuple[Risk, ...] = ()
    visits: tuple[VisitLine, ...] = ()
    network_support: tuple[NetworkSupport, ...] = ()
    flexibility: str | None = None
    not_first_preference: tuple[Concern, ...] = ()
    monitoring: str | None = None
    copies_held_by: tuple[CopyHolder, ...] = ()
    not_held_by_individual_reason: str | None = None
    right_of_access: tuple[str, ...] = ()
    format_and_language: str | None = None  # 003 P11


@dataclass(frozen=True)
class SignOff:
    """A signature on one version: who, in which capacity, when."""

    kind: SignerKind
    signer_id: UUID
    signer_name: str
    signed_at: datetime


@dataclass(frozen=True)
class PlanVersion:
    """One version of an individual's plan. ``revision`` counts edits of a draft (the ETag)."""

    plan_id: UUID
    individual_id: UUID
    version: int
    status: PlanStatus
    content: PlanContent
    created_at: datetime
    sign_offs: tuple[SignOff, ...] = ()
    agreed_at: datetime | None = None
    revision: int = 1

    @property
    def signed_for_individual(self) -> bool:
        """Whether the individual or their representative has signed."""
        return any(s.kind in (SignerKind.INDIVIDUAL, SignerKind.REPRESENTATIVE) for s in self.sign_offs)

    @property
    def signed_by_coordinator(self) -> bool:
        """Whether a coordinator has signed."""
        return any(s.kind is SignerKind.COORDINATOR for s in self.sign_offs)


class PlanRuleBroken(ValueError):
    """Content that cannot stand, with the field at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class PlanStateRefused(ValueError):
    """An action the version's state does not allow (e.g. editing an agreed version)."""


class PlanIncomplete(ValueError):
    """A draft that cannot be signed yet: ``missing`` lists ``(field, reason)`` pairs."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in missing))
        self.missing = missing


def check_content(content: PlanContent) -> None:
    """Raise :class:`PlanRuleBroken` for content no version may hold (draft or not)."""
    if content.end_date and content.end_date < content.start_date:
        raise PlanRuleBroken("end_date", "cannot be before start_date")
    if content.review_date and content.review_date <= content.start_date:
        raise PlanRuleBroken("review_date", "must be after start_date")
    seen: set[str] = set()
    for index, line in enumerate(content.visits):
        prefix = f"visits.{index}"
        if line.id in seen:
            raise PlanRuleBroken(f"{prefix}.id", "each visit line needs its own id")
        seen.add(line.id)
        if not line.weekdays or not line.weekdays <= set(range(7)):
            raise PlanRuleBroken(f"{prefix}.weekdays", "must name at least one day, 0 (Monday) to 6 (Sunday)")
        # The rota plans every line of an agreed plan, so a plan holds only lines the rota can plan.
        if not MIN_VISIT_MINUTES <= line.duration_minutes <= MAX_VISIT_MINUTES:
            raise PlanRuleBroken(
                f"{prefix}.duration_minutes",
                f"must be between {MIN_VISIT_MINUTES} and {MAX_VISIT_MINUTES} minutes",
            )
        if not 0 <= line.flexibility_minutes <= MAX_FLEXIBILITY_MINUTES:
            raise PlanRuleBroken(
                f"{prefix}.flexibility_minutes", f"must be between 0 and {MAX_FLEXIBILITY_MINUTES} minutes"
            )
        if line.workers_required not in (1, 2):
            raise PlanRuleBroken(
                f"{prefix}.workers_required", "a visit needs one worker or two (a double-up)"
            )


def missing_for_agreement(content: PlanContent) -> list[tuple[str, str]]:
    """What a draft still lacks before it can be agreed, as ``(field, reason)`` pairs."""
    missing: list[tuple[str, str]] = []
    if not content.needs:
        missing.append(("needs", "record the assessed needs (003 P1)"))
    if not content.outcomes:
        missing.append(("outcomes", "record the agreed outcomes"))
    if content.review_date is None:
        missing.append(("review_date", "set when the plan will be reviewed (003 P10)"))
    if not content.visits:
        missing.append(("visits", "record the visits and the tasks of each (003 P6)"))
    if not content.monitoring:
        missing.append(("monitoring", "say how the plan will be monitored (003 P10)"))
    if (
        not any(c.kind == "individual" for c in content.copies_held_by)
        and not content.not_held_by_individual_reason
    ):
        missing.append(
            ("copies_held_by", "the individual holds the plan unless a reason is recorded (003 P15)")
        )
    return missing


def edit_draft(draft: PlanVersion, content: PlanContent) -> PlanVersion:
    """The draft with new content; signatures are cleared because they were given to other words."""
    if draft.status is not PlanStatus.DRAFT:
        raise PlanStateRefused(
            f"version {draft.version} is {draft.status.value}; revise the plan to change it"
        )
    check_content(content)
    return replace(draft, content=content, sign_offs=(), revision=draft.revision + 1)


def sign(draft: PlanVersion, sign_off: SignOff) -> PlanVersion:
    """The draft with one more signature, agreed once both sides have signed (003 P14, P31)."""
    if draft.status is not PlanStatus.DRAFT:
        raise PlanStateRefused(f"version {draft.version} is already {draft.status.value}")
    if sign_off.kind is SignerKind.COORDINATOR and draft.signed_by_coordinator:
        raise PlanStateRefused("a coordinator has already signed this version")
    if sign_off.kind is not SignerKind.COORDINATOR and draft.signed_for_individual:
        raise PlanStateRefused("this version is already signed for the individual")
    missing = missing_for_agreement(draft.content)
    if missing:
        raise PlanIncomplete(missing)
    signed = replace(draft, sign_offs=(*draft.sign_offs, sign_off), revision=draft.revision + 1)
    if signed.signed_for_individual and signed.signed_by_coordinator:
        return replace(signed, status=PlanStatus.AGREED, agreed_at=sign_off.signed_at)
    return signed


def revise(latest: PlanVersion, at: datetime) -> PlanVersion:
    """A new draft copied from the latest version (which must be agreed: one draft at a time)."""
    if latest.status is PlanStatus.DRAFT:
        raise PlanStateRefused(f"version {latest.version} is still a draft; change it instead")
    if latest.status in (PlanStatus.ENDED, PlanStatus.WITHDRAWN):
        raise PlanStateRefused("the plan has ended; start a new plan only if the service starts again")
    return PlanVersion(
        plan_id=latest.plan_id,
        individual_id=latest.individual_id,
        version=latest.version + 1,
        status=PlanStatus.DRAFT,
        content=latest.content,
        created_at=at,
        # The revision counter runs on across versions, so a plan's ETag never repeats.
        revision=latest.revision + 1,
    )


@dataclass
class PlanHistory:
    """Every version of one plan, oldest first."""

    versions: list[PlanVersion] = field(default_factory=list)

    @property
    def latest(self) -> PlanVersion:
        """The newest version (a draft while a revision is being prepared)."""
        return self.versions[-1]

    def replace_latest(self, version: PlanVersion) -> list[PlanVersion]:
        """Put ``version`` (the latest, changed) in place; the versions that changed, newest last.

        When ``version`` has just been agreed, the version that was in force becomes superseded (003 P30).
        """
        changed: list[PlanVersion] = []
        if version.status is PlanStatus.AGREED:
            before = self.current_agreed
            if before is not None and before.version != version.version:
                superseded = replace(before, status=PlanStatus.SUPERSEDED)
                self.versions[self.versions.index(before)] = superseded
                changed.append(superseded)
        self.versions[-1] = version
        changed.append(version)
        return changed

    @property
    def last_in_force(self) -> PlanVersion | None:
        """The version in force, or the one that was when the plan ended."""
        return next(
            (v for v in reversed(self.versions) if v.status in (PlanStatus.AGREED, PlanStatus.ENDED)), None
        )

    @property
    def current_agreed(self) -> PlanVersion | None:
        """The version in force: the newest agreed one."""
        return next((v for v in reversed(self.versions) if v.status is PlanStatus.AGREED), None)


def end_plan(history: PlanHistory, end_date: date) -> list[PlanVersion]:
    """End the plan on ``end_date`` (the last day it applies); the versions that changed.

    The version in force ends with that date; a revision still in draft is withdrawn. A plan never
    agreed is withdrawn as a whole. Nothing is deleted: the history shows how the plan ended.
    """
    if history.latest.status in (PlanStatus.ENDED, PlanStatus.WITHDRAWN):
        raise PlanStateRefused("the plan has already ended")
    in_force = history.current_agreed
    if in_force is not None and end_date < in_force.content.start_date:
        raise PlanRuleBroken("end_date", f"cannot be before the plan started ({in_force.content.start_date})")
    changed: list[PlanVersion] = []
    for index, version in enumerate(history.versions):
        if version is in_force:
            ended = replace(
                version,
                status=PlanStatus.ENDED,
                content=replace(version.content, end_date=end_date),
                revision=history.latest.revision + 1,
            )
        elif version.status is PlanStatus.DRAFT:
            ended = replace(version, status=PlanStatus.WITHDRAWN, revision=history.latest.revision + 1)
        else:
            continue
        history.versions[index] = ended
        changed.append(ended)
    return changed
