"""Every router of the app, feature by feature, in the order they are mounted."""

from fastapi import APIRouter

from api.accounts import agency_profile, notifications, passwords, sign_in
from api.admin import agencies, users
from api.clients import merge as client_merge
from api.clients import pages as client_pages
from api.clients import routes as client_routes
from api.fhir import registration as fhir_registration
from api.fhir import routes as fhir_routes
from api.fhir import smart as fhir_smart
from api.fhir import subscriptions as fhir_subscriptions
from api.integrations import api_clients, oauth, tokens, webhooks
from api.mous import pages as mou_pages
from api.referrals import escalations
from api.referrals import pages as referral_pages
from api.referrals import routes as referral_routes
from api.releases import blank_form, twilio_webhook
from api.releases import pages as roi_pages
from api.releases import routes as roi_routes
from api.reports import routes as report_routes
from api.site import codec, health, home, outbox, vocabularies
from connect.settings import Environment, Settings

ROUTERS = [health.router, codec.router, sign_in.router, home.router, passwords.router, mou_pages.router,
           agency_profile.router, tokens.router, oauth.router, api_clients.router, notifications.router,
           agencies.router, users.router]
ROUTERS += [referral_routes.router, referral_pages.router, escalations.api, escalations.pages]
ROUTERS += [roi_routes.router, roi_pages.router, twilio_webhook.router, blank_form.router]
ROUTERS += [client_pages.router, client_routes.router, client_merge.router]
ROUTERS += [report_routes.router, vocabularies.router, webhooks.router]
ROUTERS += [fhir_routes.router, fhir_smart.router, fhir_registration.router, fhir_subscriptions.router]


DEVELOPMENT_ROUTERS = [outbox.router]
"""Mounted in development only: elsewhere their paths do not exist (404)."""


def routers_for(settings: Settings) -> list[APIRouter]:
    if settings.environment is Environment.DEVELOPMENT:
        return ROUTERS + DEVELOPMENT_ROUTERS
    return ROUTERS
