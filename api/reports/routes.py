"""Agency -> Reports (Part 8 of the guide) and the closed-loop dashboard: pages, JSON and CSV.

Pages live under /reports, the API under /api/v1/reports (JSON, and CSV at the same path with
.csv). Handlers are plain functions: FastAPI runs them on its thread pool, so a report's queries
never hold up the event loop. Who may open which report, and over which programs, is decided by
domain.reports; the figures come from models/reports/queries.py; the tables' columns from
api/reports/tables.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator

from api.reports import charts
from api.deps import Actor, CurrentActor, DbSession, Now, user_mou_current
from api.errors import Forbidden
from api.forms import render
from api.reports.schemas import (
    AgenciesReportOut,
    AgencyNamesOut,
    DashboardOut,
    DelaysReportOut,
    OutcomesReportOut,
    PartnerReportOut,
    ReportsOut,
)
from api.reports.tables import (
    AGENCY_COLUMNS, DELAY_COLUMNS, MEASURE_COLUMNS, PARTNER_COLUMNS, Column, MeasureLine,
    ReferralLines, as_json_rows, csv_response, duration_display, percent, without_direction,
)
from domain import measures
from domain.errors import ValidationFailed
from domain.measures import OutcomeGroup, outcome_group, outcome_labels, outcome_of
from domain.montana import REGIONS, canonical_county, county_names, county_outside_region, is_montana_county, local_date
from domain.referral_status import ServiceStatus
from domain.reports import (
    DASHBOARD_PERIOD_DAYS, DEFAULT_PERIOD_DAYS, STATE_FILTERS, Direction, Period, Report, Roles, ScopeKind,
    may_open, parse_status_filter, period_from_dates, reports_for, scopes_for,
)
from domain.taxonomy import INSURANCE_TYPES, SERVICES, is_code
from models import audit
from models.reports import queries as q
from models.agencies.tables import Program

router = APIRouter(tags=["reports"])

SCOPE_LABELS = {ScopeKind.AGENCY: "My agency", ScopeKind.REGIONS: "My regions",
                ScopeKind.STATE: "Statewide"}


# --- who is asking -------------------------------------------------------------------------------

def roles_of(actor: Actor) -> Roles:
    return Roles(provider=actor.is_provider, gatekeeper=actor.is_gatekeeper,
                 admin_regions=frozenset(actor.user.region_numbers),
                 state_team=actor.user.is_state_team)


def _require(report: Report):
    async def dependency(actor: CurrentActor, moment: Now) -> Actor:
        roles = roles_of(actor)
        if not may_open(roles, report):
            if report is Report.DASHBOARD:
                reason = "The closed-loop dashboard is for designated administrators and the state team."
            else:
                reason = (f"The {report.info.title} report is for gatekeepers, designated "
                          "administrators and the state team. Providers see the Blank ROI and "
                          "the Agencies Report; ask a gatekeeper of your agency.")
            raise Forbidden(reason, code="report_not_allowed")
        if report not in (Report.BLANK_ROI, Report.AGENCIES) and not user_mou_current(
                actor.user, local_date(moment)):
            raise Forbidden("You must sign the CONNECT User MOU before you can see referral reports.",
                            code="user_mou_required", link="/mou")
        return actor

    return Depends(dependency)


class _Form(BaseModel):
    """Report filters come from GET forms, where an untouched field arrives as an empty string."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: [item for item in v if item not in ("", None)] if isinstance(v, list) else v
                    for k, v in data.items()}
            return {k: v for k, v in data.items() if v not in ("", None, [])}
        return data


class ScopeQuery(_Form):
    scope: ScopeKind | None = Field(None, description="Whose referrals: " + ", ".join(k.value for k in ScopeKind)
                                    + " (the widest you may see by default)")
    region: int | None = Field(None, ge=1, le=5, description="Narrows to one region, 1 to 5 (of your scope)")
    program: int | None = Field(None, description="Narrows to one program, by id (of your scope)")
    sent_from: date | None = Field(None, description="Referrals sent on or after this day, YYYY-MM-DD")
    sent_to: date | None = Field(None, description="Referrals sent on or before this day, YYYY-MM-DD")
    page: int = Field(1, ge=1, le=1_000_000, description="The page to return, from 1.")


