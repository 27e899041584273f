"""Counting ``rounds bench day``'s flows end to end (pure): what went in, what came out, once each.

A flow is a set of ids that went in (records the gateway accepted, visits the monitor raised as
missed...) and a count per id of what came out (events on a topic, alert conditions in the alerts
database...). Every id in must come out exactly once: ``lost`` ids came out never, ``duplicated``
ids more than once. ``unexpected`` ids came out without going in (reported, not a failure: an
answer the client never saw can leave an event behind).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

#: Events announcing one app record each, by the record's id.
RECORD_EVENTS = frozenset(
    {
        "rounds.visit.checked_in.v1",
        "rounds.visit.task_recorded.v1",
        "rounds.visit.checked_out.v1",
        "rounds.worker.sos.v1",
        "rounds.incident.reported.v1",
    }
)
#: The monitor's condition events and the kind of alert condition each becomes.
CONDITION_EVENTS = {
    "rounds.visit.late.v1": "visit_late",
    "rounds.visit.missed.v1": "visit_missed",
    "rounds.visit.short.v1": "visit_short",
    "rounds.visit.overrun.v1": "visit_overrun",
    "rounds.worker.overdue.v1": "lone_worker_overdue",
}


def flow(name: str, went_in: Iterable[str], came_out: Mapping[str, int]) -> dict[str, Any]:
    """One flow's row: in, out (ids seen at least once), lost, duplicated, unexpected, and a few lost ids."""
    ids = set(went_in)
    lost = sorted(i for i in ids if came_out.get(i, 0) == 0)
    return {
        "flow": name,
        "in": len(ids),
        "out": sum(1 for i in ids if came_out.get(i, 0) >= 1),
        "lost": len(lost),
        "duplicated": sum(1 for i in ids if came_out.get(i, 0) > 1),
        "unexpected": sum(1 for i, n in came_out.items() if n and i not in ids),
        "lost_ids": lost[:5],
    }


def tally(ids: Iterable[str]) -> Counter[str]:
    """How many times each id came out."""
    return Counter(ids)


def condition_subject(kind: str, visit_id: str) -> str:
    """The alert condition's subject for a monitor condition (lone worker welfare has its own)."""
    return f"lone:{visit_id}" if kind == "lone_worker_overdue" else visit_id


def flows(
    accepted: Iterable[str],
    events: Iterable[tuple[str, Mapping[str, Any]]],
    alert_conditions: Iterable[tuple[str, str]],
    incidents: Iterable[str],
    alerts: Iterable[str],
    scripted_missed: Iterable[str],
    scripted_never_out: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every flow of the day, from what was accepted, read off the topics and found in the databases.

    ``events``: (type, body) of every event on the telemetry and alerts topics; ``alert_conditions``:
    (subject, kind) of every condition row of the alerts database (one per alert that holds it);
    ``incidents``: the source record id of every incident; ``alerts``: every alert's id.
    """
    records: list[str] = []
    raised: dict[str, list[str]] = {kind: [] for kind in CONDITION_EVENTS.values()}
    sos: list[str] = []
    reported: list[str] = []
    announced: list[str] = []
    for kind, body in events:
        if kind in RECORD_EVENTS:
            records.append(str(body.get("record_id")))
        if kind == "rounds.worker.sos.v1":
            sos.append(str(body.get("record_id")))
        if kind == "rounds.incident.reported.v1":
            reported.append(str(body.get("record_id")))
        if kind in CONDITION_EVENTS:
            raised[CONDITION_EVENTS[kind]].append(str(body.get("visit_id")))
        if kind == "rounds.alert.raised.v1":
            announced.append(str(body.get("alert_id")))
    held = tally(f"{kind}|{subject}" for subject, kind in alert_conditions)
    rows = [
        flow(
            "app records accepted (201) -> record events on rounds.visits.telemetry", accepted, tally(records)
        )
    ]
    rows.append(
        flow(
            "visits scripted as missed -> VisitMissed on the topic",
            scripted_missed,
            tally(raised["visit_missed"]),
        )
    )
    rows.append(
        flow(
            "visits scripted never checked out -> WorkerOverdue on the topic",
            scripted_never_out,
            tally(raised["lone_worker_overdue"]),
        )
    )
    for kind, visits in raised.items():
        on_topic = tally(visits)
        dup_events = sum(1 for n in on_topic.values() if n > 1)
        row = flow(
            f"{kind.replace('_', ' ')} events -> alert conditions (alerts DB)",
            on_topic,
            {v: held.get(f"{kind}|{condition_subject(kind, v)}", 0) for v in on_topic},
        )
        row["duplicated"] += (
            dup_events  # the monitor raises each (visit, condition) once: twice is a duplicate
        )
        rows.append(row)
    rows.append(
        flow("SOS events -> SOS alert conditions", sos, {r: held.get(f"sos|sos:{r}", 0) for r in sos})
    )
    rows.append(flow("incident events -> incidents (alerts DB)", reported, tally(incidents)))
    rows.append(flow("alerts (alerts DB) -> AlertRaised on rounds.alerts.alerts", alerts, tally(announced)))
    return rows


def failed(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The flows that lost or duplicated anything (empty: the day passes)."""
    return [row["flow"] for row in rows if row["lost"] or row["duplicated"]]
