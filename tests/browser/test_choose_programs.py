"""Start new ROI(s) -> Choose programs: counties by type-ahead, and "Next" below the results too."""

from tests.browser.steps import sign_in
from tests.factories import make_program
from tests.roi_support import make_scene


async def test_counties_by_type_ahead_and_next_below_the_results(page, db):
    scene = make_scene(db)
    falls = make_program(db, "Great Falls Pantry", county="Cascade")
    db.commit()
    await sign_in(page, scene.user.email)

    await page.goto(f"/clients/{scene.client.id}/roi/new")
    await page.click("summary:has-text('Choose Counties')")
    boxes = page.locator("[data-county-options] .usa-checkbox")
    assert await boxes.count() == 56
    await page.get_by_label("Type a county").press_sequentially("casc")
    assert [await b.inner_text() for b in await boxes.all() if await b.is_visible()] == ["Cascade"]
    await page.get_by_label("Type a county").fill("Cascade")  # as when picked from the suggestions
    assert await page.is_checked("input[name=county][value=Cascade]")
    assert await page.input_value("#county-typeahead") == ""
    assert await boxes.locator(":visible").count() > 50  # the whole list again

    await page.click("#search-programs")
    results = page.locator("[data-testid=program-results]")
    await results.locator("strong", has_text="Great Falls Pantry").wait_for()
    below = page.get_by_test_id("next-below")
    table = await results.bounding_box()
    assert (await below.bounding_box())["y"] > table["y"] + table["height"]  # below the results
    await page.click(f"label[for=program-{falls.id}]")
    await below.click()
    await page.wait_for_selector("h2:has-text('Complete ROI')")
    assert "Great Falls Pantry" in await page.inner_text("[data-testid=roi-programs]")
