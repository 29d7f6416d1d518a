"""Steps that many browser tests take the same way."""

from tests.factories import PASSWORD


async def sign_in(page, email: str, *, then: str = "text=Welcome") -> None:
    """Signs in through the form and waits for ``then`` (a selector) on the page it lands on."""
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(then)
