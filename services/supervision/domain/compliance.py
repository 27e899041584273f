"""The compliance engine: what a worker's supervision and development owe, and when (pure, no I/O).

Every number comes from the policy and is kept in the tables below, so a reader can check them
against the source (004 = the staff Supervision Policy, its appendices, the NQSW/ASYE timeline and
the progression pathway; 000 = NOS LMCA4):

* one-to-one supervision at least six times a year (004 1.18): at most two months between them;
  new staff in their induction/probation period more often (004 1.20): monthly for their first six
  months, as the timeline's "Supervision requirements" column asks ("Monthly supervision meeting",
  months 1-6); and never less often than the frequency the two agreed (004 appendix 1);
* sessions not normally longer than 1½ hours (004 1.18), reported as a finding;
* an NQSW's reflective supervision in the ASYE year weekly for the first six weeks, fortnightly for
  the rest of the first six months and monthly thereafter (004 appendix D, timeline);
* probation reviews at months 1, 3, 5 and 6 (004 timeline; the decision moves when probation is
  extended, at most to 12 months, "*Month 5");
* ASYE assessment and evidence at 3, 6, 9 and 12 months (004 progression pathway: "4 stages
  (3/6/9/12mths)"; the timeline asks the final logs in month 11, so month 12's stage is due soon
  from then with the default horizon);
* the professional development plan agreed at the beginning and reviewed at 3, 6 and 9 months
  (004 appendix D); every worker has a PDP (000 P28);
* a written supervision agreement for every worker (000 P24; 004 1.11) and its review date
  (004 1.12, appendix 1);
* an annual appraisal (004 1.7, appendix 2 item 4);
* mandatory training kept in date (004 progression, Year 1) and DBS re-checks (004 1.27).

Dates are local dates in the provider's zone: an obligation due on a day is overdue from the next
local day. The caller turns "now" into that date with :func:`calendar.local_date`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from services.supervision.domain.calendar import add_months

DEFAULT_DUE_SOON_DAYS = 14
MAX_SESSION_MINUTES = 90  # 004 1.18: "should not normally be more than 1½ hours"
MIN_ONE_TO_ONES_PER_YEAR = 6  # 004 1.18: "at least six times per year"


class RuleId(StrEnum):
    """The rules, named as a supervisor says them."""

    SUPERVISION_AGREEMENT = "supervision_agreement"
    AGREEMENT_REVIEW = "agreement_review"
    ONE_TO_ONE = "one_to_one_supervision"
    ASYE_REFLECTIVE = "asye_reflective_supervision"
    PROBATION_REVIEW = "probation_review"
    ASYE_SUBMISSION = "asye_submission"
    PDP = "personal_development_plan"
    PDP_REVIEW = "pdp_review"
    APPRAISAL = "annual_appraisal"
    MANDATORY_TRAINING = "mandatory_training"
    DBS_RECHECK = "dbs_recheck"
    SESSION_DURATION = "session_duration"


class Severity(StrEnum):
    """How loudly alerts should speak: reminders are info/warning, escalations high/critical."""

    INFO = "info"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"


class ObligationStatus(StrEnum):
    """Where an obligation stands on a given day."""

    DUE = "due"  # scheduled, beyond the due-soon horizon
    DUE_SOON = "due_soon"  # within the horizon, today included
    OVERDUE = "overdue"  # its day has passed


class MilestoneKind(StrEnum):
    """Timeline events recorded once per stage (the month of the timeline)."""

    PROBATION_REVIEW = "probation_review"
    ASYE_SUBMISSION = "asye_submission"
    PDP_REVIEW = "pdp_review"


class SessionFormat(StrEnum):
    """004 1.8: one-to-one is the usual method; group supervision may come as well, never only."""

    ONE_TO_ONE = "one_to_one"
    GROUP = "group"


@dataclass(frozen=True)
class Interval:
    """A step in calendar months plus days (months first, clamped at month ends)."""

    months: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        """The date one interval after ``day``."""
        return add_months(day, self.months) + timedelta(days=self.days)


class Frequency(StrEnum):
    """How often a supervision agreement says the two meet (004 1.18: "monthly or six or eight weekly")."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    SIX_WEEKLY = "six_weekly"
    EIGHT_WEEKLY = "eight_weekly"
    TWO_MONTHLY = "two_monthly"

    @property
    def interval(self) -> Interval:
        """The step between two meetings at this frequency."""
        return FREQUENCY_INTERVALS[self]


