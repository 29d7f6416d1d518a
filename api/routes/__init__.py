"""Every router of the app, in the order they are mounted."""

from fastapi import APIRouter

from api.fhir import registration as fhir_registration, routes as fhir_routes, smart as fhir_smart
from api.fhir import subscriptions as fhir_subscriptions
from connect.settings import Environment, Settings

from api.routes import (
    admin_orgs,
    admin_users,
    api_clients,
    auth,
    blank_roi,
    client_merge,
    clients,
    clients_api,
    codec,
    escalations,
    health,
    home,
    mou,
    notifications,
    oauth,
    outbox,
    passwords,
    profile,
    referral_pages,
    referrals,
    reports,
    roi_api,
    roi_pages,
    tokens,
    twilio_sms,
    vocabularies,
    webhooks,
)

ROUTERS = [health.router, codec.router, auth.router, home.router, passwords.router, mou.router,
           profile.router, tokens.router, oauth.router, api_clients.router, notifications.router, admin_orgs.router,
           admin_users.router]
ROUTERS += [referrals.router, referral_pages.router, escalations.api, escalations.pages]
ROUTERS += [roi_api.router, roi_pages.router, twilio_sms.router, blank_roi.router]
ROUTERS += [clients.router, clients_api.router, client_merge.router]
ROUTERS += [reports.router, vocabularies.router, webhooks.router]
ROUTERS += [fhir_routes.router, fhir_smart.router, fhir_registration.router, fhir_subscriptions.router]


DEVELOPMENT_ROUTERS = [outbox.router]
"""Mounted in development only: elsewhere their paths do not exist (404)."""


def routers_for(settings: Settings) -> list[APIRouter]:
    if settings.environment is Environment.DEVELOPMENT:
        return ROUTERS + DEVELOPMENT_ROUTERS
    return ROUTERS
