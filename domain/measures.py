"""Closed-loop measures: what each figure on the reports and the dashboard means, in one place.

Every figure is defined here on plain values (numbers, datetimes, strings), so a unit test can
check it by hand. models/reports/queries.py computes the same figures in SQL; on SQLite it calls these
functions, on PostgreSQL it asks the database (``percentile_cont``) for the same definitions.

Definitions (for referrals *sent* in the period chosen):

* **Referrals counted**: sent (``sent_at`` set), except those the sender withdrew: a withdrawn
  referral never reached a receiving program that could act on it.
* **Time to acknowledgement**: ``acknowledged_at - sent_at`` (the first assignment), over the
  referrals that were acknowledged. Likewise **time to first contact** (``first_contact_at``, the
  first call-log entry) and **time to enrollment** (``enrolled_at``, the first "Enrolled in
  Services"). Each is given as its median and its 90th percentile, with linear interpolation
  between the two nearest values (PostgreSQL's ``percentile_cont``).
* **Share reached**: referrals with a first contact / referrals counted. **Share enrolled**:
  with ``enrolled_at`` / counted. **Share closed successfully**: closed with the status
  "Closed - Successful completion" / counted. **Share escalated**: escalated / counted.

The dashboard's lines for the state and for whole regions read their medians and 90th percentiles
from log-bucketed duration histograms (``histogram_percentile``: within 1.09 %, exact where a
bucket holds one distinct value), so that years of referrals need no sort; counts are exact.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from domain.business_days import is_business_day, next_business_day
from domain.montana import LOCAL, local_date, local_midnight
from domain.referral_status import ReferralState, ServiceStatus

MEDIAN = 0.5
P90 = 0.9
# States whose referrals count in the measures (withdrawn and never-sent ones do not).
COUNTED_STATES = frozenset({ReferralState.SENT, ReferralState.ASSIGNED, ReferralState.CLOSED,
                            ReferralState.DECLINED})
SUCCESSFUL = ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION

# Edges, in hours, of the bins of the "time to acknowledgement" histogram: [0, 4), [4, 24), ...
ACK_BIN_EDGES_HOURS: tuple[int, ...] = (0, 4, 24, 48, 72, 120, 168, 336)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of ``values`` by linear interpolation (``percentile_cont``).

    None for no values. ``fraction`` is between 0 and 1: 0.5 is the median.
    """
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below, above = math.floor(position), math.ceil(position)
    low, high = ordered[below], ordered[above]
    return low + (high - low) * (position - below)


