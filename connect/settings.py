"""CONNECT settings, read from the environment (see the table in README.md).

Settings are built by `load_settings()` and passed down explicitly; nothing in the code base reads
the environment at import time, so tests build their own `Settings(...)`.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SmsBackend(StrEnum):
    OUTBOX = "outbox"
    TWILIO = "twilio"


class EmailBackend(StrEnum):
    OUTBOX = "outbox"
    SMTP = "smtp"


_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "dev"}


class Settings(BaseSettings):
    """Every setting CONNECT reads. The env var of a field is its name in upper case."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    var_dir: Path = Path("var")
    database_url: str = ""

    temporal_address: str = ""  # empty: the dev launcher starts the embedded dev server
    temporal_namespace: str = "default"
    temporal_task_queue: str = "connect"
    temporal_ui_url: str = "http://127.0.0.1:8233"
    # Workflows a worker keeps in memory between tasks (about 110 KB each, see the README); the
    # others are replayed from history when their next task comes. Bounded so a year of open ROIs
    # does not grow the worker without limit.
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    # How long a request waits for a workflow update before answering 503: with the worker down
    # the server holds an update without limit, and a person (or client) cannot wait that long.
    update_wait_seconds: float = Field(default=10, gt=0)

    public_url: str = "http://127.0.0.1:8000"
    # Webhooks may be sent to loopback and private-network addresses (development and tests only:
    # otherwise a registered address could reach services inside the network).
    webhook_allow_internal_addresses: bool = False
    # Who runs this CONNECT, named in the website banner ("the State of Montana"); empty: a banner
    # that names CONNECT only.
    site_owner: str = ""
    secret_key: str = ""
    payload_key: str = ""  # 32 bytes, hex (AES-256-GCM key of the Temporal payload codec)
    payload_key_id: str = "connect-key-1"

    sms_backend: SmsBackend = SmsBackend.OUTBOX
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""

    email_backend: EmailBackend = EmailBackend.OUTBOX
    email_from: str = "CONNECT <no-reply@connect.localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False

    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Every other request body (JSON, forms, the codec's payloads); under Temporal's 2 MB payloads.
    request_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Comma-separated addresses of the reverse proxies whose X-Forwarded-For is believed. Empty:
    # nobody's (a forged header would otherwise dodge the per-address sign-in throttle).
    trusted_proxies: str = ""

    @model_validator(mode="after")
    def _fill_and_check(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'connect.db').as_posix()}"
        if self.environment is Environment.PRODUCTION:
            for name in ("secret_key", "payload_key"):
                if getattr(self, name).strip().lower() in _PLACEHOLDERS:
                    raise ValueError(f"{name.upper()} must be set to a real secret in production")
            if not self.temporal_address:
                raise ValueError("TEMPORAL_ADDRESS must be set in production")
            if self.webhook_allow_internal_addresses:
                raise ValueError("WEBHOOK_ALLOW_INTERNAL_ADDRESSES is for development and tests only")
        if self.sms_backend is SmsBackend.TWILIO:
            missing = [
                n.upper()
                for n in ("twilio_account_sid", "twilio_auth_token", "twilio_from_number")
                if not getattr(self, n)
            ]
            if missing:
                raise ValueError(f"SMS_BACKEND=twilio needs {', '.join(missing)}")
        if self.payload_key:
            try:
                if len(bytes.fromhex(self.payload_key)) != 32:
                    raise ValueError
            except ValueError:
                raise ValueError("PAYLOAD_KEY must be 64 hex characters (a 256-bit key)") from None
        return self

    @property
    def proxy_options(self) -> dict:
        """uvicorn's options for X-Forwarded-For: honoured from TRUSTED_PROXIES only."""
        proxies = ",".join(p.strip() for p in self.trusted_proxies.split(",") if p.strip())
        return {"proxy_headers": True, "forwarded_allow_ips": proxies} if proxies else {"proxy_headers": False}

    @property
    def uploads_dir(self) -> Path:
        return self.var_dir / "uploads"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_file(var_dir: Path, name: str, make) -> str:
    path = var_dir / name
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def load_settings(**overrides) -> Settings:
    """Settings from the environment; in development, missing secrets are generated into var/."""
    settings = Settings(**overrides)
    if settings.environment is not Environment.PRODUCTION:
        updates = {}
        if not settings.secret_key:
            updates["secret_key"] = _secret_file(
                settings.var_dir, "secret_key", lambda: secrets.token_urlsafe(48)
            )
        if not settings.payload_key:
            updates["payload_key"] = _secret_file(
                settings.var_dir, "payload_key", lambda: secrets.token_hex(32)
            )
        if updates:
            settings = settings.model_copy(update=updates)
    return settings
