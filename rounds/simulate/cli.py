"""``rounds simulate``: a day of the demo provider's worker apps, through the gateway.

``simulate`` is the command; ``rounds/cli.py`` registers it with ``app.command()(simulate)``.
``simulate_app`` is the same command as a one-command Typer (for tests and ``python -m``).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import date, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rounds.demo.generator import SIZES, size_named
from rounds.infra.settings import DEFAULT_DATA_DIR
from rounds.simulate.driver import SimulationError, SimulationOptions, SimulationReport, simulate_day


class _Bar:
    """The driver's progress as a rich progress bar, one line per phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def phase(self, name: str, total: int) -> None:
        self.task = self.progress.add_task(name, total=max(total, 1))
        if total == 0:
            self.progress.advance(self.task)

    def advance(self, steps: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, steps)


def summary_table(report: SimulationReport) -> Table:
    """The day at a glance: what the apps sent and what the platform made of it."""
    table = Table(title=f"Simulated day {report.day}")
    table.add_column("Record")
    for column in ("Sent", "Accepted", "Replayed (same id)", "Refused"):
        table.add_column(column, justify="right")
    for kind in sorted(report.sent):
        table.add_row(
            kind.replace("_", " "),
            f"{report.sent[kind]:,}",
            f"{report.accepted[kind]:,}",
            f"{report.replayed[kind]:,}",
            f"{report.refused[kind]:,}",
        )
    table.add_row(
        "all",
        f"{sum(report.sent.values()):,}",
        f"{sum(report.accepted.values()):,}",
        f"{sum(report.replayed.values()):,}",
        f"{sum(report.refused.values()):,}",
        style="bold",
    )
    return table


def day_table(report: SimulationReport) -> Table:
    """The day's events: visits, the sickness and its repair, conditions, alerts."""
    table = Table(title="What the platform made of it")
    table.add_column("Fact")
    table.add_column("Value", justify="right")
    rows = [
        ("visits of the demo that day", f"{report.visits:,}"),
        ("allocated", f"{report.allocated:,}"),
        ("records sent offline (batch arriving late)", f"{report.offline_records:,}"),
        ("actions not yet due (later today)", f"{report.not_yet_due:,}"),
        ("visits scripted as missed (nothing sent)", f"{report.missed_scripted:,}"),
        ("worker reporting sick at 07:00", report.sick_worker or "-"),
        ("their visits the rota gave to others", f"{report.repaired:,}"),
        ("their visits left unallocated (reported)", f"{report.unallocated_after_repair:,}"),
    ]
    rows += [(f"monitor: {name}", f"{count:,}") for name, count in sorted(report.conditions.items())]
    rows += [
        ("alerts (all, newest 2,000)", "-" if report.alerts is None else f"{report.alerts:,}"),
        (
            "notifications (newest 2,000)",
            "-" if report.notifications is None else f"{report.notifications:,}",
        ),
    ]
    for fact, value in rows:
        table.add_row(fact, value)
    return table


def simulate(
    size: Annotated[str, typer.Option(help=f"The demo loaded: one of {', '.join(SIZES)}.")] = "small",
    seed: Annotated[int, typer.Option(help="The seed the demo was loaded with; also scripts the day.")] = 7,
    day: Annotated[
        str | None, typer.Option("--date", help="Local day to simulate (YYYY-MM-DD).", show_default="today")
    ] = None,
    start: Annotated[str, typer.Option(help="Local time the simulated clock starts from (HH:MM).")] = "06:55",
    speed: Annotated[
        float, typer.Option(min=1.0, help="Simulated seconds per real second until it catches up with now.")
    ] = 60.0,
    follow: Annotated[
        bool, typer.Option(help="After catching up, go on live until the day's last action.")
    ] = False,
    until: Annotated[
        str | None,
        typer.Option(help="With --follow: stop at this local time (HH:MM).", show_default="the day's end"),
    ] = None,
    plan: Annotated[
        bool, typer.Option(help="Plan the day (rota planning run) when none of its visits is allocated.")
    ] = True,
    gateway: Annotated[str, typer.Option(help="The gateway's base URL.")] = "http://127.0.0.1:8000",
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="ROUNDS_DATA_DIR", help="The gateway's data folder (its issuer key mints tokens)."
        ),
    ] = DEFAULT_DATA_DIR,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight at once.")] = 8,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
) -> None:
    """Run a day of the demo's worker apps on an accelerated clock, through the gateway.

    The day so far is replayed SPEED times faster (device times as scripted), then, with --follow, the
    rest live. Check-ins and check-outs, tasks, offline batches, a few missed visits, an SOS, an
    incident, and a worker sick at 07:00 whose visits the rota repairs. Run it again: the same record ids
    are sent, and nothing happens twice.
    """
    console = Console()
    try:
        size_named(size)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--size") from None
    try:
        chosen_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter(f"{day!r} is not a date like 2026-11-23", param_hint="--date") from None
    try:
        start_at = time.fromisoformat(start)
        until_at = time.fromisoformat(until) if until else None
    except ValueError:
        raise typer.BadParameter(
            f"{start!r} or {until!r} is not a time like 06:55", param_hint="--start/--until"
        ) from None
    options = SimulationOptions(
        size=size,
        seed=seed,
        day=chosen_day,
        start=start_at,
        speed=speed,
        follow=follow,
        until=until_at,
        plan=plan,
        concurrency=concurrency,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, disable=os.environ.get("ROUNDS_NO_PROGRESS") == "1") as bar:
            report = asyncio.run(simulate_day(gateway, data_dir, options, progress=_Bar(bar)))
    except SimulationError as error:
        console.print(f"[red]Simulation stopped:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    console.print(summary_table(report))
    console.print(day_table(report))
    for line in report.errors[:10]:
        console.print(f"[yellow]refused:[/] {line}", highlight=False)
    if json_out is not None:
        json_out.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")


simulate_app = typer.Typer(name="simulate", help="A day of the demo provider's worker apps.")
simulate_app.command()(simulate)


if __name__ == "__main__":
    simulate_app()
