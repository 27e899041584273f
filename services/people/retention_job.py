"""The retention job (issue 12): ``python -m services.people.retention_job``, once a day from a scheduler.

It anonymises the individuals whose retention has run out (services/people/domain/retention.py) in the
people database, in one transaction with their ``rounds.individual.anonymised.v1`` events in the outbox;
the running people service's outbox relay publishes them. It needs the database, not the broker, and it is
deliberately not an HTTP route: nobody should be able to anonymise records through the public API.
"""

from __future__ import annotations

import asyncio
import json
import logging

from rounds.infra.clock import Clock, SystemClock
from rounds.infra.db import create_engine, create_sessions
from services.people.handlers.retention import RetentionRun, run_retention
from services.people.settings import PeopleSettings
from services.people.unit_of_work import PeopleUnitOfWork

log = logging.getLogger(__name__)


async def run(settings: PeopleSettings, clock: Clock | None = None) -> RetentionRun:
    """One retention run against the database ``settings`` name, judged by ``clock``'s local day."""
    engine = create_engine(settings.database_url)
    try:
        # No field cipher: the run deletes access notes, it never reads them.
        uow = PeopleUnitOfWork(create_sessions(engine), clock or SystemClock(), source="/rounds/people")
        return await run_retention(uow)
    finally:
        await engine.dispose()


def main() -> None:
    """Run once and print what was done as JSON (ids only: no personal data in the job's log)."""
    logging.basicConfig(level=logging.INFO)
    done = asyncio.run(run(PeopleSettings()))
    print(
        json.dumps(
            {
                "run_on": done.run_on.isoformat(),
                "anonymised": [str(i) for i in done.anonymised],
                "still_retained": done.still_retained,
                "already_anonymised": done.already_anonymised,
            }
        )
    )


if __name__ == "__main__":
    main()
