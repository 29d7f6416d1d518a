"""What integrators use: machine clients (OAuth 2.0), personal API tokens, and webhooks."""
