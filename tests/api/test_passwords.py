"""Passwords: the forced first change, changing, sign-in throttling, Forgot Password and its link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models.accounts.credentials import token_hash, verify_password
from models.accounts.tables import PasswordResetToken, User, WebSession
from models.audit import AuditEvent
from models.messages.tables import OutboxMessage
from tests.factories import (
    HTML,
    PASSWORD,
    anon_csrf,
    eventually,
    login,
    make_program,
    make_user,
)

NEW = "Missoula-Bridge-73%"


def at(minutes: float) -> datetime:
    return datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)


async def change(client, csrf, current=PASSWORD, new=NEW, confirm=None):
    return await client.post("/password/change", headers=HTML, data={
        "csrf_token": csrf, "current_password": current, "new_password": new,
        "confirm_password": new if confirm is None else confirm})


async def test_first_sign_in_forces_a_password_change(client, db):
    program = make_program(db)
    user = make_user(db, "nico@example.org", name="Nico Newuser", provider_of=(program,),
                     must_change_password=True, mou_signed=False)
    db.commit()
    page = await client.get("/login")
    answer = await client.post("/login", data={"email": user.email, "password": PASSWORD,
                                               "csrf_token": anon_csrf(page.text)})
    assert answer.headers["location"] == "/password/change"
    blocked = await client.get("/api/v1/profile")
    assert blocked.status_code == 403
    assert blocked.json()["error"] == "password_change_required"
    assert blocked.json()["link"] == "/password/change"
    form = await client.get("/password/change", headers=HTML)
    assert 'data-testid="forced-change"' in form.text


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "reason"),
    [
        ("Wrong-Pass-11!", NEW, None, "current_password", "current password is not correct"),
        (PASSWORD, "short1!", None, "new_password", "at least 8 characters"),
        (PASSWORD, "Password1!", None, "new_password", "too common"),
        (PASSWORD, "Newuser-Rocks-9", None, "new_password", "your own name"),
        (PASSWORD, "Nico.Smith#2026", None, "new_password", "your own name"),
        (PASSWORD, "Nicoxyz@example.org9A!", None, "new_password", "email"),
        (PASSWORD, NEW, "Missoula-Bridge-74%", "confirm_password", "not the same"),
        (PASSWORD, PASSWORD, None, "new_password", "used this password before"),
    ],
)
async def test_bad_changes_are_refused_on_the_form_and_change_nothing(
        client, db, current, new, confirm, field, reason):
    user = make_user(db, "nico@example.org", name="Nico Newuser")
    db.commit()
    csrf = await login(client, user.email)
    before = user.password_hash
    answer = await change(client, csrf, current, new, confirm)
    assert answer.status_code in (403, 422)
    assert reason in answer.text
    assert f'data-testid="error-{field}"' in answer.text
    db.expire_all()
    assert db.get(User, user.id).password_hash == before


async def test_change_renews_the_session_and_ends_the_others(client, app, db):
    import httpx

    user = make_user(db, "ann@example.org")
    db.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as other:
        await login(other, user.email)
        csrf = await login(client, user.email)
        old_cookie = client.cookies.get("connect_session")
        answer = await change(client, csrf)
        assert answer.status_code == 303, answer.text
        new_cookie = answer.cookies.get("connect_session")
        assert new_cookie and new_cookie != old_cookie
        assert (await other.get("/api/v1/profile")).status_code == 401
    assert (await client.get("/api/v1/profile")).status_code == 200
    client.cookies.set("connect_session", old_cookie)
    assert (await client.get("/api/v1/profile")).status_code == 401
    db.expire_all()
    changed = db.get(User, user.id)
    assert verify_password(changed.password_hash, NEW)
    assert not changed.must_change_password
    assert len(changed.previous_password_hashes) == 1
    open_sessions = db.scalars(select(WebSession).where(WebSession.user_id == user.id,
                                                        WebSession.ended_at.is_(None))).all()
    assert len(open_sessions) == 1
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_changed"))


async def test_change_through_the_api(client, db):
    user = make_user(db, "api@example.org")
    db.commit()
    csrf = await login(client, user.email)
    wrong = await client.post("/api/v1/password", headers={"x-csrf-token": csrf},
                              json={"current_password": "nope", "new_password": NEW})
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    ok = await client.post("/api/v1/password", headers={"x-csrf-token": csrf},
                           json={"current_password": PASSWORD, "new_password": NEW})
    assert ok.status_code == 200, ok.text
    assert (await client.get("/api/v1/profile")).status_code == 200  # the new cookie works


async def test_sign_in_is_throttled_and_released_by_time(client, app, db):
    user = make_user(db, "tess@example.org")
    db.commit()
    now = {"t": at(0)}
    app.state.clock = lambda: now["t"]
    page = await client.get("/login")
    token = anon_csrf(page.text)

    async def attempt(password):
        return await client.post("/login", data={"email": user.email, "password": password,
                                                 "csrf_token": token})

    for _ in range(5):
        assert (await attempt("wrong")).status_code == 401
    throttled = await attempt(PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    assert "Too many failed attempts. Try again in" in throttled.text
    now["t"] = at(0.05)
    assert (await attempt(PASSWORD)).status_code == 303


async def test_throttle_never_locks_out_for_good(client, app, db):
    user = make_user(db, "uma@example.org")
    db.commit()
    now = {"t": at(0)}
    app.state.clock = lambda: now["t"]
    token = anon_csrf((await client.get("/login")).text)

    async def attempt(password):
        return await client.post("/login", data={"email": user.email, "password": password,
                                                 "csrf_token": token})

    waits = []
    for _ in range(40):  # an attacker tries as fast as the throttle lets them
        answer = await attempt("wrong")
        if answer.status_code == 429:
            seconds = int(re.search(r"Try again in (\d+) seconds", answer.text).group(1))
            waits.append(seconds)
            now["t"] += timedelta(seconds=seconds)
    assert waits and max(waits) <= 15 * 60 + 1  # the wait is capped: never a lockout
    now["t"] += timedelta(minutes=15, seconds=1)
    assert (await attempt(PASSWORD)).status_code == 303


async def test_wrong_current_passwords_are_throttled(client, app, db):
    user = make_user(db, "vic@example.org")
    db.commit()
    now = {"t": at(0)}
    app.state.clock = lambda: now["t"]
    csrf = await login(client, user.email)
    for _ in range(5):
        assert (await change(client, csrf, current="wrong-one")).status_code == 422
    assert (await change(client, csrf)).status_code == 429
    now["t"] = at(16)
    assert (await change(client, csrf)).status_code == 303


# ---------------------------------------------------------------- Forgot Password


async def forgot(client, email):
    page = await client.get("/password/forgot")
    return await client.post("/password/forgot", data={"email": email,
                                                       "csrf_token": anon_csrf(page.text)})


async def emailed_link(email_outbox, address) -> str:
    mail = await eventually(lambda: email_outbox.to(address))
    return re.search(r"http://testserver(/password/reset/\S+)", mail[-1].text).group(1)


async def test_forgot_password_answers_alike_and_emails_a_hashed_single_use_link(
        client, db, email_outbox):
    user = make_user(db, "wren@example.org")
    db.commit()
    known = await forgot(client, user.email)
    unknown = await forgot(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - the CSRF token differs
    assert strip(known.text) == strip(unknown.text)
    assert "If a CONNECT account uses that email" in known.text

    link = await emailed_link(email_outbox, user.email)
    token = link.rsplit("/", 1)[1]
    assert not email_outbox.to("nobody@example.org")
    row = db.scalar(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    assert row.token_hash == token_hash(token) and token not in row.token_hash

    form = await client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.text
    done = await client.post(link, data={"new_password": NEW, "confirm_password": NEW,
                                         "csrf_token": anon_csrf(form.text)})
    assert done.status_code == 303 and done.headers["location"] == "/login?done=password"
    db.expire_all()
    assert verify_password(db.get(User, user.id).password_hash, NEW)

    again = await client.post(link, data={"new_password": "Other-Pass-88!", "confirm_password": "Other-Pass-88!",
                                          "csrf_token": anon_csrf(form.text)})
    assert again.status_code == 400 and "expired or was used already" in again.text
    await login(client, user.email, NEW)


async def test_reset_link_expires(client, app, db, email_outbox):
    user = make_user(db, "xena@example.org")
    db.commit()
    now = {"t": at(0)}
    app.state.clock = lambda: now["t"]
    await forgot(client, user.email)
    link = await emailed_link(email_outbox, user.email)
    now["t"] = at(61)
    answer = await client.get(link)
    assert answer.status_code == 400 and "expired" in answer.text
    api = await client.post("/api/v1/password/reset", json={"token": link.rsplit("/", 1)[1],
                                                            "new_password": NEW})
    assert api.status_code == 400 and api.json()["error"] == "invalid_link"


async def test_weak_password_on_the_link_keeps_the_link(client, db, email_outbox):
    user = make_user(db, "yara@example.org", name="Yara Young")
    db.commit()
    await forgot(client, user.email)
    link = await emailed_link(email_outbox, user.email)
    form = await client.get(link)
    weak = await client.post(link, data={"new_password": "yarayoung", "confirm_password": "yarayoung",
                                         "csrf_token": anon_csrf(form.text)})
    assert weak.status_code == 422 and "your own name" in weak.text
    db.expire_all()
    assert db.scalar(select(PasswordResetToken.used_at).where(PasswordResetToken.user_id == user.id)) is None
    assert (await client.get(link)).status_code == 200


async def test_reset_ends_sessions_and_deactivated_accounts_get_no_email(client, db, email_outbox):
    user = make_user(db, "zed@example.org")
    gone = make_user(db, "gone@example.org")
    gone.is_active = False
    db.commit()
    await login(client, user.email)
    cookie = client.cookies.get("connect_session")
    api = await client.post("/api/v1/password/forgot", json={"email": "ZED@example.org "})
    assert api.status_code == 202
    link = await emailed_link(email_outbox, user.email)
    ok = await client.post("/api/v1/password/reset", json={"token": link.rsplit("/", 1)[1],
                                                           "new_password": NEW})
    assert ok.status_code == 200, ok.text
    client.cookies.set("connect_session", cookie)
    assert (await client.get("/api/v1/profile")).status_code == 401

    assert (await client.post("/api/v1/password/forgot", json={"email": gone.email})).status_code == 202
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == gone.email)) is None


async def test_forgot_password_is_rate_limited(client, app, db, email_outbox):
    user = make_user(db, "ray@example.org")
    db.commit()
    app.state.clock = lambda: at(0)
    for _ in range(5):  # four free requests, the fifth starts the wait
        assert (await client.post("/api/v1/password/forgot", json={"email": user.email})).status_code == 202
    limited = await client.post("/api/v1/password/forgot", json={"email": user.email})
    assert limited.status_code == 429 and "Try again in" in limited.json()["detail"]
    db.expire_all()
    assert len(db.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)).all()) == 5


async def test_sign_out_everywhere_ends_every_session(client, app, db):
    import httpx

    user = make_user(db, "everywhere@example.org")
    db.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as phone:
        await login(phone, user.email)
        csrf = await login(client, user.email)
        answer = await client.post("/logout/everywhere", data={"csrf_token": csrf})
        assert answer.status_code == 303
        assert (await phone.get("/api/v1/profile")).status_code == 401
    assert db.scalar(select(WebSession).where(WebSession.ended_at.is_(None))) is None


async def test_forgot_password_limits_each_account_not_a_whole_clinic(client, db):
    """Colleagues behind one address each get their reset; repeats for one account wait."""
    colleagues = [make_user(db, f"clinic{i}@example.org") for i in range(8)]
    db.commit()
    for user in colleagues:  # more than the per-account allowance, from the same address
        answer = await client.post("/api/v1/password/forgot", json={"email": user.email})
        assert answer.status_code == 202, answer.text
    for _ in range(4):
        await client.post("/api/v1/password/forgot", json={"email": colleagues[0].email})
    repeated = await client.post("/api/v1/password/forgot", json={"email": colleagues[0].email})
    assert repeated.status_code == 429
