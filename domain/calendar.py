"""Calendar arithmetic shared by ROI and MOU rules."""

from __future__ import annotations

from datetime import date


def add_years(start: date, years: int = 1) -> date:
    """Return the same day and month ``years`` later.

    A 29 February that has no counterpart in the target year becomes 28 February, so a document
    signed on a leap day never gains a day (it expires on the 28th, not on 1 March).
    """
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # only 29 February can fail
        return start.replace(year=start.year + years, day=28)
