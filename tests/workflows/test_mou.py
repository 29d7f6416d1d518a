"""The MOU renewal workflow on the real dev server: sign, remind, lapse, re-sign."""

from __future__ import annotations

from sqlalchemy import select
from temporalio.client import Client

from connect.starters import mou_workflow_id, sign_mou
from models.accounts import User, UserMou
from models.messages import Notification
from models.org import AgencyMou, Program
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
    assert any("is due in 30 days" in t for t in texts)
    assert any("has lapsed" in t for t in texts)
    await _eventually(lambda: len(email_outbox.to("gk@example.org")) >= 2)
    handle = temporal_client.get_workflow_handle(mou_workflow_id(MouKind.AGENCY, program.id))
    assert (await handle.query(MouRenewalWorkflow.state)).status == "lapsed"


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
