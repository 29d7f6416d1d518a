"""ROI pages: "Start new ROI(s)" (choose programs), the ROI page (Complete ROI, Signature,
Available Actions) and the client's list of ROIs. Each form posts, the action runs through
api/releases/actions.py, and a refusal re-renders the page with the reason and the field marked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from api.releases import actions as act
from api.deps import Actor, DbSession, MouActor, Now, SettingsDep
from api.errors import ApiError
from api.forms import PostedForm, posted_form, render
from api.schema_types import Id
from api.updates import key_to_keep
from domain.errors import DomainError
from domain.montana import county_names, local_date
from domain.phones import format_phone, mask_phone
from domain.roi import (
    AuthorizerKind,
    InformationType,
    RoiState,
    SignatureMethod,
    part2_programs_exposed,
    signature_methods_for,
)
from domain.taxonomy import INSURANCE_TYPES, SERVICES
from models.clients.records import kept_client
from models.clients.access import can_see_client
from models.clients.contact import CONTACT_FIELDS, ContactChanges, client_mobile, textable_phones
from models.clients.tables import Client
from models.agencies.directory import DirectoryFilters, directory_programs_by_id, search_directory
from models.releases.queries import (
    client_rois,
    current_sms_code,
    live_attachment,
    pending_referrals_under,
    roi_programs,
    roi_text_for,
)
from models.releases.tables import ReleaseOfInformation

router = APIRouter(include_in_schema=False)

DONE = {
    "created": "The ROI was started. Complete it, then have the authorised person sign.",
    "completed": "Saved. Review the text with the client, then choose how they sign.",
    "signed": "Signed. Referrals can now be sent to the programs on this ROI.",
    "texted": "The consent request was texted to the client.",
    "texted_new_phone": ("The consent request was texted to the client. The number you typed was new, so it "
                         "was added to the client's profile as their mobile phone."),
    "resent": "A new security code was texted; the previous one no longer works.",
    "pending": "Signature marked as pending upload. Upload the signed ROI as a PDF.",
    "replaced": "The attachment was replaced.",
    "deleted": "The attachment was deleted. The ROI waits for a new upload.",
    "revoked": "The ROI was revoked. The programs on it were notified.",
    "abandoned": "The ROI was abandoned.",
}


def client_label(client: Client) -> str:
    """The client's name, with the year of birth only (what confirms identity to any program)."""
    return f"{client.full_name} (born {client.dob.year})"


def _error_of(err: Exception) -> tuple[str, str | None, int]:
    if isinstance(err, ApiError):
        return err.reason, err.extra.get("field"), err.status
    from api.errors import status_of

    assert isinstance(err, DomainError)
    return err.reason, getattr(err, "field", None), status_of(err)


# --- Start new ROI(s) --------------------------------------------------------------------------


def _ids(values: list[str]) -> list[int]:
    return sorted({int(v) for v in values if v.isdigit()})


def _choose_context(db: Session, actor: Actor, client: Client, moment: datetime, params, error: str = "") -> dict:
    today = local_date(moment)
    filters = DirectoryFilters(
        counties=tuple(params.getlist("county")), services=tuple(params.getlist("service")),
        insurance=tuple(params.getlist("insurance")), agency=str(params.get("agency") or ""),
    )
    page = int(params.get("page")) if str(params.get("page") or "").isdigit() else 1
    selected_map = directory_programs_by_id(db, set(_ids(params.getlist("program_id"))) - {actor.program_id}, today)
    selected = sorted(selected_map.values(), key=lambda p: p.display_name)
    exposed = part2_programs_exposed(actor.program_id, {actor.program_id: actor.program.is_part2,
                                                        **{p.id: p.is_part2 for p in selected}})
    return {
        "client": client, "client_label": client_label(client),
        "sending": actor.program, "error": error,
        "filters": [
            ("county", "Choose Counties", [(c, c) for c in county_names()], filters.counties),
            ("service", "Choose Services", SERVICES, filters.services),
            ("insurance", "Choose Insurance Types", INSURANCE_TYPES, filters.insurance),
        ],
        "agency": filters.agency,
        "results": search_directory(db, filters, today, page=page, exclude_ids=[actor.program_id]),
        "selected": selected, "selected_ids": set(selected_map),
        "part2_exposed": [selected_map[i].display_name for i in exposed],
        "one_per_program": bool(params.get("one_per_program")),
        "service_labels": dict(SERVICES),
    }


