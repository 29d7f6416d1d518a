"""The Montana demo network loads and shows every role, with a program whose agency MOU is due
soon and one whose MOU has lapsed, on the administrators' pages."""

from __future__ import annotations

from sqlalchemy import select

from demo import data as demo
from demo.seed import seed
from domain.mou import MouStatus, mou_status_on
from models.accounts.tables import User
from models.agencies.directory import visible_programs_query
from models.agencies.tables import Program
from tests.factories import HTML, anon_csrf, montana_today


async def sign_in(client, email):
    page = await client.get("/login")
    answer = await client.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD,
                                               "csrf_token": anon_csrf(page.text)})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def test_demo_network_shows_every_role_and_the_mou_cases(client, db):
    today = montana_today()
    logins = seed(db, today)
    db.commit()
    assert {"state.team@connect.demo", "admin.region2@connect.demo", demo.FIRST_LOGIN_USER} <= {e for e, *_ in logins}
    programs = {p.display_name: p for p in db.scalars(select(Program))}
    assert mou_status_on(programs[demo.MOU_DUE_SOON].mou_expires_on, today) is MouStatus.DUE_SOON
    assert mou_status_on(programs[demo.MOU_LAPSED].mou_expires_on, today) is MouStatus.LAPSED
    visible = {p.display_name for p in db.scalars(visible_programs_query(today))}
    assert demo.MOU_LAPSED not in visible and demo.MOU_DUE_SOON in visible

    assert await sign_in(client, "admin.region2@connect.demo") == "/"
    overview = await client.get("/admin/mou", headers=HTML)
    assert demo.MOU_DUE_SOON in overview.text and demo.MOU_LAPSED in overview.text
    assert "Harper Hiline" in overview.text  # whom to call

    client.cookies.clear()
    assert await sign_in(client, demo.FIRST_LOGIN_USER) == "/password/change"
    client.cookies.clear()
    assert await sign_in(client, "multi@connect.demo") == "/profile"
    newuser = db.scalar(select(User).where(User.email == demo.FIRST_LOGIN_USER))
    assert newuser.must_change_password and newuser.mou_expires_on is None


async def test_every_account_page_renders_on_the_demo_network(client, db):
    seed(db, montana_today())
    db.commit()
    program = db.scalar(select(Program).where(Program.name == "Lewis and Clark Public Health"))
    person = db.scalar(select(User).where(User.email == "multi@connect.demo"))
    await sign_in(client, "state.team@connect.demo")
    pages = ["/", "/admin", "/admin/agencies", "/admin/agencies?q=health&page=2", "/admin/agencies/new",
             f"/admin/agencies/{program.agency_id}", f"/admin/agencies/{program.agency_id}/programs/new",
             "/admin/programs", "/admin/programs?region=4", f"/admin/programs/{program.id}",
             f"/admin/programs/{program.id}/fields", "/admin/mou", "/admin/mou?status=valid",
             "/admin/users", "/admin/users?status=inactive", "/admin/users/new",
             f"/admin/users/{person.id}", f"/admin/users/{person.id}/deactivate",
             "/profile", "/mou", "/agency/mou", "/notifications", "/account/tokens", "/password/change"]
    for path in pages:
        answer = await client.get(path, headers=HTML)
        assert answer.status_code == 200, (path, answer.text[-500:])
    client.cookies.clear()
    await sign_in(client, "gatekeeper@connect.demo")
    for path in ["/", "/profile", "/mou", "/agency/mou", f"/agency/mou/{program.id}", "/notifications",
                 "/account/tokens"]:
        answer = await client.get(path, headers=HTML)
        assert answer.status_code == 200, (path, answer.text[-500:])
    assert 'data-testid="current-program">Lewis and Clark Public Health<' in answer.text
