"""Personal API tokens: made and revoked by their owner, secret shown once, scoped to programs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.accounts.tables import ApiToken
from models.accounts.sessions import create_api_token, resolve_api_token
from tests.factories import HTML, login, make_program, make_user


async def make_token(client, csrf, name="EHR export", program_id=""):
    page = await client.post("/account/tokens", headers=HTML,
                             data={"name": name, "program_id": program_id, "csrf_token": csrf})
    found = re.search(r'data-testid="token-secret">([^<]+)<', page.text)
    return page, found.group(1) if found else None


async def test_token_secret_is_shown_once_and_stored_hashed(client, db):
    a, b = make_program(db), make_program(db)
    user = make_user(db, "tia@example.org", provider_of=(a, b))
    db.commit()
    csrf = await login(client, user.email)
    page, secret = await make_token(client, csrf)
    assert page.status_code == 201 and secret.startswith("cnk_")
    listing = await client.get("/account/tokens", headers=HTML)
    assert "EHR export" in listing.text and secret not in listing.text
    row = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert secret.split("_", 2)[2] not in row.token_hash

    bearer = {"authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/profile", headers=bearer)).json()["program"] is None
    picked = await client.get("/api/v1/profile", headers={**bearer, "x-connect-program": str(b.id)})
    assert picked.json()["program"]["id"] == b.id
    assert [t["name"] for t in (await client.get("/api/v1/tokens", headers=bearer)).json()] == ["EHR export"]


async def test_token_scope_and_refusals(client, db):
    a, b = make_program(db), make_program(db)
    stranger = make_program(db)
    user = make_user(db, "uri@example.org", provider_of=(a, b))
    db.commit()
    csrf = await login(client, user.email)
    bad, _ = await make_token(client, csrf, program_id=stranger.id)
    assert bad.status_code == 422 and "You do not have access to that agency/program" in bad.text
    empty, _ = await make_token(client, csrf, name=" ")
    assert empty.status_code == 422 and 'data-testid="error-name"' in empty.text
    assert db.scalar(select(ApiToken.id)) is None

    _, secret = await make_token(client, csrf, program_id=a.id)
    bearer = {"authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/profile", headers=bearer)).json()["program"]["id"] == a.id
    other = await client.get("/api/v1/profile", headers={**bearer, "x-connect-program": str(b.id)})
    assert other.status_code == 403 and other.json()["error"] == "token_scope"
    foreign = await client.get("/api/v1/profile", headers={**bearer, "x-connect-program": str(stranger.id)})
    assert foreign.status_code == 403 and foreign.json()["error"] == "not_a_member"
    minted = await client.post("/api/v1/tokens", headers=bearer, json={"name": "more"})
    assert minted.status_code == 403 and minted.json()["error"] == "session_required"


async def test_revoking_a_token_takes_effect_at_once(client, db):
    user = make_user(db, "val@example.org")
    other = make_user(db, "wes@example.org")
    db.commit()
    csrf = await login(client, user.email)
    made = await client.post("/api/v1/tokens", json={"name": "script"}, headers={"x-csrf-token": csrf})
    assert made.status_code == 201
    secret, token_id = made.json()["token"], made.json()["id"]
    bearer = {"authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/profile", headers=bearer)).status_code == 200

    client.cookies.clear()
    other_csrf = await login(client, other.email)
    theirs = await client.delete(f"/api/v1/tokens/{token_id}", headers={"x-csrf-token": other_csrf})
    assert theirs.status_code == 404  # someone else's token reads as missing

    client.cookies.clear()
    csrf = await login(client, user.email)
    revoked = await client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    answer = await client.get("/api/v1/profile", headers=bearer)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]


def test_token_prefixes_never_hold_the_separator(db):
    user = make_user(db, "many@example.org")
    now = datetime.now(timezone.utc)
    for i in range(200):  # base64 prefixes used to contain "_" about one time in eight
        _row, secret = create_api_token(db, user, f"t{i}", None, now)
        db.flush()
        assert resolve_api_token(db, secret, now) is not None, secret


async def test_tokens_expire_after_the_days_chosen(client, db):
    user = make_user(db, "exp@example.org")
    db.commit()
    csrf = await login(client, user.email)
    default = await client.post("/api/v1/tokens", json={"name": "default"}, headers={"x-csrf-token": csrf})
    assert default.status_code == 201
    made, expires = (datetime.fromisoformat(default.json()[k]) for k in ("created_at", "expires_at"))
    assert expires - made == timedelta(days=90)
    short = await client.post("/api/v1/tokens", json={"name": "short", "expires_in_days": 1},
                              headers={"x-csrf-token": csrf})
    assert datetime.fromisoformat(short.json()["expires_at"]) - made < timedelta(days=1, minutes=1)
    for days in (0, 366, -5):
        refused = await client.post("/api/v1/tokens", json={"name": "long", "expires_in_days": days},
                                    headers={"x-csrf-token": csrf})
        assert refused.status_code == 422 and "1 to 365" in refused.json()["detail"], refused.text
    page, _ = await make_token(client, csrf, name="form")
    assert page.status_code == 201 and "It works until" in page.text
    bad_page = await client.post("/account/tokens", headers=HTML,
                                 data={"name": "x", "expires_in_days": "999", "csrf_token": csrf})
    assert bad_page.status_code == 422 and 'data-testid="error-expires_in_days"' in bad_page.text
    listing = await client.get("/account/tokens", headers=HTML)
    assert f'data-testid="token-expires-{short.json()["id"]}"' in listing.text

    bearer = {"authorization": f"Bearer {short.json()['token']}"}
    assert (await client.get("/api/v1/profile", headers=bearer)).status_code == 200
    row = db.get(ApiToken, short.json()["id"])
    row.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    db.commit()
    answer = await client.get("/api/v1/profile", headers=bearer)
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_an_expired_token_does_not_resolve(db):
    user = make_user(db, "old.token@example.org")
    now = datetime.now(timezone.utc)
    _row, secret = create_api_token(db, user, "t", None, now, timedelta(days=1))
    db.flush()
    assert resolve_api_token(db, secret, now + timedelta(hours=23)) is not None
    assert resolve_api_token(db, secret, now + timedelta(days=1)) is None