@router.get("/clients/{client_id}/roi/new")
async def choose_programs(client_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    client = kept_client(db, client_id)
    return render(request, "releases/new.html", _choose_context(db, actor, client, moment, request.query_params))


@router.post("/clients/{client_id}/roi")
async def start_rois(client_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    client = kept_client(db, client_id)
    form = await posted_form(request)
    if form.text("action") != "next":  # Enter in a filter, or no JavaScript: search again
        return render(request, "releases/new.html", _choose_context(db, actor, client, moment, form))
    try:
        rows = await act.start_rois(request, db, actor, client, _ids(form.texts("program_id")),
                                    form.ticked("one_per_program"), moment)
    except (DomainError, ApiError) as err:
        db.rollback()
        reason, _field, status = _error_of(err)
        return render(request, "releases/new.html", {**_choose_context(db, actor, client, moment, form, reason),
                                                "kept_key": key_to_keep(form, status)}, status)
    siblings = ",".join(str(r.id) for r in rows[1:])
    suffix = f"&batch={siblings}" if siblings else ""
    return RedirectResponse(f"/roi/{rows[0].id}?done=created{suffix}", status_code=303)


@router.get("/clients/{client_id}/roi")
async def client_roi_list(client_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    client = kept_client(db, client_id)
    rows = [{"roi": roi, "programs": [p.display_name for p in roi_programs(db, roi)]}
            for roi in client_rois(db, client_id, actor.program_id, local_date(moment))]
    return render(request, "releases/client_rois.html",
                  {"client": client, "client_label": client_label(client), "rows": rows})


# --- the ROI page ------------------------------------------------------------------------------


def _complete_form_values(roi: ReleaseOfInformation, client: Client, sees: bool, form: PostedForm | None) -> dict:
    if form is not None:
        return {
            "information_types": form.texts("information_types"),
            "sensitive_consent": form.texts("sensitive_consent"),
            "purpose": form.text("purpose"), "authorizer_kind": form.text("authorizer_kind") or "self",
            "authorizer_name": form.text("authorizer_name"),
            "authorizer_relationship": form.text("authorizer_relationship"),
            **{k: form.get(k) for k in CONTACT_FIELDS},
        }
    mobile = client_mobile(client) if sees else None
    consented = [t for t in roi.information_types if InformationType(t).sensitive]
    return {
        "information_types": roi.information_types, "sensitive_consent": consented, "purpose": roi.purpose,
        "authorizer_kind": roi.authorizer_kind or "self",
        "authorizer_name": roi.authorizer_name if roi.authorizer_kind != "self" else "",
        "authorizer_relationship": roi.authorizer_relationship,
        "mobile_phone": format_phone(mobile.e164) if mobile else "",
        **({"email": client.email, "address": client.address, "city": client.city, "county": client.county,
            "zip": client.zip} if sees else {}),
    }


def _page_context(request: Request, db: Session, actor: Actor, roi: ReleaseOfInformation, moment: datetime, *,
                  error: str = "", error_field: str | None = None, form: PostedForm | None = None) -> dict:
    today = local_date(moment)
    client = db.get(Client, roi.client_id)
    manage = actor.program_id == roi.sending_program_id
    sees = can_see_client(db, actor.program_id, client.id, today)
    programs = roi_programs(db, roi)
    exposed = part2_programs_exposed(roi.sending_program_id, {p.id: p.is_part2 for p in programs})
    mobile = client_mobile(client) if sees else None
    kind = AuthorizerKind(roi.authorizer_kind or "self")
    batch = _ids(str(request.query_params.get("batch") or "").split(","))
    siblings = [r for r in (db.get(ReleaseOfInformation, i) for i in batch)
                if r is not None and r.sending_program_id == actor.program_id and r.client_id == roi.client_id]
    sms_phone = roi.signature_phone if roi.signature_method == SignatureMethod.SMS.value else ""
    return {
        "roi": roi, "roi_text": roi_text_for(db, roi, actor.program_id, today), "client": client, "client_label": client_label(client),
        "manage": manage, "sees_client": sees, "programs": programs,
        "signature_methods": [m.value for m in signature_methods_for(sees)],
        "part2_exposed": [p.display_name for p in programs if p.id in exposed],
        "state_label": RoiState(roi.state).label + (
            f": {SignatureMethod(roi.signature_method).label}"
            if roi.state == RoiState.AWAITING_SIGNATURE.value and roi.signature_method else ""),
        "method_label": SignatureMethod(roi.signature_method).label if roi.signature_method else "",
        "completed": bool(roi.text_sha256),
        "form": _complete_form_values(roi, client, sees, form),
        "information_types": list(InformationType), "authorizer_kinds": list(AuthorizerKind),
        "counties": county_names(),
        "authorizer_label": roi.authorizer_name if kind is AuthorizerKind.SELF
        else f"{roi.authorizer_name} ({kind.label.lower()}, {roi.authorizer_relationship})",
        "sms_code": current_sms_code(db, roi.id) if roi.signature_method == SignatureMethod.SMS.value else None,
        "sms_phone_label": (format_phone(sms_phone) if sees else "the client's phone") if sms_phone else "the client",
        "sms_phone_value": format_phone(mobile.e164) if mobile else "", "has_mobile": client_mobile(client) is not None,
        "phones_on_file": [{"id": p.id, "text": f"{mask_phone(p.e164)} ({p.label})"} for p in textable_phones(client)],
        "sending_region": next((p.region for p in programs if p.id == roi.sending_program_id), ""),
        "attachment": live_attachment(roi),
        "pending_referrals": len(pending_referrals_under(db, roi.id)),
        "siblings": [{"id": r.id, "state_label": RoiState(r.state).label} for r in siblings],
        "error": error, "error_field": error_field,
        "done": DONE.get(str(request.query_params.get("done") or ""), ""),
    }


@router.get("/roi/{roi_id}")
async def roi_page(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment)
    context = _page_context(request, db, actor, roi, moment)
    if context["sees_client"] or roi.rendered_text:
        act.audit_client_view(db, actor, roi, f"roi:{roi.id}")
    return render(request, "releases/page.html", context)


@router.get("/roi/{roi_id}/sms/status")
async def sms_progress(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    """The text-message signature's progress, polled by the ROI page until the client replies YES.
    Once the ROI is no longer waiting for a text-message signature the whole page reloads."""
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    waiting = (roi.state == RoiState.AWAITING_SIGNATURE.value
               and roi.signature_method == SignatureMethod.SMS.value)
    response = render(request, "releases/_sms_progress.html", {
        "roi": roi, "sms_code": current_sms_code(db, roi.id) if waiting else None, "error_field": None})
    if not waiting:
        response.headers["HX-Refresh"] = "true"
    return response


async def _act(request: Request, db: Session, actor: Actor, roi_id: int, moment: datetime, done: str,
               action: Callable[[ReleaseOfInformation, PostedForm], Awaitable[object]], anchor: str = ""):
    """Runs one ROI form's action; a refusal re-renders the ROI page with the reason. The action may
    return the name of its outcome (a key of DONE) to say more than ``done``."""
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    form = await posted_form(request)
    try:
        outcome = await action(roi, form)
    except (DomainError, ApiError) as err:
        db.rollback()
        reason, field, status = _error_of(err)
        db.refresh(roi)
        context = _page_context(request, db, actor, roi, moment, error=reason, error_field=field,
                                form=form if done == "completed" else None)
        return render(request, "releases/page.html", {**context, "kept_key": key_to_keep(form, status)}, status)
    # An action may name a more precise outcome than the form's (a number added while texting).
    done = outcome if isinstance(outcome, str) else done
    return RedirectResponse(f"/roi/{roi_id}?done={done}{anchor}", status_code=303)


def _contact_changes(form: PostedForm) -> ContactChanges | None:
    present = {k: form.text(k) for k in CONTACT_FIELDS if k in form}
    if "mobile_phone" in present and not present["mobile_phone"].strip():
        del present["mobile_phone"]
    return ContactChanges(**present) if present else None


@router.post("/roi/{roi_id}/complete")
async def complete(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        data = act.CompleteInput(form.texts("information_types"), form.texts("sensitive_consent"),
                                 form.text("purpose"), form.text("authorizer_kind"),
                                 form.text("authorizer_name"), form.text("authorizer_relationship"))
        await act.complete_roi(request, db, actor, roi, data, _contact_changes(form), moment)

    return await _act(request, db, actor, roi_id, moment, "completed", run, "#signature")


@router.post("/roi/{roi_id}/esign")
async def esign(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        await act.sign_esign(request, db, actor, roi, form.text("typed_name"), form.text("confirmed") == "yes",
                            moment)

    return await _act(request, db, actor, roi_id, moment, "signed", run)


@router.post("/roi/{roi_id}/sms")
async def sms(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        started = await act.start_sms(request, db, actor, roi, form.text("phone"), moment,
                                      next(iter(_ids([form.text("phone_id")])), None))
        return "texted_new_phone" if started.phone_added else "texted"

    return await _act(request, db, actor, roi_id, moment, "texted", run, "#signature")


@router.post("/roi/{roi_id}/sms/code")
async def sms_code(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        await act.enter_code(request, actor, roi, form.text("code"))

    return await _act(request, db, actor, roi_id, moment, "signed", run)


@router.post("/roi/{roi_id}/sms/resend")
async def sms_resend(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        await act.resend_code(request, actor, roi)

    return await _act(request, db, actor, roi_id, moment, "resent", run, "#signature")


@router.post("/roi/{roi_id}/upload-pending")
async def upload_pending(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        await act.mark_upload_pending(request, actor, roi)

    return await _act(request, db, actor, roi_id, moment, "pending", run, "#signature")


@router.post("/roi/{roi_id}/attachments")
async def upload(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    done = "replaced" if roi.state == RoiState.SIGNED.value else "signed"

    async def run(roi, form):
        file = form.get("file")
        await act.attach_upload(request, db, actor, roi, file if hasattr(file, "read") and file.filename else None)

    return await _act(request, db, actor, roi_id, moment, done, run)


@router.get("/roi/{roi_id}/attachments/{attachment_id}")
async def view_attachment(roi_id: Id, attachment_id: Id, actor: MouActor, db: DbSession, moment: Now,
                          settings: SettingsDep):
    roi = act.roi_for(db, roi_id, actor, moment)
    return act.attachment_download(settings, db, actor, roi, attachment_id)


@router.post("/roi/{roi_id}/attachments/{attachment_id}/delete")
async def delete_attachment(roi_id: Id, attachment_id: Id, request: Request, actor: MouActor, db: DbSession,
                            moment: Now):
    async def run(roi, form):
        await act.delete_attachment(request, db, actor, roi, attachment_id)

    return await _act(request, db, actor, roi_id, moment, "deleted", run, "#signature")


@router.post("/roi/{roi_id}/revoke")
async def revoke(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        await act.revoke(request, actor, roi, form.text("reason"))

    return await _act(request, db, actor, roi_id, moment, "revoked", run)


@router.post("/roi/{roi_id}/abandon")
async def abandon(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now):
    async def run(roi, form):
        await act.abandon(request, actor, roi)

    return await _act(request, db, actor, roi_id, moment, "abandoned", run)
