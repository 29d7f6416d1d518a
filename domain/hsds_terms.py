"""CONNECT's vocabularies as Open Referral HSDS taxonomies, with ids every CONNECT shares.

A taxonomy's and a term's id are UUID 5 of a fixed namespace, so the term "housing" has the same
id in every CONNECT's HSDS feed, and an importer recognises CONNECT's own terms by id. Objects
without an id of their own in CONNECT (a phone, a service area, an address) get UUID 5 of their
parent's id and their role, so they too keep their id from one export to the next.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.taxonomy import INSURANCE_TYPES, SERVICES, Vocabulary

NAMESPACE = uuid.UUID("6b0f3c1e-6a57-5d2e-9a4c-2f1d0c0e5b7a")


@dataclass(frozen=True)
class Taxonomy:
    key: str
    name: str
    description: str
    vocabulary: Vocabulary

    @property
    def id(self) -> str:
        return str(uuid.uuid5(NAMESPACE, f"taxonomy/{self.key}"))

    def term_id(self, code: str) -> str:
        return str(uuid.uuid5(NAMESPACE, f"term/{self.key}/{code}"))


SERVICE_TAXONOMY = Taxonomy("services", "CONNECT services",
                            "The kinds of service a CONNECT program offers.", SERVICES)
INSURANCE_TAXONOMY = Taxonomy("insurance", "CONNECT insurance types",
                              "The insurance a CONNECT program accepts (N/A: none needed).", INSURANCE_TYPES)
TAXONOMIES = (SERVICE_TAXONOMY, INSURANCE_TAXONOMY)


@dataclass(frozen=True)
class Term:
    taxonomy: Taxonomy
    code: str
    label: str

    @property
    def id(self) -> str:
        return self.taxonomy.term_id(self.code)


def all_terms() -> list[Term]:
    return [Term(t, code, label) for t in TAXONOMIES for code, label in t.vocabulary]


def term_by_id(term_id: str) -> Term | None:
    """CONNECT's own term of that id, or None."""
    return _TERMS_BY_ID.get(term_id)


def taxonomy_by_id(taxonomy_id: str) -> Taxonomy | None:
    return next((t for t in TAXONOMIES if t.id == taxonomy_id), None)


def child_id(parent_id: str, role: str) -> str:
    """The id of a part of ``parent_id`` (its phone, its area "county/Cascade", its address)."""
    return str(uuid.uuid5(uuid.UUID(parent_id), role))


_TERMS_BY_ID = {t.id: t for t in all_terms()}


# A county a program serves is an HSDS service area named "<County> County, MT", described as
# served in person or by telemedicine.
IN_PERSON = "In person"
TELEMEDICINE = "By telemedicine"
_TELE_WORDS = ("telemedicine", "telehealth", "virtual", "remote")


def county_area_name(county: str) -> str:
    return f"{county} County, MT"


def county_in_area_name(name: str) -> str:
    """The county part of a service area's name: "Cascade County, MT" -> "Cascade"."""
    text = " ".join((name or "").split())
    for suffix in (", Montana", ", MT", " MT"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text.removesuffix(" County").removesuffix(" county").strip()


def area_is_telemedicine(description: str) -> bool:
    return any(w in (description or "").lower() for w in _TELE_WORDS)
