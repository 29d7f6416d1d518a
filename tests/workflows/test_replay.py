"""Replays recorded workflow histories with today's workflow code, so a change that would break
running workflows fails here. Record new ones with `RECORD_HISTORIES=1 pytest tests/workflows/test_replay.py`
after a deliberate change (and guard the change with `workflow.patched`)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.mou_support import sign_mou
from workflows.ids import mou_workflow_id
from connect.temporal import data_converter
from tests.factories import make_program, make_user
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MOU_VERSION, MouKind, SignMou
from workflows.policy import TimerPolicy
from workflows.registry import WORKFLOWS

HISTORIES = Path(__file__).parent.parent / "histories"


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_replay(path: Path, settings):
    history = WorkflowHistory.from_json(path.stem.split("__")[0], path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter(settings))
    await replayer.replay_workflow(history)


def test_histories_are_recorded():
    assert recorded(), "tests/histories holds no recorded histories"


@pytest.mark.skipif(os.environ.get("RECORD_HISTORIES") != "1", reason="records only on request")
async def test_record_agency_mou_history(db, year_skipping_env, settings):
    """Signed, reminded 30 days before its last day, lapsed: a year on the time-skipping server."""
    env = year_skipping_env
    program = make_program(db, mou_valid=False)
    gk = make_user(db, gatekeeper_of=(program,))
    db.commit()
    await sign_mou(env.client, settings, MouKind.AGENCY, program.id,
                   SignMou(gk.id, "Recorded Signer", MOU_VERSION, "h", program.id),
                   TimerPolicy(reminder_days_before=(30,)))
    handle = env.client.get_workflow_handle(mou_workflow_id(MouKind.AGENCY, program.id))
    await env.sleep(timedelta(days=367))
    assert (await handle.query(MouRenewalWorkflow.state)).status == "lapsed"
    history = await handle.fetch_history()
    await handle.terminate()
    (HISTORIES / "agency-mou__signed-reminded-lapsed-one-notice-each.json").write_text(history.to_json())


@pytest.mark.skipif(os.environ.get("RECORD_HISTORIES") != "1", reason="records only on request")
async def test_record_referral_history(client, db, worker, temporal_client):
    """A referral's whole loop: saved, sent (its nudge and escalation timers started), assigned,
    reassigned, a call logged, progress, a status, closed (the run ends)."""
    from tests.referral_network import make_network, whole_loop
    from workflows.ids import referral_workflow_id

    rid = await whole_loop(client, db, make_network(db))
    handle = temporal_client.get_workflow_handle(referral_workflow_id(rid))
    await handle.result()
    history = await handle.fetch_history()
    # referral__sent-noted-...-closed.json is kept as recorded before the send's deadlines came
    # from a local activity (workflow.patched): it is what running referrals of then look like.
    name = "referral__deadlines-by-activity-sent-noted-assigned-reassigned-updated-closed.json"
    (HISTORIES / name).write_text(history.to_json())
