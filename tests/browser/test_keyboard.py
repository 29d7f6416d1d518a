"""Part of the loop by keyboard only (Tab, Enter, Space, Escape, arrows): sign in, the Agency
menu, find the client in Subjects, open the profile, start a referral and save it. Every stop on
the way shows a focus outline, and Tab always gets to where it is going (no traps); the menus open
and close by keyboard."""

from __future__ import annotations

from tests.browser.steps import sign_in
from tests.browser.page_checks import WIDTHS, follow, tab_to
from tests.factories import PASSWORD
from tests.referral_network import make_network

async def test_keyboard_walk(page, db):
    net = make_network(db, form_fields=False)
    await page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    await page.goto("/login")
    await tab_to(page, "#email")
    await page.keyboard.type(net.sender.email)
    await tab_to(page, "#password")
    await page.keyboard.type(PASSWORD)
    await follow(page)
    await page.wait_for_selector("text=Welcome")

    # The Agency menu opens with Enter, closes with Escape (focus back on it), reopens with Space.
    agency = page.get_by_role("button", name="Agency")
    await tab_to(page, "button[aria-controls=nav-agency]")
    await page.keyboard.press("Enter")
    assert await agency.get_attribute("aria-expanded") == "true"
    await tab_to(page, "#nav-agency a[href='/agency/referrals']")
    await page.keyboard.press("Escape")
    assert await agency.get_attribute("aria-expanded") == "false"
    assert await page.evaluate("document.activeElement.getAttribute('aria-controls')") == "nav-agency"
    await page.keyboard.press("Space")
    assert await agency.get_attribute("aria-expanded") == "true"
    await page.keyboard.press("Escape")

    await tab_to(page, "a.usa-nav-link[href='/clients']", backwards=True)
    await follow(page)
    await page.wait_for_url("**/clients")
    await tab_to(page, "#q")
    await page.keyboard.type("Quartermaine")
    await follow(page)
    await page.wait_for_selector("[data-testid=results]")
    await tab_to(page, f"[data-testid=results] a[href='/clients/{net.client.id}']")
    await follow(page)
    await page.wait_for_selector("[data-testid=client-name]")

    # The green boxes; the profile's link to them comes with the Referrals Chart hub.
    await page.goto(f"/clients/{net.client.id}/referrals")
    await tab_to(page, f"[data-program='{net.receiving.id}'] a")
    await follow(page)
    await tab_to(page, "#reason")
    await page.keyboard.type("Would like counselling after a job loss.")
    await tab_to(page, "button[value=save]")
    await follow(page)
    await page.wait_for_selector("text=Pending until you send it")


async def test_phone_menu_by_keyboard(page, db):
    net = make_network(db)
    await page.set_viewport_size({"width": WIDTHS["phone"], "height": 800})
    await sign_in(page, net.sender.email)

    subjects = page.get_by_role("navigation", name="Primary").get_by_role("link", name="Subjects")
    await tab_to(page, ".usa-menu-btn")
    await page.keyboard.press("Enter")
    await subjects.wait_for(state="visible")
    await tab_to(page, "a.usa-nav-link[href='/clients']")
    await page.keyboard.press("Escape")
    await subjects.wait_for(state="hidden")
    assert await page.evaluate("document.activeElement.classList.contains('usa-menu-btn')")

    # Open again; the close button is reached by keyboard and closes it
    await page.keyboard.press("Space")
    await subjects.wait_for(state="visible")
    await tab_to(page, ".usa-nav__close", backwards=True)
    await page.keyboard.press("Enter")
    await subjects.wait_for(state="hidden")
