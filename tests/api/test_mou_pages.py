"""The user MOU page and the agency MOU of each program, signed through the MOU workflow."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from temporalio.service import RPCError

from documents.mou import mou_document
from workflows.ids import mou_workflow_id
from models.accounts.tables import User, UserMou
from models.agencies.tables import AgencyMou, Program
from tests.factories import HTML, PASSWORD, login, make_program, make_user, montana_today
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MOU_VERSION, MouKind

USER_DOC = mou_document(MouKind.USER)
AGENCY_DOC = mou_document(MouKind.AGENCY)


def signature(doc=USER_DOC, **changes) -> dict:
    return {"signed_name": "Nico Newuser", "agree": "true", "version": doc.version,
            "text_sha256": doc.sha256, **changes}


def test_documents_are_versioned_and_hashed():
    assert USER_DOC.version == AGENCY_DOC.version == MOU_VERSION
    assert USER_DOC.title == "CONNECT User Memorandum of Understanding"
    assert len(USER_DOC.sha256) == 64 and USER_DOC.sha256 != AGENCY_DOC.sha256
    assert any("42 CFR Part 2" in p for p in USER_DOC.paragraphs)


async def test_user_signs_the_mou_on_the_page(client, db, temporal_client):
    program = make_program(db)
    user = make_user(db, "nico@example.org", name="Nico Newuser", provider_of=(program,),
                     mou_signed=False)
    db.commit()
    csrf = await login(client, user.email)
    home = await client.get("/", headers=HTML)
    assert home.status_code == 303 and home.headers["location"] == "/mou"
    page = await client.get("/mou", headers=HTML)
    assert USER_DOC.title in page.text and USER_DOC.sha256 in page.text

    answer = await client.post("/mou", headers=HTML, data={**signature(), "csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/?done=mou"
    db.expire_all()
    signed = db.get(User, user.id)
    assert signed.mou_expires_on > montana_today()
    row = db.scalar(select(UserMou).where(UserMou.user_id == user.id))
    assert (row.signed_name, row.version, row.text_sha256) == ("Nico Newuser", MOU_VERSION, USER_DOC.sha256)
    handle = temporal_client.get_workflow_handle(mou_workflow_id(MouKind.USER, user.id))
    assert (await handle.query(MouRenewalWorkflow.state)).status == "valid"

    again = await client.post("/mou", headers=HTML, data={**signature(), "csrf_token": csrf})
    assert again.status_code == 409 and "valid until" in again.text


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"agree": ""}, "Tick the box"),
        ({"signed_name": " "}, "Type your full name"),
        ({"text_sha256": "0" * 64}, "MOU text changed"),
        ({"version": "2019.1"}, "MOU text changed"),
        ({"signed_name": "Someone Else"}, "Type your own full name as CONNECT knows it: Nico Newuser"),
    ],
)
async def test_bad_signatures_are_refused_and_start_nothing(client, db, temporal_client, changes, reason):
    user = make_user(db, "olga@example.org", name="Nico Newuser", mou_signed=False)
    db.commit()
    before = datetime.now(timezone.utc)
    csrf = await login(client, user.email)
    answer = await client.post("/mou", headers=HTML, data={**signature(**changes), "csrf_token": csrf})
    assert answer.status_code == 422
    assert reason in answer.text
    db.expire_all()
    assert db.get(User, user.id).mou_expires_on is None
    assert db.scalar(select(UserMou.id)) is None
    await assert_not_started_since(temporal_client, mou_workflow_id(MouKind.USER, user.id), before)


async def test_user_mou_through_the_api(client, db):
    user = make_user(db, "api.mou@example.org", name="Api Person", mou_signed=False)
    db.commit()
    csrf = await login(client, user.email)
    shown = (await client.get("/api/v1/mou")).json()
    assert shown["status"] == "missing" and shown["document"]["sha256"] == USER_DOC.sha256
    body = {"signed_name": "Api Person", "agree": True, "version": shown["document"]["version"],
            "text_sha256": shown["document"]["sha256"]}
    signed = await client.post("/api/v1/mou", json=body, headers={"x-csrf-token": csrf})
    assert signed.status_code == 200, signed.text
    assert (await client.get("/api/v1/mou")).json()["status"] == "valid"


async def test_lapsed_user_mou_can_be_signed_again(client, db):
    user = make_user(db, "lapsed@example.org", name="Nico Newuser")
    user.mou_expires_on = montana_today() - timedelta(days=1)
    db.commit()
    csrf = await login(client, user.email)
    assert (await client.get("/api/v1/mou")).json()["status"] == "lapsed"
    assert (await client.post("/mou", headers=HTML, data={**signature(), "csrf_token": csrf})).status_code == 303


async def test_gatekeeper_signs_the_agency_mou(client, db):
    program = make_program(db, "Helena Food Share", mou_valid=False)
    gk = make_user(db, "gina@example.org", name="Gina Gatekeeper", gatekeeper_of=(program,))
    db.commit()
    csrf = await login(client, gk.email)
    index = await client.get("/agency/mou", headers=HTML)
    assert f"/agency/mou/{program.id}" in index.text
    page = await client.get(f"/agency/mou/{program.id}", headers=HTML)
    assert AGENCY_DOC.title in page.text and "not visible" in page.text
    answer = await client.post(f"/agency/mou/{program.id}", headers=HTML,
                               data={**signature(AGENCY_DOC, signed_name="Gina Gatekeeper"), "csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    db.expire_all()
    assert db.get(Program, program.id).mou_expires_on > montana_today()
    row = db.scalar(select(AgencyMou).where(AgencyMou.program_id == program.id))
    assert (row.signed_by_id, row.text_sha256) == (gk.id, AGENCY_DOC.sha256)


async def test_the_agency_mou_is_signed_in_the_gatekeepers_own_name(client, db, temporal_client):
    program = make_program(db, mou_valid=False)
    gk = make_user(db, "gina.own@example.org", name="Gina Gatekeeper", gatekeeper_of=(program,))
    db.commit()
    before = datetime.now(timezone.utc)
    csrf = await login(client, gk.email)
    page = await client.post(f"/agency/mou/{program.id}", headers=HTML,
                             data={**signature(AGENCY_DOC, signed_name="Someone Else"), "csrf_token": csrf})
    assert page.status_code == 422
    assert 'usa-input usa-input--error" id="signed_name"' in page.text
    assert "Type your own full name as CONNECT knows it: Gina Gatekeeper" in page.text
    assert 'value="Someone Else"' in page.text  # the form keeps what was typed
    db.expire_all()
    assert db.get(Program, program.id).mou_expires_on is None
    await assert_not_started_since(temporal_client, mou_workflow_id(MouKind.AGENCY, program.id), before)
    # The same rule as the ROI's e-signature: case, accents and spacing do not matter.
    signed = await client.post(f"/agency/mou/{program.id}", headers=HTML,
                               data={**signature(AGENCY_DOC, signed_name="gina  GATEKEEPER"), "csrf_token": csrf})
    assert signed.status_code == 303, signed.text


async def test_non_gatekeeper_is_refused_and_no_workflow_starts(client, db, temporal_client):
    program = make_program(db, mou_valid=False)
    provider = make_user(db, "pat@example.org", provider_of=(program,))
    db.commit()
    before = datetime.now(timezone.utc)
    csrf = await login(client, provider.email)
    page = await client.get(f"/agency/mou/{program.id}", headers=HTML)
    assert page.status_code == 403 and "Only a gatekeeper of" in page.text
    api = await client.post(f"/api/v1/agency/mou/{program.id}", headers={"x-csrf-token": csrf},
                            json={**signature(AGENCY_DOC), "agree": True})
    assert api.status_code == 403 and api.json()["error"] == "not_gatekeeper"
    db.expire_all()
    assert db.get(Program, program.id).mou_expires_on is None
    assert db.scalar(select(AgencyMou.id)) is None
    await assert_not_started_since(temporal_client, mou_workflow_id(MouKind.AGENCY, program.id), before)


async def assert_not_started_since(temporal_client, workflow_id: str, moment: datetime) -> None:
    """The test database's ids repeat across tests, so an older run may exist: not a new one."""
    try:
        desc = await temporal_client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return
    assert desc.start_time < moment


