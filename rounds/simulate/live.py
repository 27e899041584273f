"""``rounds up --demo``'s child: load the small demo branch, then live its days through the gateway.

Run as ``python -m rounds.simulate.live --gateway URL`` with ``ROUNDS_DATA_DIR`` set (``rounds up``
does both). It waits for the gateway, loads (or completes) the demo with
:func:`rounds.demo.loader.load_default_demo`, then simulates today with ``follow``: the day so far
quickly, the rest live, so the dashboard shows visits starting, late, missed and alerts as they happen.
At the end of the day it sleeps until the next morning and goes on. Failures are logged and retried
after a pause: the platform never stops because of the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from rounds.demo.generator import TIME_ZONE
from rounds.demo.loader import DemoLoadError, load_default_demo
from rounds.infra.settings import DEFAULT_DATA_DIR
from rounds.simulate.driver import SimulationError, SimulationOptions, simulate_day

#: Pause before trying again after a failed load or day.
RETRY_SECONDS = 60.0


def _log(message: str) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} demo: {message}", flush=True)


async def _wait_for(gateway: str) -> None:
    async with httpx.AsyncClient(timeout=3.0) as client:
        while True:
            try:
                if (await client.get(f"{gateway}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(2.0)


async def live(gateway: str, data_dir: Path, *, size: str = "small", seed: int = 7) -> None:
    """Load the demo, then simulate one day after another, forever (until the process is stopped)."""
    zone = ZoneInfo(TIME_ZONE)
    await _wait_for(gateway)
    while True:
        try:
            report = await load_default_demo(
                gateway, data_dir, datetime.now(zone).date(), size=size, seed=seed
            )
            _log(f"demo loaded: created {dict(report.created)}, already there {dict(report.existing)}")
            break
        except DemoLoadError as error:
            _log(f"load failed, trying again in {RETRY_SECONDS:.0f} s: {error}")
            await asyncio.sleep(RETRY_SECONDS)
    while True:
        today = datetime.now(zone).date()
        options = SimulationOptions(size=size, seed=seed, day=today, follow=True)
        try:
            day = await simulate_day(gateway, data_dir, options)
            _log(
                f"{today}: sent {sum(day.sent.values())}, accepted {sum(day.accepted.values())}, "
                f"replayed {sum(day.replayed.values())}, refused {sum(day.refused.values())}; "
                f"conditions {dict(day.conditions)}; sick {day.sick_worker}, repaired {day.repaired}"
            )
        except SimulationError as error:
            _log(f"{today}: simulation stopped, trying again in {RETRY_SECONDS:.0f} s: {error}")
            await asyncio.sleep(RETRY_SECONDS)
            continue
        tomorrow = datetime.combine(today + timedelta(days=1), time(6, 50), zone)
        await asyncio.sleep(max((tomorrow - datetime.now(zone)).total_seconds(), 1.0))


def main(argv: list[str] | None = None) -> int:
    """Command line entry for ``rounds up``'s demo child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("ROUNDS_DATA_DIR", DEFAULT_DATA_DIR))
    )
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        asyncio.run(live(args.gateway.rstrip("/"), args.data_dir, size=args.size, seed=args.seed))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
