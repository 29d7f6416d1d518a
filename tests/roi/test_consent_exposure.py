"""An ROI prepared by a program that may not see the client yet (issue #19, items 1 and 2): its
text shows only what that program may already see, and it cannot e-sign its own way in."""

from __future__ import annotations

from datetime import date

from tests.factories import HTML, login, make_client, make_program, make_user
from tests.roi_support import COMPLETE_BODY, make_scene, pdf_bytes


async def _outsider_draft(client, db):
    """A client created by another program; the outsider starts and completes an ROI for them."""
    scene = make_scene(db)
    outsider = make_program(db, "Last Chance Housing")
    staff = make_user(db, name="Olive Outsider", provider_of=(outsider,))
    person = make_client(db, scene.sender, scene.user, first_name="Dana", last_name="Whitcomb",
                         dob=date(1977, 4, 23))
    db.commit()
    headers = {"x-csrf-token": await login(client, staff.email)}
    r = await client.post("/api/v1/roi", json={"client_id": person.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    assert r.status_code == 201, r.text
    [roi] = r.json()["rois"]
    r = await client.post(f"/api/v1/roi/{roi['id']}/complete", json=COMPLETE_BODY, headers=headers)
    assert r.status_code == 200, r.text
    return roi["id"], headers, r.json()


async def test_unsigned_roi_text_shows_only_the_birth_year_to_a_program_that_cannot_see_the_client(client, db):
    roi_id, headers, completed = await _outsider_draft(client, db)
    assert "Dana Whitcomb" in completed["rendered_text"]
    assert "04/23/1977" not in completed["rendered_text"]
    assert "Year of birth: 1977" in completed["rendered_text"]
    read = await client.get(f"/api/v1/roi/{roi_id}", headers=headers)
    assert "04/23/1977" not in read.json()["rendered_text"] and "1977" in read.json()["rendered_text"]
    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert page.status_code == 200 and "Dana Whitcomb" in page.text
    assert "04/23/1977" not in page.text and "Year of birth: 1977" in page.text

    # Once the client signed (here on paper), the program is on a signed ROI: the full text.
    await client.post(f"/api/v1/roi/{roi_id}/sign/upload", headers=headers)
    r = await client.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                          files={"file": ("roi.pdf", pdf_bytes("Signed by Dana"), "application/pdf")})
    assert r.status_code == 201 and r.json()["state"] == "signed", r.text
    assert "Date of birth: 04/23/1977" in r.json()["rendered_text"]


async def _creators_draft(client, db):
    """The creating program starts and completes an ROI for its own client."""
    scene = make_scene(db)
    headers = {"x-csrf-token": await login(client, scene.user.email)}
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    r = await client.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    return scene, roi_id, headers, r.json()


async def test_the_creating_program_reads_the_full_date_before_signature(client, db):
    _, _, _, completed = await _creators_draft(client, db)
    assert "Date of birth: 07/14/1988" in completed["rendered_text"]


async def test_a_program_that_cannot_see_the_client_cannot_esign_on_screen(client, db):
    roi_id, headers, _ = await _outsider_draft(client, db)
    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert 'id="esign-form"' not in page.text and 'data-testid="esign-unavailable"' in page.text

    r = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                          json={"typed_name": "Dana Whitcomb", "confirmed": True}, headers=headers)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "esign_needs_consent" and "text message" in r.json()["detail"]
    form = await client.post(f"/roi/{roi_id}/esign", headers=HTML,
                             data={"typed_name": "Dana Whitcomb", "confirmed": "yes",
                                   "csrf_token": headers["x-csrf-token"]})
    assert form.status_code == 403 and "text message" in form.text
    read = await client.get(f"/api/v1/roi/{roi_id}", headers=headers)
    assert read.json()["state"] == "draft" and read.json()["signature_method"] in (None, "")


async def test_a_program_that_cannot_see_the_client_cannot_text_a_number_it_types(client, db):
    """Issue: the outsider typed its own number, replied YES and signed its own way to the record."""
    from sqlalchemy import select

    from models.clients.tables import ClientChange, ClientPhone
    from tests.roi_support import eventually, texts_to

    roi_id, headers, completed = await _outsider_draft(client, db)
    [on_file] = completed["client_phones"]
    assert on_file["masked"] == "(•••) •••-1234" and "555" not in str(completed)

    typed = await client.post(f"/api/v1/roi/{roi_id}/sign/sms", json={"phone": "(406) 555-9911"}, headers=headers)
    assert typed.status_code == 403 and typed.json()["error"] == "sms_number_needs_consent", typed.text
    form = await client.post(f"/roi/{roi_id}/sms", headers=HTML,
                             data={"phone": "(406) 555-9911", "csrf_token": headers["x-csrf-token"]})
    assert form.status_code == 403 and "may text only a number already on the client" in form.text
    # Nor through "Complete ROI": the client's numbers stay as they were.
    changed = await client.post(f"/api/v1/roi/{roi_id}/complete", headers=headers,
                                json={**COMPLETE_BODY, "client": {"mobile_phone": "(406) 555-9911"}})
    assert changed.status_code == 403 and changed.json()["error"] == "contact_needs_consent", changed.text
    db.expire_all()
    assert db.scalars(select(ClientPhone.e164).where(ClientPhone.client_id == completed["client_id"])).all() \
        == ["+14065551234"]
    assert db.scalar(select(ClientChange.id).where(ClientChange.client_id == completed["client_id"])) is None
    assert texts_to(db, "+14065559911") == []

    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert 'name="phone"' not in page.text and 'name="mobile_phone"' not in page.text
    assert f'<option value="{on_file["id"]}">(•••) •••-1234 (mobile)</option>' in page.text
    assert "555-1234" not in page.text

    stranger = await client.post(f"/api/v1/roi/{roi_id}/sign/sms", json={"phone_id": on_file["id"] + 999},
                                 headers=headers)
    assert stranger.status_code == 422 and stranger.json()["field"] == "phone_id"
    chosen = await client.post(f"/api/v1/roi/{roi_id}/sign/sms", json={"phone_id": on_file["id"]}, headers=headers)
    assert chosen.status_code == 200 and chosen.json()["signature_method"] == "sms", chosen.text
    [request] = await eventually(lambda: texts_to(db, "+14065551234"))
    assert "Reply YES" in request


async def test_a_program_that_sees_the_client_may_still_type_a_new_number_from_the_page(client, db):
    from sqlalchemy import select

    from models.audit import AuditEvent
    from models.clients.tables import ClientPhone
    from tests.roi_support import eventually, texts_to

    scene, roi_id, headers, _ = await _creators_draft(client, db)
    form = await client.post(f"/roi/{roi_id}/sms", data={"phone": "(406) 555-9911",
                                                           "csrf_token": headers["x-csrf-token"]})
    assert form.status_code == 303, form.text
    db.expire_all()
    assert db.scalars(select(ClientPhone.e164).where(ClientPhone.client_id == scene.client.id)).all() \
        == ["+14065559911"]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "client.updated",
                                              AuditEvent.entity_id == str(scene.client.id)))
    await eventually(lambda: texts_to(db, "+14065559911"))
