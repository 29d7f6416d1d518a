"""Jinja2 environment shared by pages and email templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.templating import Jinja2Templates

from api.deps import user_mou_current
from api.referrals import display as referral_display
from connect.settings import Settings
from domain.business_days import ESCALATION_BUSINESS_DAYS
from domain.montana import LOCAL, local_date
from domain.wording import business_days

API = Path(__file__).parent
TEMPLATES = [API / "templates", *sorted(API.glob("*/templates"))]
"""The shared templates (base, macros, error), then each feature's own `api/<feature>/templates/`,
whose files sit in a folder named for the feature (`referrals/detail.html`), so no two clash."""


def _context(request) -> dict:
    actor = getattr(request.state, "actor", None)
    # The header offers clients and referrals only to a person whose User MOU holds today: until
    # then those pages answer "Not allowed" (api.deps.user_mou_actor).
    mou_signed = bool(actor) and user_mou_current(actor.user, local_date(request.app.state.clock()))
    return {"actor": actor, "csrf_token": actor.session.csrf_token if actor and actor.session else "",
            "user_mou_signed": mou_signed}


def localtime(moment: datetime | None) -> str:
    """A stored UTC instant as Montana reads it: "04/12/2026 3:05 PM MDT"."""
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL)
    return local.strftime("%m/%d/%Y %I:%M %p %Z").replace(" 0", " ")


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES, context_processors=[_context])
    templates.env.globals["temporal_ui_url"] = settings.temporal_ui_url
    templates.env.globals["environment"] = settings.environment.value
    site_host = urlsplit(settings.public_url).hostname or ""
    templates.env.globals["site_owner"] = settings.site_owner.strip()
    templates.env.globals["site_host"] = site_host
    templates.env.globals["site_is_gov"] = site_host.endswith(".gov")
    referral_display.install(templates.env)
    # The escalation's wait as pages state it ("five business days"), from the rule itself.
    templates.env.globals["escalation_wait"] = business_days(ESCALATION_BUSINESS_DAYS)
    templates.env.filters["localtime"] = localtime
    # A form's idempotency key, made when the form is rendered: submitting the same rendered form
    # twice (a double click, a resubmit after a timeout) is one change, as with the API's header.
    templates.env.globals["new_idempotency_key"] = lambda: uuid.uuid4().hex
    return templates
