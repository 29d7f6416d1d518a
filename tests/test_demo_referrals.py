"""The demo: referrals in every state, and one escalated into the queue by its workflow."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from demo.referrals import start_referral_workflows
from demo.seed import seed
from models.accounts.tables import User
from models.messages.tables import Notification
from models.referrals.tables import Escalation, Referral
from tests.factories import montana_today
from tests.referral_network import bearer, eventually, fresh_referral_ids
from workflows import search_attributes as sa
from workflows.ids import referral_workflow_id


async def test_demo_shows_every_state_and_an_escalation(client, db, temporal_client, settings):
    fresh_referral_ids(db)
    seed(db, montana_today())
    db.commit()
    assert Counter(db.scalars(select(Referral.state))) == Counter(
        {"sent": 2, "pending": 1, "assigned": 1, "closed": 1, "declined": 1})
    await start_referral_workflows(temporal_client, settings, db)

    late = db.scalar(select(Referral).join(Escalation))
    escalated = await eventually(lambda: db.expire_all() or db.get(Referral, late.id).escalated_at)
    assert escalated is not None
    state_team = db.scalar(select(User).where(User.email == "state.team@connect.demo"))
    await eventually(lambda: db.scalars(select(Notification).where(
        Notification.user_id == state_team.id, Notification.kind == "referral_escalation")).all())
    queue = (await client.get("/api/v1/escalations", headers=bearer(db, state_team, None))).json()
    assert [e["referral_id"] for e in queue["items"]] == [late.id]
    assert queue["items"][0]["region"] == 4
    region4 = db.scalar(select(User).where(User.email == "admin.region4@connect.demo"))
    assert (await client.get("/api/v1/escalations", headers=bearer(db, region4, None))).json()["total"] == 1
    handle = temporal_client.get_workflow_handle(referral_workflow_id(late.id))

    async def marked_escalated() -> bool:  # the workflow marks it once the escalation has committed
        return (await handle.describe()).typed_search_attributes.get(sa.ESCALATED) == "true"

    assert await eventually(marked_escalated)


async def test_stack_start_gives_final_referrals_no_run(db, temporal_client, settings):
    fresh_referral_ids(db)
    seed(db, montana_today())
    db.commit()
    await start_referral_workflows(temporal_client, settings, db)
    await start_referral_workflows(temporal_client, settings, db)  # a restart of the stack
    for row in db.scalars(select(Referral)):
        runs = [w async for w in temporal_client.list_workflows(f'WorkflowId = "{referral_workflow_id(row.id)}"')]
        assert len(runs) == (0 if row.state in {"closed", "declined"} else 1), (row.state, runs)