class DelaysQuery(ScopeQuery):
    direction: Direction = Field(Direction.BOTH, description="sent, received or both")
    status: str = Field(q.OPEN, description="open (the default), any, a state, or a Referral Status")


class PartnerQuery(ScopeQuery):
    agency: list[str] = Field([], description="Partner agencies, each by name or id (repeat for several)")
    partners_page: int = Field(1, ge=1, le=1_000_000, description="The page of the partner agencies, from 1.")


@dataclass
class ReportContext:
    """The scope and period a referral report runs over, with what the filter form needs."""

    roles: Roles
    scope: q.Scope
    period: Period
    scope_choices: list[tuple[str, str]]
    region_choices: list[tuple[int, str]]
    program_choices: list[tuple[int, str]]


def _scope(db, actor: Actor, params: ScopeQuery) -> q.Scope:
    roles = roles_of(actor)
    kinds = scopes_for(roles)
    kind = params.scope or kinds[0]
    if kind not in kinds:
        raise Forbidden(f"You cannot see the {SCOPE_LABELS[kind].lower()} view of this report.",
                        code="scope_not_allowed")
    if kind is ScopeKind.AGENCY:
        scope = q.agency_scope(db, actor.program.agency_id)
    elif kind is ScopeKind.REGIONS:
        regions = sorted(roles.admin_regions)
        if params.region is not None:
            if params.region not in roles.admin_regions:
                raise Forbidden(f"Region {params.region} is not one of the regions you administer.",
                                code="region_not_allowed")
            regions = [params.region]
        scope = q.regions_scope(db, regions, ", ".join(f"Region {r} — {REGIONS[r]}" for r in regions))
    elif params.region is not None:
        scope = q.regions_scope(db, [params.region], f"Region {params.region} — {REGIONS[params.region]}")
        scope = q.Scope(ScopeKind.STATE, scope.label, scope.program_ids, scope.regions)
    else:
        scope = q.state_scope()
    if params.program is not None:
        program = db.get(Program, params.program)
        if program is None or (scope.program_ids is not None and program.id not in scope.program_ids):
            raise Forbidden("That program is not in the agencies or regions you can report on.",
                            code="program_not_allowed")
        scope = q.narrowed(scope, [program.id], program.display_name)
    return scope


def _context(db, actor: Actor, params: ScopeQuery, moment, default_days: int | None) -> ReportContext:
    roles = roles_of(actor)
    scope = _scope(db, actor, params)
    period = period_from_dates(params.sent_from, params.sent_to, today=local_date(moment),
                               default_days=default_days)
    whole = _scope(db, actor, params.model_copy(update={"program": None}))
    regions = sorted(roles.admin_regions) if scope.kind is ScopeKind.REGIONS else list(REGIONS)
    return ReportContext(
        roles, scope, period,
        [(k.value, SCOPE_LABELS[k]) for k in scopes_for(roles)],
        [(r, f"Region {r} — {REGIONS[r]}") for r in regions] if scope.kind is not ScopeKind.AGENCY else [],
        q.program_choices(db, whole) if not whole.statewide else [],
    )


def _query_string(request: Request, **changes) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    items += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode(items)


def _page(request: Request, report: Report, template: str, ctx: dict) -> Any:
    csv_url = f"/api/v1/reports/{report.value}.csv"
    if request.url.query:
        csv_url += "?" + _query_string(request, page=None)
    return render(request, template, {
        "report": report.info, "csv_url": csv_url, "query": request.query_params,
        "page_url": lambda n: "?" + _query_string(request, page=str(n)), **ctx,
    })


def _table(columns: tuple[Column, ...], page: q.Page, lines: list) -> dict:
    return {"columns": columns, "lines": lines, "pager": page}


def _bad_filter(request: Request, report: Report, template: str, error: ValidationFailed, ctx: dict):
    return render(request, template, {
        "report": report.info, "query": request.query_params, "error": error.reason,
        "error_field": getattr(error, "field", None), "csv_url": "", "page_url": lambda n: "", **ctx,
    }, status=422)


# --- the list of reports -------------------------------------------------------------------------

def _available(actor: Actor) -> list[dict]:
    return [{"slug": r.value, "title": r.info.title, "summary": r.info.summary,
             "url": f"/reports/{r.value}"} for r in reports_for(roles_of(actor))]


@router.get("/reports", include_in_schema=False)
def reports_index(request: Request, actor: CurrentActor):
    return render(request, "reports/index.html", {"reports": _available(actor)})


