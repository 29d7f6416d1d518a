"""HSDS 3.0's JSON schemas, resolved locally: `errors_in(kind, obj)` lists what makes ``obj`` not
a valid HSDS ``kind`` ("service", "organization", "service_at_location", ...).

The schema files sit beside this module (see hsds_schemas/README.md). Each is registered under
the 3.0 release's address, so their relative ``$ref``s ("phone.json") resolve in the registry and
nothing is fetched. Two maintained validators read the same files: `jsonschema` (the reference
implementation, with a `referencing` Registry) checks what /hsds publishes in the tests;
`jsonschema_rs` checks imports, a hundred times faster (0.1 ms a service instead of 10: a
10,000-program file in one second), and a test holds the two to the same verdicts.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).parent / "hsds_schemas"
BASE_URI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
HSDS_VERSION = "3.0"


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((BASE_URI + path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def kinds() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SCHEMA_DIR.glob("*.json")))


@cache
def validator(kind: str) -> Draft202012Validator:
    """A validator of one HSDS object kind (formats such as uuid and email are checked too)."""
    if kind not in kinds():
        raise KeyError(f"HSDS 3.0 has no schema named {kind!r}")
    return Draft202012Validator({"$ref": BASE_URI + f"{kind}.json"}, registry=registry(),
                                format_checker=FormatChecker())


def errors_in(kind: str, obj: object) -> list[str]:
    """Each way ``obj`` breaks the HSDS ``kind`` schema, as "where: what" (empty when valid)."""
    found = sorted(validator(kind).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in found]


@cache
def _fast_registry() -> jsonschema_rs.Registry:
    # Kept for the life of the process, as the validators built on it are.
    resources = [(BASE_URI + p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(SCHEMA_DIR.glob("*.json"))]
    return jsonschema_rs.Registry(resources, draft=jsonschema_rs.Draft202012)


@cache
def _fast(kind: str) -> jsonschema_rs.Draft202012Validator:
    if kind not in kinds():
        raise KeyError(f"HSDS 3.0 has no schema named {kind!r}")
    return jsonschema_rs.Draft202012Validator({"$ref": BASE_URI + f"{kind}.json"}, registry=_fast_registry(),
                                              validate_formats=True)


def fast_errors_in(kind: str, obj: object) -> list[str]:
    """`errors_in` by the fast validator (the importer's), in the same "where: what" form."""
    validator = _fast(kind)
    if validator.is_valid(obj):
        return []
    found = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.instance_path])
    return [f"{'/'.join(str(p) for p in e.instance_path) or '(top)'}: {e.message}" for e in found]
