"""Input of the workflow that delivers messages queued outside a workflow (by the API)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeliverOutbox:
    outbox_ids: list[int] = field(default_factory=list)
