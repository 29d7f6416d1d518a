"""A referral shows its client in full exactly when the one rule, `models.clients.access`, lets the
reader's program see that client: also for a program that created a profile since merged into the
referral's client, and never for the receiver of a referral not yet sent."""

from __future__ import annotations

from domain.roi import RoiState
from models.clients.access import can_see_client
from models.releases.tables import ReleaseOfInformation
from tests.factories import make_client, make_program, make_referral, make_user, montana_today
from tests.referral_network import bearer, fresh_referral_ids, make_network


def _network(db, *, merged_creator: bool):
    fresh_referral_ids(db)
    sending = make_program(db, "Helena Food Share")
    receiving = make_program(db, "Behavioral Health")
    sibling = make_program(db, "Crisis Line", agency=receiving.agency)  # same agency as the receiver
    sender = make_user(db, provider_of=(sending,))
    sibling_gatekeeper = make_user(db, gatekeeper_of=(sibling,))
    kept = make_client(db, sending, sender, first_name="Zelda", last_name="Quartermaine")
    if merged_creator:
        duplicate = make_client(db, sibling, sibling_gatekeeper, first_name="Zelda", last_name="Quartermain")
        duplicate.merged_into_id = kept.id
    referral = make_referral(db, sending, receiving, sender, client=kept)
    db.commit()
    return referral, sibling, sibling_gatekeeper


async def _read(client, db, referral, user, program) -> dict:
    answer = await client.get(f"/api/v1/referrals/{referral.id}", headers=bearer(db, user, program))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_creator_of_a_merged_profile_sees_the_client_on_the_referral(client, db):
    referral, sibling, gatekeeper = _network(db, merged_creator=True)
    assert can_see_client(db, sibling.id, referral.client_id, montana_today())
    body = await _read(client, db, referral, gatekeeper, sibling)
    assert body["client_details"]["dob"] == "1990-04-12" and body["reason"] is not None


async def test_an_agency_gatekeeper_without_a_basis_sees_the_name_only(client, db):
    referral, sibling, gatekeeper = _network(db, merged_creator=False)
    assert not can_see_client(db, sibling.id, referral.client_id, montana_today())
    body = await _read(client, db, referral, gatekeeper, sibling)
    assert body["client_details"] is None and body["reason"] is None and body["fields"] is None
    assert body["client"]["name"] == "Zelda Quartermaine"


async def test_the_receiver_of_an_unsent_referral_sees_nothing_of_it(client, db):
    fresh_referral_ids(db)
    sending, receiving = make_program(db, "Helena Food Share"), make_program(db, "Behavioral Health")
    sender, gatekeeper = make_user(db, provider_of=(sending,)), make_user(db, gatekeeper_of=(receiving,))
    referral = make_referral(db, sending, receiving, sender, state="pending")
    db.get(ReleaseOfInformation, referral.roi_id).state = RoiState.AWAITING_SIGNATURE.value  # not consent yet
    db.commit()
    assert can_see_client(db, sending.id, referral.client_id, montana_today())
    assert not can_see_client(db, receiving.id, referral.client_id, montana_today())
    answer = await client.get(f"/api/v1/referrals/{referral.id}", headers=bearer(db, gatekeeper, receiving))
    assert answer.status_code == 404


async def test_a_merged_clients_id_leads_to_the_kept_record(client, db):
    net = make_network(db)
    duplicate = make_client(db, net.sending, net.sender, first_name="Zelda", last_name="Quartermain")
    duplicate.merged_into_id = net.client.id
    make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    db.commit()
    headers = bearer(db, net.sender, net.sending)
    cards = [(await client.get("/api/v1/referrals/cards", params={"client_id": c}, headers=headers)).json()
             for c in (duplicate.id, net.client.id)]
    assert cards[0] == cards[1] and len(cards[0]) >= 1
    form = await client.get("/api/v1/referrals/form", params={"client_id": duplicate.id, "program_id": net.receiving.id},
                            headers=headers)
    assert form.status_code == 200 and form.json()["program"]["id"] == net.receiving.id
