"""The bell: unread count, the list with links, marking read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.messages.tables import Notification
from tests.factories import HTML, login, make_user


def notify(db, user, text, link="/mou", minutes=0):
    row = Notification(user_id=user.id, kind="test", text=text, link=link,
                       created_at=datetime(2026, 5, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes))
    db.add(row)
    db.flush()
    return row


async def test_bell_list_open_and_mark_read(client, db):
    user = make_user(db, "bell@example.org")
    other = make_user(db, "other@example.org")
    first = notify(db, user, "Your CONNECT User MOU is due in 30 days.", "/mou", 0)
    second = notify(db, user, "The agency MOU of X has lapsed.", "/agency/mou/3", 1)
    theirs = notify(db, other, "Not yours.")
    db.commit()
    csrf = await login(client, user.email)

    bell = await client.get("/notifications/count", headers=HTML)
    assert 'data-testid="bell-count">2<' in bell.text and 'hx-get="/notifications/count"' in bell.text
    page = await client.get("/notifications", headers=HTML)
    assert page.text.index("agency MOU of X") < page.text.index("User MOU is due")  # newest first
    assert "Not yours." not in page.text

    opened = await client.get(f"/notifications/{second.id}/open")
    assert opened.status_code == 303 and opened.headers["location"] == "/agency/mou/3"
    assert (await client.get("/api/v1/notifications/count")).json() == {"unread": 1}
    unread = (await client.get("/api/v1/notifications?unread=true")).json()
    assert [n["id"] for n in unread["items"]] == [first.id]

    assert (await client.get(f"/notifications/{theirs.id}/open")).status_code == 404
    marked = await client.post("/notifications/read-all", data={"csrf_token": csrf})
    assert marked.status_code == 303
    bell = await client.get("/notifications/count", headers=HTML)
    assert 'data-testid="bell-count"></span>' in bell.text


async def test_notifications_api_pages_and_marks_one(client, db):
    user = make_user(db, "pages@example.org")
    rows = [notify(db, user, f"note {i}", minutes=i) for i in range(30)]
    db.commit()
    csrf = await login(client, user.email)
    page2 = (await client.get("/api/v1/notifications?page=2&per_page=25")).json()
    assert page2["total"] == 30 and page2["pages"] == 2 and len(page2["items"]) == 5
    one = await client.post(f"/api/v1/notifications/{rows[0].id}/read", headers={"x-csrf-token": csrf})
    assert one.json()["read_at"] is not None
    assert (await client.post("/api/v1/notifications/read-all", headers={"x-csrf-token": csrf})).json() == {"marked": 29}
