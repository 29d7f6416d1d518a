"""Business days in Montana: Monday to Friday, except Montana state holidays.

Holidays come from the ``holidays`` package's United States rules for Montana (``subdiv="MT"``), including the days the
package marks as observed (a holiday on a Saturday is kept on the Friday before, on a Sunday on
the Monday after) and general election day in even years. The package also counts the federal
holidays, including Juneteenth (19 June), which state law (MCA 1-1-216) does not list; we keep it,
since many federally funded programs close that day.

Deadlines keep the local wall-clock time in America/Denver. Every daylight-saving change happens
at 02:00 on a Sunday, which is never a business day, so a wall-clock time on a business day always
exists and is never ambiguous.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

# Imported here, not looked up through ``holidays.country_holidays``: that imports the rules of
# every country (~280 modules) on its first call, which in a workflow is inside a workflow task,
# where it tripped Temporal's deadlock detector (TMPRL1101) on a loaded machine. Importing at
# module load puts that cost at worker start. The package is pinned in pyproject.toml: another
# version could move a holiday, and with it a deadline a running workflow replays.
from holidays.countries.united_states import UnitedStates

from domain.montana import LOCAL

_ONE_DAY = timedelta(days=1)

ESCALATION_BUSINESS_DAYS = 5
"""A sent referral nobody acknowledged (assigned) in this many business days is escalated to the
state team (guide Part 5). The workflows' default `TimerPolicy.escalation_business_days`; pages and
messages state it through `domain.wording.in_words`."""


@lru_cache(maxsize=64)
def _holidays_in(year: int) -> frozenset[date]:
    return frozenset(UnitedStates(subdiv="MT", years=year))


def is_business_day(d: date) -> bool:
    """Whether ``d`` is a weekday that is not a Montana state holiday."""
    return d.weekday() < 5 and d not in _holidays_in(d.year)


def next_business_day(d: date) -> date:
    """The first business day strictly after ``d``."""
    d += _ONE_DAY
    while not is_business_day(d):
        d += _ONE_DAY
    return d


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(LOCAL)


def _at(d: date, wall_clock: time) -> datetime:
    return datetime.combine(d, wall_clock, tzinfo=LOCAL).astimezone(UTC)


def add_business_days(start: datetime, n: int) -> datetime:
    """The moment ``n`` business days after ``start``, at the same Montana wall-clock time, in UTC.

    ``start`` must be timezone-aware. If it falls on a weekend or holiday, counting starts at
    00:00 local on the next business day (so a referral sent on Saturday gets ``n`` whole business
    days: with n=5 the deadline is 00:00 on the following Monday, the end of Friday).
    ``n = 0`` returns ``start`` itself, or that next-business-day midnight.
    """
    if n < 0:
        raise ValueError("n must be zero or positive")
    local = _local(start)
    day, wall_clock = local.date(), local.time()
    if not is_business_day(day):
        day, wall_clock = next_business_day(day), time(0)
    for _ in range(n):
        day = next_business_day(day)
    return _at(day, wall_clock)


def next_business_day_at(start: datetime, hour: int = 17) -> datetime:
    """``hour``:00 Montana time on the first business day after ``start``'s local date, in UTC.

    Used for the acknowledgement nudge: a referral sent on Friday evening, or on a Saturday,
    is nudged at 17:00 on Monday (Tuesday if Monday is a holiday).
    """
    if not 0 <= hour <= 23:
        raise ValueError("hour must be between 0 and 23")
    return _at(next_business_day(_local(start).date()), time(hour))
