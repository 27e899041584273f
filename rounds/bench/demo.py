"""``rounds bench demo``: how long the demo provider takes to generate, and its peak memory, per size.

Time is measured without tracing (best of ``--repeat`` runs); peak memory in a separate traced run
(``tracemalloc``, Python allocations of the generation alone, the provider included).
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rounds.bench._machine import machine_facts
from rounds.demo.generator import SIZES, generate

#: A fixed day, so every run of the benchmark makes the same providers.
AS_OF = date(2026, 11, 23)


def measure(size: str, seed: int, repeat: int) -> dict[str, Any]:
    """Seconds (best of ``repeat``) and peak traced bytes to generate ``size``, and what it made."""
    best = float("inf")
    summary: dict[str, int] = {}
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        provider = generate(size, seed, AS_OF)
        best = min(best, time.perf_counter() - started)
        summary = provider.summary()
        del provider
    gc.collect()
    tracemalloc.start()
    try:
        provider = generate(size, seed, AS_OF)
        _, peak = tracemalloc.get_traced_memory()
        del provider
    finally:
        tracemalloc.stop()
    return {
        "size": size,
        "seconds": round(best, 4),
        "peak_bytes": peak,
        "workers": summary["workers"],
        "individuals": summary["individuals"],
        "key_people": summary["key_people"],
        "visits_per_week": summary["visits_per_week"],
        "visits_per_second_generated": round(summary["visits_per_week"] / best) if best else None,
    }


def register(app: typer.Typer) -> None:
    """Add ``rounds bench demo``."""

    @app.command("demo")
    def bench_demo(
        size: Annotated[
            list[str] | None, typer.Option(help=f"Sizes to measure; repeatable. Default: {', '.join(SIZES)}.")
        ] = None,
        seed: Annotated[int, typer.Option(help="Seed of the generated providers.")] = 7,
        repeat: Annotated[int, typer.Option(min=1, help="Timed runs per size (the best counts).")] = 3,
        out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path("bench-demo.json"),
    ) -> None:
        """Time and peak memory of generating the demo provider, from a small branch to a national one."""
        sizes = size or list(SIZES)
        unknown = [s for s in sizes if s not in SIZES]
        if unknown:
            raise typer.BadParameter(
                f"unknown sizes {unknown}; choose from {', '.join(SIZES)}", param_hint="--size"
            )
        console = Console()
        results = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("generating", total=len(sizes))
            for name in sizes:
                progress.update(task, description=f"generating {name}")
                results.append(measure(name, seed, repeat))
                progress.advance(task)
        table = Table(title=f"Demo provider generation (seed {seed}, best of {repeat})")
        for column in ("Size", "Workers", "Individuals", "Visits/week", "Seconds", "Peak MiB"):
            table.add_column(column, justify="left" if column == "Size" else "right")
        for row in results:
            table.add_row(
                row["size"],
                f"{row['workers']:,}",
                f"{row['individuals']:,}",
                f"{row['visits_per_week']:,}",
                f"{row['seconds']:.3f}",
                f"{row['peak_bytes'] / 2**20:.1f}",
            )
        console.print(table)
        document = {
            "benchmark": "demo",
            "seed": seed,
            "repeat": repeat,
            "machine": machine_facts(),
            "results": results,
        }
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        console.print(f"Wrote {out}")
