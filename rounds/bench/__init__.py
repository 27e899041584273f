"""``rounds bench ...``: benchmarks that print a table and write JSON.

Each module in this package that defines a module-level ``register(app: typer.Typer) -> None``
adds its own commands, so a new benchmark is a new module and nothing else. The modules load only
when ``rounds bench`` runs: they import the services and the solver, which every other command
(``rounds up`` and each process it starts) should not pay for.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import typer
from typer import _click as click  # Typer's own click, the one its groups are built on
from typer.core import TyperGroup


@cache
def _benchmarks() -> TyperGroup:
    inner = typer.Typer()
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(inner)
    return typer.main.get_group(inner)


class _BenchmarkGroup(TyperGroup):
    """Finds the benchmark commands on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return _benchmarks().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return _benchmarks().get_command(ctx, cmd_name)


bench_app = typer.Typer(
    name="bench",
    cls=_BenchmarkGroup,
    help="Benchmarks: each prints a table and writes JSON with the machine's cores and memory.",
    no_args_is_help=True,
)


@bench_app.callback()
def _bench() -> None:
    """Benchmarks: each prints a table and writes JSON with the machine's cores and memory."""
