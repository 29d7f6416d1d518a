"""Registers CONNECT's search attributes on a Temporal cluster (the operator call)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)

from connect.settings import Settings
from connect.temporal import connect_client
from workflows.search_attributes import ALL


async def ensure_search_attributes(settings: Settings) -> list[str]:
    """Adds any missing attribute; returns the names it added."""
    client = await connect_client(settings)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=settings.temporal_namespace)
    )
    missing = {k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
               for k in ALL if k.name not in listed.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=settings.temporal_namespace)
        )
    return sorted(missing)
