"""The guide's first sign-in: change the initial password, sign the User MOU, choose the agency
profile — then the program shows in the profile bar."""

from datetime import timedelta

from sqlalchemy import select

from models.accounts.tables import User, UserMou
from tests.factories import PASSWORD, make_program, make_user, montana_today

NEW = "Sleeping-Giant-Trail-9"


async def test_first_login_password_mou_and_profile(page, db):
    food = make_program(db, "Helena Food Share")
    housing = make_program(db, "Housing Services")
    make_user(db, "nico@example.org", name="Nico Newuser", provider_of=(food, housing),
              must_change_password=True, mou_signed=False)
    db.commit()

    await page.goto("/login")
    await page.fill("#email", "nico@example.org")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/password/change")
    assert "first sign-in" in await page.inner_text("[data-testid=forced-change]")

    # a weak password is refused on the form, with the field marked
    await page.fill("#current_password", PASSWORD)
    await page.fill("#new_password", "nico12345")
    await page.fill("#confirm_password", "nico12345")
    await page.click("form.usa-form button[type=submit]")
    assert "your own name" in await page.inner_text("[data-testid=error-new_password]")

    await page.fill("#current_password", PASSWORD)
    await page.fill("#new_password", NEW)
    await page.fill("#confirm_password", NEW)
    await page.click("form.usa-form button[type=submit]")
    await page.wait_for_url("**/mou")
    assert "CONNECT User Memorandum of Understanding" in await page.inner_text("[data-testid=mou-text]")

    await page.fill("#signed_name", "Nico Newuser")
    await page.click("form.usa-form button[type=submit]")  # forgot to tick the box
    assert "Tick the box" in await page.inner_text("[data-testid=error-agree]")
    await page.fill("#signed_name", "Someone Else")  # only the signed-in person signs for themselves
    await page.click("label[for=agree]")  # USWDS styles the label; the box itself is hidden
    await page.click("form.usa-form button[type=submit]")
    assert "own full name as CONNECT knows it: Nico Newuser" in await page.inner_text("[data-testid=error-signed_name]")
    assert "usa-input--error" in await page.get_attribute("#signed_name", "class")
    assert await page.is_checked("#agree")  # what was ticked stays ticked
    await page.fill("#signed_name", "Nico Newuser")
    await page.click("form.usa-form button[type=submit]")
    await page.wait_for_url("**/profile")

    assert "Helena Food Share" in await page.inner_text("[data-testid=profile-list]")
    await page.click(f"[data-testid=choose-{housing.id}]")
    await page.wait_for_selector("text=Welcome, Nico Newuser")
    assert "Housing Services" in await page.inner_text("[data-testid=current-program]")

    db.expire_all()
    user = db.scalar(select(User).where(User.email == "nico@example.org"))
    assert not user.must_change_password and user.mou_expires_on is not None
    assert db.scalar(select(UserMou.signed_name).where(UserMou.user_id == user.id)) == "Nico Newuser"


async def test_a_gatekeeper_whose_agency_mou_lapsed_is_prompted_at_sign_in(page, db):
    program = make_program(db, "Helena Food Share")
    program.mou_expires_on = montana_today() - timedelta(days=1)
    make_user(db, "gina@example.org", name="Gina Gatekeeper", gatekeeper_of=(program,))
    db.commit()

    await page.goto("/login")
    await page.fill("#email", "gina@example.org")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**/agency/mou/{program.id}?prompt=1")
    warning = await page.inner_text("[data-testid=agency-mou-warning]")
    assert "you are asked to sign its agency MOU" in warning
    assert "hidden from CONNECT's directory and other agencies cannot send it referrals" in warning
    await page.fill("#signed_name", "Gina Gatekeeper")
    await page.click("label[for=agree]")
    await page.get_by_role("button", name="Sign the MOU").click()
    await page.wait_for_url(f"**/agency/mou/{program.id}?done=signed")
    assert "the agency MOU is signed" in await page.inner_text("main")