def median(values: Sequence[float]) -> float | None:
    """The median of ``values`` (None for none)."""
    return percentile(values, MEDIAN)


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction between 0 and 1; None when there is nothing to divide."""
    if whole <= 0:
        return None
    return part / whole


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from ``start`` to ``end``; None if either is missing."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of a duration, in seconds, and how many values they rest on."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        return cls(len(seconds), percentile(seconds, MEDIAN), percentile(seconds, P90))


@dataclass(frozen=True)
class ClosedLoopCounts:
    """How many counted referrals reached each step of the closed loop."""

    counted: int = 0
    acknowledged: int = 0
    reached: int = 0
    enrolled: int = 0
    closed_successfully: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class ClosedLoopMeasures:
    """The closed-loop measures of one group of referrals (a program, a region, the state)."""

    counts: ClosedLoopCounts
    to_acknowledgement: Spread
    to_first_contact: Spread
    to_enrollment: Spread

    @property
    def share_reached(self) -> float | None:
        return share(self.counts.reached, self.counts.counted)

    @property
    def share_enrolled(self) -> float | None:
        return share(self.counts.enrolled, self.counts.counted)

    @property
    def share_closed_successfully(self) -> float | None:
        return share(self.counts.closed_successfully, self.counts.counted)

    @property
    def share_escalated(self) -> float | None:
        return share(self.counts.escalated, self.counts.counted)


@dataclass(frozen=True)
class ReferralTimes:
    """The facts about one referral that the measures read."""

    state: str
    service_status: str | None
    sent_at: datetime | None
    acknowledged_at: datetime | None = None
    first_contact_at: datetime | None = None
    enrolled_at: datetime | None = None
    escalated_at: datetime | None = None


def is_counted(state: str, sent_at: datetime | None) -> bool:
    """Whether a referral counts in the measures: sent, and not withdrawn."""
    return sent_at is not None and state in COUNTED_STATES


def closed_successfully(state: str, service_status: str | None) -> bool:
    """Closed with "Closed - Successful completion" (a reopened referral is not closed)."""
    return state == ReferralState.CLOSED and service_status == SUCCESSFUL


def closed_loop_measures(referrals: Iterable[ReferralTimes]) -> ClosedLoopMeasures:
    """The closed-loop measures of ``referrals`` (those not counted are skipped)."""
    ack: list[float] = []
    contact: list[float] = []
    enrol: list[float] = []
    counted = successful = escalated = 0
    for r in referrals:
        if not is_counted(r.state, r.sent_at):
            continue
        counted += 1
        for bucket, moment in ((ack, r.acknowledged_at), (contact, r.first_contact_at),
                               (enrol, r.enrolled_at)):
            seconds = seconds_between(r.sent_at, moment)
            if seconds is not None:
                bucket.append(seconds)
        successful += closed_successfully(r.state, r.service_status)
        escalated += r.escalated_at is not None
    counts = ClosedLoopCounts(counted, len(ack), len(contact), len(enrol), successful, escalated)
    return ClosedLoopMeasures(counts, Spread.of(ack), Spread.of(contact), Spread.of(enrol))


def ack_bin(seconds: float) -> int:
    """The index of the acknowledgement-time histogram bin that ``seconds`` falls in."""
    hours = seconds / 3600
    return max(0, bisect_right(ACK_BIN_EDGES_HOURS, hours) - 1)


def ack_bin_labels() -> list[str]:
    """Human labels of the acknowledgement-time bins ("under 4 hours", ..., "14 days or more")."""

    def words(hours: int) -> str:
        if hours < 48:
            return f"{hours} hours"
        return f"{hours // 24} days"

    edges = ACK_BIN_EDGES_HOURS
    labels = [f"under {words(edges[1])}"]
    labels += [f"{words(a)} to {words(b)}" for a, b in zip(edges[1:], edges[2:])]
    labels.append(f"{words(edges[-1])} or more")
    return labels


# --- duration histograms (the closed-loop summary) --------------------------------------------
#
# The statewide dashboard over long periods reads a summary of each settled Montana month
# (models/reports/closed_loop_summary.py) instead of sorting every duration: a duration is kept as a count
# and a sum in a logarithmic bucket, and the percentiles are read from the merged buckets.

BUCKETS_PER_DOUBLING = 64
BUCKET_SCALE = BUCKETS_PER_DOUBLING / math.log(2)  # the SQL form: floor(ln(seconds) * this)
UNDER_A_SECOND = -1
# Largest relative error of a percentile read from the buckets (see histogram_percentile).
BUCKET_RELATIVE_ERROR = 2 ** (1 / BUCKETS_PER_DOUBLING) - 1


def duration_bucket(seconds: float) -> int:
    """The histogram bucket of a duration: bucket b holds [2^(b/64), 2^((b+1)/64)) seconds, so
    each is under 1.1 % wide; everything under a second (and any negative duration, from a clock
    set wrong) shares ``UNDER_A_SECOND``."""
    if seconds < 1:
        return UNDER_A_SECOND
    return math.floor(math.log(seconds) * BUCKET_SCALE)


class BucketTotal(NamedTuple):
    """How many durations fell in one bucket, and their sum in seconds."""

    count: int
    seconds: float


def merge_histograms(histograms: Iterable[Mapping[int, BucketTotal]]) -> dict[int, BucketTotal]:
    """One histogram from several (months, regions): counts and sums added bucket by bucket."""
    merged: dict[int, BucketTotal] = {}
    for histogram in histograms:
        for bucket, (count, seconds) in histogram.items():
            old = merged.get(bucket)
            merged[bucket] = BucketTotal(count, seconds) if old is None else BucketTotal(
                old.count + count, old.seconds + seconds)
    return merged


def histogram_percentile(histogram: Mapping[int, BucketTotal], fraction: float) -> float | None:
    """The ``fraction`` percentile of the durations summarised by ``histogram``, read as
    ``percentile`` (``percentile_cont``) would read them if every duration were the mean of its
    bucket. None for an empty histogram.

    The value at each rank and its bucket's mean lie in the same bucket, and the interpolation
    between two ranks is a weighted mean of two such values, so the answer differs from the exact
    percentile by less than ``BUCKET_RELATIVE_ERROR`` (1.09 %) of it (under a second, by less than
    a second). It is exact when each bucket the two ranks fall in holds one distinct value.
    """
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    buckets = sorted((b, t) for b, t in histogram.items() if t.count > 0)
    total = sum(t.count for _, t in buckets)
    if not total:
        return None
    position = fraction * (total - 1)
    below, above = math.floor(position), math.ceil(position)
    low = high = None
    seen = 0
    for _, t in buckets:
        seen += t.count
        mean = t.seconds / t.count
        if low is None and below < seen:
            low = mean
        if above < seen:
            high = mean
            break
    return low + (high - low) * (position - below)


def histogram_spread(histogram: Mapping[int, BucketTotal]) -> Spread:
    """Median and 90th percentile of the durations of ``histogram`` (see histogram_percentile)."""
    count = sum(t.count for t in histogram.values())
    return Spread(count, histogram_percentile(histogram, MEDIAN), histogram_percentile(histogram, P90))


def local_month(moment: datetime) -> date:
    """The first day of the Montana month ``moment`` (aware) falls in."""
    day = local_date(moment)
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """The instant (Montana midnight) a month begins; ``month`` is its first day."""
    return local_midnight(month)


def months_within(start: datetime | None, end: datetime | None, months: Iterable[date]) -> list[date]:
    """Those of ``months`` that lie wholly in [start, end) (None: unbounded), in order."""
    return sorted(m for m in months
                  if (start is None or month_start(m) >= start)
                  and (end is None or month_start(next_month(m)) <= end))


def uncovered(start: datetime | None, end: datetime | None,
              covered: Sequence[date]) -> list[tuple[datetime | None, datetime | None]]:
    """The parts of [start, end) outside the ``covered`` months (in order, each wholly inside):
    the half-open intervals still to be read from the referrals themselves."""
    gaps: list[tuple[datetime | None, datetime | None]] = []
    cursor = start
    for month in covered:
        first, after = month_start(month), month_start(next_month(month))
        if cursor is None or cursor < first:
            gaps.append((cursor, first))
        cursor = after
    if end is None or cursor is None or cursor < end:
        gaps.append((cursor, end))
    return gaps


# --- waiting times ---------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _closed_weekdays(year: int) -> tuple[date, ...]:
    """Weekdays of ``year`` that are not business days (Montana state holidays), in order."""
    day, out = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and not is_business_day(day):
            out.append(day)
        day += timedelta(days=1)
    return tuple(out)


def _weekdays_after(a: date, b: date) -> int:
    """Weekdays d with a < d <= b."""

    def upto(d: date) -> int:  # weekdays from a fixed Monday up to d, inclusive
        days = d.toordinal() - 1  # 0001-01-01 was a Monday
        weeks, rest = divmod(days + 1, 7)
        return weeks * 5 + min(rest, 5)

    return max(0, upto(b) - upto(a))


def _business_days_after(a: date, b: date) -> int:
    """Business days d with a < d <= b."""
    if b <= a:
        return 0
    closed = 0
    for year in range(a.year, b.year + 1):
        days = _closed_weekdays(year)
        closed += bisect_right(days, b) - bisect_right(days, a)
    return _weekdays_after(a, b) - closed


def business_days_elapsed(start: datetime, end: datetime) -> int:
    """Whole business days from ``start`` to ``end``: the largest n with
    ``add_business_days(start, n) <= end`` (so a referral sent Monday 10:00 has waited 1 business
    day at Tuesday 10:00, and is escalated once this reaches 5). Both must be timezone-aware.
    """
    s, e = start.astimezone(LOCAL), end.astimezone(LOCAL)
    if e <= s:
        return 0
    n, from_midnight, end_is_business_day = _elapsed_between_dates(s.date(), e.date())
    # On the last day, the wall-clock time of sending must have passed too.
    if n and end_is_business_day and not from_midnight and e.time() < s.time():
        n -= 1
    return n


@lru_cache(maxsize=1 << 16)
def _elapsed_between_dates(first: date, last: date) -> tuple[int, bool, bool]:
    """Business days after ``first`` (or after the next business day, counted from its midnight,
    when ``first`` is not one) up to ``last``; whether counting starts at that midnight; whether
    ``last`` is a business day. Cached: a CSV export asks for the same pairs of dates many times."""
    from_midnight = not is_business_day(first)
    day = next_business_day(first) if from_midnight else first
    return _business_days_after(day, last), from_midnight, is_business_day(last)


# --- where a referral stands -----------------------------------------------------------------

class Waits(NamedTuple):
    """How long a referral has waited, in seconds (business days for the last figure).
    A named tuple: one is made per row of a million-row export."""

    since_sent: float
    unacknowledged: float | None
    unacknowledged_business_days: int | None
    waiting_now: bool  # still waiting for acknowledgement


def ended_at(state: str, closed_at: datetime | None, declined_at: datetime | None,
             updated_at: datetime | None) -> datetime | None:
    """When a referral stopped moving: closed, declined, or withdrawn (its last change)."""
    if state == ReferralState.CLOSED:
        return closed_at
    if state == ReferralState.DECLINED:
        return declined_at
    if state == ReferralState.WITHDRAWN:
        return updated_at
    return None


def waits(state: str, sent_at: datetime, acknowledged_at: datetime | None,
          ended: datetime | None, now: datetime) -> Waits:
    """How long a sent referral has waited at ``now``.

    * since sent: until it ended (closed, declined, withdrawn), or until now while it is open;
    * unacknowledged: until the first assignment; while still "sent", until now; for one declined
      or withdrawn without an assignment, until that happened;
    * the same unacknowledged time in whole Montana business days (5 means escalated).
    """
    if acknowledged_at is not None:
        unack_end = acknowledged_at
    elif state == ReferralState.SENT:
        unack_end = now
    else:
        unack_end = ended
    if unack_end is None:
        unack, unack_days = None, None
    else:
        unack = (unack_end - sent_at).total_seconds()
        unack_days = business_days_elapsed(sent_at, unack_end)
    since_sent = ((ended or now) - sent_at).total_seconds()
    return Waits(since_sent, unack, unack_days, state == ReferralState.SENT)


AWAITING = "Active - awaiting acknowledgement"
NO_STATUS_YET = "Assigned - no Referral Status yet"
DECLINED = "Declined by the receiving program"
WITHDRAWN = "Withdrawn by the sender"


def outcome_of(state: str, service_status: str | None) -> str:
    """What became of a referral in one phrase: its Referral Status once one is recorded,
    otherwise where it stands."""
    if state == ReferralState.DECLINED:
        return DECLINED
    if state == ReferralState.WITHDRAWN:
        return WITHDRAWN
    if service_status:
        return service_status
    if state == ReferralState.SENT:
        return AWAITING
    return NO_STATUS_YET


def outcome_labels() -> list[str]:
    """Every outcome, in the order reports list them: waiting first, then the guide's statuses."""
    return [AWAITING, NO_STATUS_YET, *(s.value for s in ServiceStatus), DECLINED, WITHDRAWN]


class OutcomeGroup:
    """The four groups of the "outcomes over time" chart."""

    SUCCESSFUL = "Closed - Successful completion"
    OTHER_CLOSED = "Closed otherwise"
    OPEN = "Still open"
    NOT_TAKEN = "Declined or withdrawn"
    ALL = (SUCCESSFUL, OTHER_CLOSED, OPEN, NOT_TAKEN)


def outcome_group(state: str, service_status: str | None) -> str:
    """The chart group of a referral's outcome."""
    if state in (ReferralState.DECLINED, ReferralState.WITHDRAWN):
        return OutcomeGroup.NOT_TAKEN
    if state == ReferralState.CLOSED:
        if service_status == SUCCESSFUL:
            return OutcomeGroup.SUCCESSFUL
        return OutcomeGroup.OTHER_CLOSED
    return OutcomeGroup.OPEN
