"""Where a worker was when they checked in or out, against where the home is (EVV location)."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG): metres are what the threshold is set in


@dataclass(frozen=True)
class Point:
    """A WGS84 latitude and longitude in degrees."""

    lat: float
    lon: float


def distance_m(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance in metres; within 0.5 % of the ellipsoid, plenty for 150 m."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlambda = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
