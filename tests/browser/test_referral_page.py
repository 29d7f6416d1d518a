"""The provider's referral page: a compact Referral Status select with the guide's explanation of
the chosen status beside it, the call log near the top, and the actions grouped."""

from domain.referral_status import SERVICE_STATUSES, ServiceStatus
from tests.browser.steps import sign_in
from tests.factories import make_referral
from tests.referral_network import make_network


async def test_the_assigned_provider_works_the_referral_from_a_compact_page(page, db):
    net = make_network(db)
    referral = make_referral(db, net.sending, net.receiving, net.sender, client=net.client,
                             state="assigned", provider=net.provider)
    db.commit()
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, net.provider.email)
    await page.goto(f"/referrals/{referral.id}")

    # Every Referral Status of the guide, by its label, in one select.
    labels = await page.locator("#status option").all_inner_texts()
    assert labels[1:] == [info.label for info in SERVICE_STATUSES.values()]
    help_ = page.get_by_test_id("status-help")
    assert await help_.inner_text() == "Choose the status that describes where the client is now."
    await page.select_option("#status", label=ServiceStatus.ENROLLED_IN_SERVICES.label)
    assert await help_.inner_text() == ServiceStatus.ENROLLED_IN_SERVICES.help_text
    await page.select_option("#status", label=ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION.label)
    assert await help_.inner_text() == (ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION.help_text
                                        + " Choosing it closes the referral.")
    status_box, help_box = await page.locator("#status").bounding_box(), await help_.bounding_box()
    assert status_box["height"] < 60 and help_box["y"] - (status_box["y"] + status_box["height"]) < 40

    # The call log comes before the client's details; the actions are grouped, the rarer last.
    call_log = await page.locator("#call-log").bounding_box()
    personal = await page.locator("h2:has-text('Personal Info')").bounding_box()
    assert call_log["y"] < personal["y"] and call_log["y"] < 900  # on the first screen
    headings = await page.locator("[data-testid=referral-actions] h2").all_inner_texts()
    assert headings == ["Referral Status", "Add to the call log", "Add progress", "Reassign"]
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 1800, height  # it was about 3,600 px with a tile per status

