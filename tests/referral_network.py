"""A small referral network for tests: two agencies, their people, a client and a signed ROI."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.accounts.tables import User
from models.clients.tables import Client
from models.agencies.tables import Program, ProgramFormField
from models.releases.tables import ReleaseOfInformation
from models.accounts.sessions import create_api_token
from tests.factories import (
    eventually,  # noqa: F401 (tests import it from here)
    make_client,
    make_program,
    make_signed_roi,
    make_user,
)


@dataclass
class Network:
    sending: Program  # Helena Food Share
    receiving: Program  # PureView Behavioral Health (another agency)
    sender: User  # a provider of the sending program
    sending_gatekeeper: User
    gatekeeper: User  # of the receiving program
    provider: User  # of the receiving program
    provider2: User
    outsider: User  # a provider of a third program
    outside: Program
    client: Client
    roi: ReleaseOfInformation


_id_blocks = itertools.count(1)


def fresh_referral_ids(db: Session, table: str = "referral") -> None:
    """Each test empties the tables, but the Temporal server lives for the whole session: start
    this test's ids of ``table`` (referrals, webhook deliveries) where no earlier test's
    workflow named after them can be running."""
    start = next(_id_blocks) * 10_000
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": start})
    else:
        db.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        db.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"), {"t": table, "n": start})
    db.commit()


def make_network(db: Session, *, form_fields: bool = True) -> Network:
    fresh_referral_ids(db)
    sending = make_program(db, "Helena Food Share", services=("food_nutrition",))
    receiving = make_program(db, "Behavioral Health", services=("mental_health", "food_nutrition"))
    outside = make_program(db, "Outpatient Recovery", services=("substance_use",))
    if form_fields:
        receiving.form_fields = [
            ProgramFormField(tab="Screening", key="urgent", label="Is this urgent?", kind="yesno",
                             required=True, position=1),
            ProgramFormField(tab="Screening", key="preferred_time", label="Preferred time", kind="choice",
                             choices=["Morning", "Afternoon"], required=False, position=2),
            ProgramFormField(tab="Insurance", key="member_id", label="Member ID", kind="text",
                             required=True, position=1),
        ]
    net = Network(
        sending=sending, receiving=receiving, outside=outside,
        sender=make_user(db, "sender@food.example", name="Sam Sender", provider_of=(sending,)),
        sending_gatekeeper=make_user(db, "gk@food.example", name="Fran Foodgate", gatekeeper_of=(sending,)),
        gatekeeper=make_user(db, "gk@pureview.example", name="Quinn Gatekeeper", gatekeeper_of=(receiving,)),
        provider=make_user(db, "therapist@pureview.example", name="Morgan Therapist", provider_of=(receiving,)),
        provider2=make_user(db, "counselor@pureview.example", name="Casey Counselor", provider_of=(receiving,)),
        outsider=make_user(db, "peer@recovery.example", name="Olly Outsider", provider_of=(outside,)),
        client=None, roi=None,  # type: ignore[arg-type]
    )
    net.client = make_client(db, sending, net.sender, first_name="Zelda", last_name="Quartermaine")
    net.roi = make_signed_roi(db, net.client, sending, (receiving,), net.sender)
    db.commit()
    return net


COMPLETE_FORM = {"reason": "Client asked for counselling after losing her job.",
                 "fields": {"urgent": "no", "preferred_time": "Morning", "member_id": "MT-12345"}}


def bearer(db: Session, user: User, program: Program | None) -> dict[str, str]:
    """Headers of an API client using the user's personal token, acting as ``program`` (None for
    people who hold no program, such as administrators)."""
    _row, secret = create_api_token(db, user, "tests", program.id if program else None,
                                    datetime.now(timezone.utc))
    db.commit()
    return {"Authorization": f"Bearer {secret}"}




async def whole_loop(client, db, net: Network) -> int:
    """Drives one referral of the network through its whole loop over the API: saved, sent (its
    nudge and escalation timers start), a call logged, assigned, reassigned, a status, progress,
    closed (its run ends). Returns the referral's id."""
    sender, gatekeeper = bearer(db, net.sender, net.sending), bearer(db, net.gatekeeper, net.receiving)
    provider = bearer(db, net.provider2, net.receiving)
    api = "/api/v1/referrals"
    saved = await client.post(api, headers=sender, json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "reason": "Needs counselling"})
    assert saved.status_code == 201, saved.text
    rid = saved.json()["id"]
    for headers, verb, body in [
        (sender, "send", {"insurance_confirmed": True, **COMPLETE_FORM}),
        (gatekeeper, "notes", {"contacted_at": "2026-01-05T10:30:00", "method": "phone",
                               "outcome": "left_message", "text": "Voicemail"}),
        (gatekeeper, "assign", {"provider_id": net.provider.id}),
        (gatekeeper, "reassign", {"provider_id": net.provider2.id}),
        (provider, "status", {"status": "Enrolled in Services", "comment": "first visit"}),
        (provider, "progress", {"text": "Attended week 1 of 6"}),
        (provider, "status", {"status": "Closed - Successful completion"}),
    ]:
        answer = await client.post(f"{api}/{rid}/{verb}", json=body, headers=headers)
        assert answer.status_code == 200, (verb, answer.text)
    return rid
