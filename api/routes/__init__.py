"""Every router of the app, in the order they are mounted."""

from api.routes import (
    auth, blank_roi, codec, escalations, health, home, notifications, outbox, referral_pages, referrals,
    roi_api, roi_pages, twilio_sms,
)

ROUTERS = [health.router, codec.router, auth.router, home.router]
ROUTERS += [referrals.router, referral_pages.router, escalations.api, escalations.pages,
            notifications.api, notifications.pages]
ROUTERS += [roi_api.router, roi_pages.router, twilio_sms.router, outbox.router, blank_roi.router]
