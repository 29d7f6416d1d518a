"""Every router of the app, in the order they are mounted."""

from api.routes import (
    admin_orgs,
    admin_users,
    auth,
    codec,
    health,
    home,
    mou,
    notifications,
    passwords,
    profile,
    tokens,
)

ROUTERS = [health.router, codec.router, auth.router, home.router, passwords.router, mou.router,
           profile.router, tokens.router, notifications.router, admin_orgs.router,
           admin_users.router]
