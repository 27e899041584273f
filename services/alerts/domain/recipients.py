"""Whether, when and how one person may be told something (000 P44, P45).

A key person hears only with consent, only about what they asked to hear about, and only while they
are an active key person. Everyone is written to in their language, in their preferred channel when
it can reach them (else the next that can), and nothing that can wait is sent in their quiet hours:
it is held until the quiet hours end, in their own time zone (DST days included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class RecipientKind(StrEnum):
    """Who a message is for (the contract's ``RecipientKind``)."""

    WORKER = "worker"
    INDIVIDUAL = "individual"
    KEY_PERSON = "key_person"
    MANAGER = "manager"


class ChannelName(StrEnum):
    """Ways a message can leave (the contract's ``Channel``)."""

    WEBHOOK = "webhook"  # the partner app the person uses (worker app, family app), signed
    EMAIL = "email"
    SMS = "sms"
    LOG = "log"  # the embedded default: written to the service log


@dataclass(frozen=True)
class Recipient:
    """A person as the alerts service knows them from people's events."""

    kind: RecipientKind
    id: str
    name: str
    language: str = "en"
    preferred_channel: ChannelName | None = None
    email: str | None = None
    phone: str | None = None
    uses_app: bool = False  # reachable through a partner app by webhook
    consent: bool = True  # key people must have consented (people's consent_to_be_informed)
    informed_of: frozenset[str] | None = None  # None: no restriction (workers, individuals, managers)
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str = "Europe/London"
    active: bool = True

    def address(self, channel: ChannelName) -> str | None:
        """Where ``channel`` reaches this person, or None when it cannot."""
        if channel is ChannelName.EMAIL:
            return self.email
        if channel is ChannelName.SMS:
            return self.phone
        if channel is ChannelName.WEBHOOK:
            return f"{self.kind.value}:{self.id}" if self.uses_app else None
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True)
class Send:
    """Send on ``channel`` to ``address``, not before ``not_before``."""

    channel: ChannelName
    address: str
    not_before: datetime
    held_for_quiet_hours: bool


@dataclass(frozen=True)
class Withhold:
    """Do not send, and why (recorded, so a family's question "why was I not told" has an answer)."""

    reason: str


# When the preferred channel cannot reach someone, the next that can.
_FALLBACK = (ChannelName.WEBHOOK, ChannelName.SMS, ChannelName.EMAIL)


def plan(
    recipient: Recipient,
    topic: str | None,
    now: datetime,
    urgent: bool = False,
    log_fallback: bool = True,
    available: frozenset[ChannelName] | None = None,
) -> Send | Withhold:
    """How to tell ``recipient`` about ``topic`` (a consent word such as ``missed_visits``) at ``now``.

    ``urgent`` messages ignore quiet hours (an on-call manager, a worker's SOS). ``log_fallback`` lets
    the embedded default write to its log when nothing else reaches the person. ``available`` are the
    channels this installation has configured (None: all of them).
    """
    if not recipient.active:
        return Withhold("no longer an active contact")
    if recipient.kind is RecipientKind.KEY_PERSON and not recipient.consent:
        return Withhold("has not consented to be informed")  # 000 P44: only with consent
    if recipient.informed_of is not None and topic is not None and topic not in recipient.informed_of:
        return Withhold(f"has not asked to hear about {topic}")
    channel = _channel(recipient, log_fallback, available)
    if channel is None:
        return Withhold("no channel reaches this person")
    address = recipient.address(channel)
    assert address is not None  # _channel only returns a channel with an address
    if urgent:
        return Send(channel, address, now, held_for_quiet_hours=False)
    ends = quiet_hours_end(recipient, now)
    return Send(channel, address, ends or now, held_for_quiet_hours=ends is not None)


def _channel(
    recipient: Recipient, log_fallback: bool, available: frozenset[ChannelName] | None
) -> ChannelName | None:
    def usable(channel: ChannelName) -> bool:
        configured = available is None or channel in available
        return configured and recipient.address(channel) is not None

    preferred = recipient.preferred_channel
    if preferred is not None and usable(preferred):
        return preferred
    for channel in _FALLBACK:
        if usable(channel):
            return channel
    return ChannelName.LOG if log_fallback else None


def quiet_hours_end(recipient: Recipient, now: datetime) -> datetime | None:
    """The UTC instant ``recipient``'s quiet hours end if ``now`` is inside them, else None.

    Quiet hours are local wall-clock times and may wrap midnight (22:00-07:00). The end is found on
    the local calendar and turned into an instant with the zone's rules of that day, so a night that
    loses or gains an hour still ends at 07:00 on the clock.
    """
    start, end = recipient.quiet_start, recipient.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(recipient.time_zone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    wraps = start > end
    inside = (clock >= start or clock < end) if wraps else (start <= clock < end)
    if not inside:
        return None
    day = local.date()
    if wraps and clock >= start:
        day += timedelta(days=1)
    return _instant(datetime.combine(day, end), zone)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    # A wall time that does not exist (the spring gap) is moved forward to the first one that does.
    aware = wall.replace(tzinfo=zone)
    utc = aware.astimezone(ZoneInfo("UTC"))
    if utc.astimezone(zone).replace(tzinfo=None) != wall:
        return (aware + timedelta(hours=1)).astimezone(ZoneInfo("UTC"))
    return utc


def parse_clock(text: str | None) -> time | None:
    """``"22:00"`` as a time; None for None or a value that is not ``HH:MM``."""
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None
