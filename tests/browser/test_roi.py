"""A provider starts an ROI in the browser: choose programs -> Complete ROI -> E-sign."""

from sqlalchemy import select

from models.releases.tables import ReleaseOfInformation
from tests.factories import PASSWORD, make_program
from tests.roi_support import make_scene


async def test_choose_programs_complete_and_esign(page, db):
    scene = make_scene(db)
    make_program(db, "Helena Housing", services=("housing",))
    db.commit()
    await page.goto("/login")
    await page.fill("#email", scene.user.email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Welcome, Pat Provider")

    await page.goto(f"/clients/{scene.client.id}/roi/new")
    await page.click("summary:has-text('Choose Services')")
    await page.click("label:has-text('Substance use')")
    await page.click("#search-programs")
    results = page.locator("[data-testid=program-results]")
    # The unfiltered list may still be on screen: wait until the filter has replaced it.
    await results.get_by_text("Helena Housing").first.wait_for(state="detached")
    await results.locator("strong", has_text="Gateway Recovery").wait_for()
    assert "Helena Housing" not in await results.inner_text()
    assert "will see the others" in await page.inner_text("#program-results")
    await page.click(f"label[for=program-{scene.receiver.id}]")
    await page.click("#next")

    await page.wait_for_selector("h2:has-text('Complete ROI')")
    assert "Gateway Recovery" in await page.inner_text("[data-testid=roi-programs]")
    assert await page.input_value("#mobile_phone") == "(406) 555-1234"  # prefilled, editable
    await page.fill("#mobile_phone", "(406) 555-9876")
    await page.click("label[for=type-contact_information]")
    await page.click("label[for=type-reason_for_referral]")
    await page.click("label[for=type-substance_use]")
    await page.fill("#purpose", "Referral for recovery support")
    await page.click("#save-complete")
    error = await page.inner_text("[data-testid=form-error]")
    assert "explicitly consents" in error  # a sensitive type needs the client's explicit consent
    await page.click("label[for=consent-substance_use]")
    await page.click("#save-complete")

    await page.wait_for_selector("#signature")
    assert "Substance use: I explicitly consent" in await page.inner_text("[data-testid=roi-text]")
    await page.fill("#typed_name", "Someone Else")
    await page.click("label[for=confirmed]")
    await page.click("#esign-submit")
    assert "does not match" in await page.inner_text("[data-testid=form-error]")
    await page.fill("#typed_name", "Marisol Quintanilla")
    await page.click("label[for=confirmed]")
    await page.click("#esign-submit")
    await page.wait_for_selector("[data-testid=roi-state]:has-text('Signed')")
    assert "Referrals can now be sent" in await page.inner_text("[data-testid=form-done]")

    db.expire_all()
    roi = db.scalar(select(ReleaseOfInformation))
    assert (roi.state, roi.signature_method, roi.information_types) == (
        "signed", "esign", ["contact_information", "reason_for_referral", "substance_use"])
    assert [p.e164 for p in scene.client.phones] == ["+14065559876"]
