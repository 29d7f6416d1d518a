"""The queries behind the reports of Part 8 and the closed-loop dashboard.

What each figure means lives in domain/measures.py; this module only asks the database for it.
Percentiles are computed by PostgreSQL (``percentile_cont``); on SQLite the same SQL calls an
aggregate function registered from Python (domain.measures.percentile), so both databases answer
through one function. The dashboard's lines for the state and for whole regions come from the
monthly summary instead (models/reports/closed_loop_summary.py: percentiles from duration histograms, so
years of referrals need no sort). Rows for CSV exports are streamed from a server-side cursor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement, DateTime, Float, Select, and_, case, false, func, literal, or_, select, true,
    text, type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased, contains_eager, selectinload, sessionmaker

from domain import measures
from domain.measures import (
    ACK_BIN_EDGES_HOURS, COUNTED_STATES, SUCCESSFUL, ClosedLoopCounts, ClosedLoopMeasures, OutcomeGroup,
    Spread, outcome_group,
)
from domain.montana import LOCAL, TIMEZONE
from domain.referral_status import ReferralState, ServiceStatus
from domain.reports import Direction, Period, ScopeKind, insurance_codes_matching
from models.reports import closed_loop_summary as summary
from models.accounts.tables import User
from models.agencies.tables import (
    Agency, Program, ProgramCounty, ProgramInsurance, ProgramService, program_display_name,
)
from models.paging import Page, matches_text
from models.referrals.tables import Referral

PAGE_SIZE = 50
STREAM_BATCH = 5000


@dataclass(frozen=True)
class Scope:
    """The programs a report covers: one agency's, some regions', or every program (None)."""

    kind: ScopeKind
    label: str
    program_ids: tuple[int, ...] | None
    # The regions whose every program the scope covers (their referrals are in the monthly
    # summary); None for statewide and for scopes of single programs or agencies.
    regions: tuple[int, ...] | None = None

    @property
    def statewide(self) -> bool:
        return self.program_ids is None


def run_concurrently(factory: sessionmaker[Session], jobs: Sequence[Callable[[Session], Any]]) -> list:
    """The results of independent read-only ``jobs``, run at once, each in a session of its own,
    so the database works on them on several cores (the dashboard's percentiles)."""

    def one(job):
        with factory() as session:
            return job(session)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(one, jobs))


def _offset(page: int, size: int) -> int:
    return (max(page, 1) - 1) * size


def _is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


# --- SQLite helpers: the same SQL, with Python doing what SQLite cannot ----------------------

class _PercentileAggregate:
    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return measures.percentile(self.values, self.fraction)


def _local_month(text: str | None) -> str | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).strftime("%Y-%m")


REPORT_WORK_MEM = "64MB"


def _prepare(db: Session) -> None:
    """Readies the connection for an aggregate report query: on PostgreSQL, room to sort a
    quarter's durations in memory (for this transaction only); on SQLite, the Python functions
    the report SQL calls."""
    if _is_postgres(db):
        db.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        return
    raw = db.connection().connection.driver_connection
    raw.create_aggregate("connect_percentile", 2, _PercentileAggregate)
    raw.create_function("connect_local_month", 1, _local_month, deterministic=True)
    summary.prepare_sqlite(raw)


_seconds = summary.seconds_between


def _percentiles(db: Session, expr, name: str) -> list:
    """Columns giving the median and 90th percentile of ``expr``: on PostgreSQL one
    ``percentile_cont`` over an array of fractions (one sort), on SQLite the Python aggregate."""
    if _is_postgres(db):
        fractions = postgresql.array([measures.MEDIAN, measures.P90])
        return [func.percentile_cont(fractions).within_group(expr).label(f"{name}_ps")]
    return [func.connect_percentile(expr, literal(fraction, Float)).label(f"{name}_p{int(fraction * 100)}")
            for fraction in (measures.MEDIAN, measures.P90)]


def _percentile_values(row, name: str) -> tuple[float | None, float | None]:
    mapping = row._mapping
    if f"{name}_ps" in mapping:
        values = mapping[f"{name}_ps"]
        return (None, None) if values is None else (values[0], values[1])
    return mapping[f"{name}_p50"], mapping[f"{name}_p90"]


def _local_month_of(db: Session, column):
    if _is_postgres(db):  # a timestamp, formatted after grouping (cheaper than to_char per row)
        return func.date_trunc("month", func.timezone(TIMEZONE, column))
    return func.connect_local_month(column)


