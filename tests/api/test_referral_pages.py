"""The referral pages, driven like a browser would (forms, CSRF, redirects)."""

from __future__ import annotations

import re

from sqlalchemy import select

from domain.referral_status import SERVICE_STATUSES
from models.audit import AuditEvent
from models.referrals.tables import Referral
from tests.factories import login
from tests.referral_network import bearer, make_network

HTML = {"accept": "text/html"}


async def _as(client, user) -> str:
    client.cookies.clear()
    return await login(client, user.email)


def _cards(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-program="(\d+)" data-kind="(\w+)"', html))


async def test_send_from_the_chart_then_work_it(client, db):
    net = make_network(db)
    csrf = await _as(client, net.sender)
    chart = await client.get(f"/clients/{net.client.id}/referrals", headers=HTML)
    assert chart.status_code == 200, chart.text
    assert _cards(chart.text) == {str(net.sending.id): "start", str(net.receiving.id): "start"}
    assert "internal referral" in chart.text

    form = await client.get(f"/clients/{net.client.id}/referrals/new", params={"program_id": net.receiving.id},
                            headers=HTML)
    assert form.status_code == 200
    for tab in ("Personal Info", "Screening", "Insurance"):
        assert f"#tab-{tab.lower().replace(' ', '-')}" in form.text
    assert "Never send HIPAA-sensitive medical information" in form.text
    assert "medical" not in " ".join(re.findall(r'name="([^"]+)"', form.text)).lower()
    assert "Zelda Quartermaine" in form.text  # Personal Info is prefilled from the profile

    base = {"csrf_token": csrf, "program_id": str(net.receiving.id), "reason": "Counselling",
            "field.urgent": "no"}
    saved = await client.post(f"/clients/{net.client.id}/referrals/new", data={**base, "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
    rid = db.scalar(select(Referral.id))
    chart = await client.get(f"/clients/{net.client.id}/referrals?done=saved", headers=HTML)
    assert _cards(chart.text)[str(net.receiving.id)] == "pending" and "Pending until you send it" in chart.text

    # An unsent draft has no "Sent" date in Sent Referrals (it used to show its creation time).
    listed = await client.get("/referrals/sent", params={"status": "pending"}, headers=HTML)
    row = re.search(rf'<tr data-referral="{rid}"[^>]*>.*?</tr>', listed.text, re.S).group(0)
    assert "Not sent" in row

    pending = await client.get(f"/referrals/{rid}", headers=HTML)
    assert 'data-complete="yes">' in pending.text and 'value="Counselling"' not in pending.text
    assert ">Counselling</textarea>" in pending.text
    incomplete = await client.post(f"/referrals/{rid}/form", data={**base, "action": "send"}, headers=HTML)
    assert incomplete.status_code == 422
    assert "Insurance tab is not complete" in incomplete.text
    assert 'id="field-member_id" name="field.member_id" type="text" maxlength="1000" value=""' in incomplete.text
    assert "usa-input--error" in incomplete.text

    complete = {**base, "field.member_id": "MT-1", "action": "send"}
    confirm = await client.post(f"/referrals/{rid}/form", data=complete, headers=HTML)
    assert confirm.status_code == 200 and 'data-testid="insurance-confirmation"' in confirm.text
    db.expire_all()
    assert db.get(Referral, rid).state == "pending"
    sent = await client.post(f"/referrals/{rid}/form", data={**complete, "insurance_confirmed": "yes"})
    assert sent.status_code == 303, sent.text
    chart = await client.get(f"/clients/{net.client.id}/referrals", headers=HTML)
    assert _cards(chart.text)[str(net.receiving.id)] == "active"

    csrf = await _as(client, net.gatekeeper)
    incoming = await client.get("/agency/referrals", headers=HTML)
    assert f'data-referral="{rid}"' in incoming.text and "Not assigned" in incoming.text
    detail = await client.get(f"/referrals/{rid}", headers=HTML)
    assert "Assign to a provider" in detail.text and "Decline this referral" in detail.text
    assert "Zelda" in detail.text and "MT-1" in detail.text
    wrong = await client.post(f"/referrals/{rid}/assign", data={"csrf_token": csrf, "provider_id": ""}, headers=HTML)
    assert wrong.status_code == 422 and "Choose a provider" in wrong.text
    assigned = await client.post(f"/referrals/{rid}/assign", data={"csrf_token": csrf, "provider_id": net.provider.id})
    assert assigned.status_code == 303

    csrf = await _as(client, net.provider)
    mine = await client.get("/agency/referrals", headers=HTML)
    assert f'data-referral="{rid}"' in mine.text
    detail = await client.get(f"/referrals/{rid}", headers=HTML)
    for status, info in SERVICE_STATUSES.items():
        assert status.value in detail.text and info.help_text in detail.text
    assert "Assign to a provider" not in detail.text and "Reassign" in detail.text
    note = await client.post(f"/referrals/{rid}/notes", data={
        "csrf_token": csrf, "contacted_at": "2026-01-05T09:15", "method": "phone", "outcome": "reached",
        "text": "Booked intake"})
    assert note.status_code == 303
    progress = await client.post(f"/referrals/{rid}/progress", data={"csrf_token": csrf, "text": ""}, headers=HTML)
    assert progress.status_code == 422 and "cannot be empty" in progress.text
    status = await client.post(f"/referrals/{rid}/status", data={
        "csrf_token": csrf, "status": "Closed - Successful completion", "comment": "Done"})
    assert status.status_code == 303
    closed = await client.get(f"/referrals/{rid}?done=status", headers=HTML)
    assert "Referral Status updated" in closed.text and "Closed - Successful completion" in closed.text
    assert "01/05/2026 9:15 AM" in closed.text and "Booked intake" in closed.text

    await _as(client, net.sender)
    tracked = await client.get("/referrals/sent", headers=HTML)
    assert f'data-referral="{rid}"' not in tracked.text  # closed: not an open one
    tracked = await client.get("/referrals/sent", params={"status": "any"}, headers=HTML)
    assert f'data-referral="{rid}"' in tracked.text and "Show Filters" in tracked.text
    seen = await client.get(f"/referrals/{rid}", headers=HTML)
    assert "Booked intake" in seen.text and "Done" in seen.text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "client.viewed",
                                              AuditEvent.user_id == net.sender.id)) is not None


async def test_pages_hide_other_programs_referrals(client, db):
    net = make_network(db)
    await _as(client, net.outsider)
    assert (await client.get(f"/clients/{net.client.id}/referrals", headers=HTML)).status_code == 404
    chart = await client.get(f"/clients/{net.client.id}/referrals/new", params={"program_id": net.receiving.id},
                             headers=HTML)
    assert chart.status_code == 403 and "release of information" in chart.text


async def test_the_program_filter_offers_the_partners_only(client, db):
    """Sent Referrals offers the programs the agency referred to; the incoming list the programs
    that referred to this one. Not the whole network (thousands of options in a state)."""
    from tests.factories import make_program, make_referral

    net = make_network(db)
    make_program(db, "Never Referred To")
    make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    db.commit()

    def options(html: str) -> set[str]:
        select_html = html.split('id="program_id"', 1)[1].split("</select>", 1)[0]
        return set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select_html))

    await _as(client, net.sender)
    sent = await client.get("/referrals/sent", params={"status": "any"}, headers=HTML)
    assert options(sent.text) == {net.receiving.display_name}
    await _as(client, net.gatekeeper)
    incoming = await client.get("/agency/referrals", params={"status": "any"}, headers=HTML)
    assert options(incoming.text) == {net.sending.display_name}


