"""A worker's schedule as an iCalendar feed (RFC 5545) a phone can subscribe to (000 P18, P20).

Each visit is one VEVENT whose UID is the visit's id, so a calendar app updates the event in place
when the visit moves; SEQUENCE is the published version of that day's schedule, which only grows.
Times are UTC (``...Z``): the phone shows them in its own zone, and a clock change cannot shift them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

_LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarVisit:
    """One visit as the worker's calendar shows it."""

    visit_id: UUID
    start: datetime
    end: datetime
    summary: str
    address: str
    description: str
    sequence: int


def _text(value: str) -> str:
    """Escape TEXT values (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, continuing with a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= _LINE_OCTETS:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        limit = _LINE_OCTETS if not parts else _LINE_OCTETS - 1
        if len(current) + len(encoded) > limit:
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def calendar(name: str, visits: Iterable[CalendarVisit], stamp: datetime) -> str:
    """The VCALENDAR document, CRLF line endings, lines folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rounds//rota//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(name)}",
    ]
    for visit in visits:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{visit.visit_id}@rota.rounds",
            f"DTSTAMP:{_instant(stamp)}",
            f"DTSTART:{_instant(visit.start)}",
            f"DTEND:{_instant(visit.end)}",
            f"SEQUENCE:{visit.sequence}",
            f"SUMMARY:{_text(visit.summary)}",
            f"LOCATION:{_text(visit.address)}",
            f"DESCRIPTION:{_text(visit.description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