# --- scopes ------------------------------------------------------------------------------------

def agency_scope(db: Session, agency_id: int) -> Scope:
    agency = db.get(Agency, agency_id)
    ids = db.scalars(select(Program.id).where(Program.agency_id == agency_id)).all()
    return Scope(ScopeKind.AGENCY, agency.name if agency else "Your agency", tuple(ids))


def regions_scope(db: Session, regions: Sequence[int], label: str) -> Scope:
    ids = db.scalars(select(Program.id).where(Program.region.in_(list(regions)))).all()
    return Scope(ScopeKind.REGIONS, label, tuple(ids), tuple(sorted(regions)))


def state_scope() -> Scope:
    return Scope(ScopeKind.STATE, "Statewide", None)


def narrowed(scope: Scope, program_ids: Sequence[int], label: str) -> Scope:
    """The scope restricted to ``program_ids`` (the caller checked they are in it)."""
    kept = tuple(program_ids) if scope.program_ids is None else tuple(
        p for p in program_ids if p in set(scope.program_ids))
    return Scope(scope.kind, label, kept)


def _programs_query(scope: Scope) -> Select:
    query = (select(Program).join(Program.agency).options(contains_eager(Program.agency))
             .order_by(Agency.name, Program.name, Program.id))
    if scope.program_ids is not None:
        query = query.where(_in_scope(scope.program_ids, Program.id))
    return query


def programs_page(db: Session, scope: Scope, page: int, size: int = PAGE_SIZE) -> Page:
    """A page of the scope's programs, by agency and program name (the dashboard's lines)."""
    query = _programs_query(scope)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.scalars(query.limit(size).offset(_offset(page, size))))
    return Page(rows, max(page, 1), size, total)


def programs_in_scope(db: Session, scope: Scope) -> list[Program]:
    """Every program of the scope, by agency and program name (the dashboard's CSV)."""
    return list(db.scalars(_programs_query(scope)))


def program_choices(db: Session, scope: Scope) -> list[tuple[int, str]]:
    """(id, name as people read it) of the scope's programs, for the filter's list; read as plain
    rows, since an administrator of a large region has thousands."""
    query = (select(Program.id, Agency.name, Program.name).join(Agency, Agency.id == Program.agency_id)
             .order_by(Agency.name, Program.name, Program.id))
    if scope.program_ids is not None:
        query = query.where(_in_scope(scope.program_ids, Program.id))
    return [(pid, program_display_name(agency, name)) for pid, agency, name in db.execute(query)]


def regions_of(db: Session, program_ids: Sequence[int]) -> list[int]:
    query = select(Program.region).where(_in_scope(tuple(program_ids), Program.id)).distinct()
    return sorted(db.scalars(query))


# --- the agency filter: an agency named in a text box, suggestions as one types --------------

SUGGESTIONS = 20


def find_agency(db: Session, text: str) -> Agency | None:
    """The agency ``text`` names: its id (links and API clients), or its name, exactly or in
    other capitals when only one agency has that name; None if none."""
    text = text.strip()
    if text.isdigit():
        return db.get(Agency, int(text))
    exact = db.scalar(select(Agency).where(Agency.name == text))
    if exact is not None:
        return exact
    found = db.scalars(select(Agency).where(func.lower(Agency.name) == text.lower()).limit(2)).all()
    return found[0] if len(found) == 1 else None


def agency_suggestions(db: Session, text: str, limit: int = SUGGESTIONS) -> list[Agency]:
    """Agencies whose name holds every word of ``text``, names starting with it first."""
    condition = matches_text(text, Agency.name)
    if condition is None:
        return []
    starts = case((func.lower(Agency.name).startswith(text.strip().lower(), autoescape=True), 0), else_=1)
    return list(db.scalars(select(Agency).where(condition).order_by(starts, Agency.name).limit(limit)))


# --- referral rows: Referral Delays, Referrals From / To Agency --------------------------------

Provider = aliased(User, name="provider")


@dataclass(frozen=True)
class ReferralFilter:
    scope: Scope
    period: Period = field(default_factory=Period)
    direction: Direction = Direction.BOTH
    status: ReferralState | ServiceStatus | str | None = None  # "open": sent or assigned
    partner_agency_ids: tuple[int, ...] = ()
    newest_first: bool = True


OPEN = "open"


