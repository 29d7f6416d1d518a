"""The columns of each report table, shared by its page, its JSON and its CSV, and the CSV stream.

A column has a header, a plain value (for JSON and CSV: numbers stay numbers, times are ISO 8601
in Montana time) and an optional display value for the page. CSV is written in chunks from a
server-side cursor, in its own database session, so a million rows neither wait for the whole
query nor sit in memory.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from itertools import islice
from operator import attrgetter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from domain.measures import ClosedLoopMeasures, Waits, ended_at, waits
from domain.montana import LOCAL, REGIONS, local_clock
from domain.referral_status import ReferralState
from domain.taxonomy import INSURANCE_TYPES, SERVICES
from models.agencies.tables import Program

CSV_CHUNK_ROWS = 5000
_STATE_LABELS = {s.value: s.label for s in ReferralState}
_SERVICE_LABELS = dict(SERVICES)
_INSURANCE_LABELS = dict(INSURANCE_TYPES)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str:
    """Text for a spreadsheet cell: a leading formula character is neutralised."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


_OFFSETS = {timedelta(hours=-7): "-07:00", timedelta(hours=-6): "-06:00"}  # MST, MDT


def local_time(moment: datetime | None) -> str:
    """ISO 8601 in Montana time, to the minute ('2025-03-03T09:00-07:00'), or ''.

    Formatted by hand: the same text as ``isoformat(timespec="minutes")``, in two thirds of the
    time, which counts in a million-row export."""
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL)
    offset = _OFFSETS.get(local.utcoffset())
    if offset is None:  # pragma: no cover - Montana is always MST or MDT
        return local.isoformat(timespec="minutes")
    return "%04d-%02d-%02dT%02d:%02d%s" % (local.year, local.month, local.day, local.hour,
                                           local.minute, offset)


def local_display(moment: datetime | None) -> str:
    return "" if moment is None else local_clock(moment)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


def duration_display(seconds: float | None) -> str:
    """'3.0 hours', '2.5 days', or '' for none."""
    if seconds is None:
        return ""
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def program_label(program: str, agency: str) -> str:
    return program if program == agency else f"{agency} — {program}"


@dataclass(frozen=True)
class Column:
    header: str  # JSON and CSV: names the unit of a number ("Hours unacknowledged")
    value: Callable[[Any], Any]
    display: Callable[[Any], Any] | None = None
    link: Callable[[Any], str] | None = None
    page_header: str | None = None  # the page's, when its display carries the unit ("2.5 days")

    @property
    def title(self) -> str:
        """The header the page shows."""
        return self.page_header or self.header

    def shown(self, line) -> Any:
        value = (self.display or self.value)(line)
        return "" if value is None else value


# --- referral lines ---------------------------------------------------------------------------

class ReferralLine(NamedTuple):
    """One referral as the referral reports show it (no client data). A named tuple: one is
    made per row of a million-row export."""

    id: int
    direction: str
    sent_at: datetime
    from_program: str
    to_program: str
    stands: str
    status: str
    provider: str
    acknowledged_at: datetime | None
    first_contact_at: datetime | None
    enrolled_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None
    waits: Waits


class ReferralLines:
    """Turns referral rows into lines: labels programs from a dictionary made once, and works
    out each referral's waits at ``now`` (this runs once per row of a million-row export)."""

    def __init__(self, program_labels: dict[int, tuple[str, str]], scope_ids, now: datetime):
        self.labels = {pid: safe_text(program_label(name, agency))
                       for pid, (agency, name) in program_labels.items()}
        self.scope_ids = None if scope_ids is None else frozenset(scope_ids)
        self.now = now

    def __call__(self, row) -> ReferralLine:
        # Unpacked by position (models.reports.queries.REFERRAL_ROW_FIELDS): much faster than by name.
        (rid, sent, acknowledged, contact, enrolled, closed, declined, escalated, updated, state,
         status, sending, receiving, provider) = row
        scope = self.scope_ids
        if scope is None:
            direction = ""
        else:
            received, sent_here = receiving in scope, sending in scope
            direction = ("Received and sent" if received and sent_here
                         else "Received" if received else "Sent")
        ended = ended_at(state, closed, declined, updated)
        return ReferralLine(
            rid, direction, sent, self.labels.get(sending, ""), self.labels.get(receiving, ""),
            _STATE_LABELS.get(state, state), status or "", safe_text(provider), acknowledged,
            contact, enrolled, closed, escalated, waits(state, sent, acknowledged, ended, self.now),
        )


def _referral_link(line: ReferralLine) -> str:
    return f"/referrals/{line.id}"


def _time(name: str, header: str) -> Column:
    return Column(header, lambda line: local_time(getattr(line, name)),
                  lambda line: local_display(getattr(line, name)))


REFERRAL_ID = Column("Referral", attrgetter("id"), link=_referral_link)
DIRECTION = Column("Direction", attrgetter("direction"))
SENT = _time("sent_at", "Sent")
FROM = Column("From (sending program)", attrgetter("from_program"))
TO = Column("To (receiving program)", attrgetter("to_program"))
STANDS = Column("Where it stands", attrgetter("stands"))
STATUS = Column("Referral Status", attrgetter("status"))

# The waits come first: they are what this report is for.
DELAY_COLUMNS: tuple[Column, ...] = (
    REFERRAL_ID, SENT, STANDS, STATUS,
    Column("Days since sent", lambda line: days(line.waits.since_sent),
           lambda line: duration_display(line.waits.since_sent)),
    Column("Hours unacknowledged", lambda line: hours(line.waits.unacknowledged),
           lambda line: duration_display(line.waits.unacknowledged), page_header="Time unacknowledged"),
    Column("Business days unacknowledged", attrgetter("waits.unacknowledged_business_days")),
    _time("escalated_at", "Escalated"),
    DIRECTION, FROM, TO,
    Column("Assigned to", attrgetter("provider")),
    _time("acknowledged_at", "Acknowledged"),
)


