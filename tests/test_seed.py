"""The Montana demo network loads and shows every role, with a program whose agency MOU is due
soon and one whose MOU has lapsed, on the administrators' pages."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from connect import demo_data as demo
from connect.seed import seed
from domain.mou import MouStatus, mou_status_on
from models.accounts import User
from models.directory import visible_programs_query
from models.org import Program
from tests.factories import HTML, anon_csrf


async def sign_in(client, email):
    page = await client.get("/login")
    answer = await client.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD,
                                               "csrf_token": anon_csrf(page.text)})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def test_demo_network_shows_every_role_and_the_mou_cases(client, db):
    today = date.today()
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
