"""Delivering the emails and texts an activity queued, each in its own retried activity."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.outbox_contracts import DeliverMessage, MessagingActivitiesContract
    from workflows.failures import BUSINESS_TYPES
    from workflows.policy import TimerPolicy

# Timeouts: every activity heartbeats while it runs (activities.heartbeats), so a worker killed
# mid-activity is noticed after HEARTBEAT seconds and the activity retried, instead of waiting
# out start-to-close. Start-to-close bounds one attempt that hangs while its worker lives.
HEARTBEAT = timedelta(seconds=5)
DB_ACTIVITY = dict(
    start_to_close_timeout=timedelta(seconds=30),
    heartbeat_timeout=HEARTBEAT,
    retry_policy=RetryPolicy(
        maximum_interval=timedelta(minutes=1),
        non_retryable_error_types=list(BUSINESS_TYPES),
    ),
)


def db_step(policy: TimerPolicy) -> dict:
    """The options of a database activity a person's change (an update) waits for: retried like
    DB_ACTIVITY, but given up after ``policy.db_step_timeout_seconds``. The update then fails,
    its mark is undone and the API answers 503 ``database_unavailable``; timers, notices and
    sweeps (DB_ACTIVITY) keep retrying until the database is back, as nobody waits for them."""
    return {**DB_ACTIVITY, "schedule_to_close_timeout": timedelta(seconds=policy.db_step_timeout_seconds)}


# Mail servers and Twilio can be down for a while: keep trying for a day, a bit slower. One
# attempt is one connection with a 30-second socket timeout.
MESSAGE_ACTIVITY = dict(
    start_to_close_timeout=timedelta(seconds=60),
    heartbeat_timeout=HEARTBEAT,
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10)),
)


async def deliver_all(outbox_ids: list[int]) -> None:
    await asyncio.gather(*(
        workflow.execute_activity_method(MessagingActivitiesContract.deliver_message, DeliverMessage(i),
                                         **MESSAGE_ACTIVITY)
        for i in outbox_ids
    ))
