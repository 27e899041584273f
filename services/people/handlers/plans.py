"""Service delivery plans (003 HSC415): draft, sign off, agree, revise; every version kept."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID, uuid4

from rounds.contracts.people import (
    CarePlanAgreed,
    CarePlanEnded,
    CarePlanRevisionStarted,
    PlanRisk,
    PlanVisit,
)
from rounds.infra.problems import Conflict, NotFound
from services.people.adapters.repository import StaleVersion
from services.people.domain.individuals import IndividualStatus
from services.people.domain.plans import (
    PlanContent,
    PlanHistory,
    PlanIncomplete,
    PlanRuleBroken,
    PlanStateRefused,
    PlanStatus,
    PlanVersion,
    SignerKind,
    SignOff,
    check_content,
    edit_draft,
    end_plan,
    revise,
    sign,
)
from services.people.domain.workers import COORDINATING_ROLES, EmploymentStatus
from services.people.errors import Forbidden, Invalid, stale, unknown_reference
from services.people.handlers.common import check_version, existing_individual, provider_time_zone
from services.people.unit_of_work import PeopleUnitOfWork


def _checked(content: PlanContent) -> PlanContent:
    try:
        check_content(content)
    except PlanRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    return content


async def start_plan(uow: PeopleUnitOfWork, individual_id: UUID, content: PlanContent) -> PlanVersion:
    """Version 1 of the individual's plan, as a draft (409 if they already have a plan)."""
    _checked(content)
    async with uow:
        individual = await existing_individual(uow, individual_id)
        if individual.status is IndividualStatus.ENDED:
            raise Conflict("The individual's service has ended; a new plan cannot be started.")
        if await uow.plans.plan_of(individual_id) is not None:
            raise Conflict(
                "This individual already has a plan: change its draft or start a revision.",
                errors=[{"field": "path.individual_id", "reason": "already has a plan"}],
            )
        now = uow.clock.now()
        draft = PlanVersion(
            plan_id=uuid4(),
            individual_id=individual_id,
            version=1,
            status=PlanStatus.DRAFT,
            content=content,
            created_at=now,
        )
        await uow.plans.create(draft.plan_id, individual_id, now)
        await uow.plans.add_version(draft)
        await uow.commit()
    return draft


async def plan_history(uow: PeopleUnitOfWork, individual_id: UUID) -> PlanHistory:
    """Every version of the individual's plan; 404 for an unknown individual or one without a plan."""
    await existing_individual(uow, individual_id)
    history = await uow.plans.history(individual_id)
    if history is None:
        raise NotFound(f"Individual {individual_id} has no plan yet.")
    return history


async def change_draft(
    uow: PeopleUnitOfWork, individual_id: UUID, content: PlanContent, expected_revision: int | None
) -> PlanVersion:
    """Replace the draft's content; signatures already given are cleared (they signed other words)."""
    _checked(content)
    async with uow:
        history = await plan_history(uow, individual_id)
        latest = history.latest
        check_version("plan", latest.revision, expected_revision)
        try:
            changed = edit_draft(latest, content)
        except PlanStateRefused as refused:
            raise Conflict(str(refused)) from None
        await _save(uow, changed, latest.revision)
        await uow.commit()
    return changed


@dataclass(frozen=True)
class SignPlan:
    """Sign the draft: the individual themself, their representative (a key person) or a coordinator."""

    individual_id: UUID
    kind: SignerKind
    signer_id: UUID
    expected_revision: int | None = None
    #: The worker the gateway says is calling, when known: a coordinator signs only in their own name.
    acting_worker_id: UUID | None = None


async def sign_plan(uow: PeopleUnitOfWork, command: SignPlan) -> PlanVersion:
    """Add a signature to the draft; with both sides signed it is agreed and ``rounds.careplan.agreed.v1``
    announces it (003 P14, P31), superseding the version that was in force."""
    async with uow:
        history = await plan_history(uow, command.individual_id)
        latest = history.latest
        check_version("plan", latest.revision, command.expected_revision)
        signer_name = await _signer_name(uow, command)
        sign_off = SignOff(command.kind, command.signer_id, signer_name, uow.clock.now())
        try:
            signed = sign(latest, sign_off)
        except PlanIncomplete as incomplete:
            raise Invalid(
                "The draft is not complete enough to be signed.",
                errors=[{"field": f"plan.{f}", "reason": r} for f, r in incomplete.missing],
            ) from None
        except PlanStateRefused as refused:
            raise Conflict(str(refused)) from None
        before = history.current_agreed
        for version in history.replace_latest(signed):
            expected = latest.revision if version.version == signed.version else version.revision
            await _save(uow, version, expected)
        if signed.status is PlanStatus.AGREED:
            individual = await existing_individual(uow, command.individual_id)
            uow.publish(agreed_event(signed, individual.locality, before.version if before else None))
        await uow.commit()
    return signed


