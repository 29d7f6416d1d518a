"""One check for every /hsds answer: it validates against the HSDS 3.0 JSON schemas."""

from __future__ import annotations

import io
import zipfile

from directory_import.hsds_schema import errors_in, fast_errors_in

PAGE_FIELDS = {"total_items": int, "total_pages": int, "page_number": int, "size": int,
               "first_page": bool, "last_page": bool, "empty": bool}


def assert_valid(kind: str, obj: dict) -> None:
    """Valid for the reference validator, and for the importer's (stricter on formats such as
    email), so what CONNECT publishes, CONNECT can import."""
    problems = errors_in(kind, obj) + fast_errors_in(kind, obj)
    assert problems == [], (kind, problems, obj)


async def get_hsds(client, path: str, kind: str, *, page: bool = False) -> dict:
    """GET ``path``; 200, and the object (or each item of the Page) is a valid HSDS ``kind``."""
    r = await client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text)
    body = r.json()
    if page:
        for name, typ in PAGE_FIELDS.items():
            assert isinstance(body[name], typ), (name, body)
        assert body["size"] == len(body["contents"])
        for item in body["contents"]:
            assert_valid(kind, item)
    else:
        assert_valid(kind, body)
    return body


def zip_package(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"package/{name}", text)
    return buffer.getvalue()


def hsds_service(n: int, *, name: str | None = None, county: str = "Cascade County, MT",
                 term: dict | None = None) -> dict:
    """A 211-style HSDS service (an AIRS food-pantry term unless ``term``), number ``n``."""
    sid = f"00000000-0000-4000-8000-{n:012d}"
    oid = "11111111-0000-4000-8000-000000000001"
    term = term or {"id": "22222222-0000-4000-8000-000000000001", "code": "BD-1800.2000",
                    "name": "Food Pantries", "description": "Food Pantries", "taxonomy": "AIRS"}
    return {
        "id": sid, "name": name or f"Pantry {n}", "status": "active", "description": "Food boxes.",
        "organization": {"id": oid, "name": "Great Falls Food Network", "description": "Food."},
        "organization_id": oid,
        "phones": [{"id": f"33333333-0000-4000-8000-{n:012d}", "number": "406-555-01" + f"{n:02d}"}],
        "service_areas": [{"id": f"44444444-0000-4000-8000-{n:012d}", "name": county}],
        "service_at_locations": [{"id": f"55555555-0000-4000-8000-{n:012d}", "location": {
            "id": f"66666666-0000-4000-8000-{n:012d}", "location_type": "physical", "addresses": [{
                "id": f"77777777-0000-4000-8000-{n:012d}", "address_1": f"{n} Central Ave", "city": "Great Falls",
                "state_province": "MT", "postal_code": "59401", "country": "US", "address_type": "physical"}]}}],
        "attributes": [{"id": f"88888888-0000-4000-8000-{n:012d}", "taxonomy_term_id": term["id"], "taxonomy_term": term}],
    }
