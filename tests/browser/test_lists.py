"""Lists as a caseworker uses them: the client's name and the whole row open the item, "Show
Filters" turns into "Hide Filters", and the Status select shows its labels whole."""

from __future__ import annotations

import pytest

from tests.browser.page_checks import WIDTHS, axe_violations, screenshot, sideways_overflow
from tests.browser.steps import sign_in
from tests.factories import make_client, make_referral
from tests.referral_network import make_network


async def test_incoming_rows_open_the_referral_and_filters_toggle(page, db):
    net = make_network(db)
    referral = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    db.commit()
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, net.gatekeeper.email)
    await page.goto("/agency/referrals")

    row = page.locator(f"tr[data-referral='{referral.id}']")
    name = row.get_by_test_id("row-client")
    assert await name.inner_text() == "Zelda Quartermaine"
    assert await name.get_attribute("href") == f"/referrals/{referral.id}"
    await row.locator("td").nth(2).click()  # the "From" cell: no link of its own
    await page.wait_for_url(f"**/referrals/{referral.id}")

    await page.go_back()
    toggle = page.get_by_test_id("show-filters")
    assert await toggle.inner_text() == "Show Filters"
    await toggle.click()
    assert await toggle.inner_text() == "Hide Filters"
    # Every Status label fits in the select, in the select's own font.
    room, widest = await page.eval_on_selector("#status", """el => {
        const style = getComputedStyle(el);
        const ctx = document.createElement("canvas").getContext("2d");
        ctx.font = style.font;
        const widest = Math.max(...[...el.options].map(o => ctx.measureText(o.text).width));
        const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return [room, widest];
    }""")
    assert widest <= room, (widest, room)
    await toggle.click()
    assert await toggle.inner_text() == "Show Filters"


async def test_a_search_result_row_opens_the_profile(page, db):
    net = make_network(db)
    make_client(db, net.sending, net.sender, first_name="Rowena", last_name="Clickwell")
    db.commit()
    await sign_in(page, net.sender.email)
    await page.goto("/clients?q=Rowena+Clickwell")
    row = page.locator("[data-testid=result]").first
    await row.locator("td").first.click()  # the date of birth
    await page.wait_for_selector("[data-testid=client-name]")
    assert await page.inner_text("[data-testid=client-name]") == "Rowena Clickwell"


# What a stacked row reads, cell by cell: the label USWDS draws before the cell, then its text.
STACKED_CELLS = """rows => rows.map(row => [...row.cells].map(cell => ({
    label: cell.dataset.label || "",
    shown: getComputedStyle(cell, "::before").content,
    display: getComputedStyle(cell).display,
})))"""


@pytest.mark.parametrize(("path", "who", "columns"), [
    ("/referrals/sent", "sender", ["#", "Client", "To", "Sent", "State", "Referral Status", "Sent by"]),
    ("/agency/referrals", "gatekeeper",
     ["#", "Client", "From", "Sent", "State", "Referral Status", "Assigned to"]),
])
async def test_stacked_referral_rows_label_every_cell_on_a_phone(page, db, path, who, columns):
    net = make_network(db)
    make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    db.commit()
    await page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
    await sign_in(page, getattr(net, who).email)
    await page.goto(path)

    headers = await page.locator("[data-testid=referrals] thead th").all_inner_texts()
    assert [h.strip() for h in headers] == columns
    assert not await page.locator("[data-testid=referrals] thead").is_visible()  # stacked: no header row
    rows = await page.locator("[data-testid=referrals] tbody tr").evaluate_all(STACKED_CELLS)
    assert len(rows) == 1
    assert [cell["label"] for cell in rows[0]] == columns
    assert [cell["shown"] for cell in rows[0]] == [f'"{c}"' for c in columns]  # drawn before each cell
    assert {cell["display"] for cell in rows[0]} == {"block"}
    await screenshot(page, f"stacked{path.replace('/', '-')}")
    assert await sideways_overflow(page) is None
    assert await axe_violations(page) == []