async def test_agency_mou_needs_the_users_own_mou_first(client, db):
    program = make_program(db, mou_valid=False)
    gk = make_user(db, "gk2@example.org", gatekeeper_of=(program,), mou_signed=False)
    db.commit()
    csrf = await login(client, gk.email)
    api = await client.post(f"/api/v1/agency/mou/{program.id}", headers={"x-csrf-token": csrf},
                            json={**signature(AGENCY_DOC), "agree": True})
    assert api.status_code == 403 and api.json()["error"] == "user_mou_required"
    assert api.json()["link"] == "/mou"


async def test_unknown_program_is_not_found(client, db):
    gk = make_user(db, "gk3@example.org")
    db.commit()
    await login(client, gk.email)
    assert (await client.get("/api/v1/agency/mou/999999")).status_code == 404


async def test_a_new_mou_version_can_be_signed_before_the_old_one_lapses(client, db):
    user = make_user(db, "versions@example.org", name="Nico Newuser")  # valid for a year
    db.add(UserMou(user_id=user.id, signed_name="Old Signer", version="2025.1", text_sha256="f" * 64,
                   signed_at=datetime(2026, 1, 5, tzinfo=timezone.utc), expires_on=user.mou_expires_on))
    db.commit()
    csrf = await login(client, user.email)
    page = await client.get("/mou", headers=HTML)
    assert "new since your last signature" in page.text
    assert (await client.post("/mou", headers=HTML, data={**signature(), "csrf_token": csrf})).status_code == 303


