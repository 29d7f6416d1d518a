"""The user guide's whole loop in a browser, by the labels a caseworker reads, with no typed address
after signing in: first sign-in (new password, User MOU), Add Subject, Start new ROI(s) for three
programs, each ROI signed a different way (text message with YES and the security code, e-sign,
upload), Start from the green box on the profile, Save Progress, Send; the receiving gatekeeper
assigns it, the provider records a Referral Status, and the sender sees it in Sent Referrals.

Run at a desktop width and at a phone's. Screens are saved to var/screens/ for people to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from api.releases.sms_inbound import handle_inbound_sms
from models.base import utcnow
from models.clients.tables import Client
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation
from tests.factories import PASSWORD, make_program, make_user
from tests.roi_support import codes_sent, eventually, pdf_bytes

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"
NEW_PASSWORD = "Sleeping-Giant-Trail-9"
CLIENT_PHONE = "+14065550142"


class Walk:
    """One person's browser, with the few moves every step repeats."""

    def __init__(self, page, width: int, who: str):
        self.page, self.width, self.who = page, width, who

    async def shot(self, name: str) -> None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENS / f"{self.width}-{self.who}-{name}.png"), full_page=True)

    async def nav(self, label: str) -> None:
        """Follow the main navigation; on a narrow screen it may sit behind a Menu button."""
        menu = self.page.get_by_role("button", name="Menu", exact=True)
        if await menu.count() and await menu.first.is_visible():
            await menu.first.click()
        nav = self.page.get_by_role("navigation", name="Primary")
        await nav.get_by_role("link", name=label, exact=True).or_(
            nav.get_by_role("button", name=label, exact=True)).first.click()

    async def incoming_referrals(self) -> None:
        """Agency -> Referrals (Agency may be a link to the list or a menu holding it)."""
        await self.nav("Agency")
        if not re.search(r"/agency/referrals", self.page.url):
            await self.page.get_by_role("navigation", name="Primary").get_by_role(
                "link", name="Referrals", exact=True).first.click()
        await self.page.wait_for_selector("[data-testid=referrals]")

    async def tick(self, label_for: str) -> None:
        await self.page.click(f"label[for={label_for}]")  # USWDS hides the box itself

    async def button(self, name: str) -> None:
        await self.page.get_by_role("button", name=name, exact=True).first.click()

    async def link(self, name: str) -> None:
        await self.page.get_by_role("link", name=name, exact=True).first.click()

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        await self.page.goto("/login")  # the only address typed: where sign-in starts
        await self.page.fill("#email", email)
        await self.page.fill("#password", password)
        await self.page.click("button[type=submit]")
        await self.page.wait_for_load_state()
        await self.require_usable_navigation()

    async def require_usable_navigation(self) -> None:
        """Below 1024 px the navigation folds behind a Menu button instead of covering the page."""
        nav = self.page.locator("nav[aria-label=Primary]")
        if self.width >= 1024 or not await nav.count():  # no navigation during a forced password change
            return
        menu = self.page.get_by_role("button", name="Menu", exact=True)
        assert await menu.first.is_visible(), f"at {self.width} px the navigation needs its Menu button"
        assert not await nav.first.is_visible()


async def _choose_status(page, status: str) -> None:
    await page.locator("select#status").select_option(label=status)


async def _complete_roi(w: Walk) -> None:
    await w.page.wait_for_selector("#complete-roi")
    await w.tick("type-contact_information")
    await w.tick("type-reason_for_referral")
    await w.page.fill("#purpose", "Referrals for food, housing and counselling")
    await w.page.click("#save-complete")
    await w.page.wait_for_selector("#signature")


async def _back_to_profile(w: Walk, client_name: str) -> None:
    onward = w.page.get_by_role("link", name="Go to the Referrals Chart")
    if await onward.count():  # a signed ROI's next step
        await onward.click()
    else:
        await w.page.locator("main a", has_text=client_name).first.click()
    await w.page.wait_for_selector("[data-testid=referral-chart]")


async def _next_draft(w: Walk) -> None:
    await w.page.locator("[data-testid=roi-card]").get_by_role(
        "link", name=re.compile(r"^Continue ROI")).first.click()


