"""``rounds bench chart FILE.json``: PNG charts from a benchmark's JSON, for docs/benchmarks.md.

Which charts depend on the ``"benchmark"`` value in the JSON: ``CHARTS`` maps it to a function that
draws them, so a benchmark gets charts by adding one function and one entry here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from rounds.bench._charts import line_chart

INGEST = "telemetry ingest through the gateway"  # the "benchmark" value rounds/bench/ingest.py writes

Draw = Callable[[Mapping[str, Any], Path], list[Path]]


def chart_path(out: Path, stem: str, kind: str) -> Path:
    """Where a chart of ``kind`` goes: ``out/<stem>-<kind>.png`` for a folder, or for ``out`` = ``x.png``
    the same folder as ``x-<kind>.png`` (a benchmark draws several charts, so the name is a prefix)."""
    if out.suffix.lower() == ".png":
        return out.with_name(f"{out.stem}-{kind}.png")
    return out / f"{stem}-{kind}.png"


def machine_note(result: Mapping[str, Any]) -> str:
    """The machine and the run in one line, to print under a chart's title."""
    machine = result.get("machine", {})
    facts = [f"{machine.get('cores', '?')} cores"]
    if machine.get("memory_bytes"):
        facts.append(f"{machine['memory_bytes'] / 2**30:.1f} GiB")
    if machine.get("python"):
        facts.append(f"Python {machine['python']}")
    if result.get("ran_at"):
        facts.append(f"ran {str(result['ran_at'])[:16].replace('T', ' ')} UTC")
    return ", ".join(facts)


def ingest_charts(result: Mapping[str, Any], out: Path) -> list[Path]:
    """Latency percentiles (log scale) and accepted events/s, each against the offered load."""
    steps = result["steps"]
    offered = [float(step["offered_per_s"]) for step in steps]
    note = f"{result.get('database', '?')} database, {result.get('step_seconds', '?')} s per step; " + (
        machine_note(result)
    )
    latency = line_chart(
        chart_path(out, "bench-ingest", "latency"),
        "Ingest through the gateway: latency at rising offered load",
        "offered load (events/s, open loop)",
        "latency (ms, log scale)",
        {
            name: list(zip(offered, (float(step[f"{name}_ms"]) for step in steps), strict=True))
            for name in ("p50", "p95", "p99")
        },
        log_y=True,
        note=note,
    )
    throughput = line_chart(
        chart_path(out, "bench-ingest", "throughput"),
        "Ingest through the gateway: accepted against offered events/s",
        "offered load (events/s, open loop)",
        "events/s",
        {
            "accepted (201)": list(
                zip(offered, (float(step["accepted_per_s"]) for step in steps), strict=True)
            ),
            "offered (keeping up)": [(x, x) for x in offered],
        },
        note=note,
    )
    return [latency, throughput]


def day_charts(result: Mapping[str, Any], out: Path) -> list[Path]:
    """``rounds bench day``: consumer lag and outbox backlog over the day."""
    from rounds.bench.day import chart

    return [chart(dict(result), chart_path(out, "bench-day", "lag"))]


def alert_latency_charts(result: Mapping[str, Any], out: Path) -> list[Path]:
    """``rounds bench alert-latency``: each stage's cumulative distribution, the targets marked."""
    from rounds.bench.alert_latency import chart

    return [chart(dict(result), chart_path(out, "bench-alert-latency", "cdf"))]


CHARTS: dict[str, Draw] = {INGEST: ingest_charts, "day": day_charts, "alert-latency": alert_latency_charts}


def draw(result: Mapping[str, Any], out: Path) -> list[Path]:
    """The charts of this benchmark's JSON, written under ``out`` (see ``chart_path``); their paths.

    Raises ValueError for JSON of a benchmark with no charts, naming those that have them.
    """
    benchmark = result.get("benchmark")
    charts = CHARTS.get(benchmark) if isinstance(benchmark, str) else None
    if charts is None:
        known = ", ".join(repr(name) for name in sorted(CHARTS))
        raise ValueError(f"no charts for benchmark {benchmark!r}; charts exist for: {known}")
    return charts(result, out)


def register(app: typer.Typer) -> None:
    """Add ``rounds bench chart``."""

    @app.command("chart")
    def bench_chart(
        file: Annotated[
            Path, typer.Argument(exists=True, dir_okay=False, help="JSON written by a rounds bench command")
        ],
        out: Annotated[
            Path | None,
            typer.Option(
                help="a folder (charts named bench-<name>-<kind>.png) or x.png (charts named x-<kind>.png); "
                "default: the JSON's folder"
            ),
        ] = None,
    ) -> None:
        """PNG charts of a benchmark's JSON (e.g. latency and accepted events/s at rising load)."""
        console = Console()
        try:
            result = json.loads(file.read_text(encoding="utf-8"))
            if not isinstance(result, dict):
                raise ValueError("not a JSON object")
            paths = draw(result, out if out is not None else file.parent)
        except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError is a ValueError
            reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            console.print(f"[red]rounds bench chart cannot draw {escape(str(file))}:[/] {escape(reason)}")
            raise typer.Exit(1) from exc
        for path in paths:
            console.print(f"chart written to {path}")


__all__ = ["CHARTS", "chart_path", "draw", "machine_note", "register"]
