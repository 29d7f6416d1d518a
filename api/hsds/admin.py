"""The administrators' HSDS page: import a directory file (JSON, or a .zip of the CSV package) and
map other taxonomies' terms to CONNECT's services. Pages only; the import itself is
directory_import.importer, in one transaction (a refusal or a bad file writes nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.datastructures import UploadFile

from api.deps import DbSession, Scope
from api.errors import NotFound
from api.forms import FormFailure, form_data, form_errors, form_status, render
from api.schema_types import Id
from directory_import.importer import DEFAULT_SOURCE, ImportRejected, import_directory
from directory_import.sources import read_bytes
from domain.errors import ValidationFailed
from domain.taxonomy import SERVICES, is_code
from models import audit
from models.hsds import HsdsTermMapping

router = APIRouter(tags=["administration"])

PAGE = "hsds/admin.html"


def _page(request: Request, db, context: dict | None = None, status: int = 200):
    terms = db.scalars(select(HsdsTermMapping).order_by(HsdsTermMapping.service != "", HsdsTermMapping.taxonomy,
                                                        HsdsTermMapping.code)).all()
    return render(request, PAGE, {"terms": terms, "services": SERVICES, "default_source": DEFAULT_SOURCE,
                                  **(context or {})}, status)


@router.get("/admin/hsds", include_in_schema=False)
async def hsds_page(request: Request, scope: Scope, db: DbSession):
    return _page(request, db)


@router.post("/admin/hsds/import", include_in_schema=False)
async def import_page(request: Request, scope: Scope, db: DbSession):
    form = await request.form()
    upload = form.get("file")
    source = " ".join(str(form.get("source") or "").split())[:100] or DEFAULT_SOURCE
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed("Choose the HSDS file to import (.json, or a .zip of the CSV package).",
                                   field="file")
        services = read_bytes(upload.filename, await upload.read())
        report = import_directory(db, services, source=source, by=request.state.actor.user.id,
                                  require_region=scope.require_region)
        db.commit()
    except ImportRejected as rejected:
        db.rollback()
        return _page(request, db, {"errors": {"file": rejected.reason}, "problems": rejected.problems,
                                   "values": {"source": source}}, 422)
    except FormFailure as err:
        db.rollback()
        return _page(request, db, {"errors": form_errors(err), "values": {"source": source}}, form_status(err))
    return _page(request, db, {"report": report, "values": {"source": source}})


@router.post("/admin/hsds/terms/{mapping_id}", include_in_schema=False)
async def map_term_page(request: Request, mapping_id: Id, scope: Scope, db: DbSession):
    row = db.get(HsdsTermMapping, mapping_id)
    if row is None:
        raise NotFound("That taxonomy term")
    service = str((await form_data(request)).get("service", "")).strip()
    if service and not is_code(SERVICES, service):
        return _page(request, db, {"errors": {"_form": f"'{service}' is not one of CONNECT's services."}}, 422)
    if service != row.service:
        row.service, row.updated_by_id = service, request.state.actor.user.id
        audit.record(db, action="hsds.term_mapped", entity_type="hsds_term_mapping", entity_id=row.id,
                     user_id=request.state.actor.user.id, taxonomy=row.taxonomy, code=row.code, service=service)
        db.commit()
    return RedirectResponse("/admin/hsds?done=mapped", status_code=303)
