"""The stack itself: health, sign-in, security headers, the codec endpoint, settings."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from connect.settings import Environment, Settings
from models.audit import AuditEvent
from tests.factories import PASSWORD, login, make_program, make_user


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "database": "ok", "temporal": "ok"}


async def test_security_headers(client):
    r = await client.get("/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_login_wrong_password_then_right(client, db):
    user = make_user(db, "ann@example.org")
    db.commit()
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = await client.post("/login", data={"email": user.email, "password": "nope", "csrf_token": token})
    assert bad.status_code == 401
    assert "not correct" in bad.text
    await login(client, user.email, PASSWORD)
    home = await client.get("/", headers={"accept": "text/html"})
    assert home.status_code == 200
    assert "Welcome, Terry Tester" in home.text


async def test_login_form_without_csrf_is_refused(client, db):
    make_user(db, "bob@example.org")
    db.commit()
    r = await client.post("/login", data={"email": "bob@example.org", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 400
    assert "expired" in r.text


async def test_pages_need_sign_in(client):
    r = await client.get("/", headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    api = await client.get("/")
    assert api.status_code == 401
    assert api.json()["detail"] == "Please sign in."


async def test_post_without_csrf_token_is_refused(client, db):
    make_user(db, "carl@example.org")
    db.commit()
    await login(client, "carl@example.org")
    r = await client.post("/logout")
    assert r.status_code == 403
    assert r.json()["error"] == "csrf"


async def test_logout_ends_the_session(client, db):
    make_user(db, "dee@example.org")
    db.commit()
    csrf = await login(client, "dee@example.org")
    cookie = client.cookies.get("connect_session")
    r = await client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303
    client.cookies.set("connect_session", cookie)  # a stolen cookie is dead too
    assert (await client.get("/")).status_code == 401


async def test_codec_endpoint_decodes_for_supervisors_only(client, db, settings):
    from google.protobuf import json_format
    from temporalio.api.common.v1 import Payload, Payloads

    from connect.temporal import codec_from_settings

    codec = codec_from_settings(settings)
    sealed = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"hello"')])
    body = json_format.MessageToJson(Payloads(payloads=sealed))

    program = make_program(db)
    make_user(db, "provider@example.org", provider_of=(program,))
    make_user(db, "state@example.org", state_team=True)
    db.commit()

    assert (await client.post("/codec/decode", content=body)).status_code == 401
    await login(client, "provider@example.org")
    assert (await client.post("/codec/decode", content=body)).status_code == 403

    client.cookies.clear()
    await login(client, "state@example.org")
    r = await client.post("/codec/decode", content=body,
                          headers={"origin": settings.temporal_ui_url, "x-namespace": "default"})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == settings.temporal_ui_url
    decoded = json_format.Parse(r.text, Payloads())
    assert decoded.payloads[0].data == b'"hello"'
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "codec.decode")) is not None


async def test_codec_refuses_other_origins(client, db):
    make_user(db, "state2@example.org", state_team=True)
    db.commit()
    await login(client, "state2@example.org")
    r = await client.post("/codec/decode", content="{}", headers={"origin": "https://evil.example"})
    assert r.status_code == 403


@pytest.mark.parametrize("field", ["secret_key", "payload_key"])
def test_production_refuses_missing_secrets(field, tmp_path):
    values = dict(environment=Environment.PRODUCTION, temporal_address="t:7233", var_dir=tmp_path,
                  secret_key=secrets.token_urlsafe(32), payload_key=secrets.token_hex(32))
    values[field] = "changeme"
    with pytest.raises(ValueError, match=field.upper()):
        Settings(**values)


def test_development_generates_and_keeps_secrets(tmp_path):
    from connect.settings import load_settings

    first = load_settings(var_dir=tmp_path)
    second = load_settings(var_dir=tmp_path)
    assert first.payload_key == second.payload_key and len(bytes.fromhex(first.payload_key)) == 32
    assert first.secret_key == second.secret_key