def _in_scope(ids: tuple[int, ...] | None, column) -> ColumnElement[bool]:
    if ids is None:
        return true()
    if not ids:
        return false()
    return column.in_(ids)


def _direction_clause(f: ReferralFilter) -> ColumnElement[bool]:
    received = _in_scope(f.scope.program_ids, Referral.receiving_program_id)
    sent = _in_scope(f.scope.program_ids, Referral.sending_program_id)
    if f.direction is Direction.RECEIVED:
        return received
    if f.direction is Direction.SENT:
        return sent
    return or_(received, sent) if f.scope.program_ids is not None else true()


def _period_clauses(period: Period) -> list[ColumnElement[bool]]:
    clauses = [Referral.sent_at.is_not(None)]
    if period.start is not None:
        clauses.append(Referral.sent_at >= period.start)
    if period.end is not None:
        clauses.append(Referral.sent_at < period.end)
    return clauses


def _status_clause(status) -> ColumnElement[bool]:
    if not status:
        return true()
    if status == OPEN:
        return Referral.state.in_([ReferralState.SENT.value, ReferralState.ASSIGNED.value])
    if isinstance(status, ReferralState):
        return Referral.state == status.value
    return Referral.service_status == ServiceStatus(status).value


def _partner_clause(f: ReferralFilter) -> ColumnElement[bool]:
    if not f.partner_agency_ids:
        return true()
    partner_programs = select(Program.id).where(Program.agency_id.in_(f.partner_agency_ids))
    # Referrals From Agency: the partner sent them; Referrals To Agency: the partner received them.
    received = f.direction is Direction.RECEIVED
    column = Referral.sending_program_id if received else Referral.receiving_program_id
    return column.in_(partner_programs.scalar_subquery())


def _where(f: ReferralFilter) -> list[ColumnElement[bool]]:
    return [*_period_clauses(f.period), _direction_clause(f), _status_clause(f.status),
            _partner_clause(f)]


_TIMES = ("sent_at", "acknowledged_at", "first_contact_at", "enrolled_at", "closed_at",
          "declined_at", "escalated_at", "updated_at")


def _referral_columns(fast_times: bool) -> list:
    """The referral columns the row reports read. Program names are not joined in: the caller
    labels programs from ``program_labels`` (a few hundred), which keeps each row small.

    ``fast_times`` (PostgreSQL): times come back as the driver makes them, aware and in the
    session's time zone, without the per-value conversion of UtcDateTime.
    """
    times = [type_coerce(getattr(Referral, name), DateTime(timezone=True)).label(name) if fast_times
             else getattr(Referral, name) for name in _TIMES]
    return [Referral.id, *times, Referral.state, Referral.service_status,
            Referral.sending_program_id, Referral.receiving_program_id,
            Provider.full_name.label("assigned_provider")]


# The order of the columns above, which readers of a million rows unpack positionally.
REFERRAL_ROW_FIELDS = ("id", *_TIMES, "state", "service_status", "sending_program_id",
                       "receiving_program_id", "assigned_provider")


def referral_rows_query(f: ReferralFilter, *, fast_times: bool = False) -> Select:
    order = (Referral.sent_at.desc(), Referral.id.desc()) if f.newest_first else (
        Referral.sent_at.asc(), Referral.id.asc())
    return (
        select(*_referral_columns(fast_times))
        .outerjoin(Provider, Provider.id == Referral.assigned_provider_id)
        .where(*_where(f))
        .order_by(*order)
    )


def program_labels(db: Session) -> dict[int, tuple[str, str]]:
    """Every program's (agency name, program name), by id."""
    query = select(Program.id, Agency.name, Program.name).join(Agency, Agency.id == Program.agency_id)
    return {pid: (agency, name) for pid, agency, name in db.execute(query)}


def count_referrals(db: Session, f: ReferralFilter) -> int:
    return db.scalar(select(func.count()).select_from(Referral).where(*_where(f))) or 0


def referral_page(db: Session, f: ReferralFilter, page: int, size: int = PAGE_SIZE) -> Page:
    rows = db.execute(referral_rows_query(f).limit(size).offset(_offset(page, size))).all()
    return Page(list(rows), max(page, 1), size, count_referrals(db, f))


