"""Password hashing (argon2id) and opaque-token helpers."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.passwords import normalize_password

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# Each argon2 computation holds its memory cost (64 MiB with these parameters) for its duration.
# The API runs them on its thread pool, so unbounded, 40 sign-ins at once would hold 2.5 GiB
# (seen in the benchmark); they are CPU-bound, so more at a time than cores gains nothing.
_ARGON2_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


def hash_password(password: str) -> str:
    # NFKC first, so the same keystrokes verify whatever form the browser sent them in.
    with _ARGON2_SLOTS:
        return _hasher.hash(normalize_password(password))


def verify_password(stored_hash: str, password: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check so timing does not reveal unknown accounts.
        _safe_dummy(password)
        return False
    try:
        with _ARGON2_SLOTS:
            return _hasher.verify(stored_hash, normalize_password(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


_DUMMY_HASH = _hasher.hash("connect-dummy-password")


def _safe_dummy(password: str) -> None:
    try:
        with _ARGON2_SLOTS:
            _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is the right storage hash for them."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(secret_key: str, value: str) -> str:
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
