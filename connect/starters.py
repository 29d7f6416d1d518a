"""Starting and driving workflows from the API, the CLI and the seed: one place for ids,
conflict policies and search attributes at start."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    WithStartWorkflowOperation,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from connect.settings import Settings
from workflows import search_attributes as sa
from workflows.ids import agency_mou_workflow_id, outbox_workflow_id, roi_workflow_id, user_mou_workflow_id
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MouInput, MouKind, MouSigned, SignMou
from workflows.outbox import DeliverOutboxWorkflow, SweepHeldOutboxWorkflow
from workflows.outbox_contracts import OUTBOX_SWEEP_SCHEDULE_ID, DeliverOutbox, SweepOutbox
from workflows.policy import TimerPolicy
from workflows.recovery import RecoverStrandedWorkflow
from workflows.recovery_contracts import RECOVERY_SCHEDULE_ID, RecoverStranded
from workflows.summary import SummariseClosedLoopWorkflow
from workflows.summary_contracts import SUMMARY_INTERVAL, SUMMARY_SCHEDULE_ID, SummariseClosedLoop
from workflows.webhook_contracts import WEBHOOK_SWEEP_SCHEDULE_ID, DispatchWebhooks
from workflows.webhooks import SweepWebhooksWorkflow


def mou_workflow_id(kind: MouKind, subject_id: int) -> str:
    return user_mou_workflow_id(subject_id) if kind is MouKind.USER else agency_mou_workflow_id(subject_id)


def _mou_start_options(settings: Settings, kind: MouKind, subject_id: int) -> dict:
    return dict(
        id=mou_workflow_id(kind, subject_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes([SearchAttributePair(sa.CONNECT_KIND, f"{kind.value}-mou")]),
    )


async def ensure_mou_workflow(client: Client, settings: Settings, kind: MouKind, subject_id: int,
                              expires_on: date | None, policy: TimerPolicy | None = None) -> None:
    """Starts the MOU renewal workflow unless it already runs."""
    await client.start_workflow(
        MouRenewalWorkflow.run, MouInput(kind, subject_id, expires_on, policy or TimerPolicy()),
        **_mou_start_options(settings, kind, subject_id),
    )


async def sign_mou(client: Client, settings: Settings, kind: MouKind, subject_id: int,
                   request: SignMou, policy: TimerPolicy | None = None, *,
                   update_id: str | None = None) -> MouSigned:
    """Signs through the workflow, starting it first if it does not run yet. ``update_id`` is the
    idempotency key: the same id twice is one signature."""
    op = WithStartWorkflowOperation(
        MouRenewalWorkflow.run, MouInput(kind, subject_id, None, policy or TimerPolicy()),
        **_mou_start_options(settings, kind, subject_id),
    )
    return await execute_update_with_start(client, MouRenewalWorkflow.sign, request, op, update_id)


async def execute_update_with_start(client: Client, update, request, start: WithStartWorkflowOperation,
                                    update_id: str | None):
    """``client.execute_update_with_start_workflow``, for a caller that never asks for the started
    workflow's handle. When the call fails (Temporal unreachable, or a bounded wait that ran out
    cancelled it), the SDK leaves the error in the operation's handle as well; taking it here
    keeps asyncio from logging "Future exception was never retrieved" for every such 503."""
    try:
        return await client.execute_update_with_start_workflow(
            update, request, start_workflow_operation=start, id=update_id or str(uuid.uuid4()))
    finally:
        handle = start._workflow_handle  # the SDK offers only an await of it, which could wait forever
        if handle.done() and not handle.cancelled():
            handle.exception()


async def start_roi_workflow(client: Client, settings: Settings, roi_id: int, sending_program_id: int,
                             policy: TimerPolicy | None = None) -> None:
    """Starts `roi-<id>` for a draft ROI row; a retry reuses the running workflow."""
    from workflows.roi import RoiWorkflow
    from workflows.roi_contracts import RoiInput

    await client.start_workflow(
        RoiWorkflow.run, RoiInput(roi_id, sending_program_id, policy or TimerPolicy()),
        id=roi_workflow_id(roi_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(sa.CONNECT_KIND, "roi"),
            SearchAttributePair(sa.ROI_STATUS, "draft"),
            SearchAttributePair(sa.SENDING_PROGRAM, str(sending_program_id)),
        ]),
    )


async def deliver_outbox(client: Client, settings: Settings, outbox_ids: list[int]) -> None:
    """Delivers messages queued (and committed) outside a workflow; a repeated call for the same
    messages joins the running delivery, and `deliver_message` never sends a message twice."""
    if not outbox_ids:
        return
    await client.start_workflow(
        DeliverOutboxWorkflow.run, DeliverOutbox(list(outbox_ids)),
        id=outbox_workflow_id(min(outbox_ids)),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes([SearchAttributePair(sa.CONNECT_KIND, "outbox")]),
    )


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
        typed_search_attributes=TypedSearchAttributes([SearchAttributePair(sa.CONNECT_KIND, "recovery-sweep")]),
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
        typed_search_attributes=TypedSearchAttributes([SearchAttributePair(sa.CONNECT_KIND, kind)]))


async def ensure_webhook_sweep(client: Client, settings: Settings, every: timedelta = OUTBOX_SWEEP_EVERY) -> None:
    """The schedule that starts webhook deliveries whose start was missed (Temporal unreachable
    right after the change, or a worker stopped between the commit and the start)."""
    await _ensure_schedule(client, WEBHOOK_SWEEP_SCHEDULE_ID, _sweep_action(
        SweepWebhooksWorkflow.run, DispatchWebhooks(), WEBHOOK_SWEEP_SCHEDULE_ID, "webhook-sweep", settings), every)
