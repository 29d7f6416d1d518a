"""Inputs of message delivery: the activity that sends one outbox row, and the workflows that deliver
messages queued outside a workflow (by the API)."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import activity


@dataclass
class DeliverMessage:
    """Send one outbox row (email or SMS); used by every workflow that tells someone something."""

    outbox_id: int


@dataclass
class DeliverOutbox:
    outbox_ids: list[int] = field(default_factory=list)


@dataclass
class SweepOutbox:
    """One pass of the outbox sweep: at most ``limit`` held messages."""

    limit: int = 500


OUTBOX_SWEEP_SCHEDULE_ID = "outbox-sweep"

class MessagingActivitiesContract:
    """Delivering queued emails and texts (every workflow that tells people): named by method in
    the workflows, implemented by `activities.messaging.MessagingActivities` (docs/retries.md)."""

    @activity.defn
    async def deliver_message(self, request: DeliverMessage) -> str:
        raise NotImplementedError

    @activity.defn
    async def claim_held_messages(self, request: SweepOutbox) -> list[int]:
        raise NotImplementedError
