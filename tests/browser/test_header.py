"""The header at each width: below 1024 px the navigation hides behind a Menu button that opens
and closes it (by mouse, Escape or its close button); at 1280 px it sits on one line with the bell
and Sign out. Agency opens a menu with Referrals and Reports. During the forced password change
there is nothing to navigate to but Sign out."""

from __future__ import annotations

import pytest

from models.messages.tables import Notification
from tests.browser.steps import sign_in
from tests.browser.page_checks import WIDTHS, screenshot, sideways_overflow
from tests.factories import make_program, make_user


@pytest.fixture
def gatekeeper(db):
    program = make_program(db, "Behavioral Health Services of Lewis and Clark County")
    user = make_user(db, "gk@example.org", name="Maximiliana Gatekeeper-Longname",
                     gatekeeper_of=(program,), provider_of=(program,), admin_regions=(1,))
    for n in range(2):
        db.add(Notification(user_id=user.id, kind="referral", text=f"Referral #{n} was sent to you", link="/"))
    db.commit()
    return user


@pytest.mark.parametrize("width", [WIDTHS["phone"], WIDTHS["tablet"]])
async def test_menu_button_opens_and_closes_the_navigation(page, gatekeeper, width):
    await page.set_viewport_size({"width": width, "height": 800})
    await sign_in(page, gatekeeper.email)
    nav = page.get_by_role("navigation", name="Primary")
    subjects = nav.get_by_role("link", name="Subjects")
    menu = page.get_by_role("button", name="Menu")
    assert await menu.is_visible()
    assert not await subjects.is_visible()
    assert await sideways_overflow(page) is None

    await menu.click()
    await subjects.wait_for(state="visible")
    await screenshot(page, f"menu-open-{width}")
    await page.get_by_role("button", name="Close menu").click()
    await subjects.wait_for(state="hidden")

    await menu.click()
    await subjects.wait_for(state="visible")
    await page.keyboard.press("Escape")
    await subjects.wait_for(state="hidden")

    await menu.click()
    await nav.get_by_role("button", name="Agency").click()
    await nav.get_by_role("link", name="Referrals", exact=True).click()
    await page.wait_for_url("**/agency/referrals")
    assert not await subjects.is_visible()  # the new page starts with the menu closed


async def test_header_on_one_line_at_1280(page, gatekeeper):
    await page.set_viewport_size({"width": WIDTHS["desktop"], "height": 800})
    await sign_in(page, gatekeeper.email)
    assert not await page.get_by_role("button", name="Menu").is_visible()
    nav = page.get_by_role("navigation", name="Primary")
    parts = [page.locator(".usa-logo"), *[nav.locator(".usa-nav__primary-item").nth(i) for i in
                                          range(await nav.locator(".usa-nav__primary-item").count())],
             nav.get_by_role("link", name="Notifications"), nav.get_by_role("button", name="Sign out")]
    # the bell's name says how many are unread
    await nav.get_by_role("link", name="Notifications 2 unread").wait_for()
    boxes = [await part.bounding_box() for part in parts]
    assert all(box is not None for box in boxes)
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    assert max(middles) - min(middles) < 16, middles
    assert await sideways_overflow(page) is None

    # Agency is a menu: Referrals and Reports, as the guide says
    agency = nav.get_by_role("button", name="Agency")
    assert await agency.get_attribute("aria-expanded") == "false"
    await agency.click()
    assert await agency.get_attribute("aria-expanded") == "true"
    submenu = nav.locator("#nav-agency")
    assert [t.strip() for t in await submenu.get_by_role("link").all_inner_texts()] == ["Referrals", "Reports"]
    await submenu.get_by_role("link", name="Reports").click()
    await page.wait_for_url("**/reports")


async def test_forced_password_change_offers_only_sign_out(page, db):
    make_user(db, "new@example.org", name="Nova Newcomer", provider_of=(make_program(db),),
              must_change_password=True)
    db.commit()
    await sign_in(page, "new@example.org", then="[data-testid=forced-change]")
    header_links = await page.locator("header.usa-header a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert header_links == ["/password/change"]  # the CONNECT logo leads back here, not to "Not allowed"
    assert await page.get_by_role("navigation", name="Primary").count() == 0
    assert await page.locator(".connect-profile-bar").count() == 0
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/login**")