def stream_referral_rows(db: Session, f: ReferralFilter) -> Iterator[Any]:
    """Every matching row, read through a server-side cursor in batches (never all in memory).

    On PostgreSQL the session's time zone is Montana's for this transaction, so times arrive
    already in local time (formatting them then needs no conversion).
    """
    fast = _is_postgres(db)
    conn = db.connection()
    if fast:
        conn.exec_driver_sql(f"SET LOCAL TIME ZONE '{TIMEZONE}'")
    result = conn.execute(referral_rows_query(f, fast_times=fast),
                          execution_options={"yield_per": STREAM_BATCH})
    for partition in result.partitions():
        yield from partition


# --- outcomes: counts by month, direction, state and Referral Status ---------------------------

@dataclass(frozen=True)
class OutcomeCount:
    month: str
    received: bool
    sent: bool
    state: str
    service_status: str | None
    count: int


def outcome_counts(db: Session, f: ReferralFilter) -> list[OutcomeCount]:
    """How many referrals of the scope fall in each (month sent, direction, state, status)."""
    _prepare(db)
    ids = f.scope.program_ids
    month = _local_month_of(db, Referral.sent_at).label("month")
    received = _in_scope(ids, Referral.receiving_program_id) if ids is not None else true()
    sent = _in_scope(ids, Referral.sending_program_id) if ids is not None else true()
    # Grouped in an outer query: PostgreSQL would not match a GROUP BY expression whose bound
    # parameters (the time zone, the program ids) are sent twice.
    inner = select(
        month, case((received, 1), else_=0).label("received"), case((sent, 1), else_=0).label("sent"),
        Referral.state, Referral.service_status,
    ).where(*_where(f)).subquery()
    keys = (inner.c.month, inner.c.received, inner.c.sent, inner.c.state, inner.c.service_status)
    query = select(*keys, func.count()).group_by(*keys)
    return [OutcomeCount(m if isinstance(m, str) else m.strftime("%Y-%m"), bool(r), bool(s), state, status, n)
            for m, r, s, state, status, n in db.execute(query)]


# --- closed-loop measures ------------------------------------------------------------------------

def _measure_columns(db: Session) -> list:
    sent = Referral.sent_at
    cols: list = [
        func.count().label("counted"),
        func.count(Referral.acknowledged_at).label("acknowledged"),
        func.count(Referral.first_contact_at).label("reached"),
        func.count(Referral.enrolled_at).label("enrolled"),
        func.coalesce(func.sum(case(
            (and_(Referral.state == ReferralState.CLOSED.value,
                  Referral.service_status == SUCCESSFUL.value), 1), else_=0)), 0).label("successful"),
        func.count(Referral.escalated_at).label("escalated"),
    ]
    for name, column in (("ack", Referral.acknowledged_at), ("contact", Referral.first_contact_at),
                         ("enrol", Referral.enrolled_at)):
        cols += _percentiles(db, _seconds(db, sent, column), name)
    return cols


def _counted_clauses(period: Period) -> list[ColumnElement[bool]]:
    return [*_period_clauses(period), Referral.state.in_([s.value for s in COUNTED_STATES])]


def _measures_from(row) -> ClosedLoopMeasures:
    counts = ClosedLoopCounts(row.counted, row.acknowledged, row.reached, row.enrolled,
                              int(row.successful or 0), row.escalated)

    def spread(n: int, name: str) -> Spread:
        p50, p90 = _percentile_values(row, name)
        return Spread(n, None if p50 is None else float(p50), None if p90 is None else float(p90))

    return ClosedLoopMeasures(counts, spread(row.acknowledged, "ack"), spread(row.reached, "contact"),
                              spread(row.enrolled, "enrol"))


def closed_loop(db: Session, period: Period, *, program_ids: Sequence[int] | None = None,
                group: str | None = None) -> dict[Any, ClosedLoopMeasures]:
    """Closed-loop measures of the referrals received by ``program_ids`` (None: all programs) and
    sent in ``period``: one entry per receiving program (``group="program"``), per region of the
    receiving program (``"region"``), or a single entry under None.
    """
    _prepare(db)
    where = _counted_clauses(period)
    if program_ids is not None:
        where.append(_in_scope(tuple(program_ids), Referral.receiving_program_id))
    query = select(*_measure_columns(db)).where(*where)
    if group == "program":
        key = Referral.receiving_program_id
        query = query.add_columns(key.label("key")).group_by(key)
    elif group == "region":
        key = Program.region
        query = (query.add_columns(key.label("key"))
                 .join(Program, Program.id == Referral.receiving_program_id).group_by(key))
    else:
        query = query.add_columns(literal(None).label("key"))
    return {row.key: _measures_from(row) for row in db.execute(query) if row.counted}


