"""A Task update (`PUT /fhir/Task/<id>`) from a program's own system, turned into the referral
step it stands for, and taken by the same `ReferralSteps` as the pages and the JSON API: the same
authorisation, validators and workflow updates, so no rule is skipped.

| the Task as PUT                                              | the referral step            |
|--------------------------------------------------------------|------------------------------|
| status `accepted` + the assigned-provider extension          | assign (reassign if assigned) |
| status `rejected` + statusReason.text                        | decline with that reason     |
| status `cancelled` by the referring program + statusReason   | withdraw                     |
| businessStatus a Referral Status (its Task.status must agree) | update the Referral Status   |
| status `in-progress` / `completed` without businessStatus     | Enrolled in Services / Closed - Successful completion |

What identifies the referral (focus, for, owner, requester, intent, code) cannot change: a PUT
that changes it is refused, as is one that asks for a status the IG's table does not reach.
"""

from __future__ import annotations

from fhir_core.fhirabstractmodel import FHIRAbstractModel

from api.errors import ApiError, Conflict
from api.fhir import mapping
from api.fhir.models import NotR4, parse
from api.referrals.actions import ReferralSteps
from domain.errors import ValidationFailed
from domain.referral_status import ReferralState, ServiceStatus
from models.referrals.tables import Referral

_DEFAULT_STATUS = {"in-progress": ServiceStatus.ENROLLED_IN_SERVICES,
                   "completed": ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION}
_FIXED = ("focus", "for_fhir", "owner", "requester")


def parse_task(body: object, resource_id: str) -> FHIRAbstractModel:
    try:
        task = parse(body, "Task")
    except NotR4 as exc:
        raise ApiError(400, "The Task is not valid FHIR R4: " + str(exc), code="invalid_resource") from None
    if task.id != resource_id:
        raise ApiError(400, f"The Task's id ({task.id}) must be the id in the URL ({resource_id}).",
                       code="id_mismatch", field="id")
    return task


def _reference(value) -> str | None:
    return value.reference if value is not None else None


def _check_fixed(task: FHIRAbstractModel, current: FHIRAbstractModel) -> None:
    for name in _FIXED:
        if _reference(getattr(task, name)) != _reference(getattr(current, name)):
            label = "for" if name == "for_fhir" else name
            raise Conflict(f"Task.{label} names the referral's parties and cannot change "
                           f"(it is {_reference(getattr(current, name))}).", code="task_fixed_element", field=label)
    if task.intent != "order" or (task.code and task.code.coding and task.code.coding[0].code != "fulfill"):
        raise Conflict("A referral's Task is an order to fulfil its ServiceRequest (intent order, code fulfill).",
                       code="task_fixed_element")


def _assigned_provider(task: FHIRAbstractModel, systems: mapping.Systems) -> int:
    url = systems.assigned_provider
    found = [e for e in task.extension or [] if e.url == url]
    reference = _reference(found[0].valueReference) if found else None
    if not reference or not reference.startswith("Practitioner/") or not reference.split("/", 1)[1].isdigit():
        raise ValidationFailed(f"To accept a referral, name the provider it is assigned to: the extension {url} "
                               "with valueReference Practitioner/<CONNECT user id>.", field="extension",
                               code="provider_missing")
    return int(reference.split("/", 1)[1])


def _reason(task: FHIRAbstractModel, what: str) -> str:
    text = (task.statusReason.text or "").strip() if task.statusReason else ""
    if not text:
        raise ValidationFailed(f"A {what} Task needs its reason in statusReason.text.", field="statusReason",
                               code="reason_missing")
    return text


def _service_status(task: FHIRAbstractModel, systems: mapping.Systems) -> ServiceStatus | None:
    coding = [c for c in (task.businessStatus.coding or []) if c.system == systems.referral_status] \
        if task.businessStatus else []
    if not coding:
        return _DEFAULT_STATUS.get(task.status)
    by_code = {row.code: key for key, row in mapping.TASK_STATES.items() if isinstance(key, ServiceStatus)}
    status = by_code.get(coding[0].code)
    if status is None:
        raise ValidationFailed(f"businessStatus {coding[0].code!r} is not a Referral Status of "
                               f"{systems.referral_status}.", field="businessStatus", code="unknown_status")
    if mapping.TASK_STATES[status].status != task.status:
        raise ValidationFailed(f"{status.value} shows as Task.status {mapping.TASK_STATES[status].status}, "
                               f"not {task.status}.", field="status", code="status_mismatch")
    return status


async def apply_task(steps: ReferralSteps, referral: Referral, task: FHIRAbstractModel,
                     systems: mapping.Systems) -> Referral:
    """Takes the step the PUT Task stands for; a Task that asks for what it already shows changes
    nothing (a retried PUT)."""
    current = mapping.task(referral, systems)
    _check_fixed(task, current)
    state = mapping.task_state(referral)
    same_business = (task.businessStatus is None or not task.businessStatus.coding
                     or task.businessStatus.coding[0].code == state.code)
    status = task.status
    if status == "accepted":
        provider = _assigned_provider(task, systems)
        if ReferralState(referral.state) is ReferralState.ASSIGNED:
            if provider == referral.assigned_provider_id:
                return referral
            return await steps.assign(referral, provider, reassign=True)
        return await steps.assign(referral, provider)
    if status == state.status and same_business:
        return referral
    if status == "rejected":
        return await steps.decline(referral, _reason(task, "rejected"))
    if status == "cancelled" and ReferralState(referral.state) in (ReferralState.PENDING, ReferralState.SENT):
        return await steps.withdraw(referral, _reason(task, "cancelled"))
    service_status = _service_status(task, systems)
    if service_status is None:
        raise ValidationFailed(f"Task.status {status} needs a businessStatus from {systems.referral_status} "
                               "(the Referral Status it stands for).", field="businessStatus",
                               code="status_missing")
    comment = (task.statusReason.text or "") if task.statusReason else ""
    return await steps.update_status(referral, service_status, comment.strip())
