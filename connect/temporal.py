"""One factory for the Temporal client, used by the API, the worker, the CLI and the tests."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from connect.codec import EncryptionCodec
from connect.settings import Settings

DEV_SERVER_ADDRESS = "127.0.0.1:7233"


def codec_from_settings(settings: Settings) -> EncryptionCodec:
    return EncryptionCodec(settings.payload_key_id, bytes.fromhex(settings.payload_key))


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic JSON (dates, datetimes, enums, dataclasses) plus encryption of payloads and of
    failure messages."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec_from_settings(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect_client(settings: Settings, *, address: str | None = None) -> Client:
    return await Client.connect(
        address or settings.temporal_address or DEV_SERVER_ADDRESS,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