@dataclass(frozen=True)
class RegionMeasures:
    """The dashboard's lines above the programs: the scope's, each region's, and the chart."""

    whole: ClosedLoopMeasures
    by_region: dict[int, ClosedLoopMeasures]
    ack_histogram: list[int]


def closed_loop_of_regions(db: Session, period: Period, regions: Sequence[int] | None = None) -> RegionMeasures:
    """Closed-loop measures of the referrals sent in ``period`` to programs of ``regions`` (None:
    statewide), in all and per region, from the monthly summary (models/reports/closed_loop_summary.py)
    and the referrals outside its months. Counts and the chart are exact; the medians and 90th
    percentiles are read from duration histograms, within 1.09 % of the exact figures (the exact
    sort of every duration of several years is what made the all-time dashboard slow)."""
    _prepare(db)
    totals = summary.region_totals(db, period.start, period.end, regions)
    by_region = {r: summary.measures_of([t]) for r, t in totals.items() if t.counts.counted}
    return RegionMeasures(summary.measures_of(totals.values()), by_region,
                          summary.ack_histogram_of(totals.values()))


def ack_histogram(db: Session, period: Period, program_ids: Sequence[int] | None = None) -> list[int]:
    """How many acknowledged referrals fall in each bin of ``ACK_BIN_EDGES_HOURS``."""
    bins = summary.ack_bin(_seconds(db, Referral.sent_at, Referral.acknowledged_at)).label("bin")
    where = [*_counted_clauses(period), Referral.acknowledged_at.is_not(None)]
    if program_ids is not None:
        where.append(_in_scope(tuple(program_ids), Referral.receiving_program_id))
    inner = select(bins).where(*where).subquery()
    counts = [0] * len(ACK_BIN_EDGES_HOURS)
    for index, n in db.execute(select(inner.c.bin, func.count()).group_by(inner.c.bin)):
        counts[max(0, int(index))] += n
    return counts


# --- Agencies Report ------------------------------------------------------------------------

@dataclass(frozen=True)
class AgencyFilter:
    region: int | None = None
    county: str | None = None
    county_mode: str = "any"  # any | in_person | telemedicine
    service: str | None = None
    insurance: str | None = None
    agency_id: int | None = None


def agencies_query(f: AgencyFilter, today: date) -> Select:
    """Programs listed in CONNECT (active, agency MOU current) that match every filter given."""
    query = (select(Program).join(Agency)
             .where(Program.is_active.is_(True), Program.mou_expires_on > today)
             .order_by(Agency.name, Program.name, Program.id))
    if f.region is not None:
        query = query.where(Program.region == f.region)
    if f.county:
        county = [ProgramCounty.program_id == Program.id, ProgramCounty.county == f.county]
        if f.county_mode == "in_person":
            county.append(ProgramCounty.telemedicine.is_(False))
        elif f.county_mode == "telemedicine":
            county.append(ProgramCounty.telemedicine.is_(True))
        query = query.where(select(ProgramCounty.program_id).where(*county).exists())
    if f.service:
        query = query.where(select(ProgramService.program_id).where(
            ProgramService.program_id == Program.id, ProgramService.service == f.service).exists())
    if f.insurance:
        query = query.where(select(ProgramInsurance.program_id).where(
            ProgramInsurance.program_id == Program.id,
            ProgramInsurance.insurance.in_(sorted(insurance_codes_matching(f.insurance)))).exists())
    if f.agency_id is not None:
        query = query.where(Program.agency_id == f.agency_id)
    return query.options(selectinload(Program.agency), selectinload(Program.services),
                         selectinload(Program.counties), selectinload(Program.insurances))


def agencies_page(db: Session, f: AgencyFilter, today: date, page: int, size: int = PAGE_SIZE) -> Page:
    query = agencies_query(f, today)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.scalars(query.limit(size).offset(_offset(page, size))))
    return Page(rows, max(page, 1), size, total)


def stream_agencies(db: Session, f: AgencyFilter, today: date) -> Iterator[Program]:
    offset = 0
    while True:  # in pages, so the eager-loaded lists stay small
        batch = list(db.scalars(agencies_query(f, today).limit(500).offset(offset)))
        yield from batch
        if len(batch) < 500:
            return
        offset += 500


