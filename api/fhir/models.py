"""The FHIR model library CONNECT speaks through, in one place.

CONNECT's FHIR API is FHIR R4 (4.0.1), the version of the Gravity SDOH Clinical Care IG and of
US Core 7. Its resources are built and parsed by `fhir.resources` (pydantic models of every FHIR
resource). No maintained release of that library ships R4 itself: its 7.x and 8.x releases default
to R5 and carry R4B (4.3.0) as a sub-package, 6.x defaults to R4B, and R4 (4.0.1) was last shipped
by 5.1 (2020, before its pydantic rewrite). R4B is R4 with changes confined to resources CONNECT
does not use (medication definition, evidence, subscription topics and status, citation,
nutrition product...); every resource CONNECT reads or writes (Patient, Organization,
HealthcareService, Location, ServiceRequest, Task, Consent, Procedure, Observation, Bundle,
OperationOutcome, CapabilityStatement, Subscription, Parameters) has the same elements and
cardinalities in both. So the R4B models validate CONNECT's R4 JSON, and ``R4_ONLY_TYPES`` refuses
the resource types R4B added, which R4 does not have. docs/fhir.md says the same.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

FHIR_VERSION = "4.0.1"
JSON_TYPE = "application/fhir+json"

R4B_ADDITIONS = frozenset({
    "SubscriptionStatus", "SubscriptionTopic", "AdministrableProductDefinition", "ClinicalUseDefinition",
    "Citation", "EvidenceReport", "Ingredient", "ManufacturedItemDefinition", "MedicinalProductDefinition",
    "NutritionProduct", "PackagedProductDefinition", "RegulatedAuthorization",
})
"""Resource types of R4B that R4 does not have: never emitted, refused when posted."""


class NotR4(ValueError):
    """A resource the R4 models refuse; ``issues`` says where and why, one line each."""

    def __init__(self, issues: list[str]):
        super().__init__("; ".join(issues))
        self.issues = issues


def parse(data: Any, expected: str | None = None) -> FHIRAbstractModel:
    """``data`` (a JSON object) as a validated R4 resource, of type ``expected`` if given."""
    if not isinstance(data, dict):
        raise NotR4(["The body is not a JSON object (a FHIR resource)."])
    kind = data.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise NotR4(["resourceType is missing."])
    if expected is not None and kind != expected:
        raise NotR4([f"resourceType is {kind}; this endpoint takes {expected}."])
    if kind in R4B_ADDITIONS:
        raise NotR4([f"{kind} is not a FHIR R4 resource."])
    try:
        model = get_fhir_model_class(kind)
    except ValueError:
        raise NotR4([f"{kind} is not a FHIR resource type."]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise NotR4([_issue(e) for e in exc.errors()]) from None


def _issue(error: dict) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__") or "(resource)"
    return f"{where}: {error.get('msg', 'invalid')}"


def build(kind: str, data: dict) -> FHIRAbstractModel:
    """A resource CONNECT emits, built through the library so it is validated like one received."""
    return parse({"resourceType": kind, **data}, kind)


def to_json(resource: FHIRAbstractModel) -> dict:
    """The resource as FHIR JSON (no empty elements)."""
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)
