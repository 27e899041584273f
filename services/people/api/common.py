"""Pieces every people route shares: ETags and If-Match, cursors, the unit of work, shared shapes."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Header, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from rounds.infra.service import unit_of_work_from
from services.people.errors import Invalid, etag
from services.people.unit_of_work import PeopleUnitOfWork

UoW = Annotated[PeopleUnitOfWork, Depends(unit_of_work_from)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


def _wall_clock(value: time) -> time:
    # A wall-clock time belongs to no zone of its own: it is read in the provider's zone.
    return value.replace(tzinfo=None, microsecond=0)


def _show_wall_clock(value: time) -> str:
    return value.isoformat("minutes") if value.second == 0 else value.isoformat("seconds")


#: A local wall-clock time of day, ``HH:MM`` (or ``HH:MM:SS``), in the provider's zone. The schema says
#: so with a pattern: OpenAPI's ``format: time`` is RFC 3339's, which demands a UTC offset.
WallClock = Annotated[
    time,
    AfterValidator(_wall_clock),
    PlainSerializer(_show_wall_clock, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "Local wall-clock time in the provider's zone, HH:MM.",
            "examples": ["08:00"],
        }
    ),
]


class GeoIn(BaseModel):
    """A point in WGS84 degrees; out-of-range values are refused with 422."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, examples=[53.99])
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, examples=[-1.54])


IfMatch = Annotated[
    str | None,
    Header(
        description='The ETag you read (e.g. `"3"`). When it is no longer current the change is refused with '
        "412 and nothing is saved; without the header the change is applied to whatever is current."
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names (None for no header or ``*``)."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 9:
        raise Invalid.on("header.if-match", 'must be an ETag this service gave, such as "3"')
    return int(value)


def set_etag(response: Response, version: int) -> None:
    """Tell the caller the version they now hold."""
    response.headers["ETag"] = etag(version)


def encode_cursor(key: list[Any]) -> str:
    """An opaque cursor for the row after which the next page starts."""
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[Any] | None:
    """The sort key inside a cursor from :func:`encode_cursor`; 422 for one we did not give."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != size or not all(isinstance(k, str) for k in key):
        raise Invalid.on("query.cursor", "is not a cursor this service gave; start from the first page")
    return key


def link_next(response: Response, path: str, cursor: str | None, params: dict[str, Any]) -> None:
    """Point at the next page with ``Link: <...>; rel="next"`` and ``X-Next-Cursor``."""
    if cursor is None:
        return
    query = urlencode({**{k: v for k, v in params.items() if v is not None}, "cursor": cursor})
    response.headers["Link"] = f'<{path}?{query}>; rel="next"'
    response.headers["X-Next-Cursor"] = cursor