@router.get("/api/v1/reports")
def reports_index_api(actor: CurrentActor) -> ReportsOut:
    """The reports the signed-in person may open, as their current program."""
    return {"reports": _available(actor)}


# --- Agencies Report -----------------------------------------------------------------------------

class AgenciesQuery(_Form):
    region: int | None = Field(None, ge=1, le=5, description="Programs of this region, 1 to 5")
    county: str | None = Field(None, description="Programs serving this Montana county")
    county_mode: str = Field("any", pattern="^(any|in_person|telemedicine)$",
                             description="How they serve the county: any, in_person or telemedicine")
    service: str | None = Field(None, description="Programs offering this service (a service code)")
    insurance: str | None = Field(None, description="Programs accepting this insurance (an insurance code)")
    agency: str | None = Field(None, description="One agency, by name or id")
    page: int = Field(1, ge=1, le=1_000_000, description="The page to return, from 1.")


def _agency_ids(db, values: list[str]) -> tuple[int, ...]:
    """The agencies named in the agency filter's boxes; a name that is no agency's is refused."""
    ids = []
    for value in values:
        agency = q.find_agency(db, value)
        if agency is None:
            raise ValidationFailed(f"No agency is called '{value.strip()}'; type part of its name and "
                                   "choose one of the suggestions.", field="agency", code="unknown_agency")
        ids.append(agency.id)
    return tuple(ids)


def _agency_names(db, values: list[str]) -> list[str]:
    """What the agency boxes show: the agencies' names (a box given an id shows the name)."""
    found = [q.find_agency(db, v) if v.strip().isdigit() else None for v in values]
    return [a.name if a else v for a, v in zip(found, values)]


def _agency_filter(db, params: AgenciesQuery) -> q.AgencyFilter:
    county = None
    if params.county:
        if not is_montana_county(params.county):
            raise ValidationFailed(f"'{params.county}' is not a Montana county; choose one from the list.",
                                   field="county", code="unknown_county")
        county = canonical_county(params.county)
    for name, vocab, value in (("service", SERVICES, params.service),
                               ("insurance", INSURANCE_TYPES, params.insurance)):
        if value and not is_code(vocab, value):
            raise ValidationFailed(f"'{value}' is not one of the choices; pick one from the list.",
                                   field=name, code=f"unknown_{name}")
    agency_id = _agency_ids(db, [params.agency])[0] if params.agency else None
    return q.AgencyFilter(params.region, county, params.county_mode, params.service,
                          params.insurance, agency_id)


AGENCIES = _require(Report.AGENCIES)


def _agencies_form(db, params: AgenciesQuery) -> dict:
    return {"regions": REGIONS, "counties": county_names(), "services": SERVICES,
            "insurance_types": INSURANCE_TYPES,
            "agency_values": _agency_names(db, [params.agency] if params.agency else [])}


@router.get("/reports/agencies", include_in_schema=False)
def agencies_page(request: Request, db: DbSession, moment: Now,
                  params: Annotated[AgenciesQuery, Query()], actor: Actor = AGENCIES):
    try:
        f = _agency_filter(db, params)
    except ValidationFailed as error:
        return _bad_filter(request, Report.AGENCIES, "reports/agencies.html", error,
                           _agencies_form(db, params))
    page = q.agencies_page(db, f, local_date(moment), params.page)
    elsewhere = None if page.total else county_outside_region(f.county, f.region)
    return _page(request, Report.AGENCIES, "reports/agencies.html",
                 {**_agencies_form(db, params), **_table(AGENCY_COLUMNS, page, page.items),
                  "county_elsewhere": elsewhere})


@router.get("/api/v1/reports/agencies")
def agencies_api(db: DbSession, moment: Now, params: Annotated[AgenciesQuery, Query()],
                 actor: Actor = AGENCIES) -> AgenciesReportOut:
    """Agencies Report: programs matching any combination of the five filters (``agency``: the
    agency's name or id)."""
    page = q.agencies_page(db, _agency_filter(db, params), local_date(moment), params.page)
    return _json_page(page, as_json_rows(AGENCY_COLUMNS, page.items))


