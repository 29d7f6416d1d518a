"""The signed-in start page and the API docs page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import RedirectResponse

from api.deps import CurrentActor, Now
from api.forms import render
from api.accounts.onboarding import next_step
from domain.montana import local_date

router = APIRouter(include_in_schema=False)

DONE = {"password": "Your password is changed.", "mou": "Thank you for signing the CONNECT User MOU."}


@router.get("/")
async def home(request: Request, actor: CurrentActor, moment: Now, done: str = ""):
    # First sign-in steps come first: password, User MOU, agency profile.
    step = next_step(actor.user, actor.program_id, local_date(moment))
    if step and actor.session is not None:
        return RedirectResponse(step, status_code=303)
    return render(request, "site/home.html", {"done": DONE.get(done)})


@router.get("/docs")
async def docs():
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="CONNECT API",
        swagger_js_url="/assets/swagger/swagger-ui-bundle.js",
        swagger_css_url="/assets/swagger/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
