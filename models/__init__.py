"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from models import (  # noqa: F401
    accounts, api_clients, audit, clients, closed_loop_summary, fhir_clients, fhir_subscriptions, idempotency,
    messages, org,
    referrals, roi,
    webhooks, workflow_starts,
)
from models.base import Base

__all__ = ["Base"]
