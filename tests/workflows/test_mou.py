"""The MOU renewal workflow on the real dev server: sign, remind, lapse, re-sign."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from temporalio.client import Client

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


async def test_agency_mou_reminds_then_lapses(db, worker, temporal_client, settings, email_outbox):
    program = make_program(db, mou_valid=False)
    gk = make_user(db, "gk@example.org", gatekeeper_of=(program,))
    db.commit()
    policy = TimerPolicy(year_override_seconds=3, reminder_days_before=(30,))
    # 30 of 365 days of a 3-second year: the reminder fires about 2.75 s after signing.
    await sign_mou(temporal_client, settings, MouKind.AGENCY, program.id,
                   SignMou(gk.id, "Gina Gatekeeper", MOU_VERSION, "h", program.id), policy)
    db.expire_all()
    assert db.get(Program, program.id).mou_expires_on is not None
    assert db.scalar(select(AgencyMou).where(AgencyMou.program_id == program.id)) is not None

    def kinds():
        db.expire_all()
        return [n.text for n in db.scalars(select(Notification).where(Notification.user_id == gk.id))]

    texts = await _eventually(lambda: len(kinds()) >= 2 and kinds())
    # The true time left: in a 3-second year a day is 8 ms, so the timer's own lag shows.
    left = [int(m[1]) for t in texts if (m := re.search(r"is due in (\d+) days", t))]
    assert len(left) == 1 and 20 <= left[0] <= 30, texts
    assert any("has lapsed" in t for t in texts)
    await _eventually(lambda: len(email_outbox.to("gk@example.org")) >= 2)
    handle = temporal_client.get_workflow_handle(mou_workflow_id(MouKind.AGENCY, program.id))
    assert (await handle.query(MouRenewalWorkflow.state)).status == "lapsed"


async def test_after_a_pause_only_the_notice_due_now_is_sent(db, temporal_client, settings, session_factory,
                                                              email_outbox, sms_outbox):
    from worker import build_worker

    paused = settings.model_copy(update={"temporal_task_queue": f"connect-pause-{uuid.uuid4().hex[:8]}"})

    def worker():
        return build_worker(temporal_client, paused, session_factory=session_factory,
                            email=email_outbox, sms=sms_outbox)

    program = make_program(db, mou_valid=False)
    gk = make_user(db, name="Gina Gatekeeper", gatekeeper_of=(program,))
    db.commit()
    # A 24-second year: the 250-day reminder comes 7.6 s after signing, the 150-day one at 14.1 s,
    # the lapse at 24 s. No worker runs from signing until 16 s: both reminders' moments pass.
    policy = TimerPolicy(year_override_seconds=24, reminder_days_before=(250, 150))
    async with worker():
        signed = await sign_mou(temporal_client, paused, MouKind.AGENCY, program.id,
                                SignMou(gk.id, "Gina Gatekeeper", MOU_VERSION, "h", program.id), policy)
    handle = temporal_client.get_workflow_handle(mou_workflow_id(MouKind.AGENCY, program.id))
    try:
        await asyncio.sleep(max(0.0, (signed.signed_at + timedelta(seconds=16)
                                      - datetime.now(timezone.utc)).total_seconds()))
        assert notices(db, gk.id) == []
        async with worker():
            got = await _eventually(lambda: len(notices(db, gk.id)) >= 2 and notices(db, gk.id), timeout=30)
        assert len(got) == 2, got
        assert "is due in" in got[0] and "250 days" not in got[0] and "150 days" not in got[0]
        assert "has lapsed" in got[1]
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
