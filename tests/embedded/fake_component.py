"""A stand-in for a Rounds process, for supervisor tests: ``python fake_component.py MODE PORT``.

Modes: ``serve`` answers 200 to every GET until stopped; ``once`` answers one GET, then exits 3;
``crash`` writes a line and exits 2 at once; ``hang`` never listens; ``stubborn`` serves and ignores
SIGTERM, so only SIGKILL stops it.
"""

from __future__ import annotations

import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class _Ready(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ready"}')

    def log_message(self, format: str, *args: object) -> None:
        """Keep the log quiet: tests read it for the crash message."""


def main(mode: str, port: int) -> None:
    if mode == "crash":
        print("boom: cannot open the database", flush=True)
        sys.exit(2)
    if mode == "hang":
        time.sleep(3600)
    server = HTTPServer(("127.0.0.1", port), _Ready)
    if mode == "once":
        server.handle_request()
        sys.exit(3)
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
