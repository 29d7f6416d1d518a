"""Turning local dates into the instants workflows wait for (America/Denver)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("America/Denver")


def local_instant(day: date, hour: int = 0) -> datetime:
    """`hour` o'clock local time on `day`, as an aware UTC datetime."""
    return datetime.combine(day, time(hour), tzinfo=LOCAL).astimezone(timezone.utc)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def until(now: datetime, moment: datetime) -> timedelta:
    return max(moment - now, timedelta(0))
