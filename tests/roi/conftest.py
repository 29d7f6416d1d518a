from __future__ import annotations

import httpx
import pytest

from api.app import create_app


@pytest.fixture
def twilio_settings(settings):
    """The test settings with a Twilio account, so the webhook checks signatures."""
    return settings.model_copy(update={"twilio_account_sid": "AC" + "1" * 32, "twilio_auth_token": "tw-test-token",
                                       "twilio_from_number": "+14065550199"})


@pytest.fixture
async def twilio_http(twilio_settings, session_factory, temporal_client, db, worker):
    app = create_app(twilio_settings, session_factory=session_factory, temporal_client=temporal_client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c
