"""The schedules the worker keeps (each worker ensures them at start; the first creates them):
the outbox sweep, the closed-loop summary, the recovery sweep and the webhook sweep."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from connect.settings import Settings
from workflows import search_attributes as sa
from workflows.outbox import SweepHeldOutboxWorkflow
from workflows.outbox_contracts import OUTBOX_SWEEP_SCHEDULE_ID, SweepOutbox
from workflows.recovery import RecoverStrandedWorkflow
from workflows.recovery_contracts import RECOVERY_SCHEDULE_ID, RecoverStranded
from workflows.summary import SummariseClosedLoopWorkflow
from workflows.summary_contracts import SUMMARY_INTERVAL, SUMMARY_SCHEDULE_ID, SummariseClosedLoop
from workflows.webhook_contracts import WEBHOOK_SWEEP_SCHEDULE_ID, DispatchWebhooks
from workflows.webhooks import SweepWebhooksWorkflow


OUTBOX_SWEEP_EVERY = timedelta(minutes=5)


async def _ensure_schedule(client: Client, schedule_id: str, action: ScheduleActionStartWorkflow,
                           every: timedelta, *, trigger_now: bool = False) -> None:
    """Creates the schedule unless it exists (every worker calls this at start; the first one
    creates it). Overlapping runs are skipped."""
    try:
        await client.create_schedule(schedule_id, Schedule(
            action=action,
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        ), trigger_immediately=trigger_now)
    except ScheduleAlreadyRunningError:
        pass


async def ensure_outbox_sweep(client: Client, settings: Settings, every: timedelta = OUTBOX_SWEEP_EVERY) -> None:
    """The schedule of the outbox sweep (messages held while Temporal was unreachable)."""
    await _ensure_schedule(client, OUTBOX_SWEEP_SCHEDULE_ID, _sweep_action(
        SweepHeldOutboxWorkflow.run, SweepOutbox(), OUTBOX_SWEEP_SCHEDULE_ID, "outbox-sweep", settings), every)


async def ensure_summary_schedule(client: Client, settings: Settings) -> None:
    """The schedule that keeps the closed-loop dashboard's monthly summary: once at once, then
    every SUMMARY_INTERVAL."""
    await _ensure_schedule(client, SUMMARY_SCHEDULE_ID, ScheduleActionStartWorkflow(
        SummariseClosedLoopWorkflow.run, SummariseClosedLoop(), id=SUMMARY_SCHEDULE_ID,
        task_queue=settings.temporal_task_queue,
    ), SUMMARY_INTERVAL, trigger_now=True)


RECOVERY_SWEEP_EVERY = timedelta(minutes=1)


async def ensure_recovery_sweep(client: Client, settings: Settings, every: timedelta = RECOVERY_SWEEP_EVERY) -> None:
    """The schedule of the recovery sweep (connect.recovery): a YES texted while Temporal was
    down waits at most this long for its code once Temporal is back."""
    await _ensure_schedule(client, RECOVERY_SCHEDULE_ID, ScheduleActionStartWorkflow(
        RecoverStrandedWorkflow.run, RecoverStranded(), id=RECOVERY_SCHEDULE_ID,
        task_queue=settings.temporal_task_queue,
        typed_search_attributes=sa.typed({sa.CONNECT_KIND: "recovery-sweep"}),
    ), every)


async def trigger_recovery(client: Client) -> None:
    """Runs the recovery sweep now (at worker and API start): what waited for Temporal goes on at
    once instead of at the next tick."""
    await client.get_schedule_handle(RECOVERY_SCHEDULE_ID).trigger()


async def ensure_schedules(client: Client, settings: Settings) -> None:
    """Every schedule the worker keeps."""
    await ensure_outbox_sweep(client, settings)
    await ensure_summary_schedule(client, settings)
    await ensure_recovery_sweep(client, settings)
    await ensure_webhook_sweep(client, settings)


def _sweep_action(run, arg, schedule_id: str, kind: str, settings: Settings) -> ScheduleActionStartWorkflow:
    return ScheduleActionStartWorkflow(
        run, arg, id=schedule_id, task_queue=settings.temporal_task_queue,
        typed_search_attributes=sa.typed({sa.CONNECT_KIND: kind}))


async def ensure_webhook_sweep(client: Client, settings: Settings, every: timedelta = OUTBOX_SWEEP_EVERY) -> None:
    """The schedule that starts webhook deliveries whose start was missed (Temporal unreachable
    right after the change, or a worker stopped between the commit and the start)."""
    await _ensure_schedule(client, WEBHOOK_SWEEP_SCHEDULE_ID, _sweep_action(
        SweepWebhooksWorkflow.run, DispatchWebhooks(), WEBHOOK_SWEEP_SCHEDULE_ID, "webhook-sweep", settings), every)