def without_direction(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """The columns of a statewide page, where every referral is both sent and received."""
    return tuple(c for c in columns if c is not DIRECTION)


PARTNER_COLUMNS: tuple[Column, ...] = (
    REFERRAL_ID, SENT, FROM, TO, STANDS, STATUS,
    _time("acknowledged_at", "Acknowledged"),
    _time("first_contact_at", "First contact"),
    _time("enrolled_at", "Enrolled"),
    _time("closed_at", "Closed"),
    Column("Hours to acknowledgement",
           lambda line: hours(line.waits.unacknowledged) if line.acknowledged_at else None,
           lambda line: duration_display(line.waits.unacknowledged) if line.acknowledged_at else "",
           page_header="Time to acknowledgement"),
)


# --- Agencies Report -------------------------------------------------------------------------

def _counties(program: Program, telemedicine: bool) -> str:
    return "; ".join(sorted(c.county for c in program.counties if c.telemedicine is telemedicine))


AGENCY_COLUMNS: tuple[Column, ...] = (
    Column("Agency", lambda p: safe_text(p.agency.name)),
    Column("Program", lambda p: safe_text(p.name)),
    Column("Region", lambda p: f"{p.region} — {REGIONS.get(p.region, '')}"),
    Column("Services", lambda p: "; ".join(sorted(_SERVICE_LABELS.get(s.service, s.service)
                                                 for s in p.services))),
    Column("Counties in person", lambda p: _counties(p, False)),
    Column("Counties by telemedicine", lambda p: _counties(p, True)),
    Column("Insurance accepted", lambda p: "; ".join(sorted(
        _INSURANCE_LABELS.get(i.insurance, i.insurance) for i in p.insurances))),
    Column("Phone", lambda p: safe_text(p.phone)),
    Column("Email", lambda p: safe_text(p.email)),
)


# --- closed-loop measures ----------------------------------------------------------------------

@dataclass(frozen=True)
class MeasureLine:
    level: str  # State | Region | Program
    name: str
    measures: ClosedLoopMeasures


def _spread(name: str, which: str) -> Callable[[MeasureLine], Any]:
    return lambda line: hours(getattr(getattr(line.measures, name), which))


def _spread_display(name: str, which: str) -> Callable[[MeasureLine], Any]:
    return lambda line: duration_display(getattr(getattr(line.measures, name), which))


def _share(name: str) -> Column:
    header = {"share_reached": "Share reached", "share_enrolled": "Share enrolled",
              "share_closed_successfully": "Share closed successfully",
              "share_escalated": "Share escalated"}[name]
    return Column(header, lambda line: None if getattr(line.measures, name) is None
                  else round(getattr(line.measures, name), 4),
                  lambda line: percent(getattr(line.measures, name)))


MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("Level", lambda line: line.level),
    Column("Name", lambda line: safe_text(line.name)),
    Column("Referrals", lambda line: line.measures.counts.counted),
    *(Column(f"{title} ({which}, hours)", _spread(name, attr), _spread_display(name, attr),
             page_header=f"{title} ({which})")
      for name, title in (("to_acknowledgement", "Time to acknowledgement"),
                          ("to_first_contact", "Time to first contact"),
                          ("to_enrollment", "Time to enrollment"))
      for which, attr in (("median", "median"), ("90th percentile", "p90"))),
    _share("share_reached"), _share("share_enrolled"), _share("share_closed_successfully"),
    _share("share_escalated"),
)


# --- output -----------------------------------------------------------------------------------

def as_json_rows(columns: Sequence[Column], lines: Iterable) -> list[dict[str, Any]]:
    return [{c.header: c.value(line) for c in columns} for line in lines]


def csv_response(filename: str, columns: Sequence[Column], session_factory: sessionmaker[Session],
                 rows: Callable[[Session], Iterator], make_line: Callable[[Any], Any] | None = None,
                 ) -> StreamingResponse:
    """A CSV download written as it is read: ``rows(session)`` yields the rows in a session of its
    own, on a thread of its own, so reading the next rows from the database overlaps with writing
    these; ``make_line`` turns a row into what the columns read."""

    def batches() -> Iterator[list]:
        with session_factory() as session:
            source = rows(session)
            while batch := list(islice(source, CSV_CHUNK_ROWS)):
                yield batch

    def chunks() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        values = [c.value for c in columns]
        for batch in read_ahead(batches):
            lines = map(make_line, batch) if make_line else batch
            writer.writerows([[value(line) for value in values] for line in lines])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    return StreamingResponse(
        chunks(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


_DONE = object()


def read_ahead(produce: Callable[[], Iterator], depth: int = 3) -> Iterator:
    """The items of ``produce()``, made on a background thread at most ``depth`` ahead of the
    reader. If the reader stops early (the download is cancelled), the thread stops too and
    ``produce()``'s own clean-up runs there; an error in ``produce()`` is raised to the reader."""
    handover: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            source = produce()
            try:
                for item in source:
                    if not put(item):
                        return
            finally:
                close = getattr(source, "close", None)
                if close:
                    close()
            put(_DONE)
        except BaseException as error:  # handed to the reader, which raises it
            put(error)

    worker = threading.Thread(target=work, name="csv-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := handover.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=30)
