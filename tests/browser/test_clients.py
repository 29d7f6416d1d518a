"""Part 2 of the guide in a browser: search the Subjects bar, find no one, add the subject on
the two pages (check marks, "Add Subject" only when both are complete), land on the profile."""

from tests.browser.steps import sign_in
from tests.factories import make_program, make_user


async def tick(page, checkbox_id):
    """USWDS hides the checkbox itself; people click its label."""
    await page.click(f"label[for={checkbox_id}]")


async def test_search_then_two_page_create_then_profile(page, db):
    program = make_program(db, "Helena Food Share")
    make_user(db, "frances@example.org", name="Frances Foodshare", provider_of=(program,))
    db.commit()
    await sign_in(page, "frances@example.org")

    await page.click("a.usa-nav-link:has-text('Subjects')")
    await page.fill("#q", "Dakota Running Crane")
    await page.click("button:has-text('Search')")
    await page.wait_for_selector("[data-testid=no-results]")
    await page.click("[data-testid=add-subject]")

    # Page 1 opens with the searched name filled in; nothing is complete yet.
    await page.wait_for_selector("[data-testid=client-form]")
    assert await page.input_value("#first_name") == "Dakota"
    assert await page.input_value("#last_name") == "Running Crane"
    submit = page.locator("[data-testid=submit]")
    assert await submit.is_disabled()
    # ... and says why, beside it, in the words of the labels.
    reason = page.locator("[data-testid=submit-reason]")
    assert await submit.get_attribute("aria-describedby") == "submit-reason"
    said = await reason.inner_text()
    assert said.startswith("To add subject, fill in Page 1: DOB, Current Gender Identity, Race, Military Service; ")
    assert said.endswith("Page 2: Current address of residence, Current City, Current County, Current Zip code "
                         "(59001 to 59937), a phone number or the best way to reach the client.")
    assert "First name" not in said  # filled in from the search
    assert not await page.locator("[data-check='1']").is_visible()
    assert not await page.locator("#page-2").is_visible()

    await page.fill("#dob", "1988-02-29")
    await page.select_option("#gender_identity", "two_spirit")
    await tick(page, "race-american_indian_alaska_native")
    await page.select_option("#military_service", "veteran")
    await page.locator("[data-check='1']").wait_for(state="visible")
    assert await submit.is_disabled()  # Page 2 is still missing
    assert "Page 1" not in await reason.inner_text()

    await page.click("[data-testid=tab-page-2]")
    await tick(page, "no_fixed_address")
    assert await page.input_value("#address") == "0000 Street"
    await page.locator("[data-testid=housing-reminder]").wait_for(state="visible")
    await page.fill("#city", "Great Falls")
    await page.select_option("#county", "Cascade")
    await page.fill("#zip", "59401")
    await page.fill("#phone-number-0", "(999) 999-9999")
    assert not await page.locator("[data-check='2']").is_visible()  # no phone: best way to reach needed
    assert await reason.inner_text() == ("To add subject, fill in Page 2: Best way to reach the client "
                                         "(the client has no phone).")
    assert await page.get_attribute("#best_way_to_reach", "aria-required") == "true"
    assert await page.locator("label[for=best_way_to_reach] abbr[title=required]").is_visible()
    await page.fill("#best_way_to_reach", "Message through the Great Falls Rescue Mission front desk")
    await page.locator("[data-check='2']").wait_for(state="visible")
    assert await submit.is_enabled()
    assert not await reason.is_visible()

    await submit.click()
    await page.wait_for_selector("[data-testid=client-name]")
    assert await page.inner_text("[data-testid=client-name]") == "Dakota Running Crane"
    assert "0000 Street, Great Falls, MT 59401" in await page.inner_text("[data-testid=contact]")
    assert await page.locator("[data-testid=housing-reminder]").is_visible()
    assert await page.locator("[data-testid=chart-empty]").is_visible()
    assert await page.inner_text("[data-testid=start-roi]") == "Start new ROI(s)"

    # The new subject is now found, typo and all.
    await page.click("a.usa-nav-link:has-text('Subjects')")
    await page.fill("#q", "dakota runing crane")
    await page.click("button:has-text('Search')")
    await page.wait_for_selector("[data-testid=result]")
    assert "Running Crane, Dakota" in await page.inner_text("[data-testid=results]")


async def test_an_exact_duplicate_leads_to_the_existing_profile(page, db):
    program = make_program(db, "Helena Food Share")
    make_user(db, "gus@example.org", provider_of=(program,))
    db.commit()
    await sign_in(page, "gus@example.org")
    await page.goto("/clients/new")
    await page.fill("#first_name", "Gus")
    await page.fill("#last_name", "Lindqvist")
    await page.fill("#dob", "1950-01-01")
    await page.select_option("#gender_identity", "male")
    await tick(page, "race-white")
    await page.select_option("#military_service", "never_served")
    await page.click("[data-testid=tab-page-2]")
    await page.fill("#address", "1 Main St")
    await page.fill("#city", "Helena")
    await page.select_option("#county", "Lewis and Clark")
    await page.fill("#zip", "59601")
    await page.fill("#phone-number-0", "406 555 0199")
    await page.click("[data-testid=submit]")
    await page.wait_for_selector("text=Gus Lindqvist")
    # the same person again: CONNECT stops it and offers the existing profile
    await page.goto("/clients/new?first_name=Gus&last_name=Lindqvist")
    await page.fill("#dob", "1950-01-01")
    await page.select_option("#gender_identity", "male")
    await tick(page, "race-white")
    await page.select_option("#military_service", "never_served")
    await page.click("[data-testid=tab-page-2]")
    await page.fill("#address", "1 Main Street")
    await page.fill("#city", "Helena")
    await page.select_option("#county", "Lewis and Clark")
    await page.fill("#zip", "59601")
    await page.fill("#phone-number-0", "406-555-0100")
    await page.click("[data-testid=submit]")
    await page.wait_for_selector("[data-testid=duplicate-exact]")
    await page.click("[data-testid=duplicate-exact] a")
    await page.wait_for_selector("[data-testid=client-name]")
