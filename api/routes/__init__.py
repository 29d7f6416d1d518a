"""Every router of the app, in the order they are mounted."""

from api.routes import auth, codec, health, home, referrals

ROUTERS = [health.router, codec.router, auth.router, home.router, referrals.router]
