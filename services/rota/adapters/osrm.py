"""Travel times from an OSRM-compatible routing server (the ``table`` service), behind TravelTimes.

``GET {base}/table/v1/{profile}/{lon,lat;...}?sources=..&destinations=..&annotations=duration``
answers ``{"code": "Ok", "durations": [[seconds, ...], ...]}``. Large matrices are asked for in
blocks of at most ``max_table_size`` places per side (OSRM's default limit is 100). A pair the
server cannot route (``null``) falls back to the straight-line estimate, so a plan is never built
on a missing number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import httpx

from services.rota.domain.geo import Location
from services.rota.domain.travel import StraightLineTravel

#: OSRM's profile for each of the rota's transport modes.
PROFILES = {"car": "driving", "bicycle": "cycling", "walk": "foot", "public_transport": "driving"}


class OsrmUnavailable(RuntimeError):
    """The routing server did not answer with a table."""


class OsrmTravel:
    """Matrices of travel minutes from an OSRM table service."""

    def __init__(
        self,
        base_url: str,
        *,
        max_table_size: int = 100,
        timeout_s: float = 10.0,
        fallback: StraightLineTravel | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._block = max_table_size // 2
        self._timeout = timeout_s
        self._fallback = fallback or StraightLineTravel()

    def matrix(self, places: Sequence[Location], mode: str) -> list[list[int]]:
        """The square matrix of travel minutes between ``places`` (rounded up)."""
        n = len(places)
        out = [[0] * n for _ in range(n)]
        blocks = [list(range(i, min(i + self._block, n))) for i in range(0, n, self._block)]
        with httpx.Client(timeout=self._timeout) as client:
            for rows in blocks:
                for columns in blocks:
                    durations = self._table(client, places, rows, columns, mode)
                    for a, i in enumerate(rows):
                        for b, j in enumerate(columns):
                            seconds = durations[a][b]
                            out[i][j] = (
                                0
                                if i == j
                                else math.ceil(seconds / 60)
                                if seconds is not None
                                else self._fallback.minutes(places[i], places[j], mode)
                            )
        return out

    def _table(
        self, client: httpx.Client, places: Sequence[Location], rows: list[int], columns: list[int], mode: str
    ) -> list[list[float | None]]:
        chosen = rows + [c for c in columns if c not in rows]
        position = {p: k for k, p in enumerate(chosen)}
        coordinates = ";".join(f"{places[p].lon:.6f},{places[p].lat:.6f}" for p in chosen)
        url = f"{self._base}/table/v1/{PROFILES.get(mode, 'driving')}/{coordinates}"
        params = {
            "sources": ";".join(str(position[r]) for r in rows),
            "destinations": ";".join(str(position[c]) for c in columns),
            "annotations": "duration",
        }
        try:
            response = client.get(url, params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OsrmUnavailable(f"routing server at {self._base} did not answer: {exc}") from exc
        if response.status_code != 200 or body.get("code") != "Ok":
            raise OsrmUnavailable(
                f"routing server answered {response.status_code}: {body.get('message', body)}"
            )
        durations: list[list[float | None]] = body["durations"]
        return durations
