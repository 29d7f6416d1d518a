"""The MOU's renewal notices on the time-skipping test server: each says the days truly left, is
sent once, and a workflow started after its days sends only the notice due now. (A worker back
from a pause is in test_mou.py: the time-skipping server does not skip while a task waits.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connect.workflow_client import ensure_started, mou_run
from workflows.ids import mou_workflow_id
from models.messages.tables import Notification
from tests.factories import eventually, make_program, make_user
from workflows.clock import local_date
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MouKind


def texts(db, user_id: int) -> list[str]:
    db.expire_all()
    return [n.text for n in db.scalars(select(Notification).where(Notification.user_id == user_id)
                                      .order_by(Notification.id))]


async def settle(env, db, user_id: int, count: int) -> list[str]:
    """The user's notices once `count` have arrived, after a further quiet day to catch extras."""
    await eventually(lambda: len(texts(db, user_id)) >= count)
    await env.sleep(timedelta(days=1))
    return texts(db, user_id)


async def started(env, db, client, settings, days_left: int):
    """A program whose agency MOU lapses `days_left` days from the test server's today."""
    program = make_program(db, mou_valid=False)
    program.mou_expires_on = local_date(await env.get_current_time()) + timedelta(days=days_left)
    gk = make_user(db, gatekeeper_of=(program,))
    db.commit()
    await ensure_started(client, settings, mou_run(MouKind.AGENCY, program.id, program.mou_expires_on))
    return program, gk, client.get_workflow_handle(mou_workflow_id(MouKind.AGENCY, program.id))


async def test_a_lapsed_program_hears_only_that_it_lapsed(db, skipping_env, skipping_client, skipping_worker,
                                                         skipping_settings):
    program, gk, handle = await started(skipping_env, db, skipping_client, skipping_settings, days_left=-3)
    try:
        got = await settle(skipping_env, db, gk.id, 1)
        assert got == [f"The agency MOU of {program.display_name} has lapsed: the program is hidden "
                       "from the directory and cannot receive referrals until a gatekeeper signs it again."]
        assert (await handle.query(MouRenewalWorkflow.state)).status == "lapsed"
    finally:
        await handle.terminate()


async def test_each_notice_says_the_days_left_and_comes_once(db, skipping_env, skipping_client,
                                                             skipping_worker, skipping_settings):
    program, gk, handle = await started(skipping_env, db, skipping_client, skipping_settings, days_left=10)
    try:
        got = await settle(skipping_env, db, gk.id, 1)
        assert len(got) == 1 and f"{program.display_name} is due in 10 days." in got[0]
        await skipping_env.sleep(timedelta(days=3))  # the 7-day reminder, at 09:00 local
        got = await settle(skipping_env, db, gk.id, 2)
        assert len(got) == 2 and "is due in 7 days" in got[1]
        await skipping_env.sleep(timedelta(days=7))
        got = await settle(skipping_env, db, gk.id, 3)
        assert len(got) == 3 and "has lapsed" in got[2]
        assert not any("30 days" in t for t in got)
    finally:
        await handle.terminate()
