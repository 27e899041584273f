"""Events the supervision service consumes: none yet."""

from __future__ import annotations

from rounds.infra.consumer import Subscriptions
from services.supervision.unit_of_work import SupervisionUnitOfWork

subscriptions: Subscriptions[SupervisionUnitOfWork] = Subscriptions()
