"""The API (uvicorn) killed with SIGKILL mid-request, five times, and started again while journeys
run: no half-written rows (every client has its phone and its audit event, every ROI its programs
and its audit event, every referral its audit event), every draft ROI or pending referral left by
a kill has a workflow or an owed start for the recovery sweep, and every journey still ends
exactly once."""

from __future__ import annotations

from sqlalchemy import func, select

from connect.temporal import connect_client
from models.audit import AuditEvent
from models.clients.tables import Client, ClientPhone
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation, RoiProgram
from models.workflow_starts import WorkflowStart
from bench.chaos import chaos_stack, check_exactly_once, journeys_under_kills
from workflows.ids import referral_workflow_id, roi_workflow_id

JOURNEYS, KILLS = 20, 5


def _audited(db, entity_type: str, action: str) -> set[str]:
    return set(db.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity_type == entity_type,
                                                              AuditEvent.action == action)))


async def _has_workflow(temporal, workflow_id: str) -> bool:
    from temporalio.service import RPCError

    try:
        await temporal.get_workflow_handle(workflow_id).describe()
        return True
    except RPCError:
        return False


async def test_killing_the_api_mid_request_leaves_no_half_written_rows(tmp_path):
    async with chaos_stack(tmp_path, "api_kill") as chaos:
        referral_ids, _kills = await journeys_under_kills(chaos, JOURNEYS, KILLS, (0.5, 2.5), 5,
                                                          lambda: chaos.kill_and_restart("api"))
        assert chaos.retried, "no request was cut off: the kills tested nothing"

        temporal = await connect_client(chaos.stack.settings, address=chaos.stack.temporal_address)
        with chaos.db() as db:
            clients = set(db.scalars(select(Client.id)))
            assert clients == set(db.scalars(select(ClientPhone.client_id)))
            assert {str(c) for c in clients} == _audited(db, "client", "client.created")
            rois = db.execute(select(ReleaseOfInformation.id, ReleaseOfInformation.state)).all()
            assert {r for r, _ in rois} == set(db.scalars(
                select(RoiProgram.roi_id).group_by(RoiProgram.roi_id).having(func.count() == 2)))
            assert {str(r) for r, _ in rois} == _audited(db, "roi", "roi.created")
            referrals = set(db.scalars(select(Referral.id)))
            assert {str(r) for r in referrals} == _audited(db, "referral", "referral.created")
            owed = set(db.execute(select(WorkflowStart.kind, WorkflowStart.entity_id)).all())
            for roi_id, state in rois:  # a kill between the commit and the start leaves an owed start
                assert state != "draft" or ("roi", roi_id) in owed or await _has_workflow(
                    temporal, roi_workflow_id(roi_id)), f"draft ROI {roi_id} has no workflow and none owed"
            for rid in referrals:
                assert ("referral", rid) in owed or await _has_workflow(temporal, referral_workflow_id(rid))
        # The journeys' retries reused what the cut-off requests wrote: one client, ROI and
        # referral per journey, each closed exactly once.
        assert len(referral_ids) == JOURNEYS == len(referrals)
        await check_exactly_once(chaos, referral_ids)
