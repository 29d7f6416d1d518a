"""Administrators merge duplicate profiles: referrals, ROIs, phones and history move to the
survivor, the duplicate is kept and marked, the merge is audited and can be undone row by row."""


import httpx
import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.clients.tables import Client, ClientChange, ClientPhone
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation
from tests.clients.conftest import Session
from tests.factories import (
    login,
    make_client,
    make_program,
    make_signed_roi,
    make_user,
    montana_today,
)


@pytest.fixture
def records(db):
    """Two profiles of one person, each with an ROI, a referral and history."""
    helena, butte, bozeman = (make_program(db, n) for n in ("Helena Clinic", "Butte Food", "Bozeman WIC"))
    user = make_user(db, "staff@example.org", provider_of=(helena, butte))
    survivor = make_client(db, helena, user, first_name="Dana", last_name="Hill", phone="+14065550001")
    duplicate = make_client(db, butte, user, first_name="Dana", last_name="Hil", phone="+14065550002",
                            county="Silver Bow")
    duplicate.phones.append(ClientPhone(e164="+14065550001", label="home", position=1))
    roi = make_signed_roi(db, duplicate, butte, (bozeman,), user)
    referral = Referral(client_id=duplicate.id, roi_id=roi.id, sending_program_id=butte.id,
                        receiving_program_id=bozeman.id, sender_user_id=user.id, state="sent")
    db.add(referral)
    db.add(ClientChange(client_id=duplicate.id, user_id=user.id, program_id=butte.id, kind="created",
                        changes={}))
    db.commit()
    return {"survivor": survivor.id, "duplicate": duplicate.id, "roi": roi.id,
            "referral": referral.id, "programs": (helena, butte, bozeman), "user": user}


async def admin_session(client, db, email, **roles) -> Session:
    user = make_user(db, email, name="Ada Admin", **roles)
    db.commit()
    csrf = await login(client, email)
    return Session(client, csrf, None, user)


async def test_merge_moves_everything_and_unmerge_puts_it_back(client, db, records):
    admin = await admin_session(client, db, "state@example.org", state_team=True)
    survivor, duplicate = records["survivor"], records["duplicate"]
    r = await admin.api("POST", f"/api/v1/clients/{survivor}/merge", json={"duplicate_id": duplicate})
    assert r.status_code == 200, r.text
    moved = r.json()["moved"]
    assert moved["referral"] == [records["referral"]] and moved["roi"] == [records["roi"]]
    assert len(moved["client_phone"]) == 1  # the number the survivor already had stays behind

    db.expire_all()
    assert db.get(Client, duplicate).merged_into_id == survivor
    assert db.get(Referral, records["referral"]).client_id == survivor
    assert db.get(ReleaseOfInformation, records["roi"]).client_id == survivor
    assert [p.e164 for p in db.get(Client, survivor).phones] == ["+14065550001", "+14065550002"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "client.merged"))
    assert event.user_id == admin.user.id and event.detail["merged_client_id"] == duplicate
    assert event.detail["moved"] == {"referral": 1, "roi": 1, "client_change": 1, "client_phone": 1}

    # the duplicate is kept, not searchable, and its programs now reach the survivor
    helena, butte, bozeman = records["programs"]
    from models.clients.access import can_see_client

    assert can_see_client(db, butte.id, survivor, montana_today())
    assert can_see_client(db, bozeman.id, survivor, montana_today())

    # a referral made after the merge stays with the survivor on unmerge
    later = Referral(client_id=survivor, roi_id=records["roi"], sending_program_id=helena.id,
                     receiving_program_id=butte.id, sender_user_id=records["user"].id, state="sent")
    db.add(later)
    db.commit()

    r = await admin.api("POST", f"/api/v1/clients/{duplicate}/unmerge")
    assert r.status_code == 200, r.text
    db.expire_all()
    assert db.get(Client, duplicate).merged_into_id is None
    assert db.get(Referral, records["referral"]).client_id == duplicate
    assert db.get(ReleaseOfInformation, records["roi"]).client_id == duplicate
    assert db.get(Referral, later.id).client_id == survivor
    assert [p.e164 for p in db.get(Client, survivor).phones] == ["+14065550001"]
    assert sorted(p.e164 for p in db.get(Client, duplicate).phones) == ["+14065550001", "+14065550002"]
    kinds = [c.kind for c in db.scalars(select(ClientChange).where(ClientChange.client_id == survivor)
                                        .order_by(ClientChange.id))]
    assert kinds[-2:] == ["merged", "unmerged"]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "client.unmerged")).entity_id == str(duplicate)

    again = await admin.api("POST", f"/api/v1/clients/{duplicate}/unmerge")
    assert again.status_code == 409 and again.json()["error"] == "not_merged"


