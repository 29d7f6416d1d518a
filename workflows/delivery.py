"""Delivering the emails and texts an activity queued, each in its own retried activity."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import DeliverMessage

DB_ACTIVITY = dict(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(
        maximum_interval=timedelta(minutes=1),
        non_retryable_error_types=["DomainError", "NotAllowed", "ValidationFailed", "NotFound"],
    ),
)
# Mail servers and Twilio can be down for a while: keep trying for a day, a bit slower.
MESSAGE_ACTIVITY = dict(
    start_to_close_timeout=timedelta(seconds=60),
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10)),
)


async def deliver_all(outbox_ids: list[int]) -> None:
    await asyncio.gather(*(
        workflow.execute_activity("deliver_message", DeliverMessage(i), **MESSAGE_ACTIVITY)
        for i in outbox_ids
    ))