async def test_a_provider_who_reassigns_lands_on_their_list_told_what_happened(client, db):
    net = make_network(db, form_fields=False)
    api = "/api/v1/referrals"
    sent = await client.post(api, headers=bearer(db, net.sender, net.sending), json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
        "insurance_confirmed": True, "reason": "Counselling", "fields": {}})
    assert sent.status_code == 201, sent.text
    rid = sent.json()["id"]
    assigned = await client.post(f"{api}/{rid}/assign", json={"provider_id": net.provider.id},
                                 headers=bearer(db, net.gatekeeper, net.receiving))
    assert assigned.status_code == 200, assigned.text

    csrf = await _as(client, net.provider)
    moved = await client.post(f"/referrals/{rid}/reassign", data={
        "csrf_token": csrf, "provider_id": str(net.provider2.id), "idempotency_key": f"reassign-{rid}"})
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"].startswith("/agency/referrals?")
    landed = await client.get(moved.headers["location"], headers=HTML)
    assert landed.status_code == 200
    assert f"You reassigned referral #{rid}" in landed.text and "no longer in your list" in landed.text
    assert "was not found" not in landed.text
    db.expire_all()
    assert db.get(Referral, rid).assigned_provider_id == net.provider2.id

    # The gatekeeper still sees it after reassigning: they stay on the referral's page.
    csrf = await _as(client, net.gatekeeper)
    back = await client.post(f"/referrals/{rid}/reassign", data={
        "csrf_token": csrf, "provider_id": str(net.provider.id), "idempotency_key": f"reassign-back-{rid}"})
    assert back.status_code == 303 and back.headers["location"] == f"/referrals/{rid}?done=reassign"


async def test_the_no_phone_value_is_never_shown_as_a_number(client, db):
    from domain.phones import NO_PHONE
    from models.clients.tables import ClientPhone

    net = make_network(db, form_fields=False)
    net.client.phones.append(ClientPhone(e164=NO_PHONE, label="home", position=1))  # kept from before
    db.commit()
    await _as(client, net.sender)
    form = await client.get(f"/clients/{net.client.id}/referrals/new", params={"program_id": net.receiving.id},
                            headers=HTML)
    phone = re.search(r"<dt>Phone</dt><dd>(.*?)</dd>", form.text).group(1)
    assert phone == "(406) 555-1234"

    net.client.phones = [ClientPhone(e164=NO_PHONE, label="mobile")]
    db.commit()
    form = await client.get(f"/clients/{net.client.id}/referrals/new", params={"program_id": net.receiving.id},
                            headers=HTML)
    assert re.search(r"<dt>Phone</dt><dd>(.*?)</dd>", form.text).group(1) == "No phone"
    assert "9999" not in form.text and "(999)" not in form.text
