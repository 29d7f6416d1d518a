"""The MOU gate: every route under a protected prefix depends on `user_mou_actor` (through `mou_actor` for everyone acting as a program), so no client, ROI or
referral is reachable without a current user MOU and a chosen agency profile. The walk covers
routes added later: a new route that forgets the gate fails here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import PROTECTED_PREFIXES, MouActor, is_protected_path, user_mou_actor
from tests.factories import HTML, login, make_program, make_user, montana_today


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant]]:
    """Every FastAPI route of the app with its full path, however routers were included."""
    from fastapi import routing

    if hasattr(routing, "iter_route_contexts"):  # FastAPI keeps included routers nested
        for ctx in routing.iter_route_contexts(app.routes):
            if isinstance(ctx.original_route, APIRoute):
                yield ctx.path, set(ctx.methods or ()), ctx.original_route.dependant
    else:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, set(route.methods), route.dependant


def depends_on(dependant: Dependant, call) -> bool:
    return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)


def ungated(app: FastAPI) -> list[str]:
    return [path for path, _m, dep in api_routes(app)
            if is_protected_path(path) and not depends_on(dep, user_mou_actor)]


def probe_router() -> APIRouter:
    """Stand-ins for the client and referral routes other issues add: one gated, one not."""
    router = APIRouter()

    @router.get("/clients/probe/{client_id}")
    async def gated(client_id: int, actor: MouActor) -> dict:
        return {"program_id": actor.program_id}

    @router.post("/api/v1/referrals/probe")
    async def gated_post(actor: MouActor) -> dict:
        return {"ok": True}

    return router


@pytest.mark.parametrize(
    ("path", "protected"),
    [("/clients", True), ("/clients/5", True), ("/clientsx", False), ("/agency/referrals/2", True),
     ("/agency/mou/2", False), ("/api/v1/roi/9/sign", True), ("/api/v1/profile", False),
     ("/referrals", True), ("/roi", True), ("/api/v1/agency/referrals", True)],
)
def test_protected_paths(path, protected):
    assert is_protected_path(path) is protected


def test_every_protected_route_of_the_app_depends_on_mou_actor(app):
    assert ungated(app) == []


def test_the_walk_finds_a_route_that_forgets_the_gate(app):
    from api.deps import CurrentActor

    leaky = APIRouter()

    @leaky.get("/referrals/leaky")
    async def leaky_route(actor: CurrentActor) -> dict:
        return {}

    app.include_router(probe_router())
    app.include_router(leaky)
    assert ungated(app) == ["/referrals/leaky"]
    walked = {path for path, _m, _d in api_routes(app)}
    assert {"/clients/probe/{client_id}", "/api/v1/referrals/probe"} <= walked


def test_prefixes_cover_the_guide_s_areas():
    for area in ("/clients", "/roi", "/referrals", "/agency/referrals"):
        assert area in PROTECTED_PREFIXES and f"/api/v1{area}" in PROTECTED_PREFIXES


def _probe_path(path: str) -> str:
    """The path with 1 for every parameter: the gate answers before any lookup."""
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


async def _call(client, method: str, path: str, csrf: str, html: bool = False):
    headers = {"x-csrf-token": csrf, **(HTML if html else {})}
    return await client.request(method, path, headers=headers, json={} if method != "GET" else None)


async def test_every_protected_route_refuses_a_user_without_the_mou(app, client, db):
    app.include_router(probe_router())
    program = make_program(db)
    user = make_user(db, "nomou@example.org", provider_of=(program,), mou_signed=False)
    db.commit()
    csrf = await login(client, user.email)
    routes = [(p, m) for p, methods, _d in api_routes(app) if is_protected_path(p)
              for m in methods - {"HEAD", "OPTIONS"}]
    assert len(routes) >= 2
    for path, method in routes:
        answer = await _call(client, method, _probe_path(path), csrf)
        assert answer.status_code == 403, (method, path, answer.text)
        if path.startswith("/fhir/"):  # the FHIR API refuses with an OperationOutcome
            assert answer.json()["issue"][0]["diagnostics"] == "user_mou_required"
            continue
        assert answer.json()["error"] == "user_mou_required"
        assert answer.json()["link"] == "/mou"
    page = await client.get("/clients/probe/1", headers=HTML)
    assert page.status_code == 403
    assert "sign the CONNECT User MOU" in page.text and 'href="/mou"' in page.text


async def test_a_lapsed_user_mou_closes_the_gate_again(app, client, db):
    app.include_router(probe_router())
    program = make_program(db)
    user = make_user(db, "lapsed@example.org", provider_of=(program,))
    user.mou_expires_on = montana_today() - timedelta(days=1)
    db.commit()
    await login(client, user.email)
    answer = await client.get("/clients/probe/1")
    assert answer.status_code == 403 and answer.json()["error"] == "user_mou_required"


async def test_the_gate_also_needs_a_chosen_program(app, client, db):
    app.include_router(probe_router())
    one, two = make_program(db), make_program(db)
    user = make_user(db, "two@example.org", provider_of=(one, two))
    db.commit()
    csrf = await login(client, user.email)
    answer = await client.get("/clients/probe/1")
    assert answer.status_code == 403
    assert answer.json()["error"] == "program_required" and answer.json()["link"] == "/profile"
    chosen = await client.post("/api/v1/profile", json={"program_id": two.id},
                               headers={"x-csrf-token": csrf})
    assert chosen.status_code == 200
    assert (await client.get("/clients/probe/1")).json() == {"program_id": two.id}