FREQUENCY_INTERVALS: dict[Frequency, Interval] = {
    Frequency.WEEKLY: Interval(days=7),
    Frequency.FORTNIGHTLY: Interval(days=14),
    Frequency.MONTHLY: Interval(months=1),
    Frequency.SIX_WEEKLY: Interval(days=42),
    Frequency.EIGHT_WEEKLY: Interval(days=56),
    Frequency.TWO_MONTHLY: Interval(months=2),
}

# --- the policy's numbers -------------------------------------------------------------------------

# 004 1.18: at least six one-to-ones a year, i.e. never more than 12 / 6 months apart.
ONE_TO_ONE_MAX_GAP = Interval(months=12 // MIN_ONE_TO_ONES_PER_YEAR)
# 004 1.20 and the timeline's supervision column: a new starter meets monthly through probation.
NEW_STARTER_INTERVAL = Interval(months=1)
NEW_STARTER_PERIOD_MONTHS = 6
# 004 appendix D and timeline: (phase ends this long after the start, interval inside the phase).
ASYE_REFLECTIVE_CADENCE: tuple[tuple[Interval, Interval], ...] = (
    (Interval(days=6 * 7), Interval(days=7)),  # weekly for the first six weeks
    (Interval(months=6), Interval(days=14)),  # fortnightly for the remainder of the first six months
    (Interval(months=12), Interval(months=1)),  # monthly thereafter, to the end of the ASYE year
)
PROBATION_REVIEW_MONTHS = (1, 3, 5, 6)  # 004 timeline: review at months 1, 3, 5; decide at 6
PROBATION_MONTHS = 6
MAX_PROBATION_MONTHS = 12  # 004 timeline *Month 5: "Extend probation to 12 months max"
ASYE_SUBMISSION_MONTHS = (3, 6, 9, 12)  # 004 progression: "assessment and evidence at 4 stages"
PDP_REVIEW_MONTHS = (3, 6, 9)  # 004 appendix D: "Reviewed and updated at three, six and nine months"
PDP_AGREED_WITHIN = Interval(months=1)  # 004 timeline month one; 000 P28
AGREEMENT_WITHIN = Interval(months=1)  # 004 1.11, timeline month one; 000 P24
APPRAISAL_INTERVAL = Interval(months=12)  # 004 1.7 and appendix 2 item 4: annual appraisal


@dataclass(frozen=True)
class RuleSpec:
    """One rule: what it is called, where it comes from, and how loud an overdue one is."""

    id: RuleId
    title: str
    source: str
    overdue_severity: Severity


RULES: dict[RuleId, RuleSpec] = {
    spec.id: spec
    for spec in (
        RuleSpec(
            RuleId.SUPERVISION_AGREEMENT,
            "A signed supervision agreement",
            "000 P24; 004 1.11, appendix 1",
            Severity.HIGH,
        ),
        RuleSpec(
            RuleId.AGREEMENT_REVIEW,
            "Review of the supervision agreement",
            "004 1.12, appendix 1",
            Severity.WARNING,
        ),
        RuleSpec(
            RuleId.ONE_TO_ONE,
            "One-to-one supervision",
            "000 P25; 004 1.18, 1.20, appendix 1",
            Severity.HIGH,
        ),
        RuleSpec(
            RuleId.ASYE_REFLECTIVE,
            "ASYE reflective supervision",
            "004 appendix D; NQSW/ASYE timeline",
            Severity.HIGH,
        ),
        RuleSpec(RuleId.PROBATION_REVIEW, "Probation review", "004 NQSW/ASYE timeline", Severity.HIGH),
        RuleSpec(
            RuleId.ASYE_SUBMISSION,
            "ASYE assessment progression and reflection logs",
            "004 progression pathway (3/6/9/12 months); NQSW/ASYE timeline",
            Severity.HIGH,
        ),
        RuleSpec(RuleId.PDP, "A personal development plan", "000 P28; 004 1.7, appendix D", Severity.WARNING),
        RuleSpec(
            RuleId.PDP_REVIEW,
            "Review of the professional development plan",
            "004 appendix D",
            Severity.WARNING,
        ),
        RuleSpec(RuleId.APPRAISAL, "Annual appraisal", "004 1.7, appendix 2 item 4", Severity.WARNING),
        RuleSpec(
            RuleId.MANDATORY_TRAINING,
            "Mandatory training in date",
            "004 progression pathway Year 1; 000 P31",
            Severity.CRITICAL,
        ),
        RuleSpec(RuleId.DBS_RECHECK, "DBS re-check", "004 1.27", Severity.CRITICAL),
        RuleSpec(RuleId.SESSION_DURATION, "Session at most 1½ hours", "004 1.18", Severity.WARNING),
    )
}

# --- inputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supervisee:
    """What the rules need to know about a worker (supervision's read model of them)."""

    worker_id: UUID
    tracked_since: date  # the local day supervision first knew the worker
    start_date: date | None = None
    new_starter: bool = False  # started recently enough for the induction rules (004 1.20)
    nqsw: bool = False  # a newly qualified social worker in the ASYE year (004 appendix D)
    on_probation: bool = False
    probation_months: int = PROBATION_MONTHS
    supervisor_id: UUID | None = None

    @property
    def anchor(self) -> date:
        """Where the clock starts for a first obligation: the start date of a new starter, else the
        day supervision learnt of the worker (an existing worker is not overdue for years before it)."""
        if self.new_starter and self.start_date is not None:
            return self.start_date
        return self.tracked_since


@dataclass(frozen=True)
class HeldSession:
    """A supervision session that took place (planned ones do not count until held)."""

    held_on: date
    format: SessionFormat = SessionFormat.ONE_TO_ONE
    reflective: bool = False  # ASYE reflective supervision (004 appendix D)
    duration_minutes: int = 60


@dataclass(frozen=True)
class TrainingRecord:
    """A completed course; ``expires_on`` is the last day it is valid."""

    course: str
    completed_on: date
    expires_on: date | None = None
    mandatory: bool = True


@dataclass(frozen=True)
class DbsCheck:
    """A DBS check and the day its re-check is due (004 1.27)."""

    checked_on: date
    recheck_due_on: date


@dataclass(frozen=True)
class AgreementState:
    """The current supervision agreement as far as the rules care."""

    signed_by_both_on: date | None
    review_on: date | None
    frequency: Frequency | None = None


@dataclass(frozen=True)
class History:
    """What has been done so far for one worker."""

    sessions: tuple[HeldSession, ...] = ()
    milestones: frozenset[tuple[MilestoneKind, int]] = frozenset()
    pdp_agreed_on: date | None = None
    appraisals: tuple[date, ...] = ()
    training: tuple[TrainingRecord, ...] = ()
    dbs_checks: tuple[DbsCheck, ...] = ()
    agreement: AgreementState | None = None


# --- outputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obligation:
    """Something owed for a worker by a day, with the rule and source that ask for it."""

    rule: RuleId
    item: str
    due_on: date
    status: ObligationStatus
    severity: Severity
    source: str
    description: str


@dataclass(frozen=True)
class Finding:
    """A breach that is not a deadline (a session that ran too long)."""

    rule: RuleId
    on: date
    source: str
    description: str


@dataclass(frozen=True)
class ComplianceReport:
    """A worker's obligations and findings on one local day."""

    worker_id: UUID
    on: date
    obligations: tuple[Obligation, ...]
    findings: tuple[Finding, ...] = ()
    one_to_ones_last_12_months: int = 0

    def with_status(self, status: ObligationStatus) -> tuple[Obligation, ...]:
        """The obligations in ``status``."""
        return tuple(o for o in self.obligations if o.status is status)

    @property
    def overdue(self) -> tuple[Obligation, ...]:
        """What is late."""
        return self.with_status(ObligationStatus.OVERDUE)

    @property
    def due_soon(self) -> tuple[Obligation, ...]:
        """What falls due within the horizon."""
        return self.with_status(ObligationStatus.DUE_SOON)

    @property
    def compliant(self) -> bool:
        """Nothing overdue."""
        return not self.overdue


# --- the engine ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    rule: RuleId
    due_on: date
    description: str
    item: str = ""
    source: str | None = None  # a narrower source than the rule's, when one applies


def status_on(due_on: date, today: date, due_soon_days: int) -> ObligationStatus:
    """Overdue from the day after ``due_on``; due soon from ``due_soon_days`` before it."""
    if today > due_on:
        return ObligationStatus.OVERDUE
    if (due_on - today).days <= due_soon_days:
        return ObligationStatus.DUE_SOON
    return ObligationStatus.DUE


def assess(
    supervisee: Supervisee, history: History, today: date, *, due_soon_days: int = DEFAULT_DUE_SOON_DAYS
) -> ComplianceReport:
    """Every open obligation of ``supervisee`` on ``today``, and the findings of the last year."""
    if due_soon_days < 0:
        raise ValueError("due_soon_days cannot be negative")
    past = _held_by(history, today)
    dues = [
        *_agreement(supervisee, past),
        *_one_to_one(supervisee, past),
        *_asye_reflective(supervisee, past),
        *_milestones(supervisee, past, today, due_soon_days),
        *_pdp(supervisee, past),
        *_appraisal(supervisee, past),
        *_training(past),
        *_dbs(past),
    ]
    obligations = []
    for due in sorted(dues, key=lambda d: (d.due_on, d.rule, d.item)):
        spec = RULES[due.rule]
        status = status_on(due.due_on, today, due_soon_days)
        obligations.append(
            Obligation(
                rule=due.rule,
                item=due.item,
                due_on=due.due_on,
                status=status,
                severity=_severity(spec, status),
                source=due.source or spec.source,
                description=due.description,
            )
        )
    year_ago = add_months(today, -12)
    recent = [s for s in past.sessions if s.held_on > year_ago]
    return ComplianceReport(
        worker_id=supervisee.worker_id,
        on=today,
        obligations=tuple(obligations),
        findings=tuple(_too_long(recent)),
        one_to_ones_last_12_months=sum(
            1 for s in recent if s.format is SessionFormat.ONE_TO_ONE and not s.reflective
        ),
    )


def _severity(spec: RuleSpec, status: ObligationStatus) -> Severity:
    if status is ObligationStatus.OVERDUE:
        return spec.overdue_severity
    return Severity.WARNING if status is ObligationStatus.DUE_SOON else Severity.INFO


def _held_by(history: History, today: date) -> History:
    """Only what had happened by ``today`` counts (a record dated tomorrow satisfies nothing yet)."""
    return History(
        sessions=tuple(s for s in history.sessions if s.held_on <= today),
        milestones=history.milestones,
        pdp_agreed_on=history.pdp_agreed_on
        if history.pdp_agreed_on and history.pdp_agreed_on <= today
        else None,
        appraisals=tuple(d for d in history.appraisals if d <= today),
        training=tuple(t for t in history.training if t.completed_on <= today),
        dbs_checks=tuple(c for c in history.dbs_checks if c.checked_on <= today),
        agreement=history.agreement,
    )


def _agreement(supervisee: Supervisee, history: History) -> Iterator[_Due]:
    agreement = history.agreement
    if agreement is None or agreement.signed_by_both_on is None:
        yield _Due(
            RuleId.SUPERVISION_AGREEMENT,
            AGREEMENT_WITHIN.after(supervisee.anchor),
            "Agree and both sign a supervision agreement",
        )
        return
    if agreement.review_on is not None:
        yield _Due(RuleId.AGREEMENT_REVIEW, agreement.review_on, "Review the supervision agreement")


def _one_to_one(supervisee: Supervisee, history: History) -> Iterator[_Due]:
    held = [s.held_on for s in history.sessions if s.format is SessionFormat.ONE_TO_ONE and not s.reflective]
    anchor = max(held, default=supervisee.anchor)
    candidates = [(ONE_TO_ONE_MAX_GAP.after(anchor), "at least six a year", "004 1.18")]
    if supervisee.new_starter and supervisee.start_date is not None:
        period = max(NEW_STARTER_PERIOD_MONTHS, supervisee.probation_months if supervisee.on_probation else 0)
        if anchor < add_months(supervisee.start_date, period):
            candidates.append((NEW_STARTER_INTERVAL.after(anchor), "monthly while new", "004 1.20, timeline"))
    agreement = history.agreement
    if agreement is not None and agreement.signed_by_both_on is not None and agreement.frequency is not None:
        candidates.append(
            (agreement.frequency.interval.after(anchor), f"{agreement.frequency} as agreed", "004 appendix 1")
        )
    due_on, why, source = min(candidates)
    yield _Due(RuleId.ONE_TO_ONE, due_on, f"Next one-to-one supervision ({why})", source=source)


def _asye_reflective(supervisee: Supervisee, history: History) -> Iterator[_Due]:
    if not supervisee.nqsw or supervisee.start_date is None:
        return
    start = supervisee.start_date
    held = [s.held_on for s in history.sessions if s.reflective and s.held_on >= start]
    anchor = max(held, default=start)
    year_end = ASYE_REFLECTIVE_CADENCE[-1][0].after(start)
    for phase_end, interval in ASYE_REFLECTIVE_CADENCE:
        if anchor < phase_end.after(start):
            due_on = interval.after(anchor)
            if due_on < year_end:
                yield _Due(RuleId.ASYE_REFLECTIVE, due_on, "Next ASYE reflective supervision")
            return


def _milestone_months(supervisee: Supervisee) -> Iterator[tuple[MilestoneKind, RuleId, tuple[int, ...], str]]:
    if supervisee.start_date is None:
        return
    if supervisee.on_probation:
        months = min(max(supervisee.probation_months, PROBATION_MONTHS), MAX_PROBATION_MONTHS)
        # 004 timeline *Month 5: an extension moves the decision, the reviews at 1, 3 and 5 stay.
        stages = (*PROBATION_REVIEW_MONTHS[:-1], months)
        yield MilestoneKind.PROBATION_REVIEW, RuleId.PROBATION_REVIEW, stages, "Probation review, month {m}"
    if supervisee.nqsw:
        yield (
            MilestoneKind.ASYE_SUBMISSION,
            RuleId.ASYE_SUBMISSION,
            ASYE_SUBMISSION_MONTHS,
            "Submit ASYE assessment progression and reflection logs, month {m}",
        )
        yield MilestoneKind.PDP_REVIEW, RuleId.PDP_REVIEW, PDP_REVIEW_MONTHS, "Review the PDP, month {m}"


def _milestones(supervisee: Supervisee, history: History, today: date, due_soon_days: int) -> Iterator[_Due]:
    """Every missed stage, and the next one (a supervisor sees the road ahead, not all of it)."""
    start = supervisee.start_date
    for kind, rule, months, text in _milestone_months(supervisee):
        assert start is not None  # _milestone_months yields nothing without a start date
        open_stages = [m for m in months if (kind, m) not in history.milestones]
        upcoming_shown = False
        for m in open_stages:
            due_on = add_months(start, m)
            if status_on(due_on, today, due_soon_days) is not ObligationStatus.OVERDUE:
                if upcoming_shown:
                    break
                upcoming_shown = True
            yield _Due(rule, due_on, text.format(m=m), item=f"month {m}")


def _pdp(supervisee: Supervisee, history: History) -> Iterator[_Due]:
    if history.pdp_agreed_on is None:
        yield _Due(
            RuleId.PDP, PDP_AGREED_WITHIN.after(supervisee.anchor), "Agree a personal development plan"
        )


def _appraisal(supervisee: Supervisee, history: History) -> Iterator[_Due]:
    anchor = max(history.appraisals, default=None)
    if anchor is None:
        first_from = supervisee.start_date if supervisee.new_starter and supervisee.start_date else None
        anchor = first_from or supervisee.tracked_since
    yield _Due(RuleId.APPRAISAL, APPRAISAL_INTERVAL.after(anchor), "Annual appraisal")


def _training(history: History) -> Iterator[_Due]:
    latest: dict[str, TrainingRecord] = {}
    for record in sorted(history.training, key=lambda t: t.completed_on):
        if record.mandatory:
            latest[record.course] = record
    for course, record in sorted(latest.items()):
        if record.expires_on is not None:
            yield _Due(
                RuleId.MANDATORY_TRAINING,
                record.expires_on,
                f"Renew mandatory training: {course}",
                item=course,
            )


def _dbs(history: History) -> Iterator[_Due]:
    latest = max(history.dbs_checks, key=lambda c: c.checked_on, default=None)
    if latest is not None:
        yield _Due(RuleId.DBS_RECHECK, latest.recheck_due_on, "DBS re-check")


def _too_long(sessions: Iterable[HeldSession]) -> Iterator[Finding]:
    spec = RULES[RuleId.SESSION_DURATION]
    for session in sessions:
        if session.duration_minutes > MAX_SESSION_MINUTES:
            yield Finding(
                RuleId.SESSION_DURATION,
                session.held_on,
                spec.source,
                f"A session of {session.duration_minutes} minutes (normally at most {MAX_SESSION_MINUTES})",
            )


__all__ = [
    "RULES",
    "AgreementState",
    "ComplianceReport",
    "DbsCheck",
    "Finding",
    "Frequency",
    "HeldSession",
    "History",
    "Interval",
    "MilestoneKind",
    "Obligation",
    "ObligationStatus",
    "RuleId",
    "SessionFormat",
    "Severity",
    "Supervisee",
    "TrainingRecord",
    "assess",
    "status_on",
]
