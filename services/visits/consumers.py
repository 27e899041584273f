"""Events the visits service consumes: none yet."""

from __future__ import annotations

from rounds.infra.consumer import Subscriptions
from services.visits.unit_of_work import VisitsUnitOfWork

subscriptions: Subscriptions[VisitsUnitOfWork] = Subscriptions()
