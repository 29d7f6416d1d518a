"""The whole journey in a browser, two people of two agencies: the sender refers a client, the
receiving gatekeeper assigns it to themselves, logs a call and closes it; the sender follows it
in Sent Referrals."""

from __future__ import annotations

from tests.browser.steps import sign_in
from tests.referral_network import make_network


async def test_refer_assign_work_and_track(page, browser, live_server, db):
    net = make_network(db)
    await sign_in(page, net.sender.email)
    await page.goto(f"/clients/{net.client.id}/referrals")
    card = page.locator(f"[data-testid=referral-card][data-program='{net.receiving.id}']")
    await card.get_by_role("link", name="Start").click()

    await page.wait_for_selector("[data-testid=medical-records-reminder]")
    assert await page.locator("[data-testid=referral-tabs] [data-complete=no]").count() == 3
    await page.fill("#reason", "Would like counselling after a job loss.")
    await page.click("label[for=field-urgent-no]")  # USWDS styles the label, hides the input
    await page.select_option("#field-preferred_time", "Morning")
    await page.get_by_role("button", name="Save Progress").click()
    await page.wait_for_selector("text=Pending until you send it")
    assert await card.get_attribute("data-kind") == "pending"

    await card.get_by_role("link", name="Pending").click()
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_selector("[data-testid=form-error] >> text=Insurance tab is not complete")
    await page.fill("#field-member_id", "MT-555")
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_selector("[data-testid=insurance-confirmation]")
    await page.click("label[for=insurance_confirmed]")
    await page.get_by_role("button", name="Confirm and send").click()
    await page.wait_for_selector("text=Sent. The receiving program's gatekeepers have been notified.")
    assert await card.get_attribute("data-kind") == "active"

    other = await browser.new_context(base_url=live_server)
    gk = await other.new_page()
    gk.set_default_timeout(10_000)
    await sign_in(gk, net.gatekeeper.email)
    await gk.get_by_role("button", name="Agency", exact=True).click()
    await gk.get_by_role("link", name="Referrals", exact=True).click()
    row = gk.locator("[data-testid=referrals] tr[data-referral]")
    assert await row.count() == 1
    await row.get_by_role("link").first.click()
    assert "Zelda Quartermaine" in await gk.inner_text("[data-testid=referral-facts]")
    await gk.select_option("#provider_id", label="Quinn Gatekeeper (me)")
    await gk.get_by_role("button", name="Assign", exact=True).click()
    await gk.wait_for_selector("text=Assigned. The provider and the sender have been notified.")
    assert await gk.inner_text("[data-testid=assignee]") == "Quinn Gatekeeper"

    await gk.fill("#contacted_at", "2026-02-03T14:05")
    await gk.select_option("#method", "phone")
    await gk.select_option("#outcome", "reached")
    await gk.fill("#note-text", "Intake booked for Thursday")
    await gk.get_by_role("button", name="Add note").click()
    await gk.wait_for_selector("text=Added to the call log.")
    await gk.select_option("#status", label="Closed - Successful completion")
    await gk.get_by_role("button", name="Update status").click()
    await gk.wait_for_selector("text=Referral Status updated.")
    assert "Closed - Successful completion" in await gk.inner_text("[data-testid=service-status]")
    await other.close()

    await page.get_by_role("link", name="Sent Referrals", exact=True).click()
    assert await page.locator("[data-testid=referrals] tr[data-referral]").count() == 0  # open ones only
    await page.get_by_test_id("show-filters").click()
    await page.select_option("#status", "any")
    await page.get_by_role("button", name="Apply filters").click()
    sent_row = page.locator("[data-testid=referrals] tr[data-referral]")
    assert await sent_row.count() == 1
    assert "Closed - Successful completion" in await sent_row.inner_text()
    await sent_row.get_by_role("link").first.click()
    assert "Intake booked for Thursday" in await page.inner_text("[data-testid=notes]")
