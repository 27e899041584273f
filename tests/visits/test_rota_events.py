"""What a rota visit event becomes: the visit type and the home's coordinates when the rota sends them."""

from __future__ import annotations

from datetime import UTC, datetime

from rounds.contracts.rota import VisitCancelled, VisitPlace
from rounds.infra.cloudevents import Envelope
from services.visits.consumers import expected_visit
from services.visits.domain.geo import Point
from tests.visits.factories import expected_visit as planned
from tests.visits.factories import rota_event

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _envelope(event: object) -> Envelope:
    return Envelope.wrap(event, source="/rounds/rota", time=NOW, trace_headers={})  # type: ignore[arg-type]


def test_the_rotas_location_and_visit_kind_become_the_home_and_the_visit_type() -> None:
    event = rota_event(planned(), location=VisitPlace(lat=54.1, lon=-1.2), visit_kind="Morning Call")
    visit = expected_visit(event, _envelope(event))
    assert visit.home == Point(54.1, -1.2)
    assert visit.service_type == "morning_call"
    assert visit.rota_updated_at == NOW
    assert not visit.cancelled


def test_without_them_the_type_is_the_default_and_the_home_comes_from_people() -> None:
    event = rota_event(planned())
    visit = expected_visit(event, _envelope(event))
    assert (visit.home, visit.service_type) == (None, "personal_care")


def test_a_cancellation_is_a_cancelled_visit() -> None:
    source = rota_event(planned())
    event = VisitCancelled.model_validate(source.model_dump())
    assert expected_visit(event, _envelope(event)).cancelled
