"""Every router of the app, in the order they are mounted."""

from api.routes import auth, client_merge, clients, clients_api, codec, health, home

ROUTERS = [health.router, codec.router, auth.router, home.router]
ROUTERS += [clients.router, clients_api.router, client_merge.router]
