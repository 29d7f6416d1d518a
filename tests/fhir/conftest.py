"""Every answer of the FHIR API in these tests passes through ``validated``: parsed by the FHIR
library's R4 models (fhir.resources, never CONNECT's own code), served as application/fhir+json,
and a refusal is a 4xx OperationOutcome, never a 5xx."""

from __future__ import annotations

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from api.fhir.models import R4B_ADDITIONS

NOT_RESOURCES = ("/fhir/.well-known/", "/fhir/auth/")
"""SMART's discovery document and token endpoint answer OAuth's JSON, not FHIR resources."""

VALIDATED: list[str] = []
"""The resource types validated, one per answer (the suite's count of what it checked)."""


def _types_in(resource) -> list[str]:
    kinds = [resource.get_resource_type()]
    for entry in getattr(resource, "entry", None) or []:
        if getattr(entry, "resource", None) is not None:
            kinds += _types_in(entry.resource)
    return kinds


async def validated(response: httpx.Response) -> None:
    path = response.request.url.path
    if not path.startswith("/fhir") or path.startswith(NOT_RESOURCES):
        return
    await response.aread()
    assert response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/fhir+json"), response.headers
    body = response.json()
    resource = get_fhir_model_class(body["resourceType"]).model_validate(body)
    kinds = _types_in(resource)
    assert not set(kinds) & R4B_ADDITIONS, kinds  # nothing that R4 lacks
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome", body
        assert body["issue"] and all(i["severity"] == "error" for i in body["issue"]), body
    VALIDATED.extend(kinds)


@pytest.fixture
async def fhir(client) -> httpx.AsyncClient:
    """The app's HTTP client with every /fhir answer validated as R4."""
    client.event_hooks["response"].append(validated)
    yield client
    client.event_hooks["response"].remove(validated)