async def test_gatekeeper_lists_their_programs_agency_mous(client, db):
    due = make_program(db, "Due")
    due.mou_expires_on = montana_today() + timedelta(days=5)
    never = make_program(db, "Never", mou_valid=False)
    gk = make_user(db, "lists@example.org", gatekeeper_of=(due, never))
    db.commit()
    await login(client, gk.email)
    rows = (await client.get("/api/v1/agency/mou")).json()
    assert {r["program_id"]: r["status"] for r in rows} == {due.id: "due_soon", never.id: "missing"}


async def sign_in(client, email: str):
    """The answer to the sign-in form (where signing in leads)."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})


async def test_a_gatekeeper_is_prompted_at_sign_in_to_sign_a_lapsed_agency_mou(client, db):
    program = make_program(db, "Helena Food Share")
    program.mou_expires_on = montana_today() - timedelta(days=2)
    gk = make_user(db, "lapsed.gk@example.org", gatekeeper_of=(program,))
    db.commit()
    answer = await sign_in(client, gk.email)
    assert answer.status_code == 303 and answer.headers["location"] == f"/agency/mou/{program.id}?prompt=1"
    page = await client.get(answer.headers["location"], headers=HTML)
    warning = re.sub(r"\s+", " ", page.text[page.text.index('data-testid="agency-mou-warning"'):])
    assert "you are asked to sign its agency MOU" in warning
    assert (f"lapsed on {program.mou_expires_on:%B %-d, %Y}. Until a gatekeeper signs it again, "
            f"{program.display_name} is hidden from CONNECT's directory and other agencies cannot send it referrals") in warning
    assert 'href="/">Sign it later' in warning  # a prompt, not a gate
    assert (await client.get("/", headers=HTML)).status_code == 200


async def test_sign_in_prompts_for_several_programs_on_the_list_and_not_when_all_are_signed(client, db):
    lapsed = make_program(db, "Lapsed")
    lapsed.mou_expires_on = montana_today()
    never = make_program(db, "Never", mou_valid=False)
    fine = make_program(db, "Fine")
    gk = make_user(db, "two.gk@example.org", gatekeeper_of=(lapsed, never))
    kept = make_user(db, "fine.gk@example.org", gatekeeper_of=(fine,))
    provider = make_user(db, "prov.lapsed@example.org", provider_of=(lapsed,))
    db.commit()
    assert (await sign_in(client, gk.email)).headers["location"] == "/profile"  # two programs: choose one
    csrf = await login(client, gk.email)
    chosen = await client.post("/profile", headers=HTML, data={"program_id": str(never.id), "csrf_token": csrf})
    assert chosen.headers["location"] == "/agency/mou?prompt=1"
    again = await client.post("/profile", headers=HTML, data={"program_id": str(lapsed.id), "csrf_token": csrf})
    assert again.headers["location"] == "/"  # switching later is not signing in: no prompt
    page = await client.get("/agency/mou?prompt=1", headers=HTML)
    assert "you are asked to sign the agency MOU of each program below" in page.text
    client.cookies.clear()
    assert (await sign_in(client, kept.email)).headers["location"] == "/"
    client.cookies.clear()
    assert (await sign_in(client, provider.email)).headers["location"] == "/"  # only gatekeepers sign


@pytest.mark.parametrize("kind", [MouKind.USER, MouKind.AGENCY])
async def test_the_mou_form_sent_twice_at_once_is_one_signature(client, db, kind):
    """A double click sends the form twice before either answer: both pass the page's checks, and
    the form's key (the update id) makes them one signature."""
    import asyncio

    from tests.api.test_form_keys import _form_key

    program = make_program(db, mou_valid=kind is MouKind.USER)
    user = make_user(db, "twice@example.org", name="Nico Newuser", gatekeeper_of=(program,),
                     mou_signed=kind is MouKind.AGENCY)
    db.commit()
    csrf = await login(client, user.email)
    path, doc, model = (("/mou", USER_DOC, UserMou) if kind is MouKind.USER
                        else (f"/agency/mou/{program.id}", AGENCY_DOC, AgencyMou))
    key = _form_key((await client.get(path, headers=HTML)).text, path)
    form = {**signature(doc), "csrf_token": csrf, "idempotency_key": key}
    answers = await asyncio.gather(*(client.post(path, headers=HTML, data=form) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    db.expire_all()
    assert len(db.scalars(select(model)).all()) == 1


async def test_a_signed_name_too_long_is_marked_on_the_form(client, db):
    user = make_user(db, "long@example.org", name="Nico Newuser", mou_signed=False)
    db.commit()
    csrf = await login(client, user.email)
    answer = await client.post("/mou", headers=HTML, data={**signature(signed_name="N" * 401), "csrf_token": csrf})
    assert answer.status_code == 422 and 'data-testid="error-signed_name"' in answer.text
