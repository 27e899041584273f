"""The partner feed: every change of every alert, pushed in order to a partner's endpoint, signed.

Partners (a local authority's case management, an out-of-hours service) receive batches of changes
as ``POST {"changes": [...]}`` with the same ``X-Rounds-Signature`` as notification webhooks. Each
change has the ``id`` of the timeline step: ids only grow, so a partner that sees an id it already
has ignores it (a batch is re-sent when the answer to it was lost). Notes, message bodies and
recipients stay inside the service: a change says what happened to which alert, not what was said.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import httpx

from rounds.infra.clock import Clock
from services.alerts.adapters.channels import SIGNATURE_HEADER, sign
from services.alerts.adapters.repository import TimelineEntry
from services.alerts.domain.delivery import Outcome

# The detail fields a partner may see; everything else on the timeline stays inside.
_SHARED_DETAIL = ("level", "owner_id", "severity", "previous", "kind", "outcome")


def change_payload(entry: TimelineEntry, locality: str, severity: str) -> dict[str, object]:
    """One timeline step as a partner sees it."""
    shared = {k: v for k, v in entry.detail.items() if k in _SHARED_DETAIL}
    return {
        "id": entry.id,
        "alert_id": str(entry.alert_id),
        "at": entry.at.isoformat(),
        "action": entry.action,
        "locality": locality,
        "severity": severity,
        "detail": shared,
    }


class PartnerFeed:
    """POSTs batches of alert changes to one partner endpoint."""

    name = "partner"

    def __init__(self, url: str, secret: bytes, client: httpx.AsyncClient, clock: Clock) -> None:
        self._url = url
        self._secret = secret
        self._client = client
        self._clock = clock

    async def push(self, changes: Sequence[dict[str, object]]) -> Outcome:
        """Send one batch; ok only when the partner answered 2xx."""
        body = json.dumps({"changes": list(changes)}, separators=(",", ":")).encode()
        now: datetime = self._clock.now()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, int(now.timestamp()), body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(ok=False, error=f"feed unreachable: {type(exc).__name__}")
        if response.is_success:
            return Outcome(ok=True, delivered=True)
        return Outcome(ok=False, error=f"feed answered {response.status_code}")
