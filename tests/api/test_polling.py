"""What an integrator polls: every list pages with `per_page` and narrows to what changed with
`updated_since`; the vocabularies are read from GET /api/v1/vocabularies, not guessed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from models.clients.tables import Client
from models.messages.tables import Notification
from models.referrals.tables import Referral
from tests.factories import make_client, make_referral
from tests.referral_network import bearer, make_network

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


async def test_referral_lists_page_and_poll(client, db):
    net = make_network(db)
    old, new, newer = (make_referral(db, net.sending, net.receiving, net.sender) for _ in range(3))
    db.flush()
    db.execute(update(Referral).where(Referral.id == old.id).values(updated_at=LONG_AGO))
    db.commit()
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    for path, headers in [("sent", bearer(db, net.sending_gatekeeper, net.sending)),
                          ("incoming", bearer(db, net.gatekeeper, net.receiving))]:
        first = (await client.get(f"/api/v1/referrals/{path}", params={"per_page": 2}, headers=headers)).json()
        assert (len(first["items"]), first["per_page"], first["pages"], first["total"]) == (2, 2, 2, 3), path
        polled = (await client.get(f"/api/v1/referrals/{path}", params={"updated_since": since},
                                   headers=headers)).json()
        assert {r["id"] for r in polled["items"]} == {new.id, newer.id}, path
        assert all(r["updated_at"] for r in polled["items"])
        naive = (await client.get(f"/api/v1/referrals/{path}", headers=headers,
                                  params={"updated_since": "2019-12-31T00:00:00"})).json()
        assert naive["total"] == 3  # a time without an offset is UTC


async def test_client_search_pages_and_polls(client, db):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    others = [make_client(db, net.sending, net.sender, first_name="Zelda", last_name=f"Quartz{i}") for i in range(3)]
    db.flush()
    db.execute(update(Client).where(Client.id.in_([net.client.id, others[0].id])).values(updated_at=LONG_AGO))
    db.commit()
    paged = (await client.get("/api/v1/clients", params={"q": "zelda", "per_page": 2}, headers=headers)).json()
    assert (len(paged["results"]), paged["per_page"], paged["total"]) == (2, 2, 4)
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    polled = (await client.get("/api/v1/clients", params={"q": "zelda", "updated_since": since},
                               headers=headers)).json()
    assert {r["id"] for r in polled["results"]} == {others[1].id, others[2].id}
    feed = (await client.get("/api/v1/clients", params={"updated_since": since}, headers=headers)).json()
    assert {r["id"] for r in feed["results"]} == {others[1].id, others[2].id}
    assert all(r["visible"] for r in feed["results"])
    stranger = bearer(db, net.outsider, net.outside)
    assert (await client.get("/api/v1/clients", params={"updated_since": since}, headers=stranger)).json()[
        "results"] == []  # another program's clients are not its to follow


async def test_notifications_page_and_poll(client, db):
    net = make_network(db)
    headers = bearer(db, net.gatekeeper, net.receiving)
    now = datetime.now(timezone.utc)
    rows = [Notification(user_id=net.gatekeeper.id, kind="test", text=f"n{i}", link="/",
                         created_at=LONG_AGO if i < 2 else now) for i in range(4)]
    rows[0].read_at = now  # read since: it changed
    db.add_all(rows)
    db.commit()
    paged = (await client.get("/api/v1/notifications", params={"per_page": 3}, headers=headers)).json()
    assert (len(paged["items"]), paged["per_page"], paged["pages"]) == (3, 3, 2)
    since = (now - timedelta(minutes=5)).isoformat()
    polled = (await client.get("/api/v1/notifications", params={"updated_since": since}, headers=headers)).json()
    assert {n["text"] for n in polled["items"]} == {"n0", "n2", "n3"}


async def test_the_vocabularies_are_readable(client, db):
    net = make_network(db)
    vocab = (await client.get("/api/v1/vocabularies", headers=bearer(db, net.sender, net.sending))).json()
    assert {"code": "mental_health", "label": "Mental health"} in vocab["services"]
    assert any(i["code"] == "medicaid" for i in vocab["insurance_types"])
    assert len(vocab["counties"]) == 56
    assert {"name": "Lewis and Clark", "region": vocab["counties"][24]["region"],
            "region_name": vocab["counties"][24]["region_name"]} == vocab["counties"][24]
    assert any(t["sensitive"] for t in vocab["information_types"])
    assert (await client.get("/api/v1/vocabularies")).status_code == 401
