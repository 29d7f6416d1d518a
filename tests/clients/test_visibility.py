"""Who may see a client (docs/rules.md): the creating program, programs on a valid ROI, programs
holding a referral; nobody else."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models.clients.access import can_see_client, visible_to
from models.clients.tables import Client
from models.referrals.tables import Referral
from tests.factories import (
    make_client,
    make_program,
    make_signed_roi,
    make_user,
    montana_today,
)

TODAY = montana_today()


@pytest.fixture
def network(db):
    creator, partner, stranger = (make_program(db, n) for n in ("Creator", "Partner", "Stranger"))
    user = make_user(db, provider_of=(creator, partner, stranger))
    client = make_client(db, creator, user)
    return creator, partner, stranger, user, client


def test_creator_sees_others_do_not(db, network):
    creator, partner, stranger, _, client = network
    assert can_see_client(db, creator.id, client.id, TODAY)
    assert not can_see_client(db, partner.id, client.id, TODAY)
    assert not can_see_client(db, None, client.id, TODAY)


def test_signed_roi_opens_the_client_to_every_program_on_it(db, network):
    creator, partner, stranger, user, client = network
    make_signed_roi(db, client, creator, (partner,), user)
    assert can_see_client(db, partner.id, client.id, TODAY)
    assert not can_see_client(db, stranger.id, client.id, TODAY)


@pytest.mark.parametrize(
    ("signed_on", "state", "revoked", "visible"),
    [
        (TODAY - timedelta(days=364), "signed", False, True),
        (TODAY - timedelta(days=400), "signed", False, False),  # expired by date
        (TODAY - timedelta(days=10), "expired", False, False),
        (TODAY - timedelta(days=10), "signed", True, False),  # revoked
        (TODAY - timedelta(days=10), "awaiting_signature", False, False),
    ],
)
def test_only_a_valid_roi_counts(db, network, signed_on, state, revoked, visible):
    creator, partner, _, user, client = network
    roi = make_signed_roi(db, client, creator, (partner,), user, signed_on=signed_on, state=state)
    if revoked:
        roi.revoked_at = datetime.now(timezone.utc)
        db.flush()
    assert can_see_client(db, partner.id, client.id, TODAY) is visible


def _referral(db, client, roi, sending, receiving, user, state):
    referral = Referral(client_id=client.id, roi_id=roi.id, sending_program_id=sending.id,
                        receiving_program_id=receiving.id, sender_user_id=user.id, state=state)
    db.add(referral)
    db.flush()
    return referral


def test_programs_holding_a_referral_see_the_client(db, network):
    creator, partner, stranger, user, client = network
    roi = make_signed_roi(db, client, creator, (partner,), user, state="expired")
    _referral(db, client, roi, partner, stranger, user, "closed")
    assert can_see_client(db, partner.id, client.id, TODAY)  # the sender
    assert can_see_client(db, stranger.id, client.id, TODAY)  # the receiver


def test_an_unsent_referral_is_not_the_receivers_yet(db, network):
    creator, partner, _, user, client = network
    roi = make_signed_roi(db, client, creator, (partner,), user, state="expired")
    _referral(db, client, roi, creator, partner, user, "pending")
    assert not can_see_client(db, partner.id, client.id, TODAY)


def test_creator_of_a_profile_merged_away_sees_the_survivor(db, network):
    creator, partner, _, user, client = network
    duplicate = make_client(db, partner, user, first_name="Alexander")
    duplicate.merged_into_id = client.id
    db.flush()
    assert can_see_client(db, partner.id, client.id, TODAY)


def test_the_sql_condition_filters_lists(db, network):
    creator, partner, _, user, client = network
    other = make_client(db, partner, user, first_name="Jamie")
    ids = set(db.scalars(select(Client.id).where(visible_to(creator.id, TODAY))))
    assert ids == {client.id}
    assert other.id not in ids
