"""Events the people service consumes: none yet; it is the source the others learn from."""

from __future__ import annotations

from rounds.infra.consumer import Subscriptions
from services.people.unit_of_work import PeopleUnitOfWork

subscriptions: Subscriptions[PeopleUnitOfWork] = Subscriptions()
