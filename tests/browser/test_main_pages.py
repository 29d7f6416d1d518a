"""Every main page, as the person who uses it: no axe-core violation (none critical or serious,
and none of the moderate or minor ones either, which the pages are also free of), and no
sideways scrolling on a phone (390 px) or a tablet (820 px) — wide tables scroll inside their own
box. With CONNECT_SCREENS_DIR set, each page is also saved as a screenshot to look at."""

from __future__ import annotations

import pytest

from tests.browser.main_pages import each_page, make_main_pages
from tests.browser.page_checks import ALL_IMPACTS, WIDTHS, axe_violations, screenshot, sideways_overflow


@pytest.mark.parametrize("width", [WIDTHS["desktop"], WIDTHS["phone"]])
async def test_no_serious_accessibility_violations(browser, live_server, db, width):
    main = make_main_pages(db)
    found = {}
    async for name, page in each_page(browser, live_server, main, width):
        await screenshot(page, f"{name}-{width}")
        violations = await axe_violations(page, ALL_IMPACTS)
        if violations:
            found[name] = violations
    assert not found, "\n".join(f"{name}: {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
                                 for name, vs in found.items() for v in vs)


@pytest.mark.parametrize("width", [WIDTHS["phone"], WIDTHS["tablet"]])
async def test_no_sideways_scrolling(browser, live_server, db, width):
    main = make_main_pages(db)
    found = {}
    async for name, page in each_page(browser, live_server, main, width):
        overflow = await sideways_overflow(page)
        if overflow:
            found[name] = overflow
    assert not found, "\n".join(f"{name}: {o}" for name, o in found.items())
