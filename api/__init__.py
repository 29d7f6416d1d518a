"""CONNECT's web pages and JSON API, built by `create_app(settings)`."""
