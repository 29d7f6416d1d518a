"""Time for workflows: Montana's local dates and instants (the one rule, `domain.montana`) and how
long to wait until a moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.montana import local_date, local_instant

__all__ = ["local_date", "local_instant", "until"]


def until(now: datetime, moment: datetime) -> timedelta:
    return max(moment - now, timedelta(0))
