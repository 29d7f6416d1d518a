"""The emails CONNECT sends, as text templates (documents/email_templates/<name>.txt)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_EMAILS = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("email_templates")),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",)),
    keep_trailing_newline=True,
)


def render_email(template: str, context: dict) -> tuple[str, str]:
    """Renders `<template>.txt`, whose first line is `Subject: ...`; returns (subject, body)."""
    text = _EMAILS.get_template(f"{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email template {template} must start with a Subject: line")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n")