@router.get("/api/v1/reports/agencies.csv")
def agencies_csv(request: Request, db: DbSession, moment: Now,
                 params: Annotated[AgenciesQuery, Query()], actor: Actor = AGENCIES):
    f, today = _agency_filter(db, params), local_date(moment)
    return csv_response("agencies-report.csv", AGENCY_COLUMNS, request.app.state.session_factory,
                        lambda db: q.stream_agencies(db, f, today))


def _json_page(page: q.Page, rows: list) -> dict:
    return {"page": page.number, "pages": page.pages, "total": page.total, "rows": rows}


@router.get("/api/v1/reports/agency-names")
def agency_names_api(db: DbSession, actor: CurrentActor,
                     q_: Annotated[str, Query(alias="q", max_length=200,
                                              description="Words of the agency's name")] = "") -> AgencyNamesOut:
    """Agencies whose name holds every word typed (at most 20, names starting with it first):
    the suggestions of the reports' agency filter."""
    return {"agencies": [{"id": a.id, "name": a.name} for a in q.agency_suggestions(db, q_)]}


# --- referral lists: Referral Delays, Referrals From / To Agency ---------------------------------

DELAYS = _require(Report.DELAYS)
ANY_STATUS = "any"
FROM_AGENCY = _require(Report.FROM_AGENCY)
TO_AGENCY = _require(Report.TO_AGENCY)


def _delays_filter(db, actor, params: DelaysQuery, moment) -> tuple[ReportContext, q.ReferralFilter]:
    ctx = _context(db, actor, params, moment, default_days=None)
    status = params.status if params.status == q.OPEN else (
        None if params.status == ANY_STATUS else parse_status_filter(params.status))
    return ctx, q.ReferralFilter(ctx.scope, ctx.period, params.direction, status, newest_first=False)


def _partner_filter(db, actor, params: PartnerQuery, moment, report: Report):
    ctx = _context(db, actor, params, moment, default_days=DEFAULT_PERIOD_DAYS)
    direction = Direction.RECEIVED if report is Report.FROM_AGENCY else Direction.SENT
    return ctx, q.ReferralFilter(ctx.scope, ctx.period, direction,
                                 partner_agency_ids=_agency_ids(db, params.agency))


def _lines(db, rows, scope: q.Scope, moment) -> list:
    make = ReferralLines(q.program_labels(db), scope.program_ids, moment)
    return [make(row) for row in rows]


def _csv_lines(request: Request, db, filename: str, columns, f: q.ReferralFilter, moment):
    actor: Actor = request.state.actor
    # A bulk export of referral data is recorded (who, as which program, which report and filters).
    audit.record(db, action="report.exported", entity_type="report", entity_id=filename,
                 user_id=actor.user.id, program_id=actor.program_id, scope=f.scope.label,
                 query=str(request.url.query))
    db.commit()
    make = ReferralLines(q.program_labels(db), f.scope.program_ids, moment)
    return csv_response(filename, columns, request.app.state.session_factory,
                        lambda session: q.stream_referral_rows(session, f), make)


def _status_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        ("", [(ANY_STATUS, "Any status"), (q.OPEN, "Still open (waiting or assigned)")]),
        ("Where it stands", [(s.value, s.label) for s in STATE_FILTERS]),
        ("Referral Status", [(s.value, s.value) for s in ServiceStatus]),
    ]


def _form_context(ctx: ReportContext) -> dict:
    return {"scope": ctx.scope, "period": ctx.period, "scope_choices": ctx.scope_choices,
            "region_choices": ctx.region_choices, "program_choices": ctx.program_choices}


def _fallback_context(actor) -> dict:
    roles = roles_of(actor)
    return {"scope": None, "period": Period(), "region_choices": [], "program_choices": [],
            "scope_choices": [(k.value, SCOPE_LABELS[k]) for k in scopes_for(roles)],
            "statuses": _status_choices()}


@router.get("/reports/delays", include_in_schema=False)
def delays_page(request: Request, db: DbSession, moment: Now,
                params: Annotated[DelaysQuery, Query()], actor: Actor = DELAYS):
    try:
        ctx, f = _delays_filter(db, actor, params, moment)
    except ValidationFailed as error:
        return _bad_filter(request, Report.DELAYS, "reports/delays.html", error,
                           _fallback_context(actor))
    page = q.referral_page(db, f, params.page)
    return _page(request, Report.DELAYS, "reports/delays.html", {
        **_form_context(ctx), "statuses": _status_choices(),
        **_table(without_direction(DELAY_COLUMNS) if ctx.scope.statewide else DELAY_COLUMNS, page,
                 _lines(db, page.items, ctx.scope, moment)),
    })


