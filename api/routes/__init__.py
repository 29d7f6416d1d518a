"""Every router of the app, in the order they are mounted."""

from api.routes import auth, codec, health, home, reports

ROUTERS = [health.router, codec.router, auth.router, home.router, reports.router]
