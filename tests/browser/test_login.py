"""A person signs in and sees their program in the profile bar."""

from tests.factories import PASSWORD, make_program, make_user


async def test_sign_in_shows_home_and_current_program(page, db):
    program = make_program(db, "Helena Food Share")
    make_user(db, "frances@example.org", name="Frances Foodshare", gatekeeper_of=(program,))
    db.commit()
    await page.goto("/")
    assert "/login" in page.url
    await page.fill("#email", "frances@example.org")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=Welcome, Frances Foodshare")
    assert "Helena Food Share" in await page.inner_text("[data-testid=current-program]")


async def test_wrong_password_is_shown_on_the_form(page, db):
    make_user(db, "gus@example.org")
    db.commit()
    await page.goto("/login")
    await page.fill("#email", "gus@example.org")
    await page.fill("#password", "wrong-password")
    await page.click("button[type=submit]")
    assert "not correct" in await page.inner_text("[data-testid=form-error]")
