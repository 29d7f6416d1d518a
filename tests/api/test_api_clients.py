"""Machine clients: OAuth 2.0 client credentials at /oauth/token, scopes, rotation, revocation,
audit, and a client acting as its program's gatekeeper on a real referral."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from sqlalchemy import select

from domain.api_clients import ACCESS_TOKEN_TTL, ROTATION_OVERLAP
from models.accounts.tables import User
from models.accounts.api_clients import ApiClient, ApiClientSecret
from models.audit import AuditEvent
from models.base import utcnow
from models.referrals.tables import Referral
from tests.factories import HTML, login, make_program, make_user
from tests.referral_network import COMPLETE_FORM, bearer, make_network

ADMIN_API = "/api/v1/admin/api-clients"


async def register(client, admin_headers, program, scopes=("read", "write"), name="Clinic EHR"):
    answer = await client.post(ADMIN_API, headers=admin_headers,
                               json={"name": name, "program_id": program.id, "scopes": list(scopes)})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["id"], body["client_id"], body["client_secret"]


async def token_basic(client, client_id, secret, **form):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return await client.post("/oauth/token", data={"grant_type": "client_credentials", **form},
                             headers={"authorization": f"Basic {basic}"})


async def token_post(client, client_id, secret, **form):
    return await client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                   "client_secret": secret, **form})


def as_bearer(answer) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def actions(db, entity_id) -> list[str]:
    db.expire_all()
    return [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "api_client",
                                                                  AuditEvent.entity_id == str(entity_id))
                                         .order_by(AuditEvent.id))]


async def test_client_credentials_both_auth_methods_and_secret_stored_hashed(client, db):
    program = make_program(db)
    admin = make_user(db, "admin@example.org", admin_regions=(program.region,))
    db.commit()
    pk, client_id, secret = await register(client, bearer(db, admin, None), program)
    row = db.get(ApiClient, pk)
    assert secret not in {s.secret_hash for s in row.secrets} and row.user.is_service_account

    basic = await token_basic(client, client_id, secret)
    body = basic.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == int(ACCESS_TOKEN_TTL.total_seconds())
    assert body["scope"] == "read write" and basic.headers["cache-control"] == "no-store"
    post = await token_post(client, client_id, secret, scope="read")
    assert post.json()["scope"] == "read"

    wrong = await token_basic(client, client_id, "not-the-secret")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = await token_post(client, "cnc_nobody", secret)
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"
    grant = await client.post("/oauth/token", data={"grant_type": "password", "client_id": client_id,
                                                    "client_secret": secret})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    assert actions(db, pk) == ["api_client.registered", "api_client.token_issued", "api_client.token_issued",
                               "api_client.token_refused", "api_client.token_refused"]
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_client.token_refused")
                         .order_by(AuditEvent.id)).all()
    assert [(e.entity_id, e.detail["error"]) for e in refused] == [
        (str(pk), "invalid_client"), ("cnc_nobody", "invalid_client"), (str(pk), "unsupported_grant_type")]


async def test_read_scope_is_refused_on_writes_and_clients_reach_only_program_data(client, db):
    net = make_network(db)
    admin = make_user(db, "admin@example.org", state_team=True)
    db.commit()
    _, client_id, secret = await register(client, bearer(db, admin, None), net.sending, scopes=("read",))
    reader = as_bearer(await token_post(client, client_id, secret))
    assert (await client.get("/api/v1/referrals/sent", headers=reader)).status_code == 200
    write = await client.post("/api/v1/referrals", headers=reader, json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": False})
    assert write.status_code == 403 and write.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in write.headers["www-authenticate"]
    assert db.scalar(select(Referral.id)) is None
    # A read-only registration cannot ask for more.
    asked = await token_post(client, client_id, secret, scope="write")
    assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope"
    # Not a person: no password, profile, tokens or administration.
    for path in ("/api/v1/profile", "/api/v1/tokens", ADMIN_API):
        answer = await client.get(path, headers=reader)
        assert answer.status_code == 403 and answer.json()["error"] == "not_for_clients", path


async def test_rotation_overlap_or_at_once_and_revocation(client, db, app):
    program = make_program(db)
    admin = make_user(db, "admin@example.org", admin_regions=(program.region,))
    db.commit()
    admin_h = bearer(db, admin, None)
    pk, client_id, first = await register(client, admin_h, program)

    rotated = await client.post(f"{ADMIN_API}/{pk}/rotate", headers=admin_h, json={})
    second = rotated.json()["client_secret"]
    assert len(rotated.json()["secrets"]) == 2  # the old one still works during the overlap
    assert (await token_basic(client, client_id, first)).status_code == 200
    assert (await token_basic(client, client_id, second)).status_code == 200
    later = utcnow() + ROTATION_OVERLAP + timedelta(minutes=1)
    app.state.clock = lambda: later
    assert (await token_basic(client, client_id, first)).status_code == 401
    assert (await token_basic(client, client_id, second)).status_code == 200
    app.state.clock = utcnow

    third = (await client.post(f"{ADMIN_API}/{pk}/rotate", headers=admin_h,
                               json={"revoke_previous_now": True})).json()["client_secret"]
    assert (await token_basic(client, client_id, second)).status_code == 401
    live = as_bearer(await token_basic(client, client_id, third))
    assert (await client.get("/api/v1/referrals/incoming", headers=live)).status_code == 200

    app.state.clock = lambda: utcnow() + ACCESS_TOKEN_TTL + timedelta(seconds=1)
    expired = await client.get("/api/v1/referrals/incoming", headers=live)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    app.state.clock = utcnow

    assert (await client.delete(f"{ADMIN_API}/{pk}", headers=admin_h)).json()["revoked_at"]
    gone = await client.get("/api/v1/referrals/incoming", headers=live)
    assert gone.status_code == 401 and 'error="invalid_token"' in gone.headers["www-authenticate"]
    assert (await token_basic(client, client_id, third)).status_code == 401
    assert actions(db, pk).count("api_client.secret_rotated") == 2
    assert "api_client.revoked" in actions(db, pk)
    assert db.scalar(select(ApiClientSecret.id).where(ApiClientSecret.client_pk == pk,
                                                      ApiClientSecret.retired_at.is_(None))) is None


async def test_only_the_programs_administrator_registers(client, db):
    program = make_program(db, county="Lewis and Clark")
    elsewhere = make_user(db, "far@example.org", admin_regions=(program.region % 5 + 1,))
    gatekeeper = make_user(db, "gk@example.org", gatekeeper_of=(program,))
    state = make_user(db, "state@example.org", state_team=True)
    db.commit()
    body = {"name": "EHR", "program_id": program.id, "scopes": ["read"]}
    outside = await client.post(ADMIN_API, headers=bearer(db, elsewhere, None), json=body)
    assert outside.status_code == 403 and outside.json()["error"] == "outside_your_regions"
    person = await client.post(ADMIN_API, headers=bearer(db, gatekeeper, program), json=body)
    assert person.status_code == 403
    bad = await client.post(ADMIN_API, headers=bearer(db, state, None), json={**body, "scopes": ["admin"]})
    assert bad.status_code == 422 and bad.json()["field"] == "scopes"
    assert db.scalar(select(ApiClient.id)) is None


async def test_admin_page_shows_the_secret_once(client, db):
    program = make_program(db)
    admin = make_user(db, "admin@example.org", admin_regions=(program.region,))
    db.commit()
    csrf = await login(client, admin.email)
    page = await client.post("/admin/api-clients", headers=HTML, data={
        "name": "Clinic EHR", "program_id": str(program.id), "scopes": ["read", "write"], "csrf_token": csrf})
    assert page.status_code == 201, page.text
    secret = re.search(r'data-testid="client-secret">([^<]+)<', page.text).group(1)
    client_id = re.search(r'data-testid="client-id">([^<]+)<', page.text).group(1)
    assert (await token_post(client, client_id, secret)).status_code == 200
    listing = await client.get("/admin/api-clients", headers=HTML)
    assert "Clinic EHR" in listing.text and secret not in listing.text
    empty = await client.post("/admin/api-clients", headers=HTML, data={
        "name": " ", "program_id": str(program.id), "csrf_token": csrf})
    assert empty.status_code == 422 and 'data-testid="error-name"' in empty.text
    # The service account is not a person: not listed among users, cannot sign in.
    users = await client.get("/api/v1/admin/users", headers=bearer(db, admin, None))
    assert "(API client)" not in users.text


async def test_a_client_acts_as_its_programs_gatekeeper_and_audit_names_it(client, db):
    net = make_network(db)
    admin = make_user(db, "admin@example.org", state_team=True)
    db.commit()
    pk, client_id, secret = await register(client, bearer(db, admin, None), net.receiving)
    machine = as_bearer(await token_basic(client, client_id, secret))
    sent = await client.post("/api/v1/referrals", headers=bearer(db, net.sender, net.sending), json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
        "insurance_confirmed": True, **COMPLETE_FORM})
    rid = sent.json()["id"]
    incoming = (await client.get("/api/v1/referrals/incoming", headers=machine)).json()
    assert [r["id"] for r in incoming["items"]] == [rid]
    assigned = await client.post(f"/api/v1/referrals/{rid}/assign", headers=machine,
                                 json={"provider_id": net.provider.id})
    assert assigned.status_code == 200, assigned.text
    account = db.scalar(select(User).join(ApiClient, ApiClient.user_id == User.id).where(ApiClient.id == pk))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "referral.assign"))
    assert event.user_id == account.id and event.program_id == net.receiving.id
    assert account.full_name == "Clinic EHR (API client)"
    # The client is not a provider: nobody can assign a referral to it.
    people = (await client.get(f"/api/v1/referrals/{rid}/assignable", headers=machine)).json()
    assert account.id not in [p["id"] for p in people]