@router.get("/api/v1/reports/delays")
def delays_api(db: DbSession, moment: Now, params: Annotated[DelaysQuery, Query()],
               actor: Actor = DELAYS) -> DelaysReportOut:
    """Referral Delays to Agency: every referral of the scope, how long each has waited."""
    ctx, f = _delays_filter(db, actor, params, moment)
    page = q.referral_page(db, f, params.page)
    return {"scope": ctx.scope.label,
            **_json_page(page, as_json_rows(DELAY_COLUMNS, _lines(db, page.items, ctx.scope, moment)))}


@router.get("/api/v1/reports/delays.csv")
def delays_csv(request: Request, db: DbSession, moment: Now,
               params: Annotated[DelaysQuery, Query()], actor: Actor = DELAYS):
    _, f = _delays_filter(db, actor, params, moment)
    return _csv_lines(request, db, "referral-delays.csv", DELAY_COLUMNS, f, moment)


def _partner_routes(report: Report, dependency) -> None:
    slug = report.value

    def page_route(request: Request, db: DbSession, moment: Now,
                   params: Annotated[PartnerQuery, Query()], actor: Actor = dependency):
        form = {"outgoing": report is Report.TO_AGENCY, "agency_values": _agency_names(db, params.agency)}
        try:
            ctx, f = _partner_filter(db, actor, params, moment, report)
        except ValidationFailed as error:
            return _bad_filter(request, report, "reports/partner.html", error,
                               {**_fallback_context(actor), **form})
        summary, page = _partner_report(request, f, params)
        return _page(request, report, "reports/partner.html", {
            **_form_context(ctx), **form, "summary": _partner_rows(summary.page.items),
            "summary_total": _partner_rows([summary.totals])[0], "summary_pager": summary.page,
            "summary_page_url": lambda n: "?" + _query_string(request, partners_page=str(n)),
            **_table(PARTNER_COLUMNS, page, _lines(db, page.items, ctx.scope, moment)),
        })

    def api_route(request: Request, db: DbSession, moment: Now,
                  params: Annotated[PartnerQuery, Query()], actor: Actor = dependency) -> PartnerReportOut:
        ctx, f = _partner_filter(db, actor, params, moment, report)
        summary, page = _partner_report(request, f, params)
        return {"scope": ctx.scope.label,
                "summary": {**_json_page(summary.page, _partner_rows(summary.page.items)),
                            "totals": _partner_rows([summary.totals])[0]},
                **_json_page(page, as_json_rows(PARTNER_COLUMNS, _lines(db, page.items, ctx.scope, moment)))}

    def csv_route(request: Request, db: DbSession, moment: Now,
                  params: Annotated[PartnerQuery, Query()], actor: Actor = dependency):
        _, f = _partner_filter(db, actor, params, moment, report)
        return _csv_lines(request, db, f"referrals-{slug}.csv", PARTNER_COLUMNS, f, moment)

    router.add_api_route(f"/reports/{slug}", page_route, methods=["GET"], include_in_schema=False)
    router.add_api_route(f"/api/v1/reports/{slug}", api_route, methods=["GET"],
                         summary=report.info.title, description=report.info.summary)
    router.add_api_route(f"/api/v1/reports/{slug}.csv", csv_route, methods=["GET"],
                         summary=f"{report.info.title} (CSV)")


def _partner_report(request: Request, f: q.ReferralFilter, params: PartnerQuery):
    """A page of the partner agencies (with the totals of all) and a page of the referrals,
    asked at once on two connections."""
    return q.run_concurrently(request.app.state.session_factory, [
        lambda s: q.partner_summary(s, f, params.partners_page),
        lambda s: q.referral_page(s, f, params.page),
    ])


def _partner_rows(lines: list[q.PartnerLine]) -> list[dict]:
    """Per partner agency: how many referrals, and how many ended in each outcome group."""
    return [{"Agency": line.agency, "Referrals": line.referrals, **line.groups} for line in lines]


_partner_routes(Report.FROM_AGENCY, FROM_AGENCY)
_partner_routes(Report.TO_AGENCY, TO_AGENCY)


# --- Referral Outcomes -----------------------------------------------------------------------------

