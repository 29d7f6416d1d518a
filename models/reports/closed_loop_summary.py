"""A monthly summary of the closed-loop measures, so the statewide dashboard over years answers
in a fraction of a second.

Why a summary: the exact dashboard over every referral ever sent sorts each duration of ~990,000
referrals (three durations, for the state and again for the regions); measured on PostgreSQL that
is 0.6 s of sorting for the state alone and ~1.3 s for the regions, on one core each, and
``percentile_cont`` cannot be combined from parts (bench/RESULTS-reports.md). So each settled
Montana month is kept here per region of the receiving program: the counts, and each duration as a
histogram of 64 logarithmic buckets per doubling (a count and a sum of seconds per bucket, as
HdrHistogram and Prometheus keep them). Histograms add up, so any run of months is a sum; the
percentiles are read from the merged buckets (domain.measures.histogram_percentile), within 1.09 %
of the exact figure, and exact where a bucket holds one distinct value. The counts, shares and the
acknowledgement-time chart stay exact.

Fresh at every read: a flush hook marks the month of every referral whose measures change
(``closed_loop_stale``, append-only, so writers of the same month never wait on one row). A read
takes from the summary only the whole months of its period that are summarised and not marked;
the rest (the edges of the period, the current month, months changed since the last refresh) it
computes from the referrals with the same buckets, and adds. ``refresh`` rebuilds the marked and
missing settled months; the worker runs it on a Temporal schedule (workflows/summary.py), and how
often only changes how much a read computes live, never what it answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import (
    Date, Float, Integer, String, and_, case, delete, event, false, func, insert, inspect, literal,
    or_, select, true, union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from domain import measures
from domain.measures import (
    ACK_BIN_EDGES_HOURS, COUNTED_STATES, SUCCESSFUL, BucketTotal, ClosedLoopCounts,
    ClosedLoopMeasures,
)
from domain.referral_status import ReferralState
from models.base import Base, utcnow
from models.agencies.tables import Program
from models.referrals.tables import Referral

# The durations kept, by name, and the chart's bins (bucket = bin index).
DURATIONS = (("ack", "acknowledged_at"), ("contact", "first_contact_at"), ("enrol", "enrolled_at"))
ACK_BINS = "ack_bin"
# Columns whose change alters a referral's measures (anything else: no mark).
MEASURED = ("state", "service_status", "sent_at", "acknowledged_at", "first_contact_at",
            "enrolled_at", "escalated_at", "receiving_program_id")


class ClosedLoopMonth(Base):
    """The counts of one settled Montana month, for referrals received in one region."""

    __tablename__ = "closed_loop_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    region: Mapped[int] = mapped_column(Integer, primary_key=True)
    counted: Mapped[int] = mapped_column(Integer)
    acknowledged: Mapped[int] = mapped_column(Integer)
    reached: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer)
    closed_successfully: Mapped[int] = mapped_column(Integer)
    escalated: Mapped[int] = mapped_column(Integer)


class ClosedLoopDuration(Base):
    """One bucket of a duration histogram of a month and region (see domain.measures)."""

    __tablename__ = "closed_loop_duration"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    region: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    referrals: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)


class ClosedLoopSummarised(Base):
    """A month the summary holds (with or without referrals), and when it was made."""

    __tablename__ = "closed_loop_summarised"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClosedLoopStale(Base):
    """A month whose referrals changed after its summary was made (one row per change)."""

    __tablename__ = "closed_loop_stale"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- marking changed months (every ORM write of a referral passes here) -------------------------

def _mark(connection, months: Iterable[date]) -> None:
    rows = [{"month": m, "marked_at": utcnow()} for m in sorted(set(months))]
    if rows:
        connection.execute(insert(ClosedLoopStale), rows)


def _months_of(target: Referral, *, changed_only: bool) -> set[date]:
    state = inspect(target)
    if changed_only and not any(state.attrs[name].history.has_changes() for name in MEASURED):
        return set()
    history = state.attrs.sent_at.history
    moments = [*history.added, *history.deleted, *history.unchanged]
    return {measures.local_month(m) for m in moments if m is not None}


@event.listens_for(Referral, "after_insert")
@event.listens_for(Referral, "after_delete")
def _referral_written(mapper, connection, target) -> None:
    _mark(connection, _months_of(target, changed_only=False))


@event.listens_for(Referral, "after_update")
def _referral_changed(mapper, connection, target) -> None:
    _mark(connection, _months_of(target, changed_only=True))


@event.listens_for(Program, "after_update")
def _program_moved(mapper, connection, target) -> None:
    if inspect(target).attrs.region.history.has_changes():  # its referrals change region
        _mark(connection, connection.scalars(select(ClosedLoopSummarised.month)).all())


# --- the measures of some sent_at ranges, computed from the referrals --------------------------

def _is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def seconds_between(db: Session, start, end):
    """``end - start`` in seconds, in SQL."""
    if _is_postgres(db):  # date_part gives float8 directly (extract gives numeric, slower)
        return func.date_part("epoch", end - start, type_=Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _bucket(db: Session, seconds):
    """domain.measures.duration_bucket in SQL (SQLite calls the Python function itself)."""
    if _is_postgres(db):
        return case((seconds < 1, measures.UNDER_A_SECOND),
                    else_=func.floor(func.ln(seconds) * measures.BUCKET_SCALE)).cast(Integer)
    return func.connect_duration_bucket(seconds)


def prepare_sqlite(raw) -> None:
    raw.create_function("connect_duration_bucket", 1, measures.duration_bucket, deterministic=True)


def ack_bin(seconds):
    """domain.measures.ack_bin in SQL: the index of the acknowledgement-time chart's bin."""
    hours = seconds / 3600.0
    return case(*((hours < edge, i - 1) for i, edge in enumerate(ACK_BIN_EDGES_HOURS) if i),
                else_=len(ACK_BIN_EDGES_HOURS) - 1)


