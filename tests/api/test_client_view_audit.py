"""Issue #19: every read of a client's details writes exactly one audit row naming the actor, the
program and the client, whichever route (page or JSON) shows them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from tests.factories import HTML, login, make_referral
from tests.referral_network import make_network

# Every route that shows a client's details, as the sending program sees it. {c}: the client,
# {r}: a sent referral, {p}: a pending one, {roi}: the signed ROI, {to}: the receiving program.
ROUTES = [
    "/clients/{c}", "/clients/{c}/edit", "/api/v1/clients/{c}",
    "/referrals/{r}", "/api/v1/referrals/{r}",
    "/referrals/{p}", "/api/v1/referrals/{p}",
    "/clients/{c}/referrals/new?program_id={to}",
    "/roi/{roi}", "/api/v1/roi/{roi}",
]


def _views(db) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "client.viewed")))


@pytest.mark.parametrize("route", ROUTES)
async def test_each_read_of_client_details_writes_one_audit_row(client, db, route):
    net = make_network(db)
    sent = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    other = make_referral(db, net.sending, net.outside, net.sender, client=net.client, state="pending")
    db.commit()
    await login(client, net.sender.email)
    url = route.format(c=net.client.id, r=sent.id, p=other.id, roi=net.roi.id, to=net.receiving.id)
    before = len(_views(db))
    r = await client.get(url, headers=HTML if not url.startswith("/api/") else {})
    assert r.status_code == 200, (url, r.text[:300])
    new = _views(db)[before:]
    assert len(new) == 1, url
    [event] = new
    assert (event.user_id, event.program_id, event.entity_id) == (net.sender.id, net.sending.id,
                                                                   str(net.client.id))
