"""HSDS 3.0's tabular form (a CSV package: services.csv, organizations.csv, locations.csv, ...)
read into fully nested services, and written from them.

Each table's columns are its object's one-to-one properties; children point to their parent by id
(phones.service_id, service_at_location.service_id/location_id, addresses.location_id,
attributes.link_id with a taxonomy_term_id). Values are text in CSV: numbers and booleans are
turned back into JSON types by the object's schema, so the nested result validates like JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from functools import cache
from pathlib import Path

from directory_import.hsds_schema import SCHEMA_DIR

# file name -> HSDS object kind, in the spec's package.
TABLES = {
    "services.csv": "service", "organizations.csv": "organization", "locations.csv": "location",
    "addresses.csv": "address", "phones.csv": "phone", "service_at_location.csv": "service_at_location",
    "service_areas.csv": "service_area", "attributes.csv": "attribute",
    "taxonomy_terms.csv": "taxonomy_term", "taxonomies.csv": "taxonomy",
}

# CONNECT's own columns beside the spec's (docs/hsds.md); a reader keeps any extra column as text.
EXTENSIONS = {"services.csv": ["connect_capacity"]}


@cache
def _scalars(kind: str) -> dict[str, str]:
    """The one-to-one properties of ``kind`` and their JSON types (the table's columns)."""
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    return {name: spec["type"] for name, spec in schema["properties"].items()
            if spec.get("type") not in (None, "array", "object")}


def _typed(kind: str, row: dict[str, str]) -> dict:
    types = _scalars(kind)
    out: dict = {}
    for name, text in row.items():
        if name is None or text is None or text == "":
            continue
        typ = types.get(name, "string")
        try:
            if typ in ("number", "integer"):
                number = float(text)
                out[name] = int(number) if number.is_integer() else number
            elif typ == "boolean":
                out[name] = {"true": True, "false": False}.get(text.lower(), text)
            else:
                out[name] = text
        except ValueError:
            out[name] = text  # the schema check then names it
    return out


def read_tables(files: dict[str, str]) -> list[dict]:
    """Fully nested services from the package's CSV texts (by file name)."""
    if "services.csv" not in files:
        raise KeyError("services.csv")
    rows = {name: [_typed(kind, r) for r in csv.DictReader(io.StringIO(files.get(name, "")))]
            for name, kind in TABLES.items()}
    by_id = {name: {r["id"]: r for r in rows[name] if "id" in r} for name in TABLES}
    taxonomies = by_id["taxonomies.csv"]
    addresses = _group(rows["addresses.csv"], "location_id")
    for location in by_id["locations.csv"].values():
        location["addresses"] = addresses.get(location["id"], [])
    phones = _group(rows["phones.csv"], "service_id")
    areas = _group(rows["service_areas.csv"], "service_id")
    at = _group(rows["service_at_location.csv"], "service_id")
    attributes = _group(rows["attributes.csv"], "link_id")
    for term in by_id["taxonomy_terms.csv"].values():
        if "taxonomy" not in term and term.get("taxonomy_id") in taxonomies:
            term["taxonomy"] = taxonomies[term["taxonomy_id"]]["name"]
    services = []
    for service in rows["services.csv"]:
        sid = service.get("id", "")
        org = by_id["organizations.csv"].get(service.get("organization_id", ""))
        if org is not None:
            service["organization"] = org
        service["phones"] = phones.get(sid, [])
        service["service_areas"] = areas.get(sid, [])
        service["service_at_locations"] = [
            sal | ({"location": by_id["locations.csv"][sal["location_id"]]}
                   if sal.get("location_id") in by_id["locations.csv"] else {})
            for sal in at.get(sid, [])]
        service["attributes"] = [
            a | ({"taxonomy_term": by_id["taxonomy_terms.csv"][a["taxonomy_term_id"]]}
                 if a.get("taxonomy_term_id") in by_id["taxonomy_terms.csv"] else {})
            for a in attributes.get(sid, []) if a.get("link_entity", "service") == "service"]
        services.append(service)
    return services


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row.get(key):
            found[row[key]].append(row)
    return found


def write_tables(services: list[dict]) -> dict[str, str]:
    """The CSV package of fully nested services (each child row written once)."""
    tables: dict[str, dict[str, dict]] = {name: {} for name in TABLES}

    def put(name: str, obj: dict | None) -> None:
        if obj and obj.get("id"):
            tables[name].setdefault(obj["id"], obj)

    for service in services:
        sid = service.get("id")
        put("services.csv", service)
        put("organizations.csv", service.get("organization"))
        # In the nested form a child's link to its parent is where it sits; in a table it is a column.
        for phone in service.get("phones", []):
            put("phones.csv", {"service_id": sid, **phone})
        for area in service.get("service_areas", []):
            put("service_areas.csv", {"service_id": sid, **area})
        for sal in service.get("service_at_locations", []):
            location = sal.get("location")
            put("service_at_location.csv", {"service_id": sid, "location_id": (location or {}).get("id"), **sal})
            put("locations.csv", location)
            for address in (location or {}).get("addresses", []):
                put("addresses.csv", {"location_id": location["id"], **address})
        for attribute in service.get("attributes", []):
            put("attributes.csv", {"link_id": sid, "link_entity": "service", **attribute})
            term = attribute.get("taxonomy_term")
            put("taxonomy_terms.csv", term)
            put("taxonomies.csv", (term or {}).get("taxonomy_detail"))
    out = {}
    for name, kind in TABLES.items():
        columns = list(_scalars(kind)) + EXTENSIONS.get(name, [])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for obj in tables[name].values():
            writer.writerow({c: _text(obj.get(c)) for c in columns})
        out[name] = buffer.getvalue()
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_package(services: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in write_tables(services).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps({
        "name": "connect-directory", "profile": "tabular-data-package",
        "resources": [{"name": kind, "path": name, "profile": "tabular-data-resource"}
                      for name, kind in TABLES.items()],
    }, indent=1), encoding="utf-8")
