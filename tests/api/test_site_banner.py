"""The website banner (USWDS usa-banner) names who runs this CONNECT, from SITE_OWNER, and speaks
of a .gov address only when PUBLIC_URL is one."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app


@pytest.mark.parametrize(("owner", "public_url", "says", "not_said"), [
    ("", "https://connect.example.org", "CONNECT, a secure referral network", ["official website", ".gov"]),
    ("the State of Montana", "https://connect.example.org", "An official website of the State of Montana",
     ["Official websites use .gov"]),
    ("the State of Montana", "https://connect.mt.gov", "Official websites use .gov", ["Check the address"]),
])
async def test_banner_names_the_owner_and_claims_gov_only_on_gov(settings, session_factory, temporal_client,
                                                                owner, public_url, says, not_said):
    app = create_app(settings.model_copy(update={"site_owner": owner, "public_url": public_url}),
                     session_factory=session_factory, temporal_client=temporal_client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        html = (await http.get("/login")).text
    assert 'data-testid="site-banner"' in html and says in html
    for words in not_said:
        assert words not in html
    if "example.org" in public_url:
        assert "This website’s address is <strong>connect.example.org</strong>" in html
