"""Each referral form carries an idempotency key made when it is rendered, used as the update id:
the same rendered form submitted twice (a double click, a resubmit after a timeout) is one change."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from models.referrals.tables import ReferralNote
from tests.factories import login
from tests.referral_network import COMPLETE_FORM, bearer, make_network

HTML = {"accept": "text/html"}


def _form_key(html: str, action: str) -> str:
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
    assert form, f"no form posting to {action}"
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', form.group(0)).group(1)


async def test_a_note_form_submitted_twice_makes_one_note(client, db):
    net = make_network(db)
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
            "insurance_confirmed": True, **COMPLETE_FORM}
    sent = await client.post("/api/v1/referrals", json=body, headers=bearer(db, net.sender, net.sending))
    assert sent.status_code == 201, sent.text
    rid = sent.json()["id"]
    csrf = await login(client, net.gatekeeper.email)

    first = await client.get(f"/referrals/{rid}", headers=HTML)
    key = _form_key(first.text, f"/referrals/{rid}/notes")
    assert key != _form_key((await client.get(f"/referrals/{rid}", headers=HTML)).text, f"/referrals/{rid}/notes")
    note = {"csrf_token": csrf, "idempotency_key": key, "contacted_at": "2026-01-05T09:15", "method": "phone",
            "outcome": "reached", "text": "Booked intake"}
    for _ in range(2):
        answer = await client.post(f"/referrals/{rid}/notes", data=note)
        assert answer.status_code == 303, answer.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ReferralNote).where(ReferralNote.referral_id == rid)) == 1


async def test_a_form_key_over_100_characters_is_refused_with_a_message(client, db):
    net = make_network(db)
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
            "insurance_confirmed": True, **COMPLETE_FORM}
    sent = await client.post("/api/v1/referrals", json=body, headers=bearer(db, net.sender, net.sending))
    rid = sent.json()["id"]
    csrf = await login(client, net.gatekeeper.email)
    note = {"csrf_token": csrf, "idempotency_key": "k" * 101, "contacted_at": "2026-01-05T09:15",
            "method": "phone", "outcome": "reached", "text": "Booked intake"}

    answer = await client.post(f"/referrals/{rid}/notes", data=note, headers=HTML)

    assert 400 <= answer.status_code < 500, answer.text
    assert "Idempotency-Key" in answer.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ReferralNote).where(ReferralNote.referral_id == rid)) == 0
