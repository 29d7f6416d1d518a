"""GET /api/v1/vocabularies: every code a request may carry (services, insurance types, counties,
information types, the client profile's choices) with its label, so an integrator reads them
instead of guessing. The codes are the ones the rules and the schema's enums check against."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentActor
from domain.client_profile import PHONE_LABELS
from domain.montana import county_info, county_names, region_name
from domain.roi import InformationType, RoiState, SignatureMethod
from domain.taxonomy import GENDER_IDENTITIES, INSURANCE_TYPES, MILITARY_SERVICE, RACES, SERVICES, Vocabulary

router = APIRouter(prefix="/api/v1", tags=["vocabularies"])


class Entry(BaseModel):
    code: str
    label: str


class InformationTypeEntry(Entry):
    sensitive: bool


class CountyEntry(BaseModel):
    name: str
    region: int
    region_name: str


class Vocabularies(BaseModel):
    services: list[Entry]
    insurance_types: list[Entry]
    counties: list[CountyEntry]
    information_types: list[InformationTypeEntry]
    signature_methods: list[Entry]
    roi_states: list[Entry]
    gender_identities: list[Entry]
    races: list[Entry]
    military_service: list[Entry]
    phone_labels: list[Entry]


def _entries(vocab: Vocabulary) -> list[Entry]:
    return [Entry(code=code, label=label) for code, label in vocab]


@router.get("/vocabularies", summary="Every code the API accepts, with its label")
async def vocabularies(actor: CurrentActor) -> Vocabularies:
    counties = [county_info(name) for name in county_names()]
    return Vocabularies(
        services=_entries(SERVICES), insurance_types=_entries(INSURANCE_TYPES),
        counties=[CountyEntry(name=c.name, region=c.region, region_name=region_name(c.region)) for c in counties],
        information_types=[InformationTypeEntry(code=t.value, label=t.label, sensitive=t.sensitive)
                           for t in InformationType],
        signature_methods=[Entry(code=m.value, label=m.label) for m in SignatureMethod],
        roi_states=[Entry(code=s.value, label=s.label) for s in RoiState],
        gender_identities=_entries(GENDER_IDENTITIES), races=_entries(RACES),
        military_service=_entries(MILITARY_SERVICE), phone_labels=_entries(PHONE_LABELS),
    )
