"""Every router of the app, in the order they are mounted."""

from api.routes import auth, codec, escalations, health, home, notifications, referral_pages, referrals

ROUTERS = [health.router, codec.router, auth.router, home.router, referrals.router,
           referral_pages.router, escalations.api, escalations.pages, notifications.api, notifications.pages]
