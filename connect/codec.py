"""AES-256-GCM payload codec: no client data sits in plaintext in Temporal's history.

Each encrypted payload carries the key id in its metadata so keys can be rotated: the codec
decrypts with any key it knows and encrypts with the current one.

It also carries, in plain metadata, the id of the workflow it belongs to (from the SDK's
serialization context), so the codec endpoint can tell whose data a payload is before it decrypts
it. The id is bound to the ciphertext (it is part of the authenticated data), so a payload
relabelled with another workflow's id does not decrypt. Payloads written before the label existed
have none and are read as before.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

ENCODING = b"binary/encrypted"
WORKFLOW_ID = "connect-workflow-id"
NONCE_BYTES = 12


def workflow_id_of(payload: Payload) -> str | None:
    """The workflow an encrypted payload says it belongs to (None for a payload without the label)."""
    value = payload.metadata.get(WORKFLOW_ID)
    return value.decode() if value else None


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, key_id: str, key: bytes, previous: Mapping[str, bytes] | None = None,
                 workflow_id: str | None = None):
        if len(key) != 32:
            raise ValueError("payload key must be 32 bytes")
        self.key_id = key_id
        self.workflow_id = workflow_id
        self._ciphers = {kid: AESGCM(k) for kid, k in (previous or {}).items()}
        self._ciphers[key_id] = AESGCM(key)

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        """A codec that labels what it encrypts with the workflow of the context."""
        workflow_id = None
        if isinstance(context, (WorkflowSerializationContext, ActivitySerializationContext)):
            workflow_id = context.workflow_id
        if workflow_id == self.workflow_id:
            return self
        labelled = copy.copy(self)
        labelled.workflow_id = workflow_id
        return labelled

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(p) for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        metadata = {"encoding": ENCODING, "encryption-key-id": self.key_id.encode()}
        if self.workflow_id:
            metadata[WORKFLOW_ID] = self.workflow_id.encode()
        data = nonce + self._ciphers[self.key_id].encrypt(
            nonce, payload.SerializeToString(), _associated(self.key_id, self.workflow_id)
        )
        return Payload(metadata=metadata, data=data)

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get("encryption-key-id", b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(f"unknown payload key id {key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        return Payload.FromString(cipher.decrypt(nonce, sealed, _associated(key_id, workflow_id_of(payload))))


def _associated(key_id: str, workflow_id: str | None) -> bytes:
    """The authenticated data: the key id, and the workflow label when there is one."""
    return key_id.encode() + (b"\0" + workflow_id.encode() if workflow_id else b"")


def is_encrypted(payloads: Iterable[Payload]) -> bool:
    return all(p.metadata.get("encoding") == ENCODING for p in payloads)
