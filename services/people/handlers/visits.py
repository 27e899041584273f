"""The rota's visits as the people service needs them: who may read an individual's access notes, when.

A worker may read the key-safe code around a visit they are allocated to (000 P14-P16). The rota
announces each visit as it stands; the windows of a visit are replaced on every announcement, so a
reallocation takes the code away from the worker who is no longer going, and a cancellation from all.
"""

from __future__ import annotations

import logging
from uuid import NAMESPACE_URL, uuid5

from rounds.contracts.rota import VisitAllocated, VisitCancelled, VisitChanged, VisitScheduled
from services.people.domain.access import VisitWindow
from services.people.unit_of_work import PeopleUnitOfWork

log = logging.getLogger(__name__)

RotaVisit = VisitScheduled | VisitAllocated | VisitChanged | VisitCancelled


async def record_visit(uow: PeopleUnitOfWork, visit: RotaVisit) -> list[VisitWindow]:
    """Replace the visit's windows with one per allocated worker (none once it is cancelled).

    The window runs from the earliest acceptable start to the end of a visit started at the latest
    acceptable start: the worker may arrive anywhere in the visit's flexibility.
    """
    windows: list[VisitWindow] = []
    if not isinstance(visit, VisitCancelled) and await uow.individuals.get(visit.individual_id) is not None:
        length = visit.planned_end - visit.planned_start
        for worker_id in visit.workers:
            if await uow.workers.get(worker_id) is None:
                log.warning(
                    "visit %s names worker %s, unknown to people; no window", visit.visit_id, worker_id
                )
                continue
            windows.append(
                VisitWindow(
                    uuid5(NAMESPACE_URL, f"rounds:visit-window:{visit.visit_id}:{worker_id}"),
                    visit.individual_id,
                    worker_id,
                    min(visit.window_start, visit.planned_start),
                    max(visit.window_end + length, visit.planned_end),
                )
            )
    await uow.access.replace_visit_windows(visit.visit_id, windows)
    return windows
