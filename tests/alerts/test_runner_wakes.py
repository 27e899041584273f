"""A queued page wakes the escalation and dispatch runner: it does not wait for the interval (issue 11)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from rounds.contracts.visits import VisitMissed
from tests.alerts.conftest import NOW, Alerts, HttpReceiver, condition
from tests.integration.kit import eventually

MANAGER_PHONE = "+447700900777"
START = NOW - timedelta(minutes=30)


async def test_a_page_is_sent_moments_after_its_alert_not_at_the_next_tick(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    runner = asyncio.create_task(s.runtime.runner.run(interval=60.0))
    try:
        await asyncio.sleep(0.5)  # the first tick has run; the next one is a minute away

        async def paged() -> bool:
            return any(r.json()["to"] == MANAGER_PHONE for r in receiver.to("/sms"))

        assert not await paged()
        await s.deliver(condition(VisitMissed, team, START))
        await eventually(paged, timeout=10)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
