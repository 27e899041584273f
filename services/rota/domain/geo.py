"""Places on the map, and the straight-line distance between them."""

from __future__ import annotations

import math
from dataclasses import dataclass

_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Location:
    """A point in WGS84 degrees."""

    lat: float
    lon: float

    def km_to(self, other: Location) -> float:
        """Great-circle (haversine) distance in kilometres."""
        phi1, phi2 = math.radians(self.lat), math.radians(other.lat)
        dphi = phi2 - phi1
        dlambda = math.radians(other.lon - self.lon)
        a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
        return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
