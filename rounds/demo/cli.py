"""``rounds demo ...``: look at a generated provider, or load it into a running platform.

``demo_app`` is the Typer group; ``rounds/cli.py`` registers it with ``app.add_typer(demo_app)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rounds.demo.generator import SIZES, TIME_ZONE, generate, size_named
from rounds.demo.loader import DemoLoadError, LoadReport, builtin_token, load_provider
from rounds.demo.model import Provider
from rounds.infra.settings import DEFAULT_DATA_DIR

demo_app = typer.Typer(
    name="demo",
    help="A living demo provider: a realistic home care provider in North Yorkshire, made from a seed.",
    no_args_is_help=True,
)

SizeOption = Annotated[str, typer.Option(help=f"One of: {', '.join(SIZES)}.")]
SeedOption = Annotated[int, typer.Option(help="The same seed makes the same provider.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        help="The day the demo starts (YYYY-MM-DD); dates are counted from it.", show_default="today"
    ),
]


def _console() -> Console:
    return Console()


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(ZoneInfo(TIME_ZONE)).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-23", param_hint="--as-of") from None


def _provider(size: str, seed: int, as_of: str | None) -> Provider:
    try:
        size_named(size)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--size") from None
    return generate(size, seed, _as_of(as_of))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def provider_json(provider: Provider) -> str:
    """The whole provider as JSON (refs, not service ids), for other tools and for comparing runs."""
    return json.dumps(dataclasses.asdict(provider), default=_jsonable, indent=1)


@demo_app.command()
def show(
    size: SizeOption = "small",
    seed: SeedOption = 7,
    as_of: AsOfOption = None,
    out: Annotated[Path | None, typer.Option(help="Also write the whole provider as JSON here.")] = None,
) -> None:
    """Generate a provider and print what it holds, per locality (nothing is sent anywhere)."""
    provider = _provider(size, seed, as_of)
    console = _console()
    table = Table(title=f"{provider.name}: {size}, seed {seed}, from {provider.as_of}")
    for column in (
        "Locality",
        "County",
        "Workers",
        "Individuals",
        "Key people",
        "Visits Mon",
        "Double-ups Mon",
    ):
        table.add_column(
            column,
            justify="left" if column in ("Locality", "County") else "right",
            no_wrap=column == "Locality",
        )
    workers = Counter(w.locality for w in provider.workers)
    individuals = Counter(i.locality for i in provider.individuals)
    key_people = Counter(i.locality for i in provider.individuals for _ in i.key_people)
    monday = provider.visits_on(0)
    visits = Counter(i.locality for i, _ in monday)
    doubles = Counter(i.locality for i, v in monday if v.workers_required > 1)
    for locality in provider.localities:
        name = locality.name
        table.add_row(
            name,
            locality.county,
            f"{workers[name]:,}",
            f"{individuals[name]:,}",
            f"{key_people[name]:,}",
            f"{visits[name]:,}",
            f"{doubles[name]:,}",
        )
    summary = provider.summary()
    table.add_row(
        "all",
        "",
        f"{summary['workers']:,}",
        f"{summary['individuals']:,}",
        f"{summary['key_people']:,}",
        f"{summary['visits_on_monday']:,}",
        f"{sum(doubles.values()):,}",
        style="bold",
    )
    console.print(table)
    console.print(
        f"7-day service {provider.service_start:%H:%M}-{provider.service_end:%H:%M} ({provider.time_zone}); "
        f"{summary['visits_per_week']:,} visits a week, {summary['double_up_visits_per_week']:,} of them "
        f"double-ups; {summary['teams']} teams; {summary['on_call_shifts']} on-call shifts this week."
    )
    if out is not None:
        out.write_text(provider_json(provider), encoding="utf-8")
        console.print(f"Wrote {out}")


class _Bar:
    """The loader's progress as a rich progress bar, one line per phase."""

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


def _token(token: str | None, data_dir: Path) -> str:
    """The bearer token given, or one minted with the gateway's built-in issuer key in ``data_dir``."""
    return token or builtin_token(data_dir)


def _report_table(report: LoadReport) -> Table:
    table = Table(title="Demo load")
    table.add_column("Records")
    table.add_column("Created", justify="right")
    table.add_column("Already there", justify="right")
    table.add_column("Written (replaces)", justify="right")
    for kind in sorted(set(report.created) | set(report.existing) | set(report.written)):
        table.add_row(
            kind.replace("_", " "),
            f"{report.created[kind]:,}",
            f"{report.existing[kind]:,}",
            f"{report.written[kind]:,}",
        )
    return table


@demo_app.command()
def load(
    size: SizeOption = "small",
    seed: SeedOption = 7,
    as_of: AsOfOption = None,
    gateway: Annotated[str, typer.Option(help="The gateway's base URL.")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(envvar="ROUNDS_TOKEN", help="A bearer token; default: mint one.")
    ] = None,
    data_dir: Annotated[
        Path, typer.Option(envvar="ROUNDS_DATA_DIR", help="The gateway's data folder (its issuer key).")
    ] = DEFAULT_DATA_DIR,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight at once.")] = 8,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the load report as JSON here.")
    ] = None,
) -> None:
    """Load a generated provider through the gateway; run it again and it skips what is already there."""
    provider = _provider(size, seed, as_of)
    console = _console()
    try:
        bearer = _token(token, data_dir)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, disable=os.environ.get("ROUNDS_NO_PROGRESS") == "1") as bar:
            report = asyncio.run(
                load_provider(provider, gateway, bearer, concurrency=concurrency, progress=_Bar(bar))
            )
    except DemoLoadError as error:
        console.print(f"[red]Demo load stopped:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    console.print(_report_table(report))
    missing = [name for name, present in report.features.items() if not present]
    if missing:
        console.print(f"Not loaded (this platform's people API has no {', '.join(missing)} yet).")
    if json_out is not None:
        document = {"size": size, "seed": seed, "as_of": provider.as_of.isoformat(), **report.as_dict()}
        json_out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    # Until rounds/cli.py registers the group: ``python -m rounds.demo.cli load ...``.
    demo_app()
