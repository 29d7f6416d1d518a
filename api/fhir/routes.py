"""The FHIR R4 API under /fhir: `metadata`, and read and search of every type in
``api.fhir.resources.RESOURCES``. Every answer is built by the FHIR library (`api.fhir.models`);
every refusal is an OperationOutcome (`api.fhir.outcome`, through `api.errors`).

The routes stay out of the OpenAPI document: the FHIR API's contract is its CapabilityStatement
(`GET /fhir/metadata`) and the FHIR specification, and docs/fhir.md.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from api.deps import Actor, DbSession, Now, SettingsDep
from api.errors import ApiError, NotFound
from api.fhir import mapping
from api.fhir.capability import capability_statement
from api.fhir.inbound import receive
from api.fhir.models import JSON_TYPE, build, to_json
from api.fhir.outcome import PREFIX
from api.fhir.resources import RESOURCES, Reader, ResourceType
from api.fhir.search import Search, int_id, page_links, parse_search
from api.fhir.smart import requires
from api.fhir.task_updates import apply_task, parse_task
from api.referrals.actions import ReferralSteps
from connect.settings import Settings
from domain.montana import local_date

router = APIRouter(prefix=PREFIX, tags=["fhir"], include_in_schema=False)

STARTED = datetime.now(timezone.utc).replace(microsecond=0)


def base_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + PREFIX


def systems_of(settings: Settings) -> mapping.Systems:
    return mapping.Systems(base_url(settings))


def fhir_json(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=JSON_TYPE)


WRITES = {"Task": ("update",)}
"""The interactions beyond read and search, as mounted below."""


@router.get("/metadata")
async def metadata(settings: SettingsDep) -> JSONResponse:
    """The CapabilityStatement: what this server supports (no sign-in needed, as FHIR expects)."""
    return fhir_json(to_json(capability_statement(systems_of(settings), STARTED, WRITES)))


def _reader(db, actor, moment, settings) -> Reader:
    return Reader(db, actor, local_date(moment), systems_of(settings))


def _audit_views(reader: Reader, spec: ResourceType, rows: list, via: str) -> None:
    if spec.client_of is None:
        return
    for client_id in dict.fromkeys(c for c in (spec.client_of(reader, r) for r in rows) if c is not None):
        reader.viewed_client(client_id, via)
    reader.db.commit()


def read_one(reader: Reader, spec: ResourceType, resource_id: str):
    row = reader.db.scalar(spec.base_query(reader).where(spec.id_condition(resource_id)))
    if row is None:
        raise NotFound(f"{spec.kind}/{resource_id}")
    return row


def search_rows(reader: Reader, spec: ResourceType, search: Search) -> tuple[list, int]:
    query = spec.base_query(reader).where(*search.conditions)
    total = reader.db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(reader.db.scalars(query.order_by(spec.row.id).limit(search.count)
                                  .offset((search.page - 1) * search.count)).unique())
    return rows, total


def _included(reader: Reader, spec: ResourceType, rows: list, includes: list[str]) -> list:
    """The resources `_include` asks for, each once, and only those the reader may see."""
    out = []
    for include in includes:
        target, id_of = spec.includes[include]
        target_spec = RESOURCES[target]
        ids = sorted({id_of(r) for r in rows})
        if ids:
            found = reader.db.scalars(target_spec.base_query(reader).where(target_spec.row.id.in_(ids))).unique()
            out += [(target_spec, row) for row in found]
    return out


def _make_routes(spec: ResourceType) -> None:
    kind = spec.kind

    async def read(resource_id: str, request: Request, db: DbSession, moment: Now, settings: SettingsDep,
                   actor: Actor = requires(kind, "r")) -> JSONResponse:
        reader = _reader(db, actor, moment, settings)
        row = read_one(reader, spec, resource_id)
        body = to_json(spec.to_resource(reader, row))
        _audit_views(reader, spec, [row], f"fhir:{kind}/{resource_id}")
        return fhir_json(body)

    async def search(request: Request, db: DbSession, moment: Now, settings: SettingsDep,
                     actor: Actor = requires(kind, "s")) -> JSONResponse:
        reader = _reader(db, actor, moment, settings)
        query = parse_search(list(request.query_params.multi_items()), spec.all_params(reader.systems), kind,
                             tuple(spec.includes or ()))
        rows, total = search_rows(reader, spec, query)
        base = base_url(settings)
        entries = [{"fullUrl": f"{base}/{kind}/{r.id}", "resource": to_json(spec.to_resource(reader, r)),
                    "search": {"mode": "match"}} for r in rows]
        included = _included(reader, spec, rows, query.includes)
        for inc_spec, row in included:
            resource = to_json(inc_spec.to_resource(reader, row))
            entries.append({"fullUrl": f"{base}/{inc_spec.kind}/{resource['id']}", "resource": resource,
                            "search": {"mode": "include"}})
        bundle = build("Bundle", {"type": "searchset", "total": total,
                                  "link": page_links(f"{base}/{kind}", query, total), "entry": entries})
        _audit_views(reader, spec, rows, f"fhir:{kind}?")
        for inc_spec, row in included:
            _audit_views(reader, inc_spec, [row], f"fhir:{kind}?_include")
        return fhir_json(to_json(bundle))

    read.__name__, search.__name__ = f"read_{kind}", f"search_{kind}"
    router.add_api_route(f"/{kind}/{{resource_id}}", read, methods=["GET"], name=f"fhir_read_{kind}")
    router.add_api_route(f"/{kind}", search, methods=["GET"], name=f"fhir_search_{kind}")


for _spec in RESOURCES.values():
    _make_routes(_spec)


@router.put("/Task/{resource_id}")
async def update_task(resource_id: str, request: Request, db: DbSession, moment: Now, settings: SettingsDep,
                      actor: Actor = requires("Task", "u")) -> JSONResponse:
    """A program's system moves its referral on by updating its Task (api.fhir.task_updates)."""

    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "The body is not JSON (a FHIR Task).", code="invalid_json") from None
    task = parse_task(body, resource_id)
    steps = ReferralSteps(request, db, actor, moment)
    number = int_id(resource_id)
    if number is None:
        raise NotFound(f"Task/{resource_id}")
    referral = await apply_task(steps, steps.get(number), task, systems_of(settings))
    reader = _reader(db, actor, moment, settings)
    return fhir_json(to_json(RESOURCES["Task"].to_resource(reader, read_one(reader, RESOURCES["Task"],
                                                                              str(referral.id)))))


@router.post("")
async def transaction(request: Request, db: DbSession, moment: Now, settings: SettingsDep,
                      actor: Actor = requires("Task", "c", ("Patient", "c"), ("Consent", "c"),
                                              ("ServiceRequest", "c"))) -> JSONResponse:
    """An inbound referral: a transaction Bundle of Patient, Consent, ServiceRequest and Task
    (api.fhir.inbound)."""

    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "The body is not JSON (a FHIR transaction Bundle).", code="invalid_json") from None
    return fhir_json(await receive(request, db, actor, moment, body, systems_of(settings)))
