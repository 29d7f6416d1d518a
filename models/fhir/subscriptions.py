"""FHIR subscriptions (R5 Subscriptions Backport for R4): what a machine client asked to be told
about, where, and how far its notifications have got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts.api_clients import ApiClient
from models.base import Base, utcnow


class FhirSubscription(Base):
    __tablename__ = "fhir_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(20))  # the resource type: Task or ServiceRequest
    filter: Mapped[str] = mapped_column(Text, default="")  # the filter criteria's query string
    endpoint: Mapped[str] = mapped_column(String(500))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)  # "Name: value", sent with each post
    heartbeat_seconds: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(String(20), default="requested")  # requested | active | error | off
    error: Mapped[str] = mapped_column(Text, default="")
    events_since_start: Mapped[int] = mapped_column(Integer, default=0)
    told_until: Mapped[datetime | None]
    """The last change time already notified: changes after it are the next notification's."""
    told_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The resources notified at exactly ``told_until`` (so one changed at the same instant is not lost)."""
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[ApiClient] = relationship()
