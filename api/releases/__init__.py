"""Releases of information (guide Part 3): the JSON API, the pages, the action layer, the printable blank form, and the client's texts (Twilio webhook)."""
