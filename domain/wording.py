"""Small rules of plain English for page text."""

from __future__ import annotations

__all__ = ["counted"]


def counted(number: int, one: str, many: str) -> str:
    """A count with its noun in the right number: "1 agency", "0 agencies", "3 agencies"."""
    return f"{number} {one if number == 1 else many}"
