"""The dev outbox: mounted in development only, and even there each person reads only what is
theirs to read — administrators their regions (the state team everything), staff the texts of
the program they act as and their own emails, never another person's password link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.messages.notices import REDACTED
from models.messages.tables import OutboxMessage
from tests.factories import HTML, eventually, login, make_program, make_user

PHONE_A, PHONE_B, PHONE_X = "+14065550001", "+14065550002", "+14065550003"


def _people(db):
    a = make_program(db, "Helena Program", county="Lewis and Clark")  # region 4
    b = make_program(db, "Great Falls Program", county="Cascade")  # region 2
    people = {
        "staff_a": make_user(db, "staff.a@example.org", provider_of=(a,)),
        "colleague_a": make_user(db, "colleague.a@example.org", provider_of=(a,)),
        "staff_b": make_user(db, "staff.b@example.org", gatekeeper_of=(b,)),
        "admin_4": make_user(db, "admin4@example.org", admin_regions=(4,)),
        "admin_2": make_user(db, "admin2@example.org", admin_regions=(2,)),
        "state": make_user(db, "state@example.org", state_team=True),
        "unsigned_a": make_user(db, "unsigned.a@example.org", provider_of=(a,), mou_signed=False),
    }
    staff_a = people["staff_a"]
    rows = {
        "text_a": OutboxMessage(channel="sms", to_address=PHONE_A, from_address="+14065550100",
                                body="text of program A", program_id=a.id),
        "text_b": OutboxMessage(channel="sms", to_address=PHONE_B, from_address="+14065550100",
                                body="text of program B", program_id=b.id),
        "text_x": OutboxMessage(channel="sms", direction="in", to_address="+14065550100",
                                from_address=PHONE_X, body="text from a stranger", status="received"),
        "link_a": OutboxMessage(channel="email", to_address=staff_a.email, from_address="c@example.org",
                                subject="Reset", body="password link of staff A", body_after_send=REDACTED,
                                user_id=staff_a.id),
        "note_a": OutboxMessage(channel="email", to_address=staff_a.email, from_address="c@example.org",
                                subject="Note", body="bell email of staff A", user_id=staff_a.id),
    }
    db.add_all(rows.values())
    db.commit()
    return a, b, people, rows


SEES = {
    "staff_a": {"text_a", "note_a"},
    "colleague_a": {"text_a"},
    "staff_b": {"text_b"},
    "admin_4": {"text_a", "link_a", "note_a"},
    "admin_2": {"text_b"},
    "state": {"text_a", "text_b", "text_x", "link_a", "note_a"},
}


@pytest.mark.parametrize("who", sorted(SEES))
async def test_each_role_reads_only_its_own_part_of_the_outbox(dev_client, db, who):
    _, _, people, rows = _people(db)
    await login(dev_client, people[who].email)
    page = await dev_client.get("/outbox", headers=HTML)
    assert page.status_code == 200
    shown = {name for name, row in rows.items() if row.body in page.text}
    assert shown == SEES[who]


async def test_the_outbox_needs_the_user_mou(dev_client, db):
    _, _, people, rows = _people(db)
    await login(dev_client, people["unsigned_a"].email)
    page = await dev_client.get("/outbox", headers=HTML)
    assert page.status_code == 403 and rows["text_a"].body not in page.text


async def test_only_a_text_one_may_read_can_be_answered_as_the_client(dev_client, db):
    a, _, people, rows = _people(db)
    csrf = await login(dev_client, people["staff_b"].email)
    refused = await dev_client.post(f"/outbox/{rows['text_a'].id}/reply", data={"csrf_token": csrf, "body": "HELP"})
    assert refused.status_code == 404
    dev_client.cookies.clear()
    csrf = await login(dev_client, people["staff_a"].email)
    answered = await dev_client.post(f"/outbox/{rows['text_a'].id}/reply", data={"csrf_token": csrf, "body": "HELP"})
    assert answered.status_code == 303
    db.expire_all()
    reply = db.scalar(select(OutboxMessage).where(OutboxMessage.direction == "in", OutboxMessage.from_address == PHONE_A))
    assert reply.program_id == a.id  # the conversation stays the program's
    page = await dev_client.get("/outbox", headers=HTML)
    assert "HELP" in page.text


async def test_a_reset_link_is_shown_to_the_region_administrator_only(dev_client, db):
    _, _, people, _ = _people(db)
    asked = await dev_client.post("/api/v1/password/forgot", json={"email": people["staff_a"].email})
    assert asked.status_code == 202
    row = await eventually(lambda: (db.expire_all(), db.scalar(select(OutboxMessage).where(
        OutboxMessage.subject == "Reset your CONNECT password")))[1])
    assert row.user_id == people["staff_a"].id
    for who, sees in (("staff_a", False), ("colleague_a", False), ("admin_2", False), ("admin_4", True)):
        dev_client.cookies.clear()
        await login(dev_client, people[who].email)
        page = await dev_client.get("/outbox?channel=email", headers=HTML)
        assert ("/password/reset/" in page.text) is sees, who


@pytest.mark.parametrize("page", ["0", "-1", "10001", "abc"])
async def test_an_outbox_page_that_is_not_one_is_refused(dev_client, db, page):
    _a, _b, people, _rows = _people(db)
    await login(dev_client, people["staff_a"].email)
    answer = await dev_client.get(f"/outbox?page={page}")
    assert answer.status_code == 422 and answer.json()["field"] == "page"
