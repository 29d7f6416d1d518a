"""Issue #19: an uploaded PDF may carry a script that runs when it opens. CONNECT serves the
signed scan only as a download, never inline in its own origin, on the page and API alike."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests.factories import HTML
from tests.roi_support import make_scene, pdf_bytes, signed_by_upload, signed_in


def pdf_with_open_script() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("Signed ROI"))))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('opened');"),
    })
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_a_pdf_with_an_open_action_script_is_served_as_an_attachment(client, db):
    data = pdf_with_open_script()
    assert b"/OpenAction" in data and b"/JS" in data
    scene = make_scene(db)
    headers = await signed_in(client, scene)
    r = await signed_by_upload(client, scene, headers, data)
    roi_id = r.json()["id"]
    attachment_id = r.json()["attachment"]["id"]

    for url in (f"/roi/{roi_id}/attachments/{attachment_id}", f"/api/v1/roi/{roi_id}/attachments/{attachment_id}"):
        got = await client.get(url, headers=HTML)
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-disposition"].startswith("attachment;"), url
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "no-store"