def _in_ranges(ranges: Sequence[tuple[datetime | None, datetime | None]]):
    parts = []
    for start, end in ranges:
        bounds = [Referral.sent_at >= start] if start is not None else []
        if end is not None:
            bounds.append(Referral.sent_at < end)
        parts.append(and_(*bounds) if bounds else true())
    return or_(*parts) if parts else false()


def _counted(ranges, regions: Sequence[int] | None) -> list:
    where = [Referral.sent_at.is_not(None), Referral.state.in_([s.value for s in COUNTED_STATES]),
             _in_ranges(ranges)]
    if regions is not None:
        where.append(Program.region.in_(list(regions)))
    return where


@dataclass
class RegionTotals:
    """The counts and histograms of one region over some months: what adds up."""

    counts: ClosedLoopCounts
    durations: dict[str, dict[int, BucketTotal]]


def _add_counts(a: ClosedLoopCounts, b: ClosedLoopCounts) -> ClosedLoopCounts:
    return ClosedLoopCounts(*(getattr(a, f.name) + getattr(b, f.name) for f in fields(ClosedLoopCounts)))


def _live_counts(db: Session, ranges, regions) -> dict[int, ClosedLoopCounts]:
    successful = func.sum(case((and_(Referral.state == ReferralState.CLOSED.value,
                                     Referral.service_status == SUCCESSFUL.value), 1), else_=0))
    query = (select(Program.region, func.count(), func.count(Referral.acknowledged_at),
                    func.count(Referral.first_contact_at), func.count(Referral.enrolled_at), successful,
                    func.count(Referral.escalated_at))
             .join(Program, Program.id == Referral.receiving_program_id)
             .where(*_counted(ranges, regions)).group_by(Program.region))
    return {region: ClosedLoopCounts(*(int(n or 0) for n in rest)) for region, *rest in db.execute(query)}


def _live_buckets(db: Session, ranges, regions) -> list[tuple[int, str, int, int, float]]:
    """(region, measure, bucket, referrals, seconds) of the referrals sent in ``ranges``."""
    durations = {name: seconds_between(db, Referral.sent_at, getattr(Referral, column)).label(name) for name, column in DURATIONS}
    rows = (select(Program.region.label("region"), *durations.values())
            .join(Program, Program.id == Referral.receiving_program_id)
            .where(*_counted(ranges, regions)).cte("durations"))
    parts = [select(rows.c.region, literal(name).label("measure"), _bucket(db, rows.c[name]).label("bucket"),
                    rows.c[name].label("seconds")).where(rows.c[name].is_not(None))
             for name, _ in DURATIONS]
    parts.append(select(rows.c.region, literal(ACK_BINS).label("measure"), ack_bin(rows.c.ack).label("bucket"),
                        rows.c.ack.label("seconds")).where(rows.c.ack.is_not(None)))
    every = union_all(*parts).subquery()
    keys = (every.c.region, every.c.measure, every.c.bucket)
    query = select(*keys, func.count(), func.sum(every.c.seconds)).group_by(*keys)
    return [(region, measure, int(bucket), n, float(total or 0)) for region, measure, bucket, n, total
            in db.execute(query)]


# --- reading ----------------------------------------------------------------------------------

def _summarised_months(db: Session) -> list[date]:
    stale = select(ClosedLoopStale.month)
    return list(db.scalars(select(ClosedLoopSummarised.month)
                           .where(ClosedLoopSummarised.month.not_in(stale)).order_by(ClosedLoopSummarised.month)))


