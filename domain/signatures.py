"""Typed signatures: when the name a person types counts as the name of the one who must sign.

The ROI's e-signature (the client or their representative) and the MOUs (the signed-in user) use
the same rule, so a name that signs one signs the other.
"""

from __future__ import annotations

import unicodedata


def _comparable_name(name: str) -> str:
    # Drop accents (NFKD splits "é" into "e" + a combining mark), case and all whitespace.
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(bare.casefold().split())


def is_typed_blank(typed: str | None) -> bool:
    """Whether nothing that could be a name was typed (only spaces, or nothing)."""
    return not _comparable_name(typed or "")


def signs_as(expected_name: str | None, typed: str | None) -> bool:
    """Whether ``typed`` is ``expected_name``: case, accents and spacing are ignored
    ("José  de la Cruz" matches "jose dela cruz"); anything else is another person's name."""
    return not is_typed_blank(typed) and _comparable_name(typed or "") == _comparable_name(expected_name or "")