async def test_a_merged_profile_points_to_the_survivor(client, db, records):
    admin = await admin_session(client, db, "state@example.org", state_team=True)
    survivor, duplicate = records["survivor"], records["duplicate"]
    await admin.api("POST", f"/api/v1/clients/{survivor}/merge", json={"duplicate_id": duplicate})
    helena = records["programs"][0]
    make_user(db, "solo@example.org", provider_of=(helena,))
    db.commit()
    solo = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await login(solo, "solo@example.org")
    body = (await solo.get(f"/api/v1/clients/{duplicate}")).json()
    assert body["merged_into_id"] == survivor
    page = await solo.get(f"/clients/{duplicate}", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith(f"/clients/{survivor}")
    await solo.aclose()


async def test_designated_administrators_merge_only_in_their_regions(client, db, records):
    # Helena (Lewis and Clark) and Butte (Silver Bow) are both in region 4; Missoula is 5.
    western = await admin_session(client, db, "west@example.org", admin_regions=(5,))
    r = await western.api("POST", f"/api/v1/clients/{records['survivor']}/merge",
                          json={"duplicate_id": records["duplicate"]})
    assert r.status_code == 403 and r.json()["error"] == "merge_not_allowed"
    db.expire_all()
    assert db.get(Client, records["duplicate"]).merged_into_id is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "client.merged")) is None

    await client.post("/logout", data={"csrf_token": western.csrf})
    southwest = await admin_session(client, db, "sw@example.org", admin_regions=(4,))
    r = await southwest.api("POST", f"/api/v1/clients/{records['survivor']}/merge",
                            json={"duplicate_id": records["duplicate"]})
    assert r.status_code == 200


async def test_providers_cannot_merge(client, db, records):
    csrf = await login(client, "staff@example.org")
    r = await client.post(f"/api/v1/clients/{records['survivor']}/merge",
                          json={"duplicate_id": records["duplicate"]}, headers={"x-csrf-token": csrf})
    assert r.status_code == 403


async def test_open_referrals_to_one_program_block_the_merge(client, db, records):
    helena, butte, bozeman = records["programs"]
    survivor = db.get(Client, records["survivor"])
    roi = make_signed_roi(db, survivor, helena, (bozeman,), records["user"])
    db.add(Referral(client_id=survivor.id, roi_id=roi.id, sending_program_id=helena.id,
                    receiving_program_id=bozeman.id, sender_user_id=records["user"].id, state="assigned"))
    db.commit()
    admin = await admin_session(client, db, "state@example.org", state_team=True)
    r = await admin.api("POST", f"/api/v1/clients/{survivor.id}/merge",
                        json={"duplicate_id": records["duplicate"]})
    assert r.status_code == 409 and r.json()["error"] == "merge_open_referrals"
    db.expire_all()
    assert db.get(Client, records["duplicate"]).merged_into_id is None


@pytest.mark.parametrize("case", ["same", "already_merged"])
async def test_impossible_merges_are_refused(client, db, records, case):
    admin = await admin_session(client, db, "state@example.org", state_team=True)
    survivor, duplicate = records["survivor"], records["duplicate"]
    if case == "already_merged":
        await admin.api("POST", f"/api/v1/clients/{survivor}/merge", json={"duplicate_id": duplicate})
        r = await admin.api("POST", f"/api/v1/clients/{survivor}/merge", json={"duplicate_id": duplicate})
        assert r.json()["error"] == "client_merged"
    else:
        r = await admin.api("POST", f"/api/v1/clients/{survivor}/merge", json={"duplicate_id": survivor})
        assert r.json()["error"] == "merge_same"
    assert r.status_code == 409


async def test_merge_page_compares_then_merges_and_undoes(client, db, records):
    admin = await admin_session(client, db, "state@example.org", state_team=True)
    survivor, duplicate = records["survivor"], records["duplicate"]
    page = await admin.page("GET", f"/admin/clients/merge?survivor={survivor}&duplicate={duplicate}")
    assert page.status_code == 200
    assert 'data-testid="merge-compare"' in page.text and "last name differs by one letter" in page.text
    views = db.scalars(select(AuditEvent).where(AuditEvent.action == "client.viewed")).all()
    assert {v.entity_id for v in views} == {str(survivor), str(duplicate)}

    unconfirmed = await admin.page("POST", "/admin/clients/merge",
                                   {"survivor_id": survivor, "duplicate_id": duplicate})
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    done = await admin.page("POST", "/admin/clients/merge",
                            {"survivor_id": survivor, "duplicate_id": duplicate, "confirm": "1"})
    assert done.status_code == 303
    listing = await admin.page("GET", done.headers["location"])
    assert "was merged" in listing.text and 'data-testid="recent-merges"' in listing.text
    undone = await admin.page("POST", f"/admin/clients/{duplicate}/unmerge")
    assert undone.status_code == 303
    db.expire_all()
    assert db.get(Client, duplicate).merged_into_id is None
