"""A state-team member opens Referral Outcomes and the dashboard, and sees their charts."""

from datetime import UTC, datetime, timedelta

from tests.factories import PASSWORD, make_program, make_referral, make_user


async def sign_in(page, email: str, name: str) -> None:
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(f"text=Welcome, {name}")


async def test_outcomes_report_and_its_charts(page, db, app):
    sender = make_program(db, "Helena Food Share")
    receiver = make_program(db, "Billings Counseling", county="Yellowstone")
    staff = make_user(db, "sam@example.org", provider_of=(sender,))
    make_user(db, "stella@example.org", name="Stella State", state_team=True)
    now = datetime.now(UTC)
    make_referral(db, sender, receiver, staff, state="closed", service_status="Closed - Successful completion",
                  sent_at=now - timedelta(days=20), acknowledged_at=now - timedelta(days=19),
                  closed_at=now - timedelta(days=5))
    make_referral(db, sender, receiver, staff, sent_at=now - timedelta(days=2))
    db.commit()

    await sign_in(page, "stella@example.org", "Stella State")
    await page.click("nav >> text=Reports")
    await page.click("[data-report=outcomes]")
    await page.wait_for_selector("h1:has-text('Referral Outcomes')")

    chart = page.locator("svg[data-testid=status-chart]")
    await chart.wait_for()
    assert await chart.is_visible()
    assert await chart.locator("rect.connect-chart__bar").count() == 2
    labels = await chart.locator("text").all_text_contents()
    assert "Closed - Successful completion" in labels and "Active - awaiting acknowledgement" in labels
    box = await chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 50
    assert await page.locator("svg[data-testid=outcomes-chart] rect.connect-chart__bar").count() >= 2

    await page.goto("/reports/dashboard")
    histogram = page.locator("svg[data-testid=ack-histogram]")
    await histogram.wait_for()
    assert await histogram.locator("rect.connect-chart__bar").count() == 1  # one acknowledged referral
    assert (await histogram.locator("rect.connect-chart__bar title").text_content()).endswith(": 1 referral")
    await page.screenshot(path=str(app.state.settings.var_dir / "dashboard.png"), full_page=True)


async def test_the_agency_filter_suggests_names_as_one_types(page, db):
    """Referrals To Agency: no list of every agency on the page; typing part of a name offers the
    agencies that have it, and the chosen name filters the report."""
    sender = make_program(db, "Helena Food Share")
    housing = make_program(db, "Missoula Housing", county="Missoula")
    counseling = make_program(db, "Billings Counseling", county="Yellowstone")
    staff = make_user(db, "gail@example.org", name="Gail Gatekeeper", gatekeeper_of=(sender,))
    now = datetime.now(UTC)
    make_referral(db, sender, housing, staff, sent_at=now - timedelta(days=3))
    make_referral(db, sender, counseling, staff, sent_at=now - timedelta(days=2))
    db.commit()

    await sign_in(page, "gail@example.org", "Gail Gatekeeper")
    await page.goto("/reports/to-agency")
    assert await page.locator("#agency-names option").count() == 0
    await page.type("#f-agency", "missoula hous")
    suggestion = page.locator("#agency-names option")
    await suggestion.first.wait_for(state="attached")
    assert await suggestion.evaluate_all("els => els.map(e => e.value)") == ["Agency of Missoula Housing"]
    await page.fill("#f-agency", "Agency of Missoula Housing")
    await page.click("button:has-text('Show referrals')")
    await page.wait_for_selector("[data-testid=partner-summary]")
    summary = await page.locator("[data-testid=partner-summary] tbody").inner_text()
    assert "Agency of Missoula Housing" in summary and "Billings" not in summary
    assert await page.input_value("#f-agency") == "Agency of Missoula Housing"
    assert await page.input_value("#f-agency-2") == ""  # room for another agency
