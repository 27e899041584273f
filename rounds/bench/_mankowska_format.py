"""Reading the Mankowska et al. (2014) home care instances and their best-known values (pure).

The text format (as mirrored in afkummer/gecco2020-brkga, parser ``src/Instance.cpp``) has named
sections: ``nbNodes``, ``nbVehi``, ``nbServi``, ``r`` (node x service requirement, 0/1), ``DS``
(1-based ids of the patients needing two services), ``a`` (caregiver x service qualification),
``x``, ``y``, ``d`` (node x node distance = travel time), ``p`` (processing time, one row per node
and caregiver, one column per service), ``mind``/``maxd`` (the gap between a patient's two
services), ``e``/``l`` (each node's window). Node 0 is the depot where every caregiver leaves at
time 0; the last node is the depot again (the return); nodes in between are patients.

A double service patient needs two services by two caregivers: simultaneous when ``mind`` is 0,
otherwise the higher-numbered service starts between ``mind`` and ``maxd`` after the lower one.
Processing time depends on the node and the service only (every caregiver's row is the same in all
70 instances; the reference parser reads the first caregiver's row, and so does this one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Mankowska's families by number of patients (A: 10 ... G: 300).
FAMILIES = {10: "A", 25: "B", 50: "C", 75: "D", 100: "E", 200: "F", 300: "G"}


@dataclass(frozen=True)
class Task:
    """One service a patient needs (a double service patient has two tasks)."""

    patient: int  # node index, 1..patients
    service: int  # 0-based service index


@dataclass(frozen=True)
class MankowskaInstance:
    """One instance, with 0-based node, caregiver and service indices (node 0 is the depot)."""

    name: str
    caregivers: int
    services: int
    requires: tuple[tuple[int, ...], ...]  # node -> services it needs (ascending)
    qualified: tuple[frozenset[int], ...]  # caregiver -> services they may do
    distance: tuple[tuple[float, ...], ...]
    processing: tuple[tuple[float, ...], ...]  # node -> service -> minutes
    min_gap: tuple[float, ...]
    max_gap: tuple[float, ...]
    earliest: tuple[float, ...]
    latest: tuple[float, ...]

    @property
    def patients(self) -> range:
        """Patient nodes (the depot's two copies excluded)."""
        return range(1, len(self.requires) - 1)

    @property
    def tasks(self) -> list[Task]:
        """Every service of every patient, a double service patient's lower service first."""
        return [Task(i, s) for i in self.patients for s in self.requires[i]]

    def is_double(self, patient: int) -> bool:
        """Whether the patient needs two services (by two caregivers)."""
        return len(self.requires[patient]) == 2

    @property
    def label(self) -> str:
        """Mankowska's short name, e.g. ``A1`` for ``InstanzCPLEX_HCSRP_10_1``."""
        return label_of(self.name)


def label_of(name: str) -> str:
    """Mankowska's short name of an instance file's stem (the stem itself when it is not one of hers)."""
    found = re.search(r"_(\d+)_(\d+)$", name)
    if not found or int(found.group(1)) not in FAMILIES:
        return name
    return f"{FAMILIES[int(found.group(1))]}{found.group(2)}"


def _sections(text: str) -> dict[str, list[str]]:
    names = {"nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l"}
    sections: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if line in names:
            current = line
            sections[current] = []
        elif line and current is not None:
            sections[current].append(line)
        elif line:
            raise ValueError(f"text before the first section: {line!r}")
    return sections


def parse_instance(text: str, name: str = "instance") -> MankowskaInstance:
    """An instance from the text of a Mankowska file; raises ValueError when a section is inconsistent."""
    parts = _sections(text)
    missing = {"nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "d", "p", "mind", "maxd", "e", "l"} - set(
        parts
    )
    if missing:
        raise ValueError(f"missing sections: {sorted(missing)}")
    nodes = int(parts["nbNodes"][0])
    caregivers = int(parts["nbVehi"][0])
    services = int(parts["nbServi"][0])

    def numbers(section: str) -> list[float]:
        return [float(v) for line in parts[section] for v in line.split()]

    def matrix(section: str, rows: int, columns: int) -> list[list[float]]:
        flat = numbers(section)
        if len(flat) != rows * columns:
            raise ValueError(f"section {section}: {len(flat)} values, expected {rows} x {columns}")
        return [flat[r * columns : (r + 1) * columns] for r in range(rows)]

    def vector(section: str) -> tuple[float, ...]:
        flat = numbers(section)
        if len(flat) != nodes:
            raise ValueError(f"section {section}: {len(flat)} values, expected {nodes}")
        return tuple(flat)

    need = matrix("r", nodes, services)
    requires = tuple(
        tuple(s for s in range(services) if need[i][s]) if 0 < i < nodes - 1 else () for i in range(nodes)
    )
    doubles = {int(v) - 1 for line in parts["DS"] for v in line.split()}
    for i in range(1, nodes - 1):
        expected = 2 if i in doubles else 1
        if len(requires[i]) != expected:
            raise ValueError(f"patient {i} needs {len(requires[i])} services, DS says {expected}")
    skills = matrix("a", caregivers, services)
    per_caregiver = matrix("p", nodes * caregivers, services)
    return MankowskaInstance(
        name=name,
        caregivers=caregivers,
        services=services,
        requires=requires,
        qualified=tuple(frozenset(s for s in range(services) if row[s]) for row in skills),
        distance=tuple(tuple(row) for row in matrix("d", nodes, nodes)),
        processing=tuple(tuple(per_caregiver[i * caregivers]) for i in range(nodes)),
        min_gap=vector("mind"),
        max_gap=vector("maxd"),
        earliest=vector("e"),
        latest=vector("l"),
    )


def read_instance(path: Path) -> MankowskaInstance:
    """An instance from a file (its stem is the name)."""
    return parse_instance(path.read_text(), path.stem)


@dataclass(frozen=True)
class BestKnown:
    """A published best-known solution's figures."""

    distance: float
    total_tardiness: float
    max_tardiness: float
    cost: float


def parse_best_known(text: str) -> dict[str, BestKnown]:
    """Best-known figures by instance stem from the markdown table of iolab-uniud/hhcrsp."""
    best: dict[str, BestKnown] = {}
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|:- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        row = dict(zip(header, cells, strict=False))
        best[Path(row["instance"]).stem] = BestKnown(
            distance=float(row["distance_traveled"]),
            total_tardiness=float(row["total_tardiness"]),
            max_tardiness=float(row["max_tardiness"]),
            cost=float(row["total_cost"]),
        )
    return best
