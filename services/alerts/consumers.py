"""Events the alerts service consumes: none yet."""

from __future__ import annotations

from rounds.infra.consumer import Subscriptions
from services.alerts.unit_of_work import AlertsUnitOfWork

subscriptions: Subscriptions[AlertsUnitOfWork] = Subscriptions()
