"""Message templates per event type and language (000 P44, P45; people's ``language`` field).

Each template has a subject and a short body with ``{placeholders}``; times are shown on the
recipient's local clock. A language without a template falls back to English, and the language
actually used is recorded with the notification. Bodies say what changed and who to call; they never
carry access notes, health details or other restricted data (SMS and e-mail are not private).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from string import Formatter
from zoneinfo import ZoneInfo

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Template:
    """A subject and a body with ``{name}`` placeholders."""

    subject: str
    body: str


@dataclass(frozen=True)
class Message:
    """A rendered message and the language it is in."""

    kind: str
    language: str
    subject: str
    body: str


TEMPLATES: Mapping[tuple[str, str], Template] = {
    # To the on-call manager and whoever it escalates to.
    ("alert_raised", "en"): Template(
        "[{severity}] {title}", "{title}. Locality {locality}. Raised {time}. Acknowledge by {deadline}."
    ),
    ("alert_escalated", "en"): Template(
        "[{severity}] Escalated: {title}",
        "{title}. Not acknowledged in time, now with you. Locality {locality}. Acknowledge by {deadline}.",
    ),
    ("supervision_overdue", "en"): Template(
        "Supervision overdue: {title}", "{title}. Please arrange it. Acknowledge by {deadline}."
    ),
    # To the platform's operator (ROUNDS_ALERTS_OPERATOR_*): a message some service gave up on. Ids and
    # the cleaned error only, never the message's data.
    ("dead_letter", "en"): Template(
        "Rounds: a message could not be processed ({service})",
        "{consumer} could not process {event_type} from {topic} partition {partition} offset {offset}: "
        "{error} It is kept on {dead_letter_topic}; see GET /alerts/dead-letters.",
    ),
    # To individuals and key people (000 P44).
    ("visit_late", "en"): Template(
        "Your visit is running late",
        "Hello {name}, the {planned} visit to {individual} is running late. We are sorry. "
        "Call {office} if you need us.",
    ),
    ("visit_late", "cy"): Template(
        "Mae eich ymweliad yn hwyr",
        "Helo {name}, mae'r ymweliad {planned} i {individual} yn hwyr. Mae'n ddrwg gennym. "
        "Ffoniwch {office} os oes angen.",
    ),
    ("visit_late", "pl"): Template(
        "Wizyta jest opóźniona",
        "Dzień dobry {name}, wizyta o {planned} u {individual} jest opóźniona. Przepraszamy. "
        "W razie potrzeby prosimy dzwonić: {office}.",
    ),
    ("visit_missed", "en"): Template(
        "A visit was missed",
        "Hello {name}, the {planned} visit to {individual} did not happen. The on-call manager is "
        "arranging care now. Call {office} if you need us.",
    ),
    ("visit_missed", "cy"): Template(
        "Collwyd ymweliad",
        "Helo {name}, ni ddigwyddodd yr ymweliad {planned} i {individual}. Mae'r rheolwr ar alwad yn "
        "trefnu gofal nawr. Ffoniwch {office} os oes angen.",
    ),
    ("visit_changed", "en"): Template(
        "A visit has changed",
        "Hello {name}, the visit to {individual} planned for {previous} is now at {planned}.",
    ),
    ("visit_cancelled", "en"): Template(
        "A visit was cancelled", "Hello {name}, the {planned} visit to {individual} will not take place."
    ),
    ("care_status_changed", "en"): Template(
        "Care arrangements changed", "Hello {name}, {individual}'s care is now: {status}. {reason}"
    ),
    ("incident_reported", "en"): Template(
        "An incident was reported",
        "Hello {name}, an incident involving {individual} was reported at {time}. "
        "The on-call manager will contact you. Call {office} if you need us.",
    ),
    # To workers (000 P45).
    ("schedule_changed", "en"): Template(
        "Your schedule for {day} changed",
        "Hello {name}, your visits on {day} changed: {added} added, {removed} removed, {moved} moved. "
        "Open the app for the details.",
    ),
    ("schedule_changed", "pl"): Template(
        "Zmiana grafiku na {day}",
        "Dzień dobry {name}, zmiany w wizytach na {day}: dodane {added}, usunięte {removed}, "
        "przesunięte {moved}. Szczegóły w aplikacji.",
    ),
}


class MissingTemplate(LookupError):
    """No template for a message kind in any language (a programming error, not bad input)."""


def render(kind: str, language: str, values: Mapping[str, object]) -> Message:
    """The message ``kind`` in ``language`` (English when there is none in that language)."""
    used = language if (kind, language) in TEMPLATES else FALLBACK_LANGUAGE
    template = TEMPLATES.get((kind, used))
    if template is None:
        raise MissingTemplate(kind)
    return Message(kind, used, _fill(template.subject, values), _fill(template.body, values))


def _fill(text: str, values: Mapping[str, object]) -> str:
    # A missing value reads as a dash rather than failing the whole notification.
    names = {name for _, name, _, _ in Formatter().parse(text) if name}
    return text.format_map({n: values.get(n, "-") for n in names}).strip()


def local_clock(instant: datetime | None, zone: str) -> str:
    """``14:05`` on the recipient's clock (``-`` for no time)."""
    if instant is None:
        return "-"
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def local_day(instant: datetime, zone: str) -> str:
    """``Sun 29 Mar`` on the recipient's calendar."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b")
