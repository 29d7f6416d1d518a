"""Starting and driving referral workflows from the API and the seed.

Every update goes through update-with-start: if `referral-<id>` runs, the update goes to it; if
its run has ended (a closed referral being reopened, or a workflow lost to an outage), a new run
starts from the database projection, and the same validators decide.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from connect.settings import Settings
from connect.starters import execute_update_with_start
from domain.referral_status import ReferralState, ServiceStatus
from models.referrals.tables import Referral
from workflows import search_attributes as sa
from workflows.ids import referral_workflow_id
from workflows.policy import TimerPolicy
from workflows.referral import ReferralWorkflow
from workflows.referral_contracts import ReferralInput, ReferralOutcome, ReferralWorkflowState


def workflow_input(row: Referral, policy: TimerPolicy | None = None) -> ReferralInput:
    """The workflow's starting state, read from the projection (ids, states and deadlines only)."""
    policy = policy or TimerPolicy()
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


def _start_options(settings: Settings, row: Referral) -> dict[str, Any]:
    pairs = [
        SearchAttributePair(sa.CONNECT_KIND, "referral"),
        SearchAttributePair(sa.REFERRAL_STATUS, row.state),
        SearchAttributePair(sa.SENDING_PROGRAM, str(row.sending_program_id)),
        SearchAttributePair(sa.RECEIVING_PROGRAM, str(row.receiving_program_id)),
        SearchAttributePair(sa.RECEIVING_REGION, str(row.receiving_program.region)),
        SearchAttributePair(sa.ESCALATED, "true" if row.escalated_at else "false"),
    ]
    return dict(
        id=referral_workflow_id(row.id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(pairs),
    )


async def ensure_referral_workflow(client: Client, settings: Settings, row: Referral,
                                   policy: TimerPolicy | None = None) -> None:
    """Starts `referral-<id>` from the projection unless it already runs."""
    await client.start_workflow(ReferralWorkflow.run, workflow_input(row, policy), **_start_options(settings, row))


async def update_referral(client: Client, settings: Settings, row: Referral, update, request,
                          *, update_id: str | None = None, policy: TimerPolicy | None = None) -> ReferralOutcome:
    """Runs one update (``ReferralWorkflow.assign`` ...) on the referral's workflow, starting it from
    the projection if no run is open. ``update_id`` is the idempotency key: the same id twice is
    one change."""
    start = WithStartWorkflowOperation(ReferralWorkflow.run, workflow_input(row, policy),
                                       **_start_options(settings, row))
    return await execute_update_with_start(client, update, request, start, update_id)