# --- Referrals From / To Agency: the referrals per partner agency ------------------------------

def outcome_group_conditions(state, service_status) -> dict[str, ColumnElement[bool]]:
    """For each ``OutcomeGroup``, the SQL condition that a referral falls in it, derived from
    ``domain.measures.outcome_group`` itself (the states it decides alone, and per Referral Status
    where it does not), so the rule stays in one place and the database can count by it."""
    states: dict[str, list[str]] = defaultdict(list)
    mixed: dict[str, list[ColumnElement[bool]]] = defaultdict(list)
    for s in ReferralState:
        by_status = {status: outcome_group(s.value, status) for status in (None, *ServiceStatus)}
        default = by_status[None]
        if set(by_status.values()) == {default}:
            states[default].append(s.value)
            continue
        others: dict[str, list[str]] = defaultdict(list)
        for status, group in by_status.items():
            if status is not None and group != default:
                others[group].append(status.value)
        excepted = [v for values in others.values() for v in values]
        mixed[default].append(and_(state == s.value,
                                   or_(service_status.is_(None), service_status.not_in(excepted))))
        for group, values in others.items():
            mixed[group].append(and_(state == s.value, service_status.in_(values)))
    return {g: or_(false(), *([state.in_(states[g])] if states[g] else []), *mixed[g])
            for g in OutcomeGroup.ALL}


@dataclass(frozen=True)
class PartnerLine:
    """One partner agency's referrals, in all and per outcome group (``OutcomeGroup.ALL``)."""

    agency_id: int | None
    agency: str
    referrals: int
    groups: dict[str, int]


@dataclass(frozen=True)
class PartnerSummary:
    page: Page[PartnerLine]  # by agency name
    totals: PartnerLine  # every partner of the filter, not only the page's


def partner_summary(db: Session, f: ReferralFilter, page: int, size: int = PAGE_SIZE) -> PartnerSummary:
    """Referrals From / To Agency per partner agency, a page of them by name, and the totals of
    all: the partner is the sending agency of received referrals, the receiving agency of sent
    ones. One grouped scan; the number of partners and the totals are window sums over the groups
    (computed before the page is cut), so only a page of rows leaves the database."""
    received = f.direction is Direction.RECEIVED
    column = Referral.sending_program_id if received else Referral.receiving_program_id
    names = [f"g{i}" for i in range(len(OutcomeGroup.ALL))]
    sums = ["referrals", *names]
    # Counted per partner program first (an integer key, straight from the referral index), then
    # added up per agency: far fewer rows to join than the referrals.
    conditions = outcome_group_conditions(Referral.state, Referral.service_status)
    per_program = (
        select(column.label("program_id"), func.count().label("referrals"),
               *[func.count().filter(conditions[g]).label(n) for g, n in zip(OutcomeGroup.ALL, names)])
        .where(*_where(f)).group_by(column)
    ).subquery()
    per_agency = (
        select(Agency.id.label("agency_id"), Agency.name.label("agency"),
               *[func.sum(per_program.c[n]).label(n) for n in sums])
        .join(Program, Program.id == per_program.c.program_id).join(Agency, Agency.id == Program.agency_id)
        .group_by(Agency.id, Agency.name)
    ).subquery()
    query = (select(per_agency, func.count().over().label("partners"),
                    *[func.sum(per_agency.c[n]).over().label(f"all_{n}") for n in sums])
             .order_by(per_agency.c.agency, per_agency.c.agency_id)
             .limit(size).offset(_offset(page, size)))
    rows = db.execute(query).all()

    def line(agency_id, agency, values) -> PartnerLine:
        values = [int(v or 0) for v in values]
        return PartnerLine(agency_id, agency, values[0], dict(zip(OutcomeGroup.ALL, values[1:])))

    if rows:
        first = rows[0]._mapping
        partners, totals = first["partners"], line(None, "Total", [first[f"all_{n}"] for n in sums])
    else:  # a page past the last: the figures of all the same
        whole = db.execute(select(func.count(), *[func.sum(per_agency.c[n]) for n in sums])).one()
        partners, totals = whole[0], line(None, "Total", whole[1:])
    lines = [line(r.agency_id, r.agency, [r._mapping[n] for n in sums]) for r in rows]
    return PartnerSummary(Page(lines, max(page, 1), size, partners), totals)