OUTCOMES = _require(Report.OUTCOMES)
GROUP_COLOURS = dict(zip(OutcomeGroup.ALL, ("#00a91c", "#005ea2", "#e5a000", "#d83933")))


def _outcomes(db, actor, params: ScopeQuery, moment) -> tuple[ReportContext, dict]:
    ctx = _context(db, actor, params, moment, default_days=DEFAULT_PERIOD_DAYS)
    counts = q.outcome_counts(db, q.ReferralFilter(ctx.scope, ctx.period))
    by_outcome: dict[str, dict[str, int]] = {o: {"sent": 0, "received": 0, "all": 0}
                                             for o in outcome_labels()}
    months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        row = by_outcome[outcome_of(c.state, c.service_status)]
        row["all"] += c.count
        row["sent"] += c.count if c.sent else 0
        row["received"] += c.count if c.received else 0
        months[c.month][outcome_group(c.state, c.service_status)] += c.count
    return ctx, {"by_outcome": by_outcome, "months": dict(sorted(months.items()))}


@router.get("/reports/outcomes", include_in_schema=False)
def outcomes_page(request: Request, db: DbSession, moment: Now,
                  params: Annotated[ScopeQuery, Query()], actor: Actor = OUTCOMES):
    try:
        ctx, data = _outcomes(db, actor, params, moment)
    except ValidationFailed as error:
        return _bad_filter(request, Report.OUTCOMES, "reports/outcomes.html", error,
                           _fallback_context(actor))
    by_outcome, months = data["by_outcome"], data["months"]
    # The chart counts what the table counts: every referral of the scope once, sent or received.
    status_chart = charts.bar_chart(
        [(o, row["all"]) for o, row in by_outcome.items() if row["all"]],
        "Referrals by status" + ("" if ctx.scope.statewide else ", sent and received"), testid="status-chart")
    labels = list(months)
    time_chart = charts.stacked_columns(
        labels, [(g, GROUP_COLOURS[g], [months[m].get(g, 0) for m in labels]) for g in OutcomeGroup.ALL],
        "Outcomes over time, by month sent", testid="outcomes-chart")
    return _page(request, Report.OUTCOMES, "reports/outcomes.html", {
        **_form_context(ctx), "by_outcome": by_outcome, "months": months, "groups": OutcomeGroup.ALL,
        "status_chart": status_chart, "time_chart": time_chart,
    })


@router.get("/api/v1/reports/outcomes")
def outcomes_api(db: DbSession, moment: Now, params: Annotated[ScopeQuery, Query()],
                 actor: Actor = OUTCOMES) -> OutcomesReportOut:
    """Referral Outcomes: referrals sent and received per outcome, and per month sent."""
    ctx, data = _outcomes(db, actor, params, moment)
    return {"scope": ctx.scope.label, "sent_from": ctx.period.first_day, "sent_to": ctx.period.last_day,
            "outcomes": [{"outcome": o, **row} for o, row in data["by_outcome"].items()],
            "months": [{"month": m, **groups} for m, groups in data["months"].items()]}


OUTCOME_COLUMNS = (
    Column("Outcome", lambda row: row[0]),
    Column("Sent", lambda row: row[1]["sent"]),
    Column("Received", lambda row: row[1]["received"]),
    Column("All", lambda row: row[1]["all"]),
)


@router.get("/api/v1/reports/outcomes.csv")
def outcomes_csv(request: Request, db: DbSession, moment: Now,
                 params: Annotated[ScopeQuery, Query()], actor: Actor = OUTCOMES):
    _, data = _outcomes(db, actor, params, moment)
    rows = list(data["by_outcome"].items())
    return csv_response("referral-outcomes.csv", OUTCOME_COLUMNS, request.app.state.session_factory,
                        lambda _db: iter(rows))


# --- closed-loop dashboard -------------------------------------------------------------------------

DASHBOARD = _require(Report.DASHBOARD)


