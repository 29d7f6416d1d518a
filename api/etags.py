"""Optimistic concurrency for edits of plain records (a client's profile, a program): a read
answers an `ETag`, and a write that sends `If-Match` with a tag that is no longer current is
refused with 412, so one person's edit never silently overwrites another's. A write without
`If-Match` goes ahead (last write wins), as before.

A tag is a hash of the record's JSON answer, so any change to what a reader sees changes it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import Header, Response
from fastapi.encoders import jsonable_encoder

from api.errors import ApiError

IfMatch = Annotated[str | None, Header(
    alias="If-Match", max_length=1000,
    description="The `ETag` of the record as you read it: if it changed since, the write is refused "
                "(412) and nothing is saved. Without it the write replaces whatever is there.")]

ETAG_HEADER = {"ETag": {"description": "The record's version: send it back as `If-Match` with a change.",
                        "schema": {"type": "string"}}}
READ = {200: {"headers": ETAG_HEADER}}
WRITE = {200: {"headers": ETAG_HEADER},
         412: {"description": "The record was changed since you read it (`If-Match` is not its `ETag`)."}}


def etag_of(representation: dict) -> str:
    canonical = json.dumps(jsonable_encoder(representation), sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def matches(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: `*`, or one of a comma-separated list of tags (compared strongly)."""
    tags = [t.strip() for t in if_match.split(",")]
    return "*" in tags or current in tags


def check_if_match(if_match: str | None, representation: dict) -> None:
    """Refuses (412) a write whose If-Match is not the record's current tag."""
    if if_match is not None and not matches(if_match, etag_of(representation)):
        raise ApiError(412, "This record was changed by someone else since you read it, so your change "
                            "was not saved. Read it again, then make your change.",
                       code="precondition_failed", field="If-Match")


def tagged(response: Response, representation: dict) -> dict:
    """Sets the answer's ETag to the representation's and returns it."""
    response.headers["ETag"] = etag_of(representation)
    return representation
