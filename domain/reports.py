"""The reports of Part 8 of the guide: which exist, who may open which, and over what scope.

One table (``REPORTS``) says who sees each report (docs/rules.md, "People and what they may do"):
providers see the Blank ROI and the Agencies Report only; gatekeepers every report, for their own
agency; designated administrators the referral reports for the programs of their regions; the state
team statewide. Report rows carry no client data (referral ids, programs, statuses and times only),
so "aggregate" views for administrators and the state team are the same tables over more programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.errors import ValidationFailed
from domain.montana import local_midnight
from domain.referral_status import ReferralState, ServiceStatus
from domain.taxonomy import NO_INSURANCE_NEEDED


class Role(StrEnum):
    PROVIDER = "provider"
    GATEKEEPER = "gatekeeper"
    ADMIN = "admin"  # designated administrator of one or more regions
    STATE_TEAM = "state_team"


class ScopeKind(StrEnum):
    AGENCY = "agency"
    REGIONS = "regions"
    STATE = "state"


@dataclass(frozen=True)
class ReportInfo:
    slug: str
    title: str
    summary: str
    roles: frozenset[Role]


_ALL = frozenset(Role)
_REFERRAL_REPORTS = frozenset({Role.GATEKEEPER, Role.ADMIN, Role.STATE_TEAM})


class Report(StrEnum):
    BLANK_ROI = "blank-roi"
    AGENCIES = "agencies"
    DELAYS = "delays"
    OUTCOMES = "outcomes"
    FROM_AGENCY = "from-agency"
    TO_AGENCY = "to-agency"
    DASHBOARD = "dashboard"

    @property
    def info(self) -> ReportInfo:
        return REPORTS[self]


# The one table of reports: title (the guide's words), what it shows, who may open it.
REPORTS: dict[Report, ReportInfo] = {
    Report.BLANK_ROI: ReportInfo(
        "blank-roi", "Blank ROI",
        "Print a paper ROI listing every organization of the regions you choose, for a client to "
        "sign by hand and upload later.", _ALL),
    Report.AGENCIES: ReportInfo(
        "agencies", "Agencies Report",
        "Find programs by region, county (in person or by telemedicine), service, insurance type "
        "and agency: use one filter or all five.", _ALL),
    Report.DELAYS: ReportInfo(
        "delays", "Referral Delays to Agency",
        "Where every sent and received referral stands, filterable by status, and how long each "
        "has waited: since it was sent, unacknowledged, and in business days.", _REFERRAL_REPORTS),
    Report.OUTCOMES: ReportInfo(
        "outcomes", "Referral Outcomes",
        "All sent and received referral outcomes: how many referrals ended in each Referral "
        "Status, in both directions, and over time.", _REFERRAL_REPORTS),
    Report.FROM_AGENCY: ReportInfo(
        "from-agency", "Referrals From Agency",
        "Referrals sent to your agency from the agencies you choose, in a time period: the "
        "status of incoming referrals.",
        _REFERRAL_REPORTS),
    Report.TO_AGENCY: ReportInfo(
        "to-agency", "Referrals To Agency",
        "Referrals your agency sent to the agencies you choose, in a time period: the status of "
        "outgoing referrals.", _REFERRAL_REPORTS),
    Report.DASHBOARD: ReportInfo(
        "dashboard", "Closed-loop dashboard",
        "How fast referrals are acknowledged, how many clients are reached, enrolled and served, "
        "per program, region and statewide.", frozenset({Role.ADMIN, Role.STATE_TEAM})),
}


@dataclass(frozen=True)
class Roles:
    """What a person is, as far as reports go, while acting as their current program."""

    provider: bool = False
    gatekeeper: bool = False
    admin_regions: frozenset[int] = frozenset()
    state_team: bool = False

    @property
    def roles(self) -> frozenset[Role]:
        held = {Role.PROVIDER: self.provider, Role.GATEKEEPER: self.gatekeeper,
                Role.ADMIN: bool(self.admin_regions), Role.STATE_TEAM: self.state_team}
        return frozenset(role for role, has in held.items() if has)


def reports_for(roles: Roles) -> list[Report]:
    """The reports a person may open, in the guide's order."""
    held = roles.roles
    return [report for report, info in REPORTS.items() if held & info.roles]


def may_open(roles: Roles, report: Report) -> bool:
    return bool(roles.roles & REPORTS[report].roles)


def scopes_for(roles: Roles) -> list[ScopeKind]:
    """The scopes of the referral reports a person may choose, widest first."""
    scopes = []
    if roles.state_team:
        scopes.append(ScopeKind.STATE)
    if roles.admin_regions:
        scopes.append(ScopeKind.REGIONS)
    if roles.gatekeeper:
        scopes.append(ScopeKind.AGENCY)
    return scopes


class Direction(StrEnum):
    BOTH = "both"
    RECEIVED = "received"
    SENT = "sent"


# The Referral Delays status filter: where a referral stands (system state), or the Referral
# Status recorded by the receiving program. "Any status" (empty) is the only choice that shows
# closed and declined referrals together, as in the guide.
STATE_FILTERS: tuple[ReferralState, ...] = (
    ReferralState.SENT, ReferralState.ASSIGNED, ReferralState.CLOSED, ReferralState.DECLINED,
    ReferralState.WITHDRAWN,
)


def parse_status_filter(value: str | None) -> ReferralState | ServiceStatus | None:
    """The status a report is filtered by: a state, a Referral Status, or None for any."""
    if not value:
        return None
    for state in STATE_FILTERS:
        if value == state.value:
            return state
    try:
        return ServiceStatus(value)
    except ValueError:
        raise ValidationFailed(
            f"'{value}' is not a status; choose one from the list.", field="status",
            code="unknown_status",
        ) from None


def insurance_codes_matching(wanted: str) -> frozenset[str]:
    """Insurance codes a program may list to serve a client with ``wanted``: the same type, or
    none needed (N/A, sliding scale), since such programs serve anyone."""
    return frozenset({wanted}) | NO_INSURANCE_NEEDED


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval [start, end) of sent times; None on a side means unbounded."""

    start: datetime | None = None
    end: datetime | None = None
    first_day: date | None = None
    last_day: date | None = None


# Default periods of sent dates: the referral reports look back a year; the dashboard the last
# 90 days (a quarter: recent enough to act on, and the percentiles stay quick to compute).
DEFAULT_PERIOD_DAYS = 365
DASHBOARD_PERIOD_DAYS = 90


def period_from_dates(first: date | None, last: date | None, *, today: date | None = None,
                      default_days: int | None = None) -> Period:
    """The period from ``first`` to ``last`` inclusive, in Montana days.

    Without ``first``, and with ``default_days`` given, the period starts ``default_days`` before
    ``today``; ``last`` missing means no upper bound. Raises ValidationFailed if ``first`` comes
    after ``last``.
    """
    if first is None and default_days is not None and today is not None:
        first = today - timedelta(days=default_days - 1)
    if first and last and first > last:
        raise ValidationFailed("The start date must be on or before the end date.", field="sent_from",
                               code="bad_period")

    def midnight(d: date | None) -> datetime | None:
        return None if d is None else local_midnight(d)

    return Period(midnight(first), midnight(last + timedelta(days=1)) if last else None, first, last)
