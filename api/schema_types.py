"""The bounded types every JSON body, path and query parameter is declared with, so a value the
server cannot hold is refused as a 422 naming the field before any handler, database or workflow
sees it, and the OpenAPI schema states each limit (`minimum`/`maximum`, `maxLength`, `maxItems`).

The numbers are the domain rules' own (``domain.referral_form.TEXT_MAX``, ``NAME_MAX``, ...): the
schema refuses early what the rule would refuse later, with the same limit.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import Query
from pydantic import Field

from domain.client_profile import ADDRESS_MAX, NAME_MAX, NOTE_MAX
from domain.referral_form import TEXT_MAX, VALUE_MAX
from domain.roi import PURPOSE_MAX_LENGTH
from domain.montana import county_names
from domain.roi import InformationType
from domain.taxonomy import INSURANCE_TYPES, SERVICES, codes
from models.paging import MAX_PER_PAGE

ID_MAX = 2**63 - 1
"""The largest id the databases store (a signed 64-bit integer): a larger one names no row."""

Id = Annotated[int, Field(ge=1, le=ID_MAX, description="A record's id (1 to 2^63-1).")]
IDS_MAX = 100
"""The most ids one request may name (the programs of an ROI)."""
Ids = Annotated[list[Id], Field(max_length=IDS_MAX)]

PageNumber = Annotated[int, Query(ge=1, le=10_000, description="The page to return, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description=f"Items per page (1 to {MAX_PER_PAGE}).")]
UpdatedSince = Annotated[datetime | None, Query(
    description="Only what was created or changed at or after this time (ISO 8601 with an offset; "
                "without one, UTC): poll with the time of your last poll.")]


def as_utc(moment: datetime | None) -> datetime | None:
    """An `UpdatedSince` time as given, or as UTC when it has no offset."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)

Code = Annotated[str, Field(max_length=100)]
"""A vocabulary code, a field key, a label choice."""
Name = Annotated[str, Field(max_length=NAME_MAX)]
ShortText = Annotated[str, Field(max_length=200)]
"""One line: a search term, a typed signature, an address line."""
Address = Annotated[str, Field(max_length=ADDRESS_MAX)]
Note = Annotated[str, Field(max_length=NOTE_MAX)]
Phone = Annotated[str, Field(max_length=40)]
Email = Annotated[str, Field(max_length=254)]
Purpose = Annotated[str, Field(max_length=PURPOSE_MAX_LENGTH)]
LongText = Annotated[str, Field(max_length=TEXT_MAX)]
"""A reason, a note, a progress entry, a comment: refused here when longer than the rules allow,
before it is encrypted and handed to Temporal (whose payloads must stay under 2 MB)."""
FieldValue = Annotated[str, Field(max_length=VALUE_MAX)]
FormValues = Annotated[dict[Code, FieldValue], Field(
    max_length=100, description="The receiving program's own fields, by key (see GET /api/v1/referrals/form); "
                                "a key the program does not define is refused.")]

# The vocabularies as types: the schema lists every code (GET /api/v1/vocabularies gives labels),
# and an unknown code is refused as a 422 naming the parameter instead of matching nothing.
ServiceCode = Literal[codes(SERVICES)]
InsuranceCode = Literal[codes(INSURANCE_TYPES)]
CountyName = Literal[county_names()]
InformationTypeCode = Literal[tuple(t.value for t in InformationType)]
