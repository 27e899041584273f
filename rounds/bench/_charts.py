"""PNG charts for the benchmarks: lines over a measured axis, and cumulative distributions.

Drawn with matplotlib's ``Figure`` and the Agg canvas directly, not ``pyplot``: no global state, no
display, safe from any thread. matplotlib is imported inside the functions, because ``rounds bench``
imports every bench module to list its commands and most runs draw nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 9.0, 5.0, 110
SHARES_MARKED = (0.5, 0.99)  # the median and the p99 the benchmarks report


def _figure(title: str, note: str | None) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # attaches itself as the figure's canvas
    axes = figure.add_subplot()
    # The note (the machine, the run) sits under the title in small grey type, as part of the title.
    axes.set_title(title if note is None else f"{title}\n", fontsize=12)
    if note is not None:
        axes.text(
            0.5, 1.02, note, transform=axes.transAxes, ha="center", va="bottom", fontsize=8, color="0.35"
        )
    axes.grid(True, which="major", alpha=0.4)
    return figure, axes


def _saved(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI)
    return path


def line_chart(
    path: Path,
    title: str,
    x_label: str,
    y_label: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    log_y: bool = False,
    note: str | None = None,
) -> Path:
    """One line per named series of (x, y) points, with a legend; writes a PNG to ``path`` and returns it.

    Raises ValueError when there is no series or a series has no points: an empty chart would pass for
    a measured one in the docs.
    """
    if not series:
        raise ValueError(f"line chart {title!r}: no series to draw")
    empty = [name for name, points in series.items() if not points]
    if empty:
        raise ValueError(f"line chart {title!r}: series with no points: {', '.join(empty)}")
    figure, axes = _figure(title, note)
    for name, points in series.items():
        xs, ys = zip(*points, strict=True)
        axes.plot(xs, ys, marker="o", markersize=4, label=name)
    if log_y:
        axes.set_yscale("log")
        axes.grid(True, which="minor", alpha=0.15)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.legend()
    return _saved(figure, path)


def cdf_chart(
    path: Path,
    title: str,
    x_label: str,
    samples: Mapping[str, Sequence[float]],
    *,
    note: str | None = None,
    marks: Sequence[float] = (),
) -> Path:
    """The empirical cumulative distribution of each named sample set (y: share of samples <= x, 0..1).

    Dashed vertical lines at ``marks`` (a target, e.g. 1,000 ms), dotted horizontal ones at the median
    and p99. Writes a PNG to ``path`` and returns it; raises ValueError when a sample set is empty.
    """
    if not samples:
        raise ValueError(f"cdf chart {title!r}: no sample sets to draw")
    empty = [name for name, values in samples.items() if not values]
    if empty:
        raise ValueError(f"cdf chart {title!r}: sample sets with no values: {', '.join(empty)}")
    figure, axes = _figure(title, note)
    for name, values in samples.items():
        ordered = sorted(values)
        shares = [(rank + 1) / len(ordered) for rank in range(len(ordered))]
        axes.step(ordered, shares, where="post", label=f"{name} (n={len(ordered)})")
    for share in SHARES_MARKED:
        axes.axhline(share, linestyle=":", color="0.4", linewidth=1)
    for mark in marks:
        axes.axvline(mark, linestyle="--", color="tab:red", linewidth=1, label=f"{mark:g} {x_label}")
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel(x_label)
    axes.set_ylabel("share of samples at or below")
    axes.legend(loc="lower right")
    return _saved(figure, path)


__all__ = ["cdf_chart", "line_chart"]
