"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Live(BaseModel):
    status: str


class Ready(BaseModel):
    ready: bool
    database: str = Field(description="ok, or why the database is unreachable")
    temporal: str = Field(description="ok, or why Temporal is unreachable")


@router.get("/healthz")
async def healthz() -> Live:
    return Live(status="ok")


@router.get("/readyz", response_model=Ready,
            responses={503: {"model": Ready, "description": "Not ready: a dependency is unreachable."}})
async def readyz(request: Request):
    checks: dict[str, str] = {}

    def ping_db() -> None:
        with request.app.state.session_factory() as s:
            s.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(ping_db)
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        client = await asyncio.wait_for(request.app.state.temporal.get(), timeout=3)
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)
