"""Whether a worker may work on a day: registration, DBS and mandatory training (000 P1, P6; 004)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from services.people.domain.compliance import compliance_on
from services.people.domain.workers import (
    Competency,
    DbsCheck,
    EmploymentStatus,
    Registration,
    Worker,
    WorkerRole,
)

DAY = date(2026, 3, 29)  # the day the clocks go forward in Europe/London: a local day like any other


def worker(**changes: object) -> Worker:
    """An occupational therapist with everything in order on DAY."""
    base = Worker(
        id=uuid.uuid4(),
        given_name="Asha",
        family_name="Patel",
        role=WorkerRole.OCCUPATIONAL_THERAPIST,
        locality="Harrogate",
        start_date=date(2025, 1, 6),
        registrations=[Registration(body="HCPC", number="OT1", expires_on=date(2027, 8, 31))],
        dbs=DbsCheck(certificate_number="001", issued_on=date(2025, 1, 2), recheck_due=date(2028, 1, 2)),
        competencies=[
            Competency(name="moving_and_handling", expires_on=date(2026, 12, 1), mandatory=True),
            Competency(name="dementia_awareness", expires_on=date(2026, 1, 1)),  # optional and expired
        ],
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "record", "day", "reasons"),
    [
        ("all current", worker(), DAY, ()),
        (
            "registration expires the day after",
            worker(registrations=[Registration("HCPC", "OT1", expires_on=date(2026, 3, 30))]),
            DAY,
            (),
        ),
        (
            "registration expires on the day itself",
            worker(registrations=[Registration("HCPC", "OT1", expires_on=DAY)]),
            DAY,
            ("registration_expired",),
        ),
        (
            "registration expired the day before",
            worker(registrations=[Registration("hcpc", "OT1", expires_on=date(2026, 3, 28))]),
            DAY,
            ("registration_expired",),
        ),
        (
            "one of two registrations current",
            worker(
                registrations=[
                    Registration("HCPC", "OT1", expires_on=date(2025, 1, 1)),
                    Registration("HCPC", "OT2", expires_on=date(2027, 1, 1)),
                ]
            ),
            DAY,
            (),
        ),
        ("therapist without HCPC", worker(registrations=[]), DAY, ("registration_missing",)),
        (
            "therapist with only an NMC registration",
            worker(registrations=[Registration("NMC", "N1")]),
            DAY,
            ("registration_missing",),
        ),
        ("care worker needs no registration", worker(role=WorkerRole.CARE_WORKER, registrations=[]), DAY, ()),
        ("nurse needs NMC", worker(role=WorkerRole.NURSE), DAY, ("registration_missing",)),
        ("no DBS", worker(dbs=None), DAY, ("dbs_missing",)),
        (
            "DBS re-check due on the day itself",
            worker(dbs=DbsCheck("001", issued_on=date(2023, 3, 29), recheck_due=DAY)),
            DAY,
            ("dbs_recheck_overdue",),
        ),
        (
            "DBS re-check due tomorrow",
            worker(dbs=DbsCheck("001", issued_on=date(2023, 3, 29), recheck_due=date(2026, 3, 30))),
            DAY,
            (),
        ),
        (
            "mandatory training expires on the day itself",
            worker(competencies=[Competency("moving_and_handling", expires_on=DAY, mandatory=True)]),
            DAY,
            ("mandatory_training_expired:moving_and_handling",),
        ),
        (
            "optional training expired does not stop work",
            worker(competencies=[Competency("dementia_awareness", expires_on=date(2020, 1, 1))]),
            DAY,
            (),
        ),
        ("not started yet", worker(start_date=date(2026, 3, 30)), DAY, ("not_started",)),
        ("starts on the day", worker(start_date=DAY), DAY, ()),
        (
            "left on the day",
            worker(status=EmploymentStatus.ENDED, ended_on=DAY),
            DAY,
            ("employment_ended",),
        ),
        (
            "every reason at once",
            worker(
                registrations=[],
                dbs=None,
                competencies=[Competency("first_aid", expires_on=DAY, mandatory=True)],
            ),
            DAY,
            ("registration_missing", "dbs_missing", "mandatory_training_expired:first_aid"),
        ),
    ],
)
def test_a_worker_may_work_only_with_registration_dbs_and_mandatory_training_current(
    case: str, record: Worker, day: date, reasons: tuple[str, ...]
) -> None:
    verdict = compliance_on(record, day)
    assert verdict.reasons == reasons, case
    assert verdict.may_work is (not reasons)
    assert verdict.day == day


def test_skills_for_the_rota_leave_out_competencies_expired_on_the_day() -> None:
    record = worker(
        skills=["medication"],
        competencies=[
            Competency("Hoist", expires_on=DAY),
            Competency("peg_feeding", expires_on=date(2027, 1, 1)),
        ],
    )
    assert record.skills_on(date(2026, 3, 28)) == ["medication", "hoist", "peg_feeding"]
    assert record.skills_on(DAY) == ["medication", "peg_feeding"]
