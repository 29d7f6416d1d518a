"""SMART Backend Services scopes (SMART App Launch 2): what a machine client may do on the FHIR API.

A system scope is `system/<resource type>.<permissions>`: the type, or `*` for every type, and
the permissions in SMART 2's order `c r u d s` (create, read, update, delete, search), such as
`system/Task.rs` or `system/Task.cu`. SMART 1's `read`, `write` and `*` are read as `rs`, `cud` and
`cruds`. Only `system/` scopes exist for a backend service: it acts as its program, never as a
person or a patient. Scopes limit what the client may ask; what it then sees is still what its
program may see (role, agency and release of information), as in CONNECT's JSON API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.errors import ValidationFailed

PERMISSIONS = "cruds"
ACTIONS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_SCOPE = re.compile(r"system/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)")


def parse_scope(scope: str, known_types: Iterable[str]) -> tuple[str, str]:
    """The resource type (or `*`) and the permissions (a subsequence of ``cruds``) of one scope.
    Raises ValidationFailed naming the scope when it is not a system scope CONNECT knows."""
    m = _SCOPE.fullmatch(scope)
    if not m:
        raise ValidationFailed(f"{scope!r} is not a SMART system scope such as system/Task.rs.",
                               field="scopes", code="invalid_scope")
    kind, perms = m.groups()
    perms = _V1.get(perms, perms)
    if kind != "*" and kind not in set(known_types):
        raise ValidationFailed(f"{scope!r}: CONNECT's FHIR API has no {kind} resources.", field="scopes",
                               code="invalid_scope")
    if not perms or any(p not in PERMISSIONS for p in perms) or "".join(
            sorted(set(perms), key=PERMISSIONS.index)) != perms:
        raise ValidationFailed(f"{scope!r}: permissions are letters of c, r, u, d, s in that order "
                               "(or read, write, *).", field="scopes", code="invalid_scope")
    return kind, perms


def clean_scopes(scopes: Iterable[str], known_types: Iterable[str]) -> list[str]:
    """The scopes of a registration, each checked, in the order given, without repeats."""
    known = list(known_types)
    out = list(dict.fromkeys(s for s in scopes if s))
    if not out:
        raise ValidationFailed("Give at least one scope, such as system/Task.rs.", field="scopes",
                               code="invalid_scope")
    for scope in out:
        parse_scope(scope, known)
    return out


def allows(granted: Iterable[str], kind: str, action: str) -> bool:
    """Whether scopes ``granted`` let a client do ``action`` (a letter of ``cruds``) on ``kind``."""
    for scope in granted:
        m = _SCOPE.fullmatch(scope)
        if m and m.group(1) in ("*", kind) and action in _V1.get(m.group(2), m.group(2)):
            return True
    return False


def within(asked: Iterable[str], registered: Iterable[str]) -> bool:
    """Whether every scope asked for is covered by the registration (a narrower scope may be
    asked: `system/Task.r` of a client registered for `system/Task.rs`)."""
    registered = list(registered)
    for scope in asked:
        m = _SCOPE.fullmatch(scope)
        if not m:
            return False
        kind, perms = m.group(1), _V1.get(m.group(2), m.group(2))
        kinds = [kind] if kind != "*" else ["*"]
        if not all(any(_covers(r, k, p) for r in registered) for k in kinds for p in perms):
            return False
    return True


def _covers(registered: str, kind: str, perm: str) -> bool:
    m = _SCOPE.fullmatch(registered)
    if not m:
        return False
    r_kind, r_perms = m.group(1), _V1.get(m.group(2), m.group(2))
    return (r_kind == "*" or r_kind == kind) and perm in r_perms
