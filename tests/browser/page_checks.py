"""Checks any browser test can run on the page it is on: axe-core's accessibility rules, sideways
scrolling, the focus outline, and screenshots for people to look at.

axe-core comes from node_modules (a development dependency, `make setup` installs it); it is
evaluated through the DevTools protocol, so the pages keep their own Content-Security-Policy.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 390, "tablet": 820, "desktop": 1280}
BLOCKING_IMPACTS = ("critical", "serious")
ALL_IMPACTS = ("critical", "serious", "moderate", "minor")
MAX_TABS = 60


@cache
def _axe_source() -> str:
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: run `make setup` (npm ci) first")
    return AXE.read_text()


async def axe_violations(page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations of the current page whose impact is in ``impacts``,
    each as {id, impact, help, targets}."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(_axe_source())
    found = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


async def sideways_overflow(page) -> dict | None:
    """None when the page is no wider than the window; otherwise the widths and the elements that
    stick out past the right edge (outside any container that scrolls by itself)."""
    return await page.evaluate(
        """() => {
            const doc = document.documentElement, width = window.innerWidth;
            if (doc.scrollWidth <= width) return null;
            const scrolls = el => {
                for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                    const o = getComputedStyle(p).overflowX;
                    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
                }
                return false;
            };
            const culprits = [...document.body.querySelectorAll('*')]
                .filter(el => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
                .slice(0, 8)
                .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                     + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                     + ' right=' + Math.round(el.getBoundingClientRect().right));
            return {scrollWidth: doc.scrollWidth, innerWidth: width, culprits};
        }"""
    )


async def focus_outline(page) -> str:
    """The outline of the focused element ("" when it shows none): focus must be visible."""
    return await page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return '';
            const style = getComputedStyle(el);
            if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0) return '';
            return `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`;
        }"""
    )


async def tab_to(page, selector: str, *, backwards: bool = False) -> None:
    """Presses Tab until the element matching ``selector`` has the focus, checking on each stop
    that the focus shows an outline. Fails when the focus never gets there (a trap, or a missing
    element)."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(MAX_TABS):
        await page.keyboard.press(key)
        here = await page.evaluate(
            "(s) => { const el = document.activeElement; return {match: !!el && el.matches(s),"
            " hidden: !!el && el.matches('.usa-checkbox__input, .usa-radio__input'),"
            " name: el ? el.outerHTML.slice(0, 90) : ''}; }", selector)
        seen.append(here["name"])
        if not here["hidden"]:  # USWDS draws those inputs' focus on their label
            assert await focus_outline(page), f"no visible focus on {here['name']}"
        if here["match"]:
            return
    raise AssertionError(f"Tab never reached {selector}; it went through {seen[-8:]}")


async def follow(page, key: str = "Enter") -> None:
    """Presses ``key`` on the focused link or button and waits for the page it leads to."""
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def screenshot(page, name: str) -> None:
    """A full-page screenshot into CONNECT_SCREENS_DIR (e.g. var/screens), when that is set."""
    folder = os.environ.get("CONNECT_SCREENS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True, animations="disabled")
