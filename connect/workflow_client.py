"""The one way CONNECT reaches its record workflows: the API, the seed, the recovery sweep and the
activities start, update and signal `roi-<id>`, `referral-<id>` and the MOU workflows only here.

A workflow is described by a `WorkflowRun` (what to start if no run is open: the workflow, its
input, its id and its search attributes), built by one function per workflow (`roi_run`,
`referral_run`, `mou_run`). Every change is then one
call, `update`: update-with-start with the caller's update id, so the same id twice is one
change, a missing workflow is started by the change that needs it, and the same validators
decide either way. A record whose workflow has ended for good (a final ROI, a closed, declined
or withdrawn referral other than for reopening) is refused by its caller from the database
before this is called, so no change starts a run only to be refused. `ensure_started` starts a run without a change (a new draft ROI, a saved
referral, the seed, the recovery sweep).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from connect.settings import Settings
from domain.referral_status import ReferralState, ServiceStatus
from models.referrals.tables import Referral
from workflows import search_attributes as sa
from workflows.ids import mou_workflow_id, outbox_workflow_id, referral_workflow_id, roi_workflow_id
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MouInput, MouKind
from workflows.outbox import DeliverOutboxWorkflow
from workflows.outbox_contracts import DeliverOutbox
from workflows.policy import DEFAULT_POLICY, TimerPolicy
from workflows.referral import ReferralWorkflow
from workflows.referral_contracts import ReferralInput, ReferralWorkflowState, RoiRevoked
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import RoiInput


@dataclass(frozen=True)
class WorkflowRun:
    """What starting one record's workflow takes, if no run of it is open."""

    run: Callable
    arg: Any
    id: str
    search_attributes: TypedSearchAttributes

    def options(self, settings: Settings) -> dict[str, Any]:
        return dict(id=self.id, task_queue=settings.temporal_task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    search_attributes=self.search_attributes)


# --- one function per workflow -----------------------------------------------------------------


def roi_run(roi_id: int, sending_program_id: int, policy: TimerPolicy | None = None) -> WorkflowRun:
    """`roi-<id>` for a draft ROI row."""
    inp = RoiInput(roi_id, sending_program_id, policy or DEFAULT_POLICY)
    return WorkflowRun(RoiWorkflow.run, inp, roi_workflow_id(roi_id),
                       sa.typed(sa.roi_attributes(inp.sending_program_id)))


def referral_input(row: Referral, policy: TimerPolicy | None = None) -> ReferralInput:
    """The referral workflow's starting state, read from the projection (ids, states and deadlines
    only)."""
    policy = policy or DEFAULT_POLICY
    nudge_at, escalate_at = row.nudge_due_at, row.escalation_due_at
    if row.sent_at is not None and (nudge_at is None or escalate_at is None):
        # sent before the deadlines were stored: compute them as at send
        computed = policy.referral_deadlines(row.sent_at)
        nudge_at, escalate_at = nudge_at or computed[0], escalate_at or computed[1]
    state = ReferralWorkflowState(
        referral_id=row.id,
        sending_program_id=row.sending_program_id,
        receiving_program_id=row.receiving_program_id,
        receiving_region=row.receiving_program.region,
        sender_user_id=row.sender_user_id,
        state=ReferralState(row.state),
        service_status=ServiceStatus(row.service_status) if row.service_status else None,
        assignee_id=row.assigned_provider_id,
        assignee_name=row.assignee.full_name if row.assignee else "",
        sent_at=row.sent_at,
        nudge_at=nudge_at,
        escalate_at=escalate_at,
        nudged=row.nudged_at is not None,
        escalated=row.escalated_at is not None,
    )
    return ReferralInput(state, policy)


def referral_run(row: Referral, policy: TimerPolicy | None = None) -> WorkflowRun:
    """`referral-<id>`, started from the projection: a new referral, one whose run was lost, or a
    closed one being reopened."""
    inp = referral_input(row, policy)
    return WorkflowRun(ReferralWorkflow.run, inp, referral_workflow_id(row.id),
                       sa.typed(sa.referral_attributes(inp.state)))


def mou_run(kind: MouKind, subject_id: int, expires_on: date | None = None,
            policy: TimerPolicy | None = None) -> WorkflowRun:
    """The user or agency MOU renewal workflow of a person or a program."""
    inp = MouInput(kind, subject_id, expires_on, policy or DEFAULT_POLICY)
    return WorkflowRun(MouRenewalWorkflow.run, inp, mou_workflow_id(kind, subject_id),
                       sa.typed(sa.mou_attributes(kind)))


# --- starting, changing, telling ---------------------------------------------------------------


async def ensure_started(client: Client, settings: Settings, run: WorkflowRun) -> None:
    """Starts the workflow unless a run of it is open (then nothing happens)."""
    await client.start_workflow(run.run, run.arg, **run.options(settings))


async def update(client: Client, settings: Settings, run: WorkflowRun, update_fn, request, *,
                 update_id: str | None = None):
    """Runs one update (``ReferralWorkflow.assign``, ``RoiWorkflow.complete``, ...) on the record's
    workflow, starting it first if no run is open. ``update_id`` is the caller's idempotency key:
    the same id twice is one change (a new id is made when the caller has none)."""
    start = WithStartWorkflowOperation(run.run, run.arg, **run.options(settings))
    try:
        return await client.execute_update_with_start_workflow(
            update_fn, request, start_workflow_operation=start, id=update_id or str(uuid.uuid4()))
    finally:
        # The SDK settles the start operation before the call returns or raises, and keeps the
        # call's error there too. Taking it (done, so this does not wait) keeps asyncio from
        # logging "Future exception was never retrieved" for every 503.
        with suppress(Exception):
            await asyncio.wait_for(start.workflow_handle(), timeout=1)


async def signal_if_running(client: Client, workflow_id: str, signal, arg) -> bool:
    """Sends a signal; False if the workflow has no open run (nothing is waiting for it)."""
    try:
        await client.get_workflow_handle(workflow_id).signal(signal, arg)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def tell_referral_roi_revoked(client: Client, referral_id: int, event: RoiRevoked) -> bool:
    """Tells a referral's workflow that an ROI it was saved under was revoked; False if it has no
    open run."""
    return await signal_if_running(client, referral_workflow_id(referral_id), ReferralWorkflow.roi_revoked, event)


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
        search_attributes=sa.typed({sa.CONNECT_KIND: "outbox"}),
    )
