"""Small rules of plain English for page text, and the one way a duration from the rules is
written (so changing a figure in the policy changes every sentence that states it)."""

from __future__ import annotations

__all__ = ["business_days", "counted", "duration", "in_words"]

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_UNITS = ((86400, "day", "days"), (3600, "hour", "hours"), (60, "minute", "minutes"), (1, "second", "seconds"))


def counted(number: int, one: str, many: str) -> str:
    """A count with its noun in the right number: "1 agency", "0 agencies", "3 agencies"."""
    return f"{number} {one if number == 1 else many}"


def in_words(number: int, one: str, many: str) -> str:
    """A figure in a sentence: one to nine spelled out, 10 and more in digits ("five business
    days", "12 hours"), the noun in the right number."""
    figure = _WORDS[number] if 0 <= number < len(_WORDS) else str(number)
    return f"{figure} {one if number == 1 else many}"


def duration(seconds: int) -> str:
    """A duration in the largest unit it fills whole: 43200 is "12 hours", 90 is "90 seconds"."""
    for size, one, many in _UNITS:
        if seconds >= size and seconds % size == 0:
            return in_words(seconds // size, one, many)
    return in_words(seconds, "second", "seconds")


def business_days(number: int) -> str:
    """A wait in business days, as a sentence states it: "five business days"."""
    return in_words(number, "business day", "business days")
