"""Jinja2 environment shared by pages and email templates."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from api import referral_display
from connect.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


def _context(request) -> dict:
    actor = getattr(request.state, "actor", None)
    return {"actor": actor, "csrf_token": actor.session.csrf_token if actor and actor.session else ""}


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES, context_processors=[_context])
    templates.env.globals["temporal_ui_url"] = settings.temporal_ui_url
    templates.env.globals["environment"] = settings.environment.value
    referral_display.install(templates.env)
    return templates