def region_totals(db: Session, start: datetime | None, end: datetime | None,
                  regions: Sequence[int] | None = None) -> dict[int, RegionTotals]:
    """The counts and duration histograms, per region of the receiving program, of the referrals
    sent in [start, end) (None: unbounded): whole summarised months from the summary, the rest
    from the referrals. ``regions``: only these (None: all)."""
    months = measures.months_within(start, end, _summarised_months(db))
    ranges = measures.uncovered(start, end, months)
    totals: dict[int, RegionTotals] = {}

    def region(r: int) -> RegionTotals:
        return totals.setdefault(r, RegionTotals(ClosedLoopCounts(), {}))

    def add_bucket(r: int, measure: str, bucket: int, n: int, seconds: float) -> None:
        histogram = region(r).durations.setdefault(measure, {})
        old = histogram.get(bucket)
        histogram[bucket] = BucketTotal(n, seconds) if old is None else BucketTotal(old.count + n,
                                                                                    old.seconds + seconds)

    if months:
        in_regions = [ClosedLoopMonth.region.in_(list(regions))] if regions is not None else []
        counts = (select(ClosedLoopMonth.region, *(func.sum(getattr(ClosedLoopMonth, f.name))
                                                   for f in fields(ClosedLoopCounts)))
                  .where(ClosedLoopMonth.month.in_(months), *in_regions).group_by(ClosedLoopMonth.region))
        for r, *sums in db.execute(counts):
            region(r).counts = _add_counts(region(r).counts, ClosedLoopCounts(*(int(n or 0) for n in sums)))
        d = ClosedLoopDuration
        in_regions = [d.region.in_(list(regions))] if regions is not None else []
        buckets = (select(d.region, d.measure, d.bucket, func.sum(d.referrals), func.sum(d.seconds))
                   .where(d.month.in_(months), *in_regions).group_by(d.region, d.measure, d.bucket))
        for r, measure, bucket, n, seconds in db.execute(buckets):
            add_bucket(r, measure, bucket, int(n), float(seconds))
    if ranges:
        for r, counts in _live_counts(db, ranges, regions).items():
            region(r).counts = _add_counts(region(r).counts, counts)
        for r, measure, bucket, n, seconds in _live_buckets(db, ranges, regions):
            add_bucket(r, measure, bucket, n, seconds)
    return totals


def measures_of(parts: Iterable[RegionTotals]) -> ClosedLoopMeasures:
    """The closed-loop measures of some regions' totals taken together."""
    parts = list(parts)
    counts = ClosedLoopCounts()
    for part in parts:
        counts = _add_counts(counts, part.counts)

    def spread(name: str):
        return measures.histogram_spread(measures.merge_histograms(p.durations.get(name, {}) for p in parts))

    return ClosedLoopMeasures(counts, spread("ack"), spread("contact"), spread("enrol"))


def ack_histogram_of(parts: Iterable[RegionTotals]) -> list[int]:
    """The acknowledgement-time chart (bins of ACK_BIN_EDGES_HOURS) of some regions' totals."""
    counts = [0] * len(ACK_BIN_EDGES_HOURS)
    for part in parts:
        for index, total in part.durations.get(ACK_BINS, {}).items():
            counts[max(0, index)] += total.count
    return counts


# --- refreshing -------------------------------------------------------------------------------

def refresh(db: Session, now: datetime) -> list[date]:
    """Summarises every settled month (before ``now``'s Montana month) that is missing or marked
    changed, and clears the marks it has seen; returns the months summarised. Commits per month.

    A mark written while this runs is not among those it clears, so that month stays live until
    the next refresh: a refresh never hides a change.
    """
    marks = db.execute(select(ClosedLoopStale.id, ClosedLoopStale.month)).all()
    current = measures.local_month(now)
    first_sent = db.scalar(select(func.min(Referral.sent_at)).where(Referral.sent_at.is_not(None)))
    done = set(db.scalars(select(ClosedLoopSummarised.month)))
    marked = {month for _, month in marks}
    todo = []
    month = measures.local_month(first_sent) if first_sent else current
    while month < current:
        if month not in done or month in marked:
            todo.append(month)
        month = measures.next_month(month)
    for month in todo:
        _summarise(db, month)
        db.commit()
    seen = [mark_id for mark_id, _ in marks]
    for i in range(0, len(seen), 1000):
        db.execute(delete(ClosedLoopStale).where(ClosedLoopStale.id.in_(seen[i:i + 1000])))
    db.commit()
    return todo


def _summarise(db: Session, month: date) -> None:
    if not _is_postgres(db):
        prepare_sqlite(db.connection().connection.driver_connection)
    ranges = [(measures.month_start(month), measures.month_start(measures.next_month(month)))]
    for table in (ClosedLoopMonth, ClosedLoopDuration, ClosedLoopSummarised):
        db.execute(delete(table).where(table.month == month))
    counts = [{"month": month, "region": r, **{f.name: getattr(c, f.name) for f in fields(ClosedLoopCounts)}}
              for r, c in _live_counts(db, ranges, None).items()]
    buckets = [{"month": month, "region": r, "measure": m, "bucket": b, "referrals": n, "seconds": s}
               for r, m, b, n, s in _live_buckets(db, ranges, None)]
    if counts:
        db.execute(insert(ClosedLoopMonth), counts)
    if buckets:
        db.execute(insert(ClosedLoopDuration), buckets)
    db.add(ClosedLoopSummarised(month=month, refreshed_at=utcnow()))
    db.flush()
