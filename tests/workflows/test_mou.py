"""The MOU renewal workflow on the real dev server (sign, re-sign, who may sign) and on the
time-skipping server (the year: remind, lapse)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from temporalio.client import Client

from connect.workflow_client import ensure_started, mou_run
from domain.montana import LOCAL
from tests.mou_support import sign_mou
from workflows.ids import mou_workflow_id
from models.accounts.tables import User, UserMou
from models.messages.tables import Notification
from models.agencies.tables import AgencyMou, Program
from tests.factories import eventually as _eventually
from tests.factories import make_program, make_user, montana_today
from workflows import search_attributes as sa
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MOU_VERSION, MouKind, SignMou
from workflows.policy import TimerPolicy


async def test_user_signs_mou_through_the_workflow(db, worker, temporal_client, settings):
    user = make_user(db, mou_signed=False)
    db.commit()
    signed = await sign_mou(temporal_client, settings, MouKind.USER, user.id,
                            SignMou(user.id, "Terry Q. Tester", MOU_VERSION, "abc123"))
    assert signed.expires_on > montana_today()
    db.expire_all()
    assert db.get(User, user.id).mou_expires_on == signed.expires_on
    row = db.scalar(select(UserMou).where(UserMou.user_id == user.id))
    assert row.signed_name == "Terry Q. Tester" and row.version == MOU_VERSION

    handle = temporal_client.get_workflow_handle(mou_workflow_id(MouKind.USER, user.id))
    state = await handle.query(MouRenewalWorkflow.state)
    assert state.status == "valid"
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.MOU_STATUS) == "valid"
    assert desc.typed_search_attributes.get(sa.CONNECT_KIND) == "user-mou"


async def test_agency_mou_reminds_then_lapses(db, year_skipping_env, settings, email_outbox):
    """On the time-skipping server: the 30-day reminder at 9:00 thirty days before the MOU's last
    day, then the lapse, a year after signing."""
    env = year_skipping_env
    program = make_program(db, mou_valid=False)
    gk = make_user(db, "gk@example.org", gatekeeper_of=(program,))
    db.commit()
    policy = TimerPolicy(reminder_days_before=(30,))
    await sign_mou(env.client, settings, MouKind.AGENCY, program.id,
                   SignMou(gk.id, "Gina Gatekeeper", MOU_VERSION, "h", program.id), policy)
    db.expire_all()
    assert db.get(Program, program.id).mou_expires_on is not None
    assert db.scalar(select(AgencyMou).where(AgencyMou.program_id == program.id)) is not None

    await env.sleep(timedelta(days=367))
    texts = notices(db, gk.id)
    left = [int(m[1]) for t in texts if (m := re.search(r"is due in (\d+) days", t))]
    assert left == [30], texts
    assert len(texts) == 2 and "has lapsed" in texts[1], texts
    await _eventually(lambda: len(email_outbox.to("gk@example.org")) >= 2)
    handle = env.client.get_workflow_handle(mou_workflow_id(MouKind.AGENCY, program.id))
    assert (await handle.query(MouRenewalWorkflow.state)).status == "lapsed"
    await handle.terminate()


async def test_a_wake_up_after_both_reminders_sends_only_the_notice_due_now(db, year_skipping_env, settings):
    """A run that wakes after both reminders' moments passed (250 and 150 days before the last day:
    a worker away, or a workflow started late) sends the one notice due now, saying the days truly
    left, not each reminder it missed; then the lapse."""
    env = year_skipping_env
    program = make_program(db, mou_valid=False)
    gk = make_user(db, name="Gina Gatekeeper", gatekeeper_of=(program,))
    db.commit()
    today = (await env.get_current_time()).astimezone(LOCAL).date()
    run = mou_run(MouKind.AGENCY, program.id, today + timedelta(days=100),
                  TimerPolicy(reminder_days_before=(250, 150)))
    await ensure_started(env.client, settings, run)
    handle = env.client.get_workflow_handle(run.id)
    try:
        got = await _eventually(lambda: notices(db, gk.id))
        assert len(got) == 1 and "is due in 100 days" in got[0], got
        await env.sleep(timedelta(days=101))
        got = notices(db, gk.id)
        assert len(got) == 2 and "has lapsed" in got[1], got
    finally:
        await handle.terminate()


def notices(db, user_id: int) -> list[str]:
    db.expire_all()
    return [n.text for n in db.scalars(select(Notification).where(Notification.user_id == user_id)
                                      .order_by(Notification.id))]


async def test_only_a_gatekeeper_can_sign_the_agency_mou(db, worker, temporal_client, settings):
    import pytest
    from temporalio.client import WorkflowUpdateFailedError

    program = make_program(db, mou_valid=False)
    provider = make_user(db, provider_of=(program,))
    db.commit()
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await sign_mou(temporal_client, settings, MouKind.AGENCY, program.id,
                       SignMou(provider.id, "Pat Provider", MOU_VERSION, "h", program.id))
    assert failure.value.cause.type == "NotAllowed"
    assert "Only a gatekeeper" in failure.value.cause.message
    db.expire_all()
    assert db.get(Program, program.id).mou_expires_on is None


async def test_history_holds_no_plaintext(db, worker, temporal_client, temporal_env, settings):
    user = make_user(db, mou_signed=False)
    db.commit()
    marker = "Zebulon Quixote Plaintextcheck"
    await sign_mou(temporal_client, settings, MouKind.USER, user.id, SignMou(user.id, marker, MOU_VERSION, "h"))
    raw = await Client.connect(temporal_client.service_client.config.target_host,
                               namespace=settings.temporal_namespace)  # no codec: sees what is stored
    history = await raw.get_workflow_handle(mou_workflow_id(MouKind.USER, user.id)).fetch_history()
    dump = history.to_json()
    assert "Zebulon" not in dump and "Plaintextcheck" not in dump
    assert "binary/encrypted" in dump or "YmluYXJ5L2VuY3J5cHRlZA" in dump
