"""Jinja2 environment shared by pages and email templates."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from connect.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_TZ = ZoneInfo("America/Denver")


def _context(request) -> dict:
    actor = getattr(request.state, "actor", None)
    return {"actor": actor, "csrf_token": actor.session.csrf_token if actor and actor.session else ""}


def _local(moment, fmt: str = "%b %-d, %Y %-I:%M %p") -> str:
    """A UTC instant as Montana local time, for display."""
    return moment.astimezone(LOCAL_TZ).strftime(fmt) if moment else ""


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES, context_processors=[_context])
    templates.env.filters["local"] = _local
    templates.env.globals["temporal_ui_url"] = settings.temporal_ui_url
    templates.env.globals["environment"] = settings.environment.value
    return templates
