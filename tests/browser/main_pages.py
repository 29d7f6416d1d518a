"""The main pages of CONNECT, each with the person who opens it, over a small referral network:
what the layout, accessibility and keyboard tests walk through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from models.messages.tables import Notification
from models.referrals.tables import Escalation
from tests.browser.steps import sign_in
from tests.factories import make_referral, make_signed_roi, make_user
from tests.referral_network import Network, make_network


@dataclass
class MainPages:
    net: Network
    admin_email: str
    # email -> [(name, path)]
    pages: dict[str, list[tuple[str, str]]]


def make_main_pages(db: Session) -> MainPages:
    net = make_network(db)
    now = datetime.now(timezone.utc)
    admin = make_user(db, "state@connect.example", name="Stacy Stateteam", state_team=True)
    referral = make_referral(db, net.sending, net.receiving, net.sender, client=net.client,
                             state="assigned", provider=net.provider, sent_at=now - timedelta(days=3),
                             acknowledged_at=now - timedelta(days=2))
    late = make_referral(db, net.sending, net.receiving, net.sender,
                         sent_at=now - timedelta(days=9), escalated_at=now - timedelta(days=2))
    db.add(Escalation(referral_id=late.id, region=net.receiving.region, raised_at=late.escalated_at))
    waiting = make_signed_roi(db, net.client, net.sending, (net.receiving,), net.sender,
                              state="awaiting_signature")
    waiting.signed_at = None
    waiting.rendered_text = "I authorise the programs named below to share the information listed.\n" * 30
    for user in (net.sender, net.gatekeeper, net.provider, admin):
        db.add(Notification(user_id=user.id, kind="referral", text="A referral was sent to your program.",
                            link=f"/referrals/{referral.id}"))
    db.commit()
    client = net.client.id
    return MainPages(net=net, admin_email=admin.email, pages={
        net.sender.email: [
            ("home", "/"),
            ("subjects-search", f"/clients?q={net.client.last_name}"),
            ("add-subject", "/clients/new"),
            ("client-profile", f"/clients/{client}"),
            ("choose-programs", f"/clients/{client}/roi/new"),
            ("roi-awaiting", f"/roi/{waiting.id}"),
            ("roi-signed", f"/roi/{net.roi.id}"),
            ("green-boxes", f"/clients/{client}/referrals"),
            ("referral-form", f"/clients/{client}/referrals/new?program_id={net.receiving.id}"),
            ("referral-sender", f"/referrals/{referral.id}"),
            ("sent-referrals", "/referrals/sent"),
            ("reports", "/reports"),
            ("report-agencies", "/reports/agencies"),
            ("report-blank-roi", "/reports/blank-roi"),
            ("profile", "/profile"),
            ("notifications", "/notifications"),
        ],
        net.gatekeeper.email: [
            ("incoming-referrals", "/agency/referrals"),
            ("referral-gatekeeper", f"/referrals/{referral.id}"),
            ("report-delays", "/reports/delays"),
            ("report-outcomes", "/reports/outcomes"),
        ],
        net.provider.email: [
            ("referral-provider", f"/referrals/{referral.id}"),
        ],
        admin.email: [
            ("report-dashboard", "/reports/dashboard"),
            ("escalations", "/escalations"),
            ("admin", "/admin"),
            ("admin-users", "/admin/users"),
            ("admin-user", f"/admin/users/{net.provider.id}"),
            ("admin-agencies", "/admin/agencies"),
            ("admin-programs", "/admin/programs"),
            ("admin-program", f"/admin/programs/{net.receiving.id}"),
            ("admin-mou", "/admin/mou"),
        ],
    })


async def each_page(browser, live_server, main: MainPages, width: int):
    """Signs in as each person in turn and yields (name, page) on each of their main pages, at
    ``width`` px; then the sign-in page signed out."""
    for email, pages in main.pages.items():
        context = await browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        await sign_in(page, email)
        for name, path in pages:
            answer = await page.goto(path)
            assert answer.status == 200, f"{name} ({path}) answered {answer.status}"
            await page.wait_for_load_state("networkidle")
            yield name, page
        await context.close()
    context = await browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
    page = await context.new_page()
    await page.goto("/login")
    yield "login", page
    await context.close()
