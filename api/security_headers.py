"""Security headers on every answer: CSP, nosniff, frame-ancestors, HSTS over TLS, no-store."""

from __future__ import annotations

from fastapi import FastAPI, Request

from connect.settings import Settings

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# Swagger UI starts itself with an inline script; it gets a looser policy on /docs only.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)

CACHEABLE_PREFIXES = ("/static/", "/assets/")


def install(app: FastAPI, settings: Settings) -> None:
    tls = settings.public_url.startswith("https://")

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        h = response.headers
        h.setdefault("Content-Security-Policy", DOCS_CSP if request.url.path == "/docs" else CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if tls:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Every answer but the public static files may carry what a signed-in person sees (the
        # outbox, user lists, reports, bells): no browser or proxy may keep a copy. One default
        # here, so a new route cannot forget it.
        if not request.url.path.startswith(CACHEABLE_PREFIXES):
            h.setdefault("Cache-Control", "no-store")
        return response
