"""The OSRM adapter asks a table service in blocks and reads its answer (against a tiny local fake)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from services.rota.adapters.osrm import OsrmTravel, OsrmUnavailable
from services.rota.domain.geo import Location

PLACES = [Location(53.80 + i / 100, -1.55) for i in range(7)]


class FakeTable(BaseHTTPRequestHandler):
    """Durations of 90 s per step of latitude index; one pair is unroutable (null)."""

    requests: list[str] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        FakeTable.requests.append(url.path)
        if "/foot/" in url.path:
            self._send(400, {"code": "InvalidQuery", "message": "no foot profile here"})
            return
        coordinates = unquote(url.path).split("/", 4)[4].split(";")
        lats = [float(c.split(",")[1]) for c in coordinates]
        query = parse_qs(url.query)
        sources = [int(s) for s in query["sources"][0].split(";")]
        destinations = [int(d) for d in query["destinations"][0].split(";")]
        index = [round(lat * 100) - 5380 for lat in lats]
        unroutable = {(0, 6)}
        durations = [
            [
                None if (index[s], index[d]) in unroutable else abs(index[s] - index[d]) * 90
                for d in destinations
            ]
            for s in sources
        ]
        self._send(200, {"code": "Ok", "durations": durations})

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osrm_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTable)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTable.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_matrix_comes_from_the_table_service_in_blocks(osrm_url: str) -> None:
    matrix = OsrmTravel(osrm_url, max_table_size=6).matrix(PLACES, "car")
    assert matrix[0][1] == 2  # 90 s rounds up to 2 minutes
    assert matrix[2][4] == 3
    assert all(matrix[i][i] == 0 for i in range(7))
    assert len(FakeTable.requests) == 9  # 3 x 3 blocks of at most 3 places
    assert all("/table/v1/driving/" in path for path in FakeTable.requests)


def test_an_unroutable_pair_falls_back_to_the_straight_line(osrm_url: str) -> None:
    matrix = OsrmTravel(osrm_url).matrix(PLACES, "car")
    assert matrix[0][6] > 0


def test_a_refusing_server_is_reported_not_guessed(osrm_url: str) -> None:
    with pytest.raises(OsrmUnavailable, match="400"):
        OsrmTravel(osrm_url).matrix(PLACES, "walk")


def test_an_unreachable_server_is_reported() -> None:
    with pytest.raises(OsrmUnavailable):
        OsrmTravel("http://127.0.0.1:9", timeout_s=1).matrix(PLACES[:2], "car")
