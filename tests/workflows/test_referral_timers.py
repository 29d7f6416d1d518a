"""The referral's timers on the time-skipping server: the next-business-day nudge and the
escalation after five business days (weekends and Montana holidays excluded), and their
cancellation by an assignment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

import connect.temporal
from connect.workflow_client import referral_run, update
from domain.business_days import is_business_day
from domain.montana import LOCAL
from domain.referral_status import ContactMethod, ContactOutcome, ServiceStatus
from models.messages.tables import Notification
from models.referrals.tables import Escalation, Referral
from tests.factories import make_program, make_signed_roi, make_user
from tests.referral_network import eventually, make_network
from worker import PASSTHROUGH
from workflows import search_attributes as sa
from workflows.ids import referral_workflow_id
from workflows.referral import ReferralWorkflow
from workflows.referral_contracts import (
    Acting,
    AddNote,
    AssignReferral,
    DeclineReferral,
    ReopenReferral,
    SendReferral,
    UpdateServiceStatus,
)


def _before_a_holiday(today: date) -> tuple[date, date]:
    """The next weekday Montana holiday at least two days away, and the business day before it."""
    day = today + timedelta(days=2)
    while is_business_day(day) or day.weekday() >= 5:
        day += timedelta(days=1)
    before = day - timedelta(days=1)
    while not is_business_day(before):
        before -= timedelta(days=1)
    return before, day


async def _move_to(env, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


def _pending_row(db, net) -> Referral:
    row = Referral(client_id=net.client.id, roi_id=net.roi.id, sending_program_id=net.sending.id,
                   receiving_program_id=net.receiving.id, sender_user_id=net.sender.id, state="pending",
                   reason="Needs counselling", form_data={"urgent": "no", "member_id": "A1"})
    db.add(row)
    db.commit()
    return row


def _bells(db, user, kind):
    db.expire_all()
    return db.scalars(select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)).all()


async def test_nudge_then_escalation_skip_the_weekend_and_the_holiday(db, time_skipping_env, settings,
                                                                      email_outbox):
    env = time_skipping_env
    net = make_network(db)
    counselling = make_program(db, "Community Counselling", services=("mental_health",))
    unrelated = make_program(db, "Tax Help", services=("financial_assistance",))
    make_signed_roi(db, net.client, net.sending, (counselling, unrelated), net.sender)
    state_team = make_user(db, "state@example.org", state_team=True)
    region_admin = make_user(db, "region@example.org", admin_regions=(net.receiving.region,))
    elsewhere = make_user(db, "elsewhere@example.org", admin_regions=(net.receiving.region % 5 + 1,))
    db.commit()
    email_outbox.sent.clear()

    today = (await env.get_current_time()).astimezone(LOCAL).date()
    send_day, holiday = _before_a_holiday(today)
    await _move_to(env, datetime.combine(send_day, time(10), tzinfo=LOCAL))
    row = _pending_row(db, net)
    await update(env.client, settings, referral_run(row), ReferralWorkflow.send,
                          SendReferral(Acting(net.sender.id, net.sending.id, False, True), insurance_confirmed=True))

    handle = env.client.get_workflow_handle(referral_workflow_id(row.id))
    state = await handle.query(ReferralWorkflow.state)
    nudge_day = state.nudge_at.astimezone(LOCAL)
    escalation_day = state.escalate_at.astimezone(LOCAL)
    # The nudge: 17:00 on the first business day after the holiday (and any weekend next to it).
    assert nudge_day.hour == 17 and nudge_day.date() > holiday and is_business_day(nudge_day.date())
    # Five business days: at least five weekdays, a weekend and the holiday later, same wall-clock time.
    assert escalation_day.timetz().replace(second=0, microsecond=0, tzinfo=None) == time(10) and (escalation_day.date() - send_day).days >= 8
    weekdays = [send_day + timedelta(days=i) for i in range(1, (escalation_day.date() - send_day).days + 1)]
    assert sum(is_business_day(d) for d in weekdays) == 5 and holiday in weekdays
    assert any(d.weekday() == 5 for d in weekdays)
    db.expire_all()
    assert db.get(Referral, row.id).escalation_due_at == state.escalate_at

    await _move_to(env, state.nudge_at - timedelta(minutes=1))
    assert not _bells(db, net.sender, "referral_nudge")
    await _move_to(env, state.nudge_at + timedelta(minutes=1))
    await eventually(lambda: _bells(db, net.sender, "referral_nudge"))
    await eventually(lambda: [e for e in email_outbox.to(net.sender.email) if "not acknowledged" in e.subject])

    await _move_to(env, state.escalate_at - timedelta(minutes=1))
    assert db.scalar(select(Escalation).where(Escalation.referral_id == row.id)) is None
    assert (await handle.describe()).typed_search_attributes.get(sa.ESCALATED) == "false"

    await _move_to(env, state.escalate_at + timedelta(minutes=1))
    escalation = await eventually(lambda: db.expire_all() or db.scalar(
        select(Escalation).where(Escalation.referral_id == row.id)))
    assert escalation.region == net.receiving.region and escalation.suggestions == [counselling.id]
    for person in (state_team, region_admin, net.gatekeeper, net.sender):
        await eventually(lambda p=person: _bells(db, p, "referral_escalation"))
        await eventually(lambda p=person: email_outbox.to(p.email))
    assert not _bells(db, elsewhere, "referral_escalation") and not _bells(db, net.provider, "referral_escalation")
    staff_bell = _bells(db, region_admin, "referral_escalation")[0]
    assert staff_bell.link == f"/escalations/{escalation.id}"
    to_sender = [e for e in email_outbox.to(net.sender.email) if "escalated" in e.subject][0]
    assert "Community Counselling" in to_sender.text and "Tax Help" not in to_sender.text
    assert (await handle.describe()).typed_search_attributes.get(sa.ESCALATED) == "true"
    assert db.get(Referral, row.id).escalated_at is not None


async def test_assignment_cancels_the_timers(db, time_skipping_env, settings):
    env = time_skipping_env
    net = make_network(db)
    make_user(db, "state2@example.org", state_team=True)
    db.commit()
    row = _pending_row(db, net)
    await update(env.client, settings, referral_run(row), ReferralWorkflow.send,
                          SendReferral(Acting(net.sender.id, net.sending.id, False, True), insurance_confirmed=True))
    await update(env.client, settings, referral_run(row), ReferralWorkflow.assign,
                          AssignReferral(Acting(net.gatekeeper.id, net.receiving.id, True, False),
                                         net.provider.id, net.provider.full_name, [net.receiving.id]))
    handle = env.client.get_workflow_handle(referral_workflow_id(row.id))
    state = await handle.query(ReferralWorkflow.state)
    await _move_to(env, state.escalate_at + timedelta(days=3))
    state = await handle.query(ReferralWorkflow.state)
    assert (state.state, state.nudged, state.escalated) == ("assigned", False, False)
    assert not _bells(db, net.sender, "referral_nudge")
    assert db.scalar(select(Escalation).where(Escalation.referral_id == row.id)) is None
    db.expire_all()
    assert db.get(Referral, row.id).nudged_at is None


async def test_histories_replay(db, time_skipping_env, settings):
    """A history with every kind of step replays against the current workflow code (a change that
    breaks running referrals fails here; change them with workflow.patched)."""
    env = time_skipping_env
    net = make_network(db)
    sender = Acting(net.sender.id, net.sending.id, False, True)
    gatekeeper = Acting(net.gatekeeper.id, net.receiving.id, True, False)
    row = _pending_row(db, net)
    await update(env.client, settings, referral_run(row), ReferralWorkflow.send, SendReferral(sender, True))
    handle = env.client.get_workflow_handle(referral_workflow_id(row.id))
    await _move_to(env, (await handle.query(ReferralWorkflow.state)).nudge_at + timedelta(hours=1))
    await update(env.client, settings, referral_run(row), ReferralWorkflow.assign,
                          AssignReferral(gatekeeper, net.gatekeeper.id, net.gatekeeper.full_name, [net.receiving.id]))
    await update(env.client, settings, referral_run(row), ReferralWorkflow.add_note,
                          AddNote(gatekeeper, await env.get_current_time(), ContactMethod.PHONE, ContactOutcome.REACHED))
    with pytest.raises(WorkflowUpdateFailedError):  # refused by the validator: not in the history
        await update(env.client, settings, referral_run(row), ReferralWorkflow.decline, DeclineReferral(gatekeeper, "x"))
    await update(env.client, settings, referral_run(row), ReferralWorkflow.update_status,
                          UpdateServiceStatus(gatekeeper, ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION))
    await handle.result()
    first_run = (await handle.describe()).run_id
    db.expire_all()
    await update(env.client, settings, referral_run(db.get(Referral, row.id)), ReferralWorkflow.reopen,
                          ReopenReferral(gatekeeper, "came back"))
    replayer = Replayer(workflows=[ReferralWorkflow], data_converter=connect.temporal.data_converter(settings),
                        workflow_runner=_sandbox())
    latest = env.client.get_workflow_handle(referral_workflow_id(row.id))
    assert (await latest.describe()).run_id != first_run  # reopening started a new run
    for run in (env.client.get_workflow_handle(latest.id, run_id=first_run), latest):
        await replayer.replay_workflow(await run.fetch_history())


def _sandbox() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))
