"""Points on the map: homes and workers' home bases, in WGS84 degrees."""

from __future__ import annotations

from dataclasses import dataclass


class InvalidCoordinates(ValueError):
    """Coordinates outside the range of latitude or longitude, naming the one at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Coordinates:
    """A latitude and longitude, checked to their ranges when made."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        # NaN fails both comparisons, so it is refused too.
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidCoordinates("lat", "latitude must be between -90 and 90 degrees")
        if not -180.0 <= self.lon <= 180.0:
            raise InvalidCoordinates("lon", "longitude must be between -180 and 180 degrees")