@pytest.mark.parametrize("width", [1280, 390])
async def test_the_guides_whole_loop_by_its_labels(browser, live_server, db, temporal_client, width):
    own = make_program(db, "Helena Food Share")
    counselling = make_program(db, "PureView Counselling", services=("mental_health",))
    housing = make_program(db, "Helena Housing", services=("housing",))
    clinic = make_program(db, "Valley Clinic", services=("primary_care",))
    make_user(db, "nico@food.example", name="Nico Newuser", provider_of=(own,),
              must_change_password=True, mou_signed=False)
    make_user(db, "quinn@pureview.example", name="Quinn Gatekeeper", gatekeeper_of=(counselling,))
    make_user(db, "morgan@pureview.example", name="Morgan Therapist", provider_of=(counselling,))
    db.commit()
    size = {"width": width, "height": 900}

    async def person(who: str) -> Walk:
        context = await browser.new_context(base_url=live_server, viewport=size)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        return Walk(page, width, who)

    # --- first sign-in: new password, the User MOU --------------------------------------------
    w = await person("sender")
    await w.sign_in("nico@food.example")
    await w.page.wait_for_selector("#new_password")
    await w.shot("password")
    await w.page.fill("#current_password", PASSWORD)
    await w.page.fill("#new_password", NEW_PASSWORD)
    await w.page.fill("#confirm_password", NEW_PASSWORD)
    await w.page.click("form.usa-form button[type=submit]")
    await w.page.wait_for_selector("[data-testid=mou-text]")
    await w.shot("mou")
    await w.page.fill("#signed_name", "Nico Newuser")
    await w.tick("agree")
    await w.page.click("form.usa-form button[type=submit]")
    await w.page.wait_for_selector("text=Welcome")
    await w.shot("home")

    # --- Subjects: search, Add Subject on its two pages ----------------------------------------
    await w.nav("Subjects")
    await w.page.fill("#q", "Zelda Quartermaine")
    await w.button("Search")
    await w.page.wait_for_selector("[data-testid=no-results]")
    await w.link("Add Subject")
    await w.page.wait_for_selector("[data-testid=client-form]")
    await w.page.fill("#dob", "1990-04-12")
    await w.page.select_option("#gender_identity", index=1)
    await w.tick("race-white")
    await w.page.select_option("#military_service", index=1)
    await w.page.locator("[data-check='1']").wait_for(state="visible")
    await w.shot("add-subject")
    await w.page.click("[data-testid=tab-page-2]")
    await w.page.fill("#address", "12 Last Chance Gulch")
    await w.page.fill("#city", "Helena")
    await w.page.select_option("#county", "Lewis and Clark")
    await w.page.fill("#zip", "59601")
    await w.page.fill("#phone-number-0", "(406) 555-0142")
    await w.page.locator("[data-check='2']").wait_for(state="visible")
    await w.page.get_by_role("button", name="Add Subject").click()
    await w.page.wait_for_selector("[data-testid=chart-empty]")
    await w.shot("profile-new")

    # --- Start new ROI(s): three programs, one ROI each ----------------------------------------
    await w.link("Start new ROI(s)")
    for program in (counselling, housing, clinic):
        await w.tick(f"program-{program.id}")
    await w.tick("one_per_program")
    await w.shot("choose-programs")
    await w.button("Next")

    # 1. e-sign
    await _complete_roi(w)
    await w.page.fill("#typed_name", "Zelda Quartermaine")
    await w.tick("confirmed")
    await w.page.click("#esign-submit")
    await w.page.wait_for_selector("[data-testid=roi-state]:has-text('Signed')")
    await w.shot("roi-signed")
    await _back_to_profile(w, "Zelda Quartermaine")

    # 2. text message: the client replies YES, the code box appears by itself
    await _next_draft(w)
    await _complete_roi(w)
    await w.button("Text the client")
    await w.page.wait_for_selector("[data-testid=sms-waiting]")
    await w.shot("roi-sms-waiting")
    await handle_inbound_sms(db, temporal_client, message_sid=f"SMloop{width}", from_number=CLIENT_PHONE,
                             to_number="+14065550100", body="YES", now=utcnow())
    [code] = await eventually(lambda: codes_sent(db, CLIENT_PHONE))
    await w.page.wait_for_selector("#code", timeout=30_000)  # no reload: the page asked again by itself
    assert "Confirm signature" in await w.page.inner_text("[data-testid=sms-next-step]")
    await w.shot("roi-sms-code")
    await w.page.fill("#code", code)
    await w.button("Confirm signature")
    await w.page.wait_for_selector("[data-testid=roi-state]:has-text('Signed')")
    await _back_to_profile(w, "Zelda Quartermaine")

    # 3. upload the paper form
    await _next_draft(w)
    await _complete_roi(w)
    await w.button("Mark signature as pending upload")
    await w.page.wait_for_selector("[data-testid=upload-pending]")
    await w.page.set_input_files("#file", files=[{"name": "signed-roi.pdf", "mimeType": "application/pdf",
                                                  "buffer": pdf_bytes()}])
    await w.button("Upload")
    await w.page.wait_for_selector("[data-testid=roi-state]:has-text('Signed')")
    await _back_to_profile(w, "Zelda Quartermaine")

    db.expire_all()
    methods = sorted(db.scalars(select(ReleaseOfInformation.signature_method)
                                .where(ReleaseOfInformation.state == "signed")))
    assert methods == ["esign", "sms", "upload"]

    # --- the Referrals Chart: a green box per program, own program included ---------------------
    boxes = w.page.locator("[data-testid=referral-chart] [data-testid=referral-card]")
    assert await boxes.count() == 4
    assert await w.page.locator("[data-testid=referral-chart] [data-testid=referral-card][data-kind=start]").count() == 4
    await w.shot("profile-boxes")
    box = w.page.locator(f"[data-testid=referral-card][data-program='{counselling.id}']")
    await box.get_by_role("link", name="Start").click()

    await w.page.wait_for_selector("[data-testid=medical-records-reminder]")
    await w.page.fill("#reason", "Would like counselling after a job loss.")
    await w.shot("referral-form")
    await w.button("Save Progress")
    await w.page.wait_for_selector("text=Pending until you send it")
    await w.link("Pending")
    await w.button("Send")
    await w.page.wait_for_selector("[data-testid=insurance-confirmation]")
    await w.tick("insurance_confirmed")
    await w.button("Confirm and send")
    await w.page.wait_for_selector("text=Sent. The receiving program's gatekeepers have been notified.")
    rid = db.scalar(select(Referral.id).where(Referral.receiving_program_id == counselling.id))
    await _back_to_profile(w, "Zelda Quartermaine")
    active = w.page.locator(f"[data-testid=referral-card][data-program='{counselling.id}']")
    assert await active.get_attribute("data-kind") == "active"
    assert "Active" in await active.inner_text()
    row = w.page.locator(f"[data-testid=client-referrals] tr[data-referral='{rid}']")
    # One name everywhere, as written (a tag used to print it in capitals: "ACTIVE").
    assert await row.get_by_test_id("referral-state").inner_text() == "Active"
    await w.shot("profile-sent")

    # --- the receiving gatekeeper assigns it ---------------------------------------------------
    gk = await person("gatekeeper")
    await gk.sign_in("quinn@pureview.example")
    await gk.page.wait_for_selector("text=Welcome")
    await gk.incoming_referrals()
    await gk.shot("incoming")
    await gk.page.locator(f"[data-testid=referrals] tr[data-referral='{rid}']").get_by_role("link").first.click()
    await gk.page.select_option("#provider_id", label="Morgan Therapist")
    await gk.page.get_by_role("button", name="Assign", exact=True).click()
    await gk.page.wait_for_selector("text=Assigned. The provider and the sender have been notified.")
    await gk.shot("assigned")

    # --- the provider records a Referral Status ------------------------------------------------
    provider = await person("provider")
    await provider.sign_in("morgan@pureview.example")
    await provider.page.wait_for_selector("text=Welcome")
    await provider.incoming_referrals()
    await provider.page.locator(f"[data-testid=referrals] tr[data-referral='{rid}']").get_by_role(
        "link").first.click()
    await _choose_status(provider.page, "Enrolled in Services")
    await provider.button("Update status")
    await provider.page.wait_for_selector("text=Referral Status updated.")
    await provider.shot("provider-detail")

    # --- the sender sees it --------------------------------------------------------------------
    await w.nav("Sent Referrals")
    sent_row = w.page.locator(f"[data-testid=referrals] tr[data-referral='{rid}']")
    await sent_row.wait_for()
    assert "Enrolled in Services" in await sent_row.inner_text()
    assert await sent_row.get_by_test_id("referral-state").inner_text() == "Assigned"
    await w.shot("sent-list")
    await sent_row.get_by_role("link").first.click()
    assert "Morgan Therapist" in await w.page.inner_text("[data-testid=assignee]")
    assert "Enrolled in Services" in await w.page.inner_text("[data-testid=service-status]")
    await w.shot("sender-detail")

    # No page of the loop showed the "no phone" convention or a raw stored number.
    client = db.scalar(select(Client))
    assert [p.e164 for p in client.phones] == [CLIENT_PHONE]
    for walk in (w, gk, provider):
        await walk.page.context.close()