async def _signer_name(uow: PeopleUnitOfWork, command: SignPlan) -> str:
    """Who signs, by the records (never by what the caller says): 404 or 422 when they may not sign."""
    if command.kind is SignerKind.INDIVIDUAL:
        if command.signer_id != command.individual_id:
            raise Invalid.on("body.signer_id", "an individual signs for themself: use their own id")
        individual = await existing_individual(uow, command.individual_id)
        return f"{individual.given_name} {individual.family_name}"
    if command.kind is SignerKind.REPRESENTATIVE:
        person = await uow.key_people.get(command.individual_id, command.signer_id)
        if person is None:
            raise unknown_reference("body.signer_id", "key person of this individual", command.signer_id)
        if not person.active or not person.may_represent:
            raise Invalid.on(
                "body.signer_id",
                "this key person may not sign for the individual (needs a health and welfare LPA or "
                "to be recorded as their representative)",
            )
        return f"{person.given_name} {person.family_name}"
    worker = await uow.workers.get(command.signer_id)
    if worker is None:
        raise unknown_reference("body.signer_id", "worker", command.signer_id)
    if worker.role not in COORDINATING_ROLES or worker.status is not EmploymentStatus.ACTIVE:
        raise Invalid.on(
            "body.signer_id", "only a serving coordinator or registered manager signs as coordinator"
        )
    if command.acting_worker_id is not None and command.acting_worker_id != worker.id:
        raise Forbidden("A coordinator signs a plan only in their own name.")
    return f"{worker.given_name} {worker.family_name}"


async def start_revision(
    uow: PeopleUnitOfWork, individual_id: UUID, content: PlanContent | None, expected_revision: int | None
) -> PlanVersion:
    """A new draft copied from the agreed plan (or with ``content``); announces the revision started."""
    if content is not None:
        _checked(content)
    async with uow:
        history = await plan_history(uow, individual_id)
        latest = history.latest
        check_version("plan", latest.revision, expected_revision)
        try:
            draft = revise(latest, uow.clock.now())
        except PlanStateRefused as refused:
            raise Conflict(str(refused)) from None
        if content is not None:
            draft = replace(draft, content=content)
        await uow.plans.add_version(draft)
        uow.publish(
            CarePlanRevisionStarted(
                individual_id=individual_id,
                plan_id=draft.plan_id,
                version=draft.version,
                in_force_version=latest.version,
                started_at=draft.created_at,
            )
        )
        await uow.commit()
    return draft


async def end(
    uow: PeopleUnitOfWork,
    individual_id: UUID,
    end_date: date,
    reason: str | None,
    expected_revision: int | None,
) -> PlanHistory:
    """End the plan (the service ends or moves elsewhere); announces ``rounds.careplan.ended.v1``."""
    async with uow:
        history = await plan_history(uow, individual_id)
        check_version("plan", history.latest.revision, expected_revision)
        try:
            await _end(uow, history, end_date, reason)
        except PlanStateRefused as refused:
            raise Conflict(str(refused)) from None
        except PlanRuleBroken as broken:
            raise Invalid.on(f"body.{broken.field}", broken.reason) from None
        await uow.commit()
    return history


async def end_with_service(
    uow: PeopleUnitOfWork, individual_id: UUID, last_day: date, reason: str | None
) -> None:
    """Inside an open unit of work: the individual's service ended, so does their plan (if it still runs).

    A plan that had not started by then ends on its first day: nothing of it was delivered.
    """
    history = await uow.plans.history(individual_id)
    if history is None or history.latest.status in (PlanStatus.ENDED, PlanStatus.WITHDRAWN):
        return
    in_force = history.current_agreed
    end_date = max(last_day, in_force.content.start_date) if in_force else last_day
    await _end(uow, history, end_date, reason)


async def _end(uow: PeopleUnitOfWork, history: PlanHistory, end_date: date, reason: str | None) -> None:
    revisions = {v.version: v.revision for v in history.versions}
    for version in end_plan(history, end_date):
        await _save(uow, version, revisions[version.version])
    in_force = history.last_in_force
    uow.publish(
        CarePlanEnded(
            individual_id=history.latest.individual_id,
            plan_id=history.latest.plan_id,
            version=in_force.version if in_force else None,
            end_date=end_date,
            reason=reason,
            ended_at=uow.clock.now(),
        )
    )


async def _save(uow: PeopleUnitOfWork, version: PlanVersion, expected_revision: int) -> None:
    try:
        await uow.plans.save_version(version, expected_revision=expected_revision)
    except StaleVersion:
        raise stale("plan", expected_revision + 1) from None


def agreed_event(version: PlanVersion, locality: str, supersedes: int | None) -> CarePlanAgreed:
    """The event that tells rota and visits what the agreed version asks for."""
    content = version.content
    assert version.agreed_at is not None  # only agreed versions are announced
    return CarePlanAgreed(
        individual_id=version.individual_id,
        plan_id=version.plan_id,
        version=version.version,
        supersedes_version=supersedes,
        locality=locality,
        start_date=content.start_date,
        end_date=content.end_date,
        review_date=content.review_date,
        visits=[
            PlanVisit(
                id=line.id,
                name=line.name,
                weekdays=sorted(line.weekdays),
                preferred_start=line.preferred_start.isoformat("minutes"),
                duration_minutes=line.duration_minutes,
                flexibility_minutes=line.flexibility_minutes,
                tasks=list(line.tasks),
                workers_required=line.workers_required,
                required_skills=sorted(line.required_skills),
            )
            for line in content.visits
        ],
        risks=[
            PlanRisk(description=r.description, management=r.management, likelihood=r.likelihood)
            for r in content.risks
        ],
        outcomes=list(content.outcomes),
        agreed_at=version.agreed_at,
        time_zone=provider_time_zone(),
    )
