"""The signed-in start page and the API docs page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html

from api.deps import CurrentActor
from api.forms import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, actor: CurrentActor):
    return render(request, "home.html")


@router.get("/docs")
async def docs():
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="CONNECT API",
        swagger_js_url="/assets/swagger/swagger-ui-bundle.js",
        swagger_css_url="/assets/swagger/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
