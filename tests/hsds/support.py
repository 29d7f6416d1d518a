"""One check for every /hsds answer: it validates against the HSDS 3.0 JSON schemas."""

from __future__ import annotations

from directory_import.hsds_schema import errors_in

PAGE_FIELDS = {"total_items": int, "total_pages": int, "page_number": int, "size": int,
               "first_page": bool, "last_page": bool, "empty": bool}


def assert_valid(kind: str, obj: dict) -> None:
    problems = errors_in(kind, obj)
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