def _dashboard(request: Request, db, actor, params: ScopeQuery, moment, *,
               all_programs: bool = False):
    ctx = _context(db, actor, params, moment, default_days=DASHBOARD_PERIOD_DAYS)
    ids, period = ctx.scope.program_ids, ctx.period
    if all_programs:
        shown = q.programs_in_scope(db, ctx.scope)
        page = q.Page(shown, 1, max(1, len(shown)), len(shown))
    else:  # only the page's programs are read, and measured
        page = q.programs_page(db, ctx.scope, params.page)
        shown = page.items
    with_regions = ctx.scope.kind is not ScopeKind.AGENCY and params.program is None
    programs_of_page = [p.id for p in shown]
    if ctx.scope.statewide or ctx.scope.regions is not None:
        # Whole regions: the scope's and the regions' lines from the monthly summary; the page's
        # programs exactly; both at once, on separate connections.
        regional, by_program = q.run_concurrently(request.app.state.session_factory, [
            lambda s: q.closed_loop_of_regions(s, period, ctx.scope.regions),
            lambda s: q.closed_loop(s, period, program_ids=programs_of_page, group="program"),
        ])
        whole, by_region, histogram = regional.whole, regional.by_region, regional.ack_histogram
    else:
        # Programs or an agency: exact, four independent aggregates asked at once.
        found, by_region, by_program, histogram = q.run_concurrently(request.app.state.session_factory, [
            lambda s: q.closed_loop(s, period, program_ids=ids),
            lambda s: q.closed_loop(s, period, program_ids=ids, group="region") if with_regions else {},
            lambda s: q.closed_loop(s, period, program_ids=programs_of_page, group="program"),
            lambda s: q.ack_histogram(s, period, ids),
        ])
        whole = found.get(None, measures.closed_loop_measures([]))
    empty = measures.closed_loop_measures([])
    lines = [MeasureLine("State" if ctx.scope.statewide else "All",
                         "Montana" if ctx.scope.statewide else ctx.scope.label, whole)]
    if with_regions:
        regions = list(REGIONS) if ids is None else list(ctx.scope.regions or q.regions_of(db, ids))
        lines += [MeasureLine("Region", f"Region {r} — {REGIONS[r]}", by_region.get(r, empty))
                  for r in regions]
    program_lines = [MeasureLine("Program", p.display_name, by_program.get(p.id, empty)) for p in shown]
    return ctx, lines, program_lines, page, histogram


@router.get("/reports/dashboard", include_in_schema=False)
def dashboard_page(request: Request, db: DbSession, moment: Now,
                   params: Annotated[ScopeQuery, Query()], actor: Actor = DASHBOARD):
    try:
        ctx, lines, program_lines, page, histogram = _dashboard(request, db, actor, params, moment)
    except ValidationFailed as error:
        return _bad_filter(request, Report.DASHBOARD, "reports/dashboard.html", error,
                           _fallback_context(actor))
    ack_chart = charts.column_chart(measures.ack_bin_labels(), histogram,
                                    "Time to acknowledgement", testid="ack-histogram")
    headline = lines[0].measures if lines else None
    return _page(request, Report.DASHBOARD, "reports/dashboard.html", {
        **_form_context(ctx), "summary_lines": lines, "headline": headline, "ack_chart": ack_chart,
        "histogram": list(zip(measures.ack_bin_labels(), histogram)),
        "fmt_duration": duration_display, "fmt_percent": percent,
        **_table(MEASURE_COLUMNS, page, program_lines),
    })


@router.get("/api/v1/reports/dashboard")
def dashboard_api(request: Request, db: DbSession, moment: Now,
                  params: Annotated[ScopeQuery, Query()], actor: Actor = DASHBOARD) -> DashboardOut:
    """Closed-loop measures statewide, per region and per program (paged), and the
    acknowledgement-time histogram."""
    ctx, lines, program_lines, page, histogram = _dashboard(request, db, actor, params, moment)
    return {"scope": ctx.scope.label, "sent_from": ctx.period.first_day, "sent_to": ctx.period.last_day,
            "summary": as_json_rows(MEASURE_COLUMNS, lines),
            "ack_histogram": [{"bin": b, "referrals": n}
                              for b, n in zip(measures.ack_bin_labels(), histogram)],
            **_json_page(page, as_json_rows(MEASURE_COLUMNS, program_lines))}


@router.get("/api/v1/reports/dashboard.csv")
def dashboard_csv(request: Request, db: DbSession, moment: Now,
                  params: Annotated[ScopeQuery, Query()], actor: Actor = DASHBOARD):
    _, lines, program_lines, _, _ = _dashboard(request, db, actor, params, moment, all_programs=True)
    rows = lines + program_lines
    return csv_response("closed-loop-measures.csv", MEASURE_COLUMNS, request.app.state.session_factory,
                        lambda _db: iter(rows))
