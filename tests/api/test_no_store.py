"""Issue #19: no browser or proxy keeps a copy of what a signed-in person sees. The walk opens
every GET route of the app as a signed-in gatekeeper (path ids filled with 1) and checks the
answer, whatever its status, says ``Cache-Control: no-store``; only the static files may be cached."""

from __future__ import annotations

import re

from tests.api.test_gate import api_routes
from tests.factories import HTML, login, make_program, make_user


async def test_every_signed_in_get_route_answers_no_store(dev_app, dev_client, db):
    app, client = dev_app, dev_client  # development: the dev outbox is mounted too
    program = make_program(db, "Helena Food Share")
    user = make_user(db, gatekeeper_of=(program,), state_team=True)
    db.commit()
    await login(client, user.email)
    paths = sorted({re.sub(r"\{[^}]+\}", "1", path) for path, methods, _d in api_routes(app)
                    if "GET" in methods})
    assert {"/outbox", "/admin/users", "/escalations/1", "/notifications"} <= set(paths)
    assert any(p.startswith("/reports/") for p in paths)
    cached = []
    for path in paths:
        r = await client.get(path, headers=HTML)
        if r.headers.get("cache-control") != "no-store":
            cached.append((path, r.status_code, r.headers.get("cache-control")))
    assert cached == []
    assert len(paths) > 50  # the walk really covered the app


async def test_static_files_may_be_cached(client):
    r = await client.get("/static/connect.css")
    assert r.status_code == 200 and r.headers.get("cache-control") != "no-store"
