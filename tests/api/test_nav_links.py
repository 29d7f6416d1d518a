"""The header offers only links the person may follow: before the User MOU is signed, clients,
referrals, escalations and the outbox answer "Not allowed", so the header leaves them out and
leads to the MOU instead; once it is signed every link is there, and every link opens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import HTML, login, make_program, make_user, montana_today

OPEN_BEFORE_SIGNING = {"/mou", "/reports", "/admin", "/notifications", "/profile"}
AFTER_SIGNING = {"/clients", "/referrals/sent", "/agency/referrals", "/reports", "/admin",
                 "/escalations", "/outbox", "/notifications", "/profile"}


def header_links(html: str) -> set[str]:
    """The links of the primary navigation and of the agency-profile bar."""
    parts = [re.search(r'<nav class="usa-nav connect-nav".*?</nav>', html, re.S),
             re.search(r'<footer class="connect-profile-bar".*?</footer>', html, re.S)]
    return {href for part in parts if part for href in re.findall(r'href="([^"]+)"', part.group(0))}


async def choose(client, email: str, program_id: int) -> None:
    """Signs in and acts as ``program_id`` (the person has two programs)."""
    csrf = await login(client, email)
    chosen = await client.post("/profile", headers=HTML, data={"program_id": str(program_id), "csrf_token": csrf})
    assert chosen.status_code == 303, chosen.text


async def assert_all_open(client, links: set[str]) -> None:
    for link in sorted(links):
        answer = await client.get(link, headers=HTML, follow_redirects=True)
        assert answer.status_code == 200, (link, answer.status_code, answer.text[:300])


@pytest.mark.parametrize("expires_on", [None, montana_today() - timedelta(days=1)], ids=["never", "lapsed"])
async def test_before_the_user_mou_the_header_offers_only_what_opens(dev_client, db, expires_on):
    one, two = make_program(db), make_program(db)
    user = make_user(db, "nomou@example.org", name="Nico Newuser", gatekeeper_of=(one,),
                     provider_of=(one, two), admin_regions=(4,), mou_signed=False)
    user.mou_expires_on = expires_on
    db.commit()
    await choose(dev_client, user.email, one.id)

    page = await dev_client.get("/mou", headers=HTML)
    assert page.status_code == 200
    assert header_links(page.text) == OPEN_BEFORE_SIGNING
    assert '<a class="usa-nav-link" href="/mou"><span>User MOU</span></a>' in page.text
    await assert_all_open(dev_client, OPEN_BEFORE_SIGNING)
    # what the header leaves out is indeed refused
    for link in sorted(AFTER_SIGNING - OPEN_BEFORE_SIGNING):
        answer = await dev_client.get(link, headers=HTML)
        assert answer.status_code == 403 and "User MOU" in answer.text, link


async def test_with_the_user_mou_signed_every_link_is_offered_and_opens(dev_client, db):
    one, two = make_program(db), make_program(db)
    user = make_user(db, "signed@example.org", gatekeeper_of=(one,), provider_of=(one, two),
                     admin_regions=(4,))
    db.commit()
    await choose(dev_client, user.email, one.id)
    page = await dev_client.get("/", headers=HTML)
    assert page.status_code == 200
    assert header_links(page.text) == AFTER_SIGNING
    await assert_all_open(dev_client, AFTER_SIGNING)
