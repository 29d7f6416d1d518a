"""Finishing work that was stored while Temporal could not be reached.

CONNECT writes to its database before it calls Temporal, so an outage never loses what people
did; it only delays what follows. Two kinds of rows wait for Temporal:

- a YES texted by a client (``inbound_sms`` with outcome ``consent_pending``): the ROI workflows
  waiting for it must get the ``client_said_yes`` signal, and then text the security code;
- a workflow start owed to a draft ROI or a pending referral (``workflow_start`` rows): the API
  created the row but could not start ``roi-<id>`` / ``referral-<id>``.

`recover` passes them on. The worker runs it from the ``recovery-sweep`` schedule every minute,
and the worker and the API trigger that schedule when they start, so recovery begins as soon as
Temporal and a worker are back. Each step is idempotent in effect: the ROI workflow ignores a YES
it already acted on (and keys the code it texts by the inbound text's id), and starts reuse a
running workflow, so a sweep interrupted at any point and run again changes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from connect.settings import Settings
from connect.workflow_client import ensure_started, referral_run, roi_run, signal_if_running
from domain.referral_status import ReferralState
from domain.roi import RoiState
from models.referrals.tables import Referral
from models.releases.queries import rois_awaiting_yes, texts_awaiting_pass_on
from models.releases.tables import ReleaseOfInformation
from models.workflow_starts import ROI, WorkflowStart, owed_starts
from workflows.ids import referral_workflow_id, roi_workflow_id
from workflows.roi import RoiWorkflow
from workflows.recovery_contracts import RecoveryReport
from workflows.roi_contracts import ClientSaidYes

log = logging.getLogger(__name__)

# A start younger than this may still be under way in the API that owes it.
START_GRACE = timedelta(minutes=1)


async def signal_yes(client: Client, inbound_sms_id: int, roi_ids: list[int]) -> bool:
    """Passes a stored YES to each ROI workflow waiting for it. False when Temporal could not be
    reached: the text then stays pending for the sweep. An ended workflow needs nothing."""
    for roi_id in roi_ids:
        try:
            await signal_if_running(client, roi_workflow_id(roi_id), RoiWorkflow.client_said_yes,
                                    ClientSaidYes(inbound_sms_id))
        except RPCError as err:
            log.warning("inbound text %s not passed to roi-%s yet: %s", inbound_sms_id, roi_id, err.status)
            return False
        except Exception as exc:  # noqa: BLE001 - stored already; the sweep tries again
            log.warning("inbound text %s not passed to roi-%s yet: %s", inbound_sms_id, roi_id,
                        type(exc).__name__)
            return False
    return True


async def pass_on_pending_texts(session_factory: sessionmaker[Session], client: Client, limit: int = 200) -> int:
    """Signals the ROIs still waiting for each pending YES; returns how many texts went on."""
    passed = 0
    with session_factory() as db:
        for row in texts_awaiting_pass_on(db, limit):
            # The projection says which ROIs still wait for this number's YES; one that got a YES
            # meanwhile (a later text) is not waiting any more and is not signalled again.
            roi_ids = [roi.id for roi in rois_awaiting_yes(db, row.from_number)]
            if not await signal_yes(client, row.id, roi_ids):
                break  # Temporal is away again: the next sweep goes on
            row.outcome = "consent" if roi_ids else "no_pending"
            row.roi_id = roi_ids[0] if roi_ids else row.roi_id
            db.commit()
            passed += 1
    return passed


async def _running(client: Client, workflow_id: str) -> bool:
    try:
        described = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status == WorkflowExecutionStatus.RUNNING


async def _start_owed(db: Session, client: Client, settings: Settings, owed: WorkflowStart) -> bool | None:
    """Starts the workflow the row needs; True if it had none (repaired), False if it ran
    already, None if the row no longer needs one."""
    if owed.kind == ROI:
        roi = db.get(ReleaseOfInformation, owed.entity_id)
        if roi is None or roi.state != RoiState.DRAFT.value:
            return None
        if await _running(client, roi_workflow_id(roi.id)):
            return False
        await ensure_started(client, settings, roi_run(roi.id, roi.sending_program_id))
        return True
    referral = db.get(Referral, owed.entity_id)
    if referral is None or referral.state != ReferralState.PENDING.value:
        return None
    if await _running(client, referral_workflow_id(referral.id)):
        return False
    await ensure_started(client, settings, referral_run(referral))
    return True


async def start_owed_workflows(session_factory: sessionmaker[Session], client: Client, settings: Settings,
                               now: datetime, report: RecoveryReport, limit: int = 200) -> None:
    with session_factory() as db:
        for owed in owed_starts(db, now - START_GRACE, limit):
            outcome = await _start_owed(db, client, settings, owed)
            if outcome is True:
                report.workflows_started += 1
                log.warning("started the missing workflow of %s %s", owed.kind, owed.entity_id)
            elif outcome is None:
                report.starts_not_needed += 1
                log.info("%s %s no longer needs a workflow start", owed.kind, owed.entity_id)
            db.delete(owed)
            db.commit()


async def recover(session_factory: sessionmaker[Session], client: Client, settings: Settings,
                  now: datetime, limit: int = 200) -> RecoveryReport:
    """One pass over everything stored while Temporal was unreachable."""
    report = RecoveryReport(texts_passed_on=await pass_on_pending_texts(session_factory, client, limit))
    await start_owed_workflows(session_factory, client, settings, now, report, limit)
    return report
