"""`create_app(settings)`: the FastAPI application, built from settings, never at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError

from api import body_limit, errors, idempotency, openapi, security_headers, text_input
from api.errors import ApiError
from api.routers import routers_for
from api.templating import make_templates
from api.updates import UNAVAILABLE
from connect.settings import Settings
from connect.schedules import trigger_recovery
from models.base import utcnow
from models.db import make_engine, make_session_factory

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
log = logging.getLogger(__name__)


class TemporalHolder:
    """Connects to Temporal on first use, so the web stays up while Temporal starts.

    A failed connection is not kept: the next request tries again, and meanwhile each request
    that needs Temporal gets the same 503 ``temporal_unavailable`` a running API gives when
    Temporal goes away (the SDK raises a bare RuntimeError, which would be a plain 500)."""

    def __init__(self, settings: Settings, client: Client | None = None):
        self._settings = settings
        self._client = client

    async def get(self) -> Client:
        if self._client is None:
            from connect.temporal import connect_client

            try:
                self._client = await connect_client(self._settings)
            except RuntimeError as exc:  # "Failed client connect: ..."
                raise ApiError(503, UNAVAILABLE, code="temporal_unavailable") from exc
        return self._client

    async def get_or_none(self) -> Client | None:
        """The client, or None while Temporal cannot be reached (for callers that store the
        work and let a sweep finish it later)."""
        try:
            return await self.get()
        except ApiError:
            return None


async def _startup_check(app: FastAPI) -> None:
    """At start, runs the recovery sweep once (connect.recovery: texts and workflow starts that
    waited for Temporal). If Temporal is down now, the worker's schedule does it later."""
    client = await app.state.temporal.get_or_none()
    if client is None:
        return
    try:
        await trigger_recovery(client)
    except RPCError as exc:  # no worker has created the schedule yet: it runs at the worker's start
        log.info("recovery sweep not triggered at start: %s", exc.status)


def create_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    temporal_client: Client | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    engine = None
    if session_factory is None:
        engine = make_engine(settings.database_url)
        session_factory = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        check = asyncio.create_task(_startup_check(app))
        yield
        check.cancel()
        if engine is not None:
            engine.dispose()

    app = FastAPI(
        title="CONNECT",
        summary="Closed-loop referrals between health and social-service programs.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.temporal = TemporalHolder(settings, temporal_client)
    app.state.clock = clock
    app.state.templates = make_templates(settings)

    errors.install(app)
    idempotency.install(app)  # outside the catch-all: a failure's 500 frees the key
    body_limit.install(app, settings)  # outside the catch-all, whose answer it shares
    text_input.install(app)
    security_headers.install(app, settings)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for name, sub in (("uswds", "@uswds/uswds/dist"), ("htmx", "htmx.org/dist"),
                      ("swagger", "swagger-ui-dist")):
        folder = NODE_MODULES / sub
        if folder.is_dir():
            app.mount(f"/assets/{name}", StaticFiles(directory=folder), name=name)
    routers = routers_for(settings)
    for router in routers:
        app.include_router(router)
    openapi.install(app, routers)
    return app
