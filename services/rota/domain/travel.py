"""Travel times between places: a pluggable provider (straight line by default, a routing server later).

The rota asks for whole matrices, because both the solver and a routing server work best that way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from services.rota.domain.geo import Location

#: Average door-to-door speeds in km/h for each way a worker travels (urban home care, UK).
DEFAULT_SPEEDS_KMH: dict[str, float] = {"car": 30.0, "bicycle": 14.0, "public_transport": 16.0, "walk": 4.8}


class TravelTimes(Protocol):
    """Whole minutes to travel between each pair of ``places`` by ``mode`` (row = from, column = to)."""

    def matrix(self, places: Sequence[Location], mode: str) -> list[list[int]]:
        """The square matrix of travel minutes; the diagonal is zero."""
        ...


@dataclass(frozen=True)
class StraightLineTravel:
    """Haversine distance times a road factor (roads are not straight), at a speed per transport mode.

    A road factor of 1.3-1.4 is the usual ratio of road to straight-line distance in British towns.
    """

    road_factor: float = 1.35
    speeds_kmh: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))

    def minutes(self, a: Location, b: Location, mode: str) -> int:
        """Minutes from ``a`` to ``b``, rounded up so that a plan never assumes a faster journey."""
        if a == b:
            return 0
        speed = self.speeds_kmh.get(mode, self.speeds_kmh["car"])
        return math.ceil(a.km_to(b) * self.road_factor / speed * 60)

    def matrix(self, places: Sequence[Location], mode: str) -> list[list[int]]:
        """The square matrix of travel minutes between ``places``."""
        return [[self.minutes(a, b, mode) for b in places] for a in places]

    def km(self, a: Location, b: Location) -> float:
        """The estimated road distance in kilometres."""
        return a.km_to(b) * self.road_factor
